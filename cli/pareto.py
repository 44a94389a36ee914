"""The command line's frontier runs (--pareto): the frontier as a table, run.json's part."""

from __future__ import annotations

import pandas as pd
from rich.console import Console
from rich.table import Table

from optimizer.cli.whatif import run_record
from optimizer.pareto import Frontier


def _number(value: object, digits: int = 0) -> str:
    if value is None or pd.isna(value):  # type: ignore[call-overload]
        return ""
    return f"{float(value):,.{digits}f}"  # type: ignore[arg-type]


def print_frontier(console: Console, result: Frontier, currency: str) -> None:
    """pareto.csv as a table: from the cost-minimal plan to the carbon-minimal one."""
    table = Table(
        title=f"Cost–carbon frontier ({currency}; cost discounted, emissions over the horizon)"
    )
    for name in ("point", "t CO2e", "cost", "abatement per t", "status"):
        table.add_column(name, justify="left" if name in ("point", "status") else "right")
    for row in result.tables["pareto"].to_dict("records"):
        table.add_row(
            str(row["point"]),
            _number(row["tco2e"], 1),
            _number(row["objective_usd"]),
            _number(row["abatement_usd_per_t"], 2),
            str(row["status"]),
        )
    console.print(table)


def pareto_info(result: Frontier, seconds: float, scheduler: str | None) -> dict[str, object]:
    """What run.json adds for a frontier run: each point with its bound and certificate."""
    return {
        "pareto": [
            {"point": run.scenario.name, "epsilon_tco2e": result.epsilon.get(run.scenario.name)}
            | run_record(run)
            for run in result.runs
        ],
        "failed_points": result.failed,
        "scheduler": scheduler or "local",
        "wall_seconds": seconds,
    }
