"""The report's finance section: notes on the cash (optimizer/notes.py), and what each
workload costs against its cheapest alternative (workload_summary.csv)."""

from __future__ import annotations

from optimizer.notes import cash_notes, move_lines

from .values import money, number, text
from .view import View

Context = dict[str, object]


def _unit(value: object) -> str:
    x = number(value)
    return "–" if x is None else f"{x:,.3f}" if abs(x) < 100 else f"{x:,.0f}"


def workload_costs(view: View) -> Context | None:
    """One row per workload: cost over the horizon, unit cost, the cheapest alternative's,
    emissions; None when the table is absent or empty."""
    rows = view.rows("workload_summary", view.focus)
    if rows.empty:
        return None
    out = []
    for r in rows.to_dict("records"):
        unit, alt = number(r.get("unit_cost_usd")), number(r.get("alternative_unit_cost_usd"))
        verdict = ""
        if unit is not None and alt is not None and alt > 0:
            verdict = f"{unit / alt:.0%} of it"
        out.append(
            {
                "workload": text(r["workload"]),
                "cost": money(r.get("cost_usd")),
                "unit_cost": _unit(unit),
                "unit": "" if not r.get("volume_unit") else f"per {text(r['volume_unit'])[:-1]}",
                "alternative": text(r.get("alternative") or "–"),
                "alternative_cost": _unit(alt),
                "verdict": verdict,
                "tco2e": _unit(r.get("tco2e")),
            }
        )
    return {"rows": out}


def finance(view: View) -> Context | None:
    """The section's parts; None when it has none."""
    parts = {
        "workloads": workload_costs(view),
        "notes": cash_notes(view.rows("costs", view.focus), view.currency),
        "moves": move_lines(view.rows("assignments", view.focus), view.labels, limit=40),
    }
    return parts if any(parts.values()) else None
