"""results.xlsx's native charts and the blocks of ``chart_data`` they read.

Each chart has its data block: a title row, a header row, then one row per category
(period, scenario or swept value). The blocks are placed one under the other, a blank
row between them; the charts refer to them by position, so the blocks are planned
before any sheet is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd
from xlsxwriter import Workbook
from xlsxwriter.chart import Chart

from optimizer.results import ENVIRONMENTS

from .values import number, text
from .view import ENV_COLOR, ENV_LABEL, View, category_colors

CHART_DATA = "chart_data"
MAX_SITE_CHARTS = 12
LINE_WIDTH = 22000 / 12700  # points: 22,000 EMU
LIMIT_COLOR = "#C0392B"
SIZE = {"width": 605, "height": 302}  # pixels: 16 × 8 cm


@dataclass
class Block:
    """A table of chart data on the chart_data sheet: rows ``first``..``last`` (the first
    is the header), columns 1..width."""

    title: str
    header: list[str]
    rows: list[list[object]]
    first: int = 0

    @property
    def last(self) -> int:
        return self.first + len(self.rows)

    @property
    def width(self) -> int:
        return len(self.header)


@dataclass
class ChartPlan:
    """The chart data blocks, the charts reading them, and notes for the charts sheet."""

    wb: Workbook
    blocks: list[Block] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, block: Block) -> Block:
        # a blank row, the block's title, then its header row
        block.first = (self.blocks[-1].last + 3) if self.blocks else 3
        self.blocks.append(block)
        return block

    def series(self, block: Block, column: int, **props: object) -> dict[str, object]:
        """A chart series: column ``column`` (1-based) of a block, named by its header,
        against the block's first column."""
        head, first, last = block.first - 1, block.first, block.last - 1  # 0-based rows
        return {
            "name": [CHART_DATA, head, column - 1],
            "categories": [CHART_DATA, first, 0, last, 0],
            "values": [CHART_DATA, first, column - 1, last, column - 1],
            **props,
        }


def plan_charts(view: View, wb: Workbook) -> ChartPlan:
    """Every chart of the focus scenario and of the scenarios, added to ``wb``."""
    plan = ChartPlan(wb)
    if not view.has_plan:
        plan.notes.append(
            f"No plan (status {view.summary_row.get('status', 'unknown')}): no charts."
        )
        return plan
    _cost_by_category(plan, view)
    if view.multi and len(view.planned) > 1 and _env_columns(view):
        _cost_by_environment_per_scenario(plan, view)
    else:
        _cost_by_environment(plan, view)
    used, _ = view.used_sites
    if used:
        _racks_per_site(plan, view, used)
        for site in used[:MAX_SITE_CHARTS]:
            _power_at_site(plan, view, site)
    if len(used) > MAX_SITE_CHARTS:
        plan.notes.append(
            f"Power charts for the first {MAX_SITE_CHARTS} of {len(used)} sites in use; "
            "the sites sheet has them all."
        )
    _emissions_by_environment(plan, view)
    if "pareto" in view.tables:
        _frontier(plan, view, view.tables["pareto"])
    for column, rows in view.sweeps:
        _cost_against(plan, view, column, rows)
    if view.multi and len(view.planned) > 1 and not view.sweeps:
        _objective_per_scenario(plan, view)
    return plan


def _records(frame: pd.DataFrame) -> list[dict[str, object]]:
    return frame.to_dict("records")  # type: ignore[return-value]


def _money(view: View) -> str:
    return f"{view.currency} (undiscounted)"


def _env_columns(view: View) -> list[str]:
    summary = view.rows("summary")
    return [f"{env}_usd" for env in ENVIRONMENTS if f"{env}_usd" in summary.columns]


def _scenario_name(view: View, scenario: object) -> str:
    """A swept scenario by its value, any other by its name."""
    return view.short.get(str(scenario), text(scenario))


def _cost_by_category(plan: ChartPlan, view: View) -> None:
    pivot = view.cost_pivot
    if pivot.empty:
        return
    block = plan.add(
        Block(
            f"Cost per period by category, scenario {view.focus or ''}, {_money(view)}",
            ["period", *map(str, pivot.columns)],
            [[view.label(p), *map(float, pivot.loc[p])] for p in pivot.index],
        )
    )
    colors = list(category_colors(map(str, pivot.columns)).values())
    title = f"Cost per period by category ({view.focus or ''})"
    plan.charts.append(_bars(plan, block, title, _money(view), True, colors=colors))


def _cost_by_environment_per_scenario(plan: ChartPlan, view: View) -> None:
    columns = _env_columns(view)
    block = plan.add(
        Block(
            f"Cost by environment per scenario, {_money(view)}",
            ["scenario", *(ENV_LABEL[c.removesuffix("_usd")] for c in columns)],
            [
                [_scenario_name(view, r["scenario"]), *(number(r[c]) or 0.0 for c in columns)]
                for r in _records(view.planned)
            ],
        )
    )
    colors = [ENV_COLOR[c.removesuffix("_usd")] for c in columns]
    title = "Cost by environment per scenario"
    plan.charts.append(_bars(plan, block, title, _money(view), True, colors=colors))


def _cost_by_environment(plan: ChartPlan, view: View) -> None:
    env = view.env_table
    if env.empty:
        return
    block = plan.add(
        Block(
            f"Cost by environment, scenario {view.focus or ''}, {_money(view)}",
            ["environment", "capex", "opex"],
            [
                [ENV_LABEL.get(str(e), str(e)), float(r["capex"]), float(r["opex"])]
                for e, r in env.iterrows()
            ],
        )
    )
    title = f"Cost by environment ({view.focus or ''})"
    colors = ("#1F4E79", "#E0B53A")
    plan.charts.append(_bars(plan, block, title, _money(view), True, colors=colors))


def _emissions_by_environment(plan: ChartPlan, view: View) -> None:
    """Emissions over the horizon by environment, per scenario with a plan (one bar for a
    plain run)."""
    columns = [f"{env}_tco2e" for env in ENVIRONMENTS if f"{env}_tco2e" in view.planned.columns]
    if not columns:
        return
    block = plan.add(
        Block(
            "Emissions by environment per scenario, t CO2e over the horizon",
            ["scenario", *(ENV_LABEL[c.removesuffix("_tco2e")] for c in columns)],
            [
                [_scenario_name(view, r["scenario"]), *(number(r[c]) or 0.0 for c in columns)]
                for r in _records(view.planned)
            ],
        )
    )
    colors = [ENV_COLOR[c.removesuffix("_tco2e")] for c in columns]
    chart = _bars(plan, block, "Emissions by environment", "t CO2e", True, colors=colors)
    plan.charts.append(chart)


def _frontier(plan: ChartPlan, view: View, table: pd.DataFrame) -> None:
    """pareto.csv's points: discounted cost against emissions, a line through them."""
    rows = [
        [number(r["tco2e"]), number(r["objective_usd"])]
        for r in _records(table)
        if number(r["tco2e"]) is not None and number(r["objective_usd"]) is not None
    ]
    if not rows:
        return
    header = ["t CO2e over the horizon", f"objective_usd ({view.currency}, discounted)"]
    block = plan.add(Block("Cost–carbon frontier (pareto.csv)", header, rows))
    scatter = plan.wb.add_chart({"type": "scatter", "subtype": "straight_with_markers"})
    color = "#2E7D4F"
    marker = {"type": "circle", "size": 6, "fill": {"color": color}, "border": {"color": color}}
    scatter.add_series(plan.series(block, 2, marker=marker, line=_line(color)))
    y_title = f"{view.currency} (discounted)"
    _style(scatter, "Cost against emissions", y_title, "#,##0", header[0], "#,##0.0")
    plan.charts.append(scatter)


def _racks_per_site(plan: ChartPlan, view: View, used: list[str]) -> None:
    racks = {s: view.site_series(s, "slots_used") for s in used}
    block = plan.add(
        Block(
            f"Racks installed per site, scenario {view.focus or ''}",
            ["period", *used],
            [
                [view.label(p), *(racks[s][i] or 0.0 for s in used)]
                for i, p in enumerate(view.periods)
            ],
        )
    )
    line = plan.wb.add_chart({"type": "line"})
    for column in range(2, block.width + 1):
        line.add_series(plan.series(block, column))
    _style(line, f"Racks installed per site ({view.focus or ''})", "racks", "#,##0")
    plan.charts.append(line)


def _power_at_site(plan: ChartPlan, view: View, site: str) -> None:
    """Power used as bars, the capacity as a dashed line over them."""
    used_kw = view.site_series(site, "power_used_kw")
    cap_kw = view.site_series(site, "power_capacity_kw")
    block = plan.add(
        Block(
            f"Power at site {site}, scenario {view.focus or ''}, kW",
            ["period", "power used (kW)", "power capacity (kW)"],
            [[view.label(p), used_kw[i] or 0.0, cap_kw[i]] for i, p in enumerate(view.periods)],
        )
    )
    title = f"Power used vs capacity: {site}"
    bars = _bars(plan, block, title, "kW", False, (2, 2), colors=(ENV_COLOR["onprem"],))
    cap = plan.wb.add_chart({"type": "line"})
    cap.add_series(plan.series(block, 3, line=_line(LIMIT_COLOR, dashed=True)))
    bars.combine(cap)
    plan.charts.append(bars)


def _cost_against(plan: ChartPlan, view: View, column: str, rows: pd.DataFrame) -> None:
    """The objective and the total cost against one swept parameter (``rows``: the
    scenarios that set it); with other parameters swept too, points only: a line would
    join unlike scenarios."""
    product = bool(view.others_swept(column, rows))
    block = plan.add(
        Block(
            f"Cost against {column}",
            [column, "objective_usd (discounted)", "total_cost_usd (undiscounted)"],
            [
                [float(r["_x"]), number(r["objective_usd"]), number(r["total_cost_usd"])]
                for r in _records(rows)
            ],
        )
    )
    scatter = plan.wb.add_chart({"type": "scatter", "subtype": "straight_with_markers"})
    scatter.set_style(13)
    for col, color in ((2, "#1F4E79"), (3, "#E8862A")):
        marker = {"type": "circle", "size": 6, "fill": {"color": color}, "border": {"color": color}}
        # the total may lie on the objective's line: dashed
        line = {"none": True} if product else _line(color, dashed=col == 3)
        scatter.add_series(plan.series(block, col, marker=marker, line=line))
    _style(scatter, f"Cost against {column}", view.currency, "#,##0", column, "General")
    plan.charts.append(scatter)


def _objective_per_scenario(plan: ChartPlan, view: View) -> None:
    block = plan.add(
        Block(
            "Objective per scenario (discounted)",
            ["scenario", "objective_usd"],
            [
                [_scenario_name(view, r["scenario"]), number(r["objective_usd"])]
                for r in _records(view.planned)
            ],
        )
    )
    money = f"{view.currency} (discounted)"
    plan.charts.append(_bars(plan, block, "Objective per scenario", money, False))


def _line(color: str, dashed: bool = False) -> dict[str, object]:
    """A straight (not smoothed) line in ``color``."""
    return {"color": color, "width": LINE_WIDTH} | ({"dash_type": "dash"} if dashed else {})


def _style(
    chart: Chart,
    title: str,
    y_title: str,
    y_format: str,
    x_title: str = "",
    x_format: str | None = None,
) -> None:
    """A 12 pt bold title, the legend below, the category labels below the plot (not on
    a zero line with bars below it)."""
    chart.set_title(
        {"name": text(title)[:250], "name_font": {"size": 12, "bold": True}, "overlay": False}
    )
    chart.set_size(SIZE)
    chart.set_legend({"position": "bottom"})
    x_axis: dict[str, object] = {"label_position": "low"}
    if x_title:
        x_axis["name"] = x_title
    if x_format:  # a value axis: gridlines as on the y axis
        x_axis |= {"num_format": x_format, "major_gridlines": {"visible": True}}
    chart.set_x_axis(x_axis)
    chart.set_y_axis({"name": y_title, "num_format": y_format})


def _bars(
    plan: ChartPlan,
    block: Block,
    title: str,
    y_title: str,
    stacked: bool,
    columns: tuple[int, int] | None = None,
    colors: Sequence[str] = (),
) -> Chart:
    """Columns of a block as bars (stacked or side by side), coloured as in report.html."""
    chart = plan.wb.add_chart({"type": "column"} | ({"subtype": "stacked"} if stacked else {}))
    first, last = columns or (2, block.width)
    for i, column in enumerate(range(first, last + 1)):
        color = colors[i].upper() if i < len(colors) else None
        paint = {"fill": {"color": color}, "border": {"color": color}} if color else {}
        if stacked:
            paint["overlap"] = 100
        chart.add_series(plan.series(block, column, **paint))
    _style(chart, title, y_title, "#,##0")
    return chart
