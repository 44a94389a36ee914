"""report.html's section for a frontier run (--pareto): cost against emissions, and
pareto.csv as a table. Plain values for templates/frontier.html, and svg.py's chart."""

from __future__ import annotations

from .svg import xy_chart
from .values import badge, money, number, tonnes
from .view import View

Context = dict[str, object]
FRONTIER_COLOR = "#2e7d4f"


def frontier(view: View) -> Context | None:
    """The frontier's chart and table; None for other runs."""
    table = view.tables.get("pareto")
    if table is None:
        return None
    records = table.to_dict("records")
    points = [  # tonnes to 4 significant digits: the axis labels are the points' own
        (float(f"{number(r['tco2e']):.4g}"), number(r["objective_usd"]))
        for r in records
        if number(r["tco2e"]) is not None and number(r["objective_usd"]) is not None
    ]
    chart = (
        xy_chart(
            [("frontier", FRONTIER_COLOR, points, False)],  # type: ignore[list-item]
            "t CO2e over the horizon",
            f"{view.currency}, discounted",
            [],
        )
        if points
        else None
    )
    rows = [
        {
            "point": r["point"],
            "tco2e": tonnes(r["tco2e"]),
            "objective": money(r["objective_usd"]),
            "total": money(r["total_cost_usd"]),
            "abatement": _per_tonne(r["abatement_usd_per_t"]),
            "epsilon": tonnes(r["epsilon_tco2e"]),
            "status": badge(r["status"]),
        }
        for r in records
    ]
    return {"chart": chart, "rows": rows, "color": FRONTIER_COLOR}


def _per_tonne(value: object) -> str:
    x = number(value)
    return "–" if x is None else f"{x:,.2f}"
