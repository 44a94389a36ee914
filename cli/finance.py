"""The terminal's finance lines: what each workload costs against its cheapest alternative,
and how much work moves between locations, when."""

from __future__ import annotations

import math

import pandas as pd
from rich.table import Table

from optimizer.notes import move_lines
from optimizer.run import Outcome


def _unit(x: object) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:,.3f}" if abs(x) < 100 else f"{x:,.0f}"  # type: ignore[arg-type]


def workload_cost_table(summary: pd.DataFrame, currency: str, years: str) -> Table | None:
    """workload_summary.csv as a table; None when it is empty."""
    if summary.empty:
        return None
    table = Table(title=f"Cost per workload over {years} ({currency}, undiscounted)")
    for name, right in (
        ("workload", False),
        ("cost", True),
        ("unit cost", True),
        ("per", False),
        ("cheapest alternative", False),
        ("its unit cost", True),
    ):
        table.add_column(name, justify="right" if right else "left")
    for r in summary.itertuples(index=False):
        unit = r.volume_unit[:-1] if isinstance(r.volume_unit, str) else ""
        table.add_row(
            str(r.workload),
            f"{r.cost_usd:,.0f}",
            _unit(r.unit_cost_usd),
            unit,
            r.alternative if isinstance(r.alternative, str) else "",
            _unit(r.alternative_unit_cost_usd),
        )
    return table


def moves_lines(outcome: Outcome, labels: dict[int, str]) -> list[str]:
    """How much work moves between locations, when, and what stable placement did."""
    summary = outcome.tables["summary"]
    total = float(summary["moves"].iloc[0] or 0.0)
    head = f"Work moved between locations: {total:.2f} (shares of a workload's demand, summed)"
    stable = outcome.stable
    if stable is not None and stable.taken:
        extra = outcome.solved.objective - stable.cost_before  # type: ignore[operator]
        head += (
            f"; stable placement cut it from {stable.moves_before:.2f} at {extra:,.0f} more, "
            "within the gap"
        )
    return [head, *(f"  {line}" for line in move_lines(outcome.tables["assignments"], labels))]
