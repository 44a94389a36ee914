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
from openpyxl.chart import BarChart, LineChart, Reference, ScatterChart, Series
from openpyxl.chart._chart import ChartBase
from openpyxl.chart.text import RichText, Text
from openpyxl.chart.title import Title
from openpyxl.drawing.text import (
    CharacterProperties,
    Paragraph,
    ParagraphProperties,
    RegularTextRun,
)
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from optimizer.results import ENVIRONMENTS

from .values import number, text
from .view import ENV_COLOR, ENV_LABEL, View, category_colors

MAX_SITE_CHARTS = 12
LINE_WIDTH = 22000  # EMU: 1.75 pt
LIMIT_COLOR = "C0392B"


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

    data: WriteOnlyWorksheet
    blocks: list[Block] = field(default_factory=list)
    charts: list[ChartBase] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, block: Block) -> Block:
        # a blank row, the block's title, then its header row
        block.first = (self.blocks[-1].last + 3) if self.blocks else 3
        self.blocks.append(block)
        return block

    def values(self, block: Block, first: int, last: int | None = None) -> Reference:
        """Columns ``first``..``last`` of a block, its header row included (series names)."""
        return Reference(
            self.data, min_col=first, max_col=last, min_row=block.first, max_row=block.last
        )

    def categories(self, block: Block) -> Reference:
        """The block's first column below its header."""
        return Reference(self.data, min_col=1, min_row=block.first + 1, max_row=block.last)


def plan_charts(view: View, data: WriteOnlyWorksheet) -> ChartPlan:
    """Every chart of the focus scenario and of the scenarios, reading ``data``."""
    plan = ChartPlan(data)
    if not view.has_plan:
        plan.notes.append(
            f"No plan (status {view.summary_row.get('status', 'unknown')}): no charts."
        )
        return plan
    _cost_by_category(plan, view)
    if view.multi and len(view.planned()) > 1 and _env_columns(view):
        _cost_by_environment_per_scenario(plan, view)
    else:
        _cost_by_environment(plan, view)
    used, _ = view.used_sites()
    if used:
        _racks_per_site(plan, view, used)
        for site in used[:MAX_SITE_CHARTS]:
            _power_at_site(plan, view, site)
    if len(used) > MAX_SITE_CHARTS:
        plan.notes.append(
            f"Power charts for the first {MAX_SITE_CHARTS} of {len(used)} sites in use; "
            "the sites sheet has them all."
        )
    for column, rows in view.sweeps():
        _cost_against(plan, view, column, rows)
    if view.multi and len(view.planned()) > 1 and not view.sweeps():
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
    _, short = view.short_names()
    return short.get(str(scenario), text(scenario))


def _cost_by_category(plan: ChartPlan, view: View) -> None:
    pivot = view.cost_pivot()
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
                for r in _records(view.planned())
            ],
        )
    )
    colors = [ENV_COLOR[c.removesuffix("_usd")] for c in columns]
    title = "Cost by environment per scenario"
    plan.charts.append(_bars(plan, block, title, _money(view), True, colors=colors))


def _cost_by_environment(plan: ChartPlan, view: View) -> None:
    env = view.env_table()
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
    line = LineChart()
    line.add_data(plan.values(block, 2, block.width), titles_from_data=True)
    line.set_categories(plan.categories(block))
    _style(line, f"Racks installed per site ({view.focus or ''})", "racks", "#,##0")
    for series in line.series:
        series.smooth = False
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
    cap = LineChart()
    cap.add_data(plan.values(block, 3), titles_from_data=True)
    _line(cap.series[0], LIMIT_COLOR, dashed=True)
    bars += cap
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
    scatter = ScatterChart()
    scatter.style = 13
    for col, color in ((2, "1F4E79"), (3, "E8862A")):
        series = Series(plan.values(block, col), plan.categories(block), title_from_data=True)
        series.marker.symbol = "circle"
        series.marker.size = 6
        series.marker.graphicalProperties.solidFill = color
        series.marker.graphicalProperties.line.solidFill = color
        _line(series, color, dashed=col == 3)  # the total may lie on the objective's line
        if product:
            series.graphicalProperties.line.noFill = True
        scatter.series.append(series)
    _style(scatter, f"Cost against {column}", view.currency, "#,##0", column)
    scatter.x_axis.numFmt = "General"
    plan.charts.append(scatter)


def _objective_per_scenario(plan: ChartPlan, view: View) -> None:
    block = plan.add(
        Block(
            "Objective per scenario (discounted)",
            ["scenario", "objective_usd"],
            [
                [_scenario_name(view, r["scenario"]), number(r["objective_usd"])]
                for r in _records(view.planned())
            ],
        )
    )
    money = f"{view.currency} (discounted)"
    plan.charts.append(_bars(plan, block, "Objective per scenario", money, False))


def _title(words: str) -> Title:
    """A chart title in 12 pt bold (openpyxl's default is 18 pt, too big for a grid)."""
    font = CharacterProperties(sz=1200, b=True)
    run = RegularTextRun(rPr=font, t=text(words)[:250])
    paragraph = Paragraph(pPr=ParagraphProperties(defRPr=font), r=[run])
    return Title(tx=Text(rich=RichText(p=[paragraph])), overlay=False)


def _line(series: Series, color: str, dashed: bool = False) -> None:
    """A straight (not smoothed) line in ``color``."""
    series.graphicalProperties.line.solidFill = color
    series.graphicalProperties.line.width = LINE_WIDTH
    if dashed:
        series.graphicalProperties.line.dashStyle = "dash"
    series.smooth = False


def _style(chart: ChartBase, title: str, y_title: str, y_format: str, x_title: str = "") -> None:
    chart.title = _title(title)
    chart.width = 16
    chart.height = 8
    chart.x_axis.tickLblPos = "low"  # below the plot, not on a zero line with bars below it
    chart.legend.position = "b"
    chart.y_axis.title = y_title
    chart.y_axis.numFmt = y_format
    if x_title:
        chart.x_axis.title = x_title
    # openpyxl 3.1 marks axes deleted unless told otherwise: Excel would hide them.
    chart.x_axis.delete = False
    chart.y_axis.delete = False


def _bars(
    plan: ChartPlan,
    block: Block,
    title: str,
    y_title: str,
    stacked: bool,
    columns: tuple[int, int] | None = None,
    colors: Sequence[str] = (),
) -> BarChart:
    """Columns of a block as bars (stacked or side by side), coloured as in report.html."""
    chart = BarChart()
    chart.type = "col"
    if stacked:
        chart.grouping = "stacked"
        chart.overlap = 100
    first, last = columns or (2, block.width)
    chart.add_data(plan.values(block, first, last), titles_from_data=True)
    chart.set_categories(plan.categories(block))
    _style(chart, title, y_title, "#,##0")
    for series, color in zip(chart.series, colors, strict=False):
        series.graphicalProperties.solidFill = color.lstrip("#").upper()
        series.graphicalProperties.line.solidFill = color.lstrip("#").upper()
    return chart
