"""results.xlsx and report.html: the result tables for people, beside the CSVs for imports.

Both are drawn from the very tables the CSVs hold and from run.json's facts, so they
never disagree with them. The workbook holds values only: a text that looks like a
formula (or like an error value such as ``#N/A``) is stored as text with Excel's quote
prefix, never evaluated; numbers carry formats by unit and native charts read a
``chart_data`` sheet. The page is one file that needs no network: its charts are SVG
drawn here, its styling one ``<style>`` element, it has no script at all, and a
Content-Security-Policy forbids fetching anything, so an id holding markup is shown
(escaped), never run.

Scenario runs hold every scenario's rows; the per-period views (costs over time,
sites, workloads) show one scenario, ``base`` when it has a plan, and say so.
"""

from __future__ import annotations

import datetime as dt
import html
import itertools
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
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
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from optimizer.columns import OUTPUT_COLUMNS, SUMMARY_EXTRAS

TABLE_ORDER = ("summary", "costs", "racks", "assignments", "sites", "decisions", "regret")
ENVIRONMENTS = ("onprem", "cloud", "api", "edge")
ENV_LABEL = {"onprem": "on-prem", "cloud": "cloud", "api": "token APIs", "edge": "edge"}
ENV_COLOR = {"onprem": "#2f6b9a", "cloud": "#e8862a", "api": "#4e9a52", "edge": "#9467bd"}
# Stacking order and colours of costs.csv's categories: blues on-prem, oranges cloud.
CATEGORY_COLOR = {
    "rack_capex": "#1f4e79",
    "site_build": "#4a7fb0",
    "site_opex": "#8fb3d9",
    "rack_opex": "#b9d1ea",
    "energy": "#e0b53a",
    "cloud_reserved": "#b35806",
    "cloud_on_demand": "#f1a340",
    "cloud_spot": "#fdd6a0",
    "api": "#4e9a52",
    "edge_capex": "#7b4fa0",
    "edge_opex": "#c2a5dc",
    "residual_value": "#8c8c8c",
}
EXTRA_COLOR = ("#6b6b6b", "#a6761d", "#1b9e77", "#d95f02", "#7570b3", "#e7298a")
HAS_PLAN = ("optimal", "time_limit")
DATE_COLUMNS = ("period_start", "period_end")
SUMMARY_EXTRA_NAMES = tuple(name for name, _, _ in SUMMARY_EXTRAS if name.islower())
MONTHS_PER_PERIOD = {"month": 1, "quarter": 3, "year": 12}
# sites.csv holds the power capacity; these would give the other caps if it ever has them.
SITE_CAPS = {
    "cooling_air_used_kw": ("cooling_air_capacity_kw", "cooling_air_kw"),
    "cooling_liquid_used_kw": ("cooling_liquid_capacity_kw", "cooling_liquid_kw"),
    "slots_used": ("rack_slots", "slots_capacity"),
}
EXCEL_MAX_TEXT = 32_767  # characters in a cell; longer ones make Excel repair the file
EXCEL_MAX_ROWS = 1_048_576  # rows in a sheet
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_SITE_CHARTS = 12


def write_reports(folder: Path, tables: dict[str, pd.DataFrame], info: dict[str, object]) -> None:
    """Write ``results.xlsx`` and ``report.html`` into ``folder`` from the output tables
    (as written to the CSVs) and what run.json records (``info``)."""
    view = _View.of(tables, info)
    _write_workbook(folder / "results.xlsx", view)
    page = _page(view).encode("utf-8", "replace")
    (folder / "report.html").write_bytes(page)


# --- the data both files show -------------------------------------------------------------


@dataclass
class _View:
    """The tables, and what both files derive from them once."""

    tables: dict[str, pd.DataFrame]
    info: dict[str, object]
    settings: dict[str, object]
    currency: str
    focus: str | None
    periods: list[int]
    labels: dict[int, str]
    overrides: list[str]
    multi: bool

    @classmethod
    def of(cls, tables: dict[str, pd.DataFrame], info: dict[str, object]) -> _View:
        tables = {str(k): v for k, v in tables.items() if isinstance(v, pd.DataFrame)}
        settings = info.get("settings")
        settings = settings if isinstance(settings, dict) else {}
        summary = tables.get("summary", pd.DataFrame(columns=["scenario", "status"]))
        known = {name for name, _, _ in OUTPUT_COLUMNS["summary"]} | set(SUMMARY_EXTRA_NAMES)
        overrides = [str(c) for c in summary.columns if str(c) not in known]
        focus = _pick_focus(summary)
        multi = len(summary) > 1 or "scenarios" in info or "robust" in info
        view = cls(
            tables=tables,
            info=info,
            settings=settings,
            currency=_text(settings.get("currency") or "USD"),
            focus=focus,
            periods=[],
            labels={},
            overrides=overrides,
            multi=multi,
        )
        view.periods, view.labels = view._periods()
        return view

    def rows(self, name: str, scenario: str | None = None) -> pd.DataFrame:
        """A table (empty with its columns when absent), optionally one scenario's rows."""
        frame = self.tables.get(name)
        if frame is None:
            columns = [c for c, _, _ in OUTPUT_COLUMNS.get(name, ())]
            return pd.DataFrame(columns=columns)
        if scenario is None or "scenario" not in frame.columns or frame.empty:
            return frame
        return frame[frame["scenario"].astype(str) == scenario]

    def _periods(self) -> tuple[list[int], dict[int, str]]:
        starts: dict[int, dt.date] = {}
        seen: set[int] = set()
        for name in ("costs", "racks", "assignments", "sites"):
            frame = self.rows(name, self.focus)
            if frame.empty or "period" not in frame.columns:
                continue
            periods = pd.to_numeric(frame["period"], errors="coerce")
            seen |= {int(p) for p in periods.dropna()}
            if "period_start" in frame.columns:
                for p, start in zip(periods, frame["period_start"], strict=True):
                    day = _as_date(start)
                    if day is not None and not pd.isna(p):
                        starts.setdefault(int(p), day)
        if not seen:
            return [], {}
        numbers = list(range(min(min(seen), 0), max(seen) + 1))
        kind = str(self.settings.get("period") or "")
        first = _as_date(self.settings.get("start_date"))
        step = MONTHS_PER_PERIOD.get(kind)
        labels = {}
        for k in numbers:
            start = starts.get(k)
            if start is None and first is not None and step is not None:
                start = _add_months(first, k * step)
            labels[k] = _period_label(k, start, kind)
        return numbers, labels

    def label(self, period: object) -> str:
        try:
            k = int(period)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            return _text(period)
        return self.labels.get(k, f"P{k}")

    @property
    def summary_row(self) -> dict[str, object]:
        summary = self.rows("summary", self.focus)
        return summary.iloc[0].to_dict() if not summary.empty else {}

    @property
    def has_plan(self) -> bool:
        return self.summary_row.get("status") in HAS_PLAN

    def short_names(self) -> tuple[str, dict[str, str]]:
        """For a sweep of one parameter: its name, and each swept scenario's value as a
        short column heading (the other scenarios keep their names)."""
        sweeps = self.sweeps()
        if len(sweeps) != 1:
            return "", {}
        column, chosen = sweeps[0]
        return column, {str(r["scenario"]): f"{r['_x']:g}" for r in chosen.to_dict("records")}

    def sweeps(self) -> list[tuple[str, pd.DataFrame]]:
        """Each overridden parameter with numeric values in two scenarios or more: the
        summary rows that set it, in order of its value."""
        summary = self.rows("summary")
        out = []
        for column in self.overrides:
            values = pd.to_numeric(summary[column], errors="coerce")
            chosen = summary.assign(_x=values)[values.notna()].sort_values("_x", kind="stable")
            if chosen["_x"].nunique() >= 2:
                out.append((column, chosen))
        return out


def _pick_focus(summary: pd.DataFrame) -> str | None:
    if summary.empty or "scenario" not in summary.columns:
        return None
    names = [str(s) for s in summary["scenario"]]
    statuses = list(summary["status"]) if "status" in summary.columns else [None] * len(names)
    planned = [n for n, s in zip(names, statuses, strict=True) if s in HAS_PLAN]
    if "base" in planned:
        return "base"
    return planned[0] if planned else names[0]


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _text(value: object) -> str:
    """Any value as text that XML and UTF-8 can carry: control characters become U+FFFD,
    lone surrogates '?'."""
    text = str(value)
    text = _CONTROL.sub("\ufffd", text)
    return text.encode("utf-8", "replace").decode("utf-8")


def _e(value: object) -> str:
    """Text for HTML, escaped (quotes too: it may land in an attribute)."""
    return html.escape(_text(value), quote=True)


def _md(text: str) -> str:
    """docs/outputs.md's meanings as plain text: no backticks, links as their words."""
    return re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text).replace("`", "")


def _number(value: object) -> float | None:
    """A finite number, or None."""
    if isinstance(value, bool | np.bool_):
        return float(value)
    if isinstance(value, int | float | np.integer | np.floating):
        x = float(value)
        return x if math.isfinite(x) else None
    return None


def _as_date(value: object) -> dt.date | None:
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _add_months(day: dt.date, months: int) -> dt.date:
    total = day.month - 1 + months
    return dt.date(day.year + total // 12, total % 12 + 1, 1)


def _period_label(k: int, start: dt.date | None, kind: str) -> str:
    if start is None:
        return f"P{k}"
    if kind == "quarter":
        return f"{start.year} Q{(start.month - 1) // 3 + 1}"
    if kind == "month":
        return f"{start.year}-{start.month:02d}"
    if kind == "year":
        return str(start.year)
    return start.isoformat()


def _money(value: object) -> str:
    x = _number(value)
    if x is None:
        return "n/a" if isinstance(value, float) and math.isinf(value) else "–"
    return f"{x:,.0f}" if abs(x) >= 0.5 else "0"


def _digits(step: float) -> int:
    """Decimals that show every multiple of ``step`` exactly (0.25 needs 2)."""
    digits = max(0, -math.floor(math.log10(step) + 1e-9))
    while digits < 6 and abs(round(step * 10**digits) - step * 10**digits) > 1e-6:
        digits += 1
    return digits


def _axis_labels(ticks: Sequence[float]) -> list[str]:
    """Tick labels sharing one unit: 0, 500k, 1.0M; plain digits where the steps are too
    fine for a unit (2,211,500 and 2,212,000 rather than 2.212M twice)."""
    if not ticks:
        return []
    step = abs(ticks[1] - ticks[0]) if len(ticks) > 1 else abs(ticks[0]) or 1.0
    scale = max(abs(t) for t in ticks)
    div, suffix = 1.0, ""
    for d, s in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if scale >= d:
            div, suffix = d, s
            break
    digits = _digits(step / div)
    if digits > 2:
        div, suffix = 1.0, ""
        digits = _digits(step)
    return ["0" if t == 0 else f"{t / div:,.{digits}f}{suffix}" for t in ticks]


def _plain(value: object) -> str:
    """A number as short as it is exact enough (override values, shares)."""
    x = _number(value)
    if x is None:
        return _text(value) if value is not None and not _isna(value) else "–"
    return f"{x:g}"


def _isna(value: object) -> bool:
    try:
        return bool(pd.isna(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _category_colors(categories: Iterable[str]) -> dict[str, str]:
    colors, spare = {}, iter(EXTRA_COLOR * 20)
    for c in categories:
        colors[c] = CATEGORY_COLOR.get(c) or ENV_COLOR.get(c) or next(spare)
    return colors


def _ordered(values: Iterable[object], order: Sequence[str]) -> list[str]:
    present = list(dict.fromkeys(str(v) for v in values))
    return [o for o in order if o in present] + [p for p in present if p not in order]


def _cost_pivot(view: _View) -> pd.DataFrame:
    """Undiscounted cost of the focus scenario: period × category."""
    costs = view.rows("costs", view.focus)
    if costs.empty:
        return pd.DataFrame()
    frame = costs.assign(amount=pd.to_numeric(costs["amount_usd"], errors="coerce").fillna(0.0))
    pivot = frame.pivot_table(
        index="period", columns="category", values="amount", aggfunc="sum", fill_value=0.0
    )
    pivot = pivot.reindex(index=view.periods, fill_value=0.0)
    return pivot[_ordered(pivot.columns, tuple(CATEGORY_COLOR))]


def _env_table(view: _View) -> pd.DataFrame:
    """The focus scenario's cost by environment: capex, opex, total (undiscounted) and
    discounted."""
    costs = view.rows("costs", view.focus)
    columns = ["capex", "opex", "total", "discounted"]
    if costs.empty:
        return pd.DataFrame(columns=columns)
    frame = costs.assign(
        amount=pd.to_numeric(costs["amount_usd"], errors="coerce").fillna(0.0),
        disc=pd.to_numeric(costs["discounted_usd"], errors="coerce").fillna(0.0),
    )
    by_type = frame.pivot_table(
        index="environment", columns="cost_type", values="amount", aggfunc="sum", fill_value=0.0
    )
    out = pd.DataFrame(index=_ordered(frame["environment"], ENVIRONMENTS))
    out["capex"] = by_type.get("capex", pd.Series(dtype=float))
    out["opex"] = by_type.get("opex", pd.Series(dtype=float))
    out = out.fillna(0.0)
    out["total"] = out["capex"] + out["opex"]
    out["discounted"] = frame.groupby("environment")["disc"].sum()
    return out[columns]


def _used_sites(view: _View) -> tuple[list[str], list[str]]:
    """The focus scenario's sites that are open or hold racks at some point, and the rest."""
    sites = view.rows("sites", view.focus)
    if sites.empty:
        return [], []
    order = list(dict.fromkeys(str(s) for s in sites["site"]))
    used = set()
    for site, group in sites.groupby(sites["site"].astype(str)):
        opened = pd.to_numeric(group["open"], errors="coerce").fillna(0).gt(0).any()
        slots = pd.to_numeric(group["slots_used"], errors="coerce").fillna(0).gt(0).any()
        if opened or slots:
            used.add(site)
    return [s for s in order if s in used], [s for s in order if s not in used]


def _site_series(view: _View, site: str, column: str) -> list[float | None]:
    sites = view.rows("sites", view.focus)
    mine = sites[sites["site"].astype(str) == site]
    if column not in mine.columns:
        return [None] * len(view.periods)
    values = dict(
        zip(
            pd.to_numeric(mine["period"], errors="coerce"),
            pd.to_numeric(mine[column], errors="coerce"),
            strict=True,
        )
    )
    return [_number(values.get(p)) for p in view.periods]


def _site_cap(view: _View, site: str, used_column: str) -> tuple[str, list[float | None]] | None:
    sites = view.rows("sites", view.focus)
    for cap in SITE_CAPS.get(used_column, ()):
        if cap in sites.columns:
            return cap, _site_series(view, site, cap)
    return None


# --- results.xlsx ------------------------------------------------------------------------

HEADER_FONT = Font(name="Calibri", bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
HEADER_BORDER = Border(bottom=Side(style="thin", color="0F2A44"))
TITLE_FONT = Font(name="Calibri", bold=True, size=13)
BOLD_FONT = Font(name="Calibri", bold=True)


def _units(table: str) -> dict[str, str]:
    units = {name: unit for name, unit, _ in OUTPUT_COLUMNS.get(table, ())}
    if table == "summary":
        units |= {name: unit for name, unit, _ in SUMMARY_EXTRAS}
    return units


def _number_format(column: str, unit: str) -> str | None:
    if unit == "date" or column in DATE_COLUMNS:
        return "yyyy-mm-dd"
    if column.endswith("_usd"):
        return "#,##0"
    if "_usd_per_" in column:
        return "#,##0.00"
    if column == "mip_gap":
        return "0.00%"
    if unit == "fraction":
        return "0.0%"
    if unit == "kW":
        return "#,##0.0"
    if unit == "accelerator-hours":
        return "#,##0"
    if column == "demand":
        return "#,##0.00"
    if unit == "s":
        return "0.00"
    return None


def _excel_value(value: object, is_date: bool) -> object:
    """A value openpyxl writes as a plain value: no NaN, no infinity (Excel has neither),
    dates as dates, everything else a number, a bool or text."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        x = float(value)
        if math.isnan(x):
            return None
        return x if math.isfinite(x) else ("inf" if x > 0 else "-inf")
    if isinstance(value, dt.datetime | pd.Timestamp) and value.tzinfo is not None:
        return value.isoformat()  # Excel has no time zones
    if isinstance(value, dt.date | pd.Timestamp):
        day = _as_date(value)
        if is_date or isinstance(value, pd.Timestamp):
            return day
        return value
    if isinstance(value, str) and is_date:
        day = _as_date(value)
        if day is not None and len(value) == 10:
            return day
    if _isna(value):
        return None
    return _text(value)[:EXCEL_MAX_TEXT]


def _cell(ws: WriteOnlyWorksheet, value: object, fmt: str | None = None) -> WriteOnlyCell:
    """A cell that holds ``value`` as a value: text stays text (data type 's', never a
    formula nor an error value), with Excel's quote prefix when it would look like one."""
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
        if value.startswith(FORMULA_STARTS) or value.startswith("#"):
            cell.quotePrefix = True
    elif fmt is not None and value is not None:
        cell.number_format = fmt
    return cell


def _header(ws: WriteOnlyWorksheet, names: Sequence[str]) -> list[WriteOnlyCell]:
    cells = []
    for name in names:
        cell = _cell(ws, _text(name))
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.border = HEADER_BORDER
        cell.alignment = Alignment(vertical="center")
        cells.append(cell)
    return cells


def _width(name: str, series: pd.Series, fmt: str | None) -> float:
    body = 0
    sample = series.iloc[:2000]
    if fmt == "yyyy-mm-dd":
        body = 11
    elif fmt is not None or pd.api.types.is_numeric_dtype(series):
        numbers = pd.to_numeric(sample, errors="coerce").abs()
        biggest = numbers[np.isfinite(numbers)].max() if numbers.notna().any() else 0.0
        body = len(f"{biggest:,.0f}") + (4 if fmt and ("." in fmt or "%" in fmt) else 1)
    elif len(sample):
        body = int(sample.map(lambda v: len(str(v)) if not _isna(v) else 0).max())
    return float(min(max(len(name) + 3, body + 2, 8), 60))


def _landscape(ws: WriteOnlyWorksheet) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _table_sheet(ws: WriteOnlyWorksheet, table: str, frame: pd.DataFrame) -> None:
    frame = frame.iloc[: EXCEL_MAX_ROWS - 1]  # the CSV holds any rows beyond (see the notes)
    names = [str(c) for c in frame.columns]
    units = _units(table)
    formats = [_number_format(n, units.get(n, "")) for n in names]
    for i, (name, fmt) in enumerate(zip(names, formats, strict=True), start=1):
        ws.column_dimensions[get_column_letter(i)].width = _width(name, frame.iloc[:, i - 1], fmt)
    ws.freeze_panes = "A2"
    _landscape(ws)
    if names:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(names))}{len(frame) + 1}"
    ws.append(_header(ws, names))
    is_date = [n in DATE_COLUMNS for n in names]
    for values in frame.itertuples(index=False, name=None):
        row = []
        for value, fmt, date_column in zip(values, formats, is_date, strict=True):
            v = _excel_value(value, date_column)
            row.append(None if v is None else _cell(ws, v, fmt))
        ws.append(row)


def _columns_sheet(ws: WriteOnlyWorksheet, view: _View, tables: list[str]) -> None:
    widths = {"A": 14, "B": 34, "C": 28, "D": 100}
    for letter, width in widths.items():
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    _landscape(ws)
    rows: list[tuple[str, str, str, str]] = []
    for table in tables:
        frame = view.tables[table]
        described = {name: (unit, meaning) for name, unit, meaning in OUTPUT_COLUMNS.get(table, ())}
        if table == "summary":
            described |= {name: (unit, meaning) for name, unit, meaning in SUMMARY_EXTRAS}
        for column in frame.columns:
            name = str(column)
            if name in described:
                unit, meaning = described[name]
            elif table == "summary":
                unit = "the parameter's unit"
                meaning = f"the scenario's value of {name} (blank: not overridden)"
            else:
                unit, meaning = "", ""
            rows.append((table, name, unit, _md(meaning)))
    ws.auto_filter.ref = f"A1:D{len(rows) + 1}"
    ws.append(_header(ws, ["table", "column", "unit", "meaning"]))
    for row in rows:
        ws.append([_cell(ws, _text(v)) if v else None for v in row])


def _flatten(prefix: str, value: object) -> Iterable[tuple[str, object]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _flatten(f"{prefix}.{k}" if prefix else str(k), v)
    elif isinstance(value, list | tuple):
        if not value:
            yield prefix, ""
        for i, v in enumerate(value):
            yield from _flatten(f"{prefix}[{i}]", v)
    else:
        yield prefix, value


def _run_sheet(ws: WriteOnlyWorksheet, view: _View) -> None:
    ws.column_dimensions["A"].width = 44
    ws.column_dimensions["B"].width = 100
    ws.freeze_panes = "A2"
    ws.append(_header(ws, ["key", "value"]))
    for key, value in _flatten("", view.info):
        v = _excel_value(value, False)
        if v is not None and not isinstance(v, int | float | bool | str):
            v = _text(v)
        ws.append([_cell(ws, _text(key)), None if v is None else _cell(ws, v)])


@dataclass
class _Block:
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
class _Charts:
    blocks: list[_Block] = field(default_factory=list)
    charts: list[ChartBase] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, block: _Block) -> _Block:
        # a blank row, the block's title, then its header row
        block.first = (self.blocks[-1].last + 3) if self.blocks else 3
        self.blocks.append(block)
        return block


def _title(text: str) -> Title:
    """A chart title in 12 pt bold (openpyxl's default is 18 pt, too big for a grid)."""
    font = CharacterProperties(sz=1200, b=True)
    run = RegularTextRun(rPr=font, t=_text(text)[:250])
    paragraph = Paragraph(pPr=ParagraphProperties(defRPr=font), r=[run])
    return Title(tx=Text(rich=RichText(p=[paragraph])), overlay=False)


def _paint(chart: ChartBase, colors: Sequence[str | None], line: bool = False) -> None:
    """Series colours as in report.html; lines straight, not smoothed."""
    for series, color in zip(chart.series, colors, strict=False):
        if line:
            series.smooth = False
        if color is None:
            continue
        hex_color = color.lstrip("#").upper()
        if line:
            series.graphicalProperties.line.solidFill = hex_color
            series.graphicalProperties.line.width = 22000
        else:
            series.graphicalProperties.solidFill = hex_color
            series.graphicalProperties.line.solidFill = hex_color


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
    data_ws: WriteOnlyWorksheet,
    block: _Block,
    title: str,
    y_title: str,
    stacked: bool,
    y_format: str = "#,##0",
    columns: tuple[int, int] | None = None,
    colors: Sequence[str | None] = (),
) -> BarChart:
    chart = BarChart()
    chart.type = "col"
    if stacked:
        chart.grouping = "stacked"
        chart.overlap = 100
    first, last = columns or (2, block.width)
    chart.add_data(
        Reference(data_ws, min_col=first, max_col=last, min_row=block.first, max_row=block.last),
        titles_from_data=True,
    )
    chart.set_categories(Reference(data_ws, min_col=1, min_row=block.first + 1, max_row=block.last))
    _style(chart, title, y_title, y_format)
    _paint(chart, colors)
    return chart


def _chart_plan(view: _View, data_ws: WriteOnlyWorksheet) -> _Charts:
    """The chart data blocks and the charts reading them."""
    out = _Charts()
    money = f"{view.currency} (undiscounted)"
    name = view.focus or ""
    if not view.has_plan:
        out.notes.append(
            f"No plan (status {view.summary_row.get('status', 'unknown')}): no charts."
        )
        return out
    pivot = _cost_pivot(view)
    if not pivot.empty:
        block = out.add(
            _Block(
                f"Cost per period by category, scenario {name}, {money}",
                ["period", *map(str, pivot.columns)],
                [[view.label(p), *map(float, pivot.loc[p])] for p in pivot.index],
            )
        )
        colors = list(_category_colors(map(str, pivot.columns)).values())
        chart = _bars(
            data_ws, block, f"Cost per period by category ({name})", money, True, colors=colors
        )
        out.charts.append(chart)
    summary = view.rows("summary")
    planned = summary[summary["status"].isin(HAS_PLAN)] if "status" in summary else summary
    env_columns = [f"{env}_usd" for env in ENVIRONMENTS if f"{env}_usd" in summary.columns]
    _, short = view.short_names()
    env_colors = [ENV_COLOR[c.removesuffix("_usd")] for c in env_columns]
    if view.multi and len(planned) > 1 and env_columns:
        block = out.add(
            _Block(
                f"Cost by environment per scenario, {money}",
                ["scenario", *(ENV_LABEL[c.removesuffix("_usd")] for c in env_columns)],
                [
                    [
                        short.get(str(r["scenario"]), _text(r["scenario"])),
                        *(_number(r[c]) or 0.0 for c in env_columns),
                    ]
                    for r in planned.to_dict("records")
                ],
            )
        )
        out.charts.append(
            _bars(
                data_ws, block, "Cost by environment per scenario", money, True, colors=env_colors
            )
        )
    else:
        env = _env_table(view)
        if not env.empty:
            block = out.add(
                _Block(
                    f"Cost by environment, scenario {name}, {money}",
                    ["environment", "capex", "opex"],
                    [
                        [ENV_LABEL.get(str(e), str(e)), float(r["capex"]), float(r["opex"])]
                        for e, r in env.iterrows()
                    ],
                )
            )
            out.charts.append(
                _bars(
                    data_ws,
                    block,
                    f"Cost by environment ({name})",
                    money,
                    stacked=True,
                    colors=("#1F4E79", "#E0B53A"),
                )
            )
    used, _ = _used_sites(view)
    if used:
        racks = {s: _site_series(view, s, "slots_used") for s in used}
        block = out.add(
            _Block(
                f"Racks installed per site, scenario {name}",
                ["period", *used],
                [
                    [view.label(p), *(racks[s][i] or 0.0 for s in used)]
                    for i, p in enumerate(view.periods)
                ],
            )
        )
        line = LineChart()
        line.add_data(
            Reference(
                data_ws, min_col=2, max_col=block.width, min_row=block.first, max_row=block.last
            ),
            titles_from_data=True,
        )
        line.set_categories(
            Reference(data_ws, min_col=1, min_row=block.first + 1, max_row=block.last)
        )
        _style(line, f"Racks installed per site ({name})", "racks", "#,##0")
        _paint(line, [None] * len(used), line=True)
        out.charts.append(line)
        for site in used[:MAX_SITE_CHARTS]:
            used_kw = _site_series(view, site, "power_used_kw")
            cap_kw = _site_series(view, site, "power_capacity_kw")
            block = out.add(
                _Block(
                    f"Power at site {site}, scenario {name}, kW",
                    ["period", "power used (kW)", "power capacity (kW)"],
                    [
                        [view.label(p), used_kw[i] or 0.0, cap_kw[i]]
                        for i, p in enumerate(view.periods)
                    ],
                )
            )
            bars = _bars(
                data_ws,
                block,
                f"Power used vs capacity: {site}",
                "kW",
                False,
                "#,##0",
                (2, 2),
                colors=(ENV_COLOR["onprem"],),
            )
            cap = LineChart()
            cap.add_data(
                Reference(data_ws, min_col=3, min_row=block.first, max_row=block.last),
                titles_from_data=True,
            )
            cap.series[0].graphicalProperties.line.solidFill = "C0392B"
            cap.series[0].graphicalProperties.line.dashStyle = "dash"
            cap.series[0].graphicalProperties.line.width = 22000
            cap.series[0].smooth = False
            bars += cap
            out.charts.append(bars)
        if len(used) > MAX_SITE_CHARTS:
            out.notes.append(
                f"Power charts for the first {MAX_SITE_CHARTS} of {len(used)} sites in use; "
                "the sites sheet has them all."
            )
    for column, rows in view.sweeps():
        # with other parameters swept too, points only: a line would join unlike scenarios
        product = any(c != column and rows[c].notna().any() for c in view.overrides)
        block = out.add(
            _Block(
                f"Cost against {column}",
                [column, "objective_usd (discounted)", "total_cost_usd (undiscounted)"],
                [
                    [float(r["_x"]), _number(r["objective_usd"]), _number(r["total_cost_usd"])]
                    for r in rows.to_dict("records")
                ],
            )
        )
        scatter = ScatterChart()
        scatter.style = 13
        xs = Reference(data_ws, min_col=1, min_row=block.first + 1, max_row=block.last)
        for col, color in ((2, "1F4E79"), (3, "E8862A")):
            values = Reference(data_ws, min_col=col, min_row=block.first, max_row=block.last)
            series = Series(values, xs, title_from_data=True)
            series.marker.symbol = "circle"
            series.marker.size = 6
            series.marker.graphicalProperties.solidFill = color
            series.marker.graphicalProperties.line.solidFill = color
            series.graphicalProperties.line.solidFill = color
            series.graphicalProperties.line.width = 22000
            if col == 3:  # it may lie on the objective's line (no discounting)
                series.graphicalProperties.line.dashStyle = "dash"
            if product:
                series.graphicalProperties.line.noFill = True
            series.smooth = False
            scatter.series.append(series)
        _style(scatter, f"Cost against {column}", view.currency, "#,##0", column)
        scatter.x_axis.numFmt = "General"
        out.charts.append(scatter)
    if view.multi and len(planned) > 1 and not view.sweeps():
        block = out.add(
            _Block(
                "Objective per scenario (discounted)",
                ["scenario", "objective_usd"],
                [
                    [
                        short.get(str(r["scenario"]), _text(r["scenario"])),
                        _number(r["objective_usd"]),
                    ]
                    for r in planned.to_dict("records")
                ],
            )
        )
        out.charts.append(
            _bars(data_ws, block, "Objective per scenario", f"{view.currency} (discounted)", False)
        )
    return out


def _write_workbook(path: Path, view: _View) -> None:
    wb = Workbook(write_only=True)
    names = [n for n in TABLE_ORDER if n in view.tables]
    names += [n for n in view.tables if n not in TABLE_ORDER]
    taken = {"charts", "chart_data", "columns", "run"}
    sheets: dict[str, WriteOnlyWorksheet] = {}
    order = [*names[:1], "charts", *names[1:], "chart_data", "columns", "run"]
    for name in order:
        title = name if name in taken else _sheet_title(name, set(sheets) | taken)
        sheets[name] = wb.create_sheet(title)
    charts = _chart_plan(view, sheets["chart_data"])
    _charts_sheet(sheets["charts"], view, charts)
    for name in names:
        _table_sheet(sheets[name], name, view.tables[name])
    _chart_data_sheet(sheets["chart_data"], charts)
    _columns_sheet(sheets["columns"], view, names)
    _run_sheet(sheets["run"], view)
    wb.save(path)


def _sheet_title(name: str, taken: set[str]) -> str:
    title = re.sub(r"[\[\]:*?/\\]", "_", _text(name))[:31] or "table"
    base, i = title, 2
    while title in taken:
        title = f"{base[:28]}_{i}"
        i += 1
    return title


def _charts_sheet(ws: WriteOnlyWorksheet, view: _View, charts: _Charts) -> None:
    ws.column_dimensions["A"].width = 12
    _landscape(ws)
    title = _cell(ws, f"Charts of scenario {_text(view.focus)}" if view.multi else "Charts")
    title.font = TITLE_FONT
    lines = ["Their data is on the sheet chart_data; every table's columns on the sheet columns."]
    if view.multi:
        lines[0] += " Per-period charts show this one scenario; the tables hold every scenario."
    lines += charts.notes
    lines += [
        f"The sheet {name} holds the first {EXCEL_MAX_ROWS - 1:,} of its {len(frame):,} rows "
        f"(Excel's limit); {name}.csv holds them all."
        for name, frame in view.tables.items()
        if len(frame) >= EXCEL_MAX_ROWS
    ]
    diagnosis = view.info.get("diagnosis")
    if not view.has_plan and isinstance(diagnosis, list):
        lines += [str(line) for line in diagnosis]
    ws.append([title])
    for line in lines:
        ws.append([_cell(ws, _text(line))])
    top = len(lines) + 3
    for i, chart in enumerate(charts.charts):
        column = "A" if i % 2 == 0 else "K"
        ws.add_chart(chart, f"{column}{top + (i // 2) * 18}")


def _chart_data_sheet(ws: WriteOnlyWorksheet, charts: _Charts) -> None:
    widest = max((b.width for b in charts.blocks), default=1)
    ws.column_dimensions["A"].width = 28
    for i in range(2, widest + 1):
        ws.column_dimensions[get_column_letter(i)].width = 18
    ws.append([_cell(ws, "Data of the charts on the sheet charts (derived from the tables).")])
    row = 1
    for block in charts.blocks:
        while row < block.first - 2:
            ws.append([])
            row += 1
        label = _cell(ws, _text(block.title))
        label.font = BOLD_FONT
        ws.append([label])
        ws.append(_header(ws, block.header))
        for values in block.rows:
            fmt = "#,##0.00"
            ws.append(
                [None if v is None else _cell(ws, _excel_value(v, False), fmt) for v in values]
            )
        row = block.last


# --- report.html -------------------------------------------------------------------------

CSS = """
:root{--ink:#1d2733;--muted:#5b6775;--line:#d9dee5;--bg:#f5f6f8;--card:#fff;--accent:#1f4e79}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,
sans-serif;color:var(--ink);background:var(--bg)}
main{max-width:1180px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:19px;margin:34px 0 10px;padding-bottom:4px;border-bottom:2px solid var(--line)}
h3{font-size:15px;margin:4px 0 6px}
p{margin:6px 0}
.meta,.note{color:var(--muted);font-size:13px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(138px,1fr));gap:10px;
margin:14px 0}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:9px 13px}
.card .k{font-size:12px;color:var(--muted)}
.card .v{font-size:19px;font-weight:650;font-variant-numeric:tabular-nums;white-space:nowrap}
.card .s{font-size:12px;color:var(--muted)}
.badge{display:inline-block;padding:1px 10px;border-radius:999px;font-weight:600;font-size:13px}
.ok{background:#dff3e4;color:#1e6b34}.warn{background:#fff1cf;color:#7a5200}
.bad{background:#fde2e2;color:#9b1c1c}
.panel{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px 16px;
margin:12px 0}
.diagnosis{border-left:5px solid #c62828}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;background:var(--card);
margin:6px 0}
th,td{padding:4px 9px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:#eef1f5;font-weight:600;font-size:13px}
.n{text-align:right;white-space:nowrap}
tr.best td{background:#eef7ee}
.legend{display:flex;flex-wrap:wrap;gap:3px 14px;font-size:12px;color:var(--muted);margin:2px 0 6px}
.sw{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:5px;
vertical-align:-1px}
.dash{display:inline-block;width:16px;border-top:2px dashed #c0392b;margin-right:5px;
vertical-align:3px}
.scroll{overflow-x:auto}
.where{white-space:nowrap}
table.compact th,table.compact td{padding:3px 6px;font-size:13px}
.ln{display:inline-block;width:16px;border-top:3px solid;margin-right:5px;vertical-align:3px}
.ln.d{border-top-style:dashed}
.nw{white-space:nowrap}
.grid.wide{width:100%}.grid:not(.wide) .stack{min-width:64px}
.grid td,.grid th{padding:2px 3px;border:none}
.grid th{background:none;font-weight:500;color:var(--muted);font-size:11px;white-space:nowrap}
.grid td.w{padding-right:10px;font-size:13px;white-space:nowrap}
.stack{display:flex;height:18px;min-width:18px;border-radius:2px;overflow:hidden;background:#eceff3}
.stack span{display:block;height:100%;border-right:1px solid #fff}
.trio{display:grid;grid-template-columns:repeat(3,minmax(0,1fr));gap:10px}
.trio h4{font-size:12px;font-weight:600;color:var(--muted);margin:2px 0}
svg{display:block;width:100%;height:auto}
svg text{font-size:11px;fill:#4a5562}
ol.be li,ul.plain li{margin:3px 0}
code{font-size:12.5px;background:#eef1f5;padding:0 4px;border-radius:3px}
@media print{body{background:#fff}.panel,.card,figure{break-inside:avoid}}
"""

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src 'none'; "
    "base-uri 'none'; form-action 'none'"
)


def _page(view: _View) -> str:
    source = view.info.get("input")
    file_name = source.get("file") if isinstance(source, dict) else None
    title = f"Capacity plan: {file_name}" if file_name else "Capacity plan"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>{_e(title)}</title>",
        f"<style>{CSS}</style></head><body><main>",
        f"<h1>{_e(title)}</h1>",
        _html_meta(view),
        _html_headline(view),
        _html_diagnosis(view),
    ]
    if view.has_plan:
        parts += [_html_costs(view), _html_sites(view), _html_workloads(view)]
    if view.multi:
        parts.append(_html_scenarios(view))
    parts += [_html_run(view), "</main></body></html>"]
    return "\n".join(p for p in parts if p)


def _status_badge(status: object) -> str:
    text = _text(status) if status is not None and not _isna(status) else "unknown"
    cls = "ok" if text == "optimal" else "warn" if text == "time_limit" else "bad"
    return f'<span class="badge {cls}">{_e(text)}</span>'


def _html_meta(view: _View) -> str:
    s = view.settings
    bits = []
    if view.periods:
        kind = _text(s.get("period") or "period")
        first, last = view.labels[view.periods[0]], view.labels[view.periods[-1]]
        bits.append(f"{len(view.periods)} {kind}s, {first} to {last}")
    elif s.get("start_date"):
        bits.append(f"from {_text(s.get('start_date'))}")
    bits.append(f"money in {view.currency}")
    rate = _number(s.get("discount_rate"))
    if rate is not None:
        bits.append(f"discounted at {rate:.1%} a year to {_text(s.get('start_date') or 'start')}")
    tool = view.info.get("tool")
    if isinstance(tool, dict) and tool.get("version"):
        bits.append(f"capacity-optimizer {_text(tool.get('version'))}")
    text = " · ".join(_e(b) for b in bits)
    if view.multi and view.focus is not None:
        n = len(view.rows("summary"))
        text += (
            f"<br>Scenario run: {n} scenario{'s' if n != 1 else ''}. The per-period sections "
            f"show scenario <code>{_e(view.focus)}</code>; results.xlsx and the CSV files hold "
            "every scenario."
        )
    return f'<p class="meta">{text}</p>'


def _card(label: str, value: str, sub: str = "") -> str:
    sub_html = f'<div class="s">{sub}</div>' if sub else ""
    return (
        f'<div class="card"><div class="k">{label}</div><div class="v">{value}</div>'
        f"{sub_html}</div>"
    )


def _html_headline(view: _View) -> str:
    row = view.summary_row
    if not row:
        return '<p class="panel">No result table was written.</p>'
    cur = _e(view.currency)
    gap = _number(row.get("mip_gap"))
    seconds = _number(row.get("solve_seconds"))
    sub = []
    if gap is not None:
        sub.append(f"gap {gap:.2%}")
    if seconds is not None:
        sub.append(f"{seconds:.1f} s")
    cards = [_card("Status", _status_badge(row.get("status")), " · ".join(sub))]
    if view.has_plan:
        cards.append(
            _card("Total cost, discounted", _money(row.get("objective_usd")), f"{cur}, objective")
        )
        cards.append(
            _card("Total cost, undiscounted", _money(row.get("total_cost_usd")), f"{cur}, cash")
        )
        total = _number(row.get("total_cost_usd")) or 0.0
        for env in ENVIRONMENTS:
            value = _number(row.get(f"{env}_usd"))
            share = ""
            if value and total:
                fraction = value / total
                share = f"{fraction:.1%} of cash" if fraction < 0.1 else f"{fraction:.0%} of cash"
            cards.append(
                _card(
                    f'<span class="sw" style="background:{ENV_COLOR[env]}"></span>{ENV_LABEL[env]}',
                    _money(value),
                    f"{cur} {share}".strip(),
                )
            )
    heading = "<h2>Headline</h2>"
    if view.multi and view.focus is not None:
        heading = f"<h2>Headline: scenario <code>{_e(view.focus)}</code></h2>"
    return heading + f'<div class="cards">{"".join(cards)}</div>'


def _html_diagnosis(view: _View) -> str:
    blocks = []
    own = view.info.get("diagnosis")
    if isinstance(own, list) and own:
        items = "".join(f"<li>{_e(line)}</li>" for line in own)
        blocks.append(f"<p><strong>Why there is no plan:</strong></p><ul>{items}</ul>")
    elif not view.has_plan and view.summary_row:
        blocks.append(
            f"<p><strong>No plan</strong> (status {_e(view.summary_row.get('status'))}). "
            "No explanation was recorded; see run.json.</p>"
        )
    scenarios = view.info.get("scenarios")
    if isinstance(scenarios, list):
        for s in scenarios:
            if not isinstance(s, dict):
                continue
            lines = [*(s.get("diagnosis") or []), *([s["error"]] if s.get("error") else [])]
            if lines:
                items = "".join(f"<li>{_e(line)}</li>" for line in lines)
                blocks.append(
                    f"<p><strong>Scenario <code>{_e(s.get('name'))}</code></strong> "
                    f"({_e(s.get('status'))}):</p><ul>{items}</ul>"
                )
    if not blocks:
        return ""
    return '<h2>No plan</h2><div class="panel diagnosis">' + "".join(blocks) + "</div>"


def _legend(items: Sequence[tuple[str, str]], dashed: Sequence[str] = ()) -> str:
    spans = [
        f'<span><span class="sw" style="background:{c}"></span>{_e(n)}</span>' for n, c in items
    ]
    spans += [f'<span><span class="dash"></span>{_e(n)}</span>' for n in dashed]
    return f'<div class="legend">{"".join(spans)}</div>'


def _html_costs(view: _View) -> str:
    cur = view.currency
    out = [f"<h2>Costs ({_e(cur)})</h2>"]
    pivot = _cost_pivot(view)
    if pivot.empty:
        return out[0] + "<p>The plan costs nothing.</p>"
    colors = _category_colors(map(str, pivot.columns))
    labels = [view.label(p) for p in pivot.index]
    bars = [(str(c), colors[str(c)], [float(v) for v in pivot[c]]) for c in pivot.columns]
    out.append('<div class="panel"><h3>Cost per period by category (undiscounted)</h3>')
    out.append(_legend([(n, c) for n, c, _ in bars]))
    out.append(_svg_categories(labels, bars, [], f"{cur} per period", 1090, 320))
    out.append("</div>")
    env = _env_table(view)
    total = float(env["total"].sum()) or 1.0
    rows = []
    for name, r in env.iterrows():
        key = str(name)
        color = ENV_COLOR.get(key, "#888")
        share = float(r["total"]) / total
        bar = (
            f'<div style="width:160px;background:#eceff3;height:10px;border-radius:2px">'
            f'<div style="width:{max(share, 0) * 100:.1f}%;height:10px;background:{color};'
            'border-radius:2px"></div></div>'
        )
        rows.append(
            f'<tr><td><span class="sw" style="background:{color}"></span>'
            f"{_e(ENV_LABEL.get(key, key))}</td>"
            f'<td class="n">{_money(r["capex"])}</td><td class="n">{_money(r["opex"])}</td>'
            f'<td class="n"><strong>{_money(r["total"])}</strong></td>'
            f'<td class="n">{share:.0%}</td><td>{bar}</td>'
            f'<td class="n">{_money(r["discounted"])}</td></tr>'
        )
    rows.append(
        f'<tr><th>total</th><th class="n">{_money(env["capex"].sum())}</th>'
        f'<th class="n">{_money(env["opex"].sum())}</th>'
        f'<th class="n">{_money(env["total"].sum())}</th><th class="n">100%</th><th></th>'
        f'<th class="n">{_money(env["discounted"].sum())}</th></tr>'
    )
    out.append('<div class="panel"><h3>Cost by environment</h3>')
    out.append(
        '<table><tr><th>environment</th><th class="n">capex</th><th class="n">opex</th>'
        '<th class="n">total</th><th class="n">share</th><th></th>'
        '<th class="n">discounted</th></tr>' + "".join(rows) + "</table>"
    )
    costs = view.rows("costs", view.focus)
    frame = costs.assign(
        amount=pd.to_numeric(costs["amount_usd"], errors="coerce").fillna(0.0),
        disc=pd.to_numeric(costs["discounted_usd"], errors="coerce").fillna(0.0),
    )
    by_category = frame.groupby(["category", "cost_type"], sort=False)[["amount", "disc"]].sum()
    order = _ordered(frame["category"], tuple(CATEGORY_COLOR))
    lines = []
    for category in order:
        for (cat, cost_type), r in by_category.iterrows():  # type: ignore[misc]
            if str(cat) == category:
                lines.append(
                    f'<tr><td><span class="sw" style="background:{colors.get(category, "#888")}">'
                    f"</span>{_e(category)}</td><td>{_e(cost_type)}</td>"
                    f'<td class="n">{_money(r["amount"])}</td>'
                    f'<td class="n">{_money(r["disc"])}</td></tr>'
                )
    out.append(
        '<h3 style="margin-top:14px">By category</h3><table><tr><th>category</th><th>type</th>'
        '<th class="n">undiscounted</th><th class="n">discounted</th></tr>'
        + "".join(lines)
        + "</table></div>"
    )
    return "\n".join(out)


def _html_sites(view: _View) -> str:
    used, unused = _used_sites(view)
    out = ["<h2>Sites: power, cooling and rack slots against their limits</h2>"]
    if not used and not unused:
        return out[0] + "<p>The plan has no on-prem site.</p>"
    if not used:
        out.append("<p>No site is opened or holds racks in this plan.</p>")
    sites = view.rows("sites", view.focus)
    if used and not all(any(c in sites.columns for c in caps) for caps in SITE_CAPS.values()):
        out.append(
            '<p class="note">Dashed red lines are limits. sites.csv gives each site\'s power '
            "capacity; its cooling and rack-slot limits are in the plan workbook's sites sheet."
            "</p>"
        )
    for site in used:
        out.append(_site_panel(view, site))
    if unused:
        names = ", ".join(f"<code>{_e(s)}</code>" for s in unused)
        out.append(f'<p class="note">Candidate sites not opened: {names}.</p>')
    return "\n".join(out)


def _site_panel(view: _View, site: str) -> str:
    labels = [view.label(p) for p in view.periods]
    is_open = _site_series(view, site, "open")
    opened = next((labels[i] for i, v in enumerate(is_open) if v), None)
    power = _site_series(view, site, "power_used_kw")
    cap = _site_series(view, site, "power_capacity_kw")
    air = _site_series(view, site, "cooling_air_used_kw")
    liquid = _site_series(view, site, "cooling_liquid_used_kw")
    slots = _site_series(view, site, "slots_used")
    shadow = _site_series(view, site, "power_shadow_price_usd_per_kw")
    peak = max((v or 0.0 for v in power), default=0.0)
    peak_cap = max((v or 0.0 for v in cap), default=0.0)
    facts = []
    if opened is not None:
        facts.append(
            f"open from the first period ({opened})" if is_open[0] else f"opens in {opened}"
        )
    else:
        facts.append("never open")
    if peak_cap:
        facts.append(f"peak power {peak:,.0f} of {peak_cap:,.0f} kW ({peak / peak_cap:.0%})")
    facts.append(f"up to {max((v or 0 for v in slots), default=0):,.0f} racks")
    binding = [(labels[i], v) for i, v in enumerate(shadow) if v and v > 0]
    if binding:
        top = max(v for _, v in binding)
        facts.append(
            f"power binds in {len(binding)} period{'s' if len(binding) != 1 else ''} "
            f"(one more kW would save up to {top:,.0f} {view.currency}, discounted)"
        )
    power_chart = _svg_categories(
        labels,
        [("power used", ENV_COLOR["onprem"], [v or 0.0 for v in power])],
        [("power capacity", "#c0392b", cap)],
        "kW",
        380,
        200,
    )
    cooling_lines = []
    for column, name in (
        ("cooling_air_used_kw", "air cooling capacity"),
        ("cooling_liquid_used_kw", "liquid cooling capacity"),
    ):
        found = _site_cap(view, site, column)
        if found is not None:
            cooling_lines.append((name, "#c0392b" if "air" in name else "#7f3c8d", found[1]))
    cooling_chart = _svg_categories(
        labels,
        [
            ("air-cooled", "#5fa2d6", [v or 0.0 for v in air]),
            ("liquid-cooled", "#1b3f66", [v or 0.0 for v in liquid]),
        ],
        cooling_lines,
        "kW of heat",
        380,
        200,
    )
    slot_cap = _site_cap(view, site, "slots_used")
    slot_chart = _svg_categories(
        labels,
        [("racks standing", "#6c8ebf", [v or 0.0 for v in slots])],
        [("rack slots", "#c0392b", slot_cap[1])] if slot_cap else [],
        "racks",
        380,
        200,
        integer=True,
    )
    return (
        f'<div class="panel"><h3>{_e(site)}</h3><p class="note">{_e("; ".join(facts))}</p>'
        '<div class="trio">'
        f"<figure style='margin:0'><h4>Power (kW)</h4>"
        f"{_legend([('used', ENV_COLOR['onprem'])], ['capacity'])}{power_chart}</figure>"
        f"<figure style='margin:0'><h4>Cooling (kW)</h4>"
        f"{_legend([('air', '#5fa2d6'), ('liquid', '#1b3f66')], [n for n, _, _ in cooling_lines])}"
        f"{cooling_chart}</figure>"
        f"<figure style='margin:0'><h4>Rack slots</h4>"
        f"{_legend([('used', '#6c8ebf')], ['slots'] if slot_cap else [])}{slot_chart}</figure>"
        "</div></div>"
    )


def _html_workloads(view: _View) -> str:
    rows = view.rows("assignments", view.focus)
    out = ["<h2>Where each workload runs</h2>"]
    if rows.empty:
        return out[0] + "<p>No workload has demand in this plan.</p>"
    frame = rows.assign(
        share_value=pd.to_numeric(rows["share"], errors="coerce").fillna(0.0),
        period_number=pd.to_numeric(rows["period"], errors="coerce"),
    )
    workloads = list(dict.fromkeys(str(w) for w in frame["workload"]))
    cells: dict[tuple[str, int], list[tuple[str, str, str, float]]] = {}
    for r in frame.itertuples(index=False):
        rack = getattr(r, "rack_type", "")
        where = str(r.location) + (f" ({rack})" if isinstance(rack, str) and rack else "")
        cells.setdefault((str(r.workload), int(r.period_number)), []).append(
            (str(r.environment), where, str(r.region), float(r.share_value))
        )
    step = max(1, math.ceil(len(view.periods) / 16))
    head = "".join(
        f"<th>{_e(view.labels[p]) if i % step == 0 else ''}</th>"
        for i, p in enumerate(view.periods)
    )
    body = []
    for w in workloads:
        tds = []
        for p in view.periods:
            parts = cells.get((w, p), [])
            if not parts:
                tds.append('<td><div class="stack" title="no demand"></div></td>')
                continue
            parts = sorted(
                parts, key=lambda x: ENVIRONMENTS.index(x[0]) if x[0] in ENVIRONMENTS else 9
            )
            tip = "; ".join(
                f"{loc} [{ENV_LABEL.get(env, env)}] {share:.0%}" for env, loc, _, share in parts
            )
            spans = "".join(
                f'<span style="width:{share * 100:.2f}%;background:{ENV_COLOR.get(env, "#888")}">'
                "</span>"
                for env, _, _, share in parts
            )
            tds.append(
                f'<td><div class="stack" title="{_e(view.labels[p])}: {_e(tip)}">{spans}</div></td>'
            )
        body.append(f'<tr><td class="w">{_e(w)}</td>{"".join(tds)}</tr>')
    out.append('<div class="panel"><h3>Share of each workload\'s demand by environment</h3>')
    out.append(_legend([(ENV_LABEL[e], ENV_COLOR[e]) for e in ENVIRONMENTS]))
    out.append(
        f'<div class="scroll"><table class="grid{" wide" if len(view.periods) >= 8 else ""}">'
        "<tr><th></th>"
        + head
        + "</tr>"
        + "".join(body)
        + "</table></div>"
        + '<p class="note">Hover a cell for the locations and shares.</p></div>'
    )
    detail = []
    for w in workloads:
        active = sorted(p for (name, p) in cells if name == w)
        first, last = active[0], active[-1]

        def where(period: int, workload: str = w) -> str:
            parts = sorted(cells[(workload, period)], key=lambda x: -x[3])
            return "".join(
                f'<div class="where"><span class="sw" style="background:'
                f'{ENV_COLOR.get(env, "#888")}"></span>{_e(loc)} '
                f"<span class='note'>({_e(region)})</span> {share:.0%}</div>"
                for env, loc, region, share in parts
            )

        detail.append(
            f"<tr><td>{_e(w)}</td><td>{_e(view.label(first))}</td><td>{where(first)}</td>"
            f"<td>{_e(view.label(last))}</td><td>{where(last)}</td></tr>"
        )
    out.append(
        '<div class="panel"><h3>First and last period of each workload</h3>'
        "<table><tr><th>workload</th><th>first period</th><th>runs on</th>"
        "<th>last period</th><th>runs on</th></tr>" + "".join(detail) + "</table></div>"
    )
    return "\n".join(out)


def _break_even_for(view: _View, column: str) -> list[tuple[float, float, str]]:
    lines = view.info.get("break_even")
    out = []
    if not isinstance(lines, list):
        return out
    prefix = f"between {column} "
    for line in lines:
        text = str(line)
        if not text.startswith(prefix):
            continue
        m = re.match(r"(\S+) and (\S+): (.*)", text[len(prefix) :], re.S)
        if m is None:
            continue
        try:
            out.append((float(m.group(1)), float(m.group(2)), m.group(3)))
        except ValueError:
            continue
    return out


def _html_scenarios(view: _View) -> str:
    summary = view.rows("summary")
    cur = view.currency
    out = ["<h2>Scenarios</h2>"]
    least = view.info.get("least_regret")
    columns = ["objective_usd", "total_cost_usd", *(f"{e}_usd" for e in ENVIRONMENTS)]
    extras = [c for c in ("probability", "worst_regret_usd") if c in summary.columns]
    swept, short = view.short_names()  # a sweep's scenarios go by their value
    overrides = [c for c in view.overrides if c != swept]
    head = "".join(f"<th>{_e(c)}</th>" for c in overrides)
    head += "".join(f'<th class="n">{_e(c.removesuffix("_usd"))}</th>' for c in columns + extras)
    rows = []
    for r in summary.to_dict("records"):
        name = str(r.get("scenario"))
        best = name == least or _number(r.get("least_regret")) == 1.0
        mark = " ★" if best else ""
        cells = "".join(f"<td>{_e(_plain(r.get(c)))}</td>" for c in overrides)
        for c in columns + extras:
            value = r.get(c)
            text = (
                f"{_number(value):.0%}"
                if c == "probability" and _number(value) is not None
                else _money(value)
            )
            cells += f'<td class="n">{text}</td>'
        rows.append(
            f'<tr{" class=best" if best else ""}><td class=nw title="{_e(name)}">'
            f"<code>{_e(short.get(name, name))}</code>{mark}</td>"
            f"<td>{_status_badge(r.get('status'))}</td>{cells}</tr>"
        )
    out.append(
        f'<div class="panel"><p class="note">Objective discounted, the rest undiscounted; '
        f"{_e(cur)}; ★ the plan with the least worst-case regret.</p>"
        '<div class="scroll"><table class="compact"><tr>'
        f"<th>{'scenario: ' + _e(swept) if swept else 'scenario'}</th><th>status</th>"
        f"{head}</tr>{''.join(rows)}</table></div>"
    )
    if isinstance(least, str):
        out.append(
            f"<p>Least worst-case regret: the plan of scenario <code>{_e(least)}</code>.</p>"
        )
    common = view.info.get("decisions_in_every_scenario")
    if isinstance(common, list) and common:
        items = "".join(f"<li>{_e(x)}</li>" for x in common)
        out.append(f"<p>Decisions that hold in every scenario:</p><ul class='plain'>{items}</ul>")
    robust = view.info.get("robust")
    if isinstance(robust, dict) and isinstance(robust.get("plan"), list):
        expected = _number(view.info.get("objective_usd"))
        if expected is not None:
            out.append(
                f"<p>Expected cost of the robust plan: <strong>{_money(expected)}</strong> "
                f"{_e(cur)} (discounted, weighted by probability).</p>"
            )
        items = "".join(f"<li>{_e(x)}</li>" for x in robust["plan"])
        out.append(
            f"<p>The robust plan shared by every scenario:</p><ul class='plain'>{items}</ul>"
        )
    out.append("</div>")
    sweeps = view.sweeps()
    for column, chosen in sweeps:
        out.append(_sweep_panel(view, column, chosen))
    if not sweeps:
        planned = summary[summary["status"].isin(HAS_PLAN)] if "status" in summary else summary
        if len(planned) > 1:
            labels = [str(s) for s in planned["scenario"]]
            bars = [
                (ENV_LABEL[e], ENV_COLOR[e], [_number(v) or 0.0 for v in planned[f"{e}_usd"]])
                for e in ENVIRONMENTS
                if f"{e}_usd" in planned.columns
            ]
            out.append(
                '<div class="panel"><h3>Cost by environment per scenario (undiscounted)</h3>'
                + _legend([(n, c) for n, c, _ in bars])
                + _svg_categories(labels, bars, [], cur, 1090, 300)
                + "</div>"
            )
    out.append(_decisions_panel(view, sweeps))
    out.append(_regret_panel(view))
    return "\n".join(out)


def _sweep_panel(view: _View, column: str, chosen: pd.DataFrame) -> str:
    """Cost against one swept parameter, break-even points shaded; with other parameters
    swept too (a product of sweeps), one line per combination of their values."""
    cur = view.currency
    others = [c for c in view.overrides if c != column and chosen[c].notna().any()]
    xs = [float(x) for x in chosen["_x"]]
    series: list[tuple[str, str, list[tuple[float, float | None]], bool]] = []
    if not others:
        for name, color, values, dashed in (
            ("objective (discounted)", "#1f4e79", chosen["objective_usd"], False),
            ("total cost (undiscounted)", "#e8862a", chosen["total_cost_usd"], True),
        ):
            points = [(x, _number(v)) for x, v in zip(xs, values, strict=True)]
            series.append((name, color, points, dashed))
    else:
        groups = chosen.groupby([chosen[c].astype(str) for c in others], sort=True)
        palette = itertools.cycle(("#1f4e79", "#e8862a", "#4e9a52", "#9467bd", *EXTRA_COLOR))
        for key, group in groups:
            values = key if isinstance(key, tuple) else (key,)
            label = ", ".join(f"{c}={v}" for c, v in zip(others, values, strict=True))
            points = [
                (float(x), _number(v))
                for x, v in zip(group["_x"], group["objective_usd"], strict=True)
            ]
            series.append((f"objective, {label}", next(palette), points, False))
    bands = _break_even_for(view, column)
    chart = _svg_xy(series, column, cur, [(a, b, str(i + 1)) for i, (a, b, _) in enumerate(bands)])
    items = "".join(
        f"<li>between {_e(column)} {a:g} and {b:g}: {_e(text)}</li>" for a, b, text in bands
    )
    if bands:
        be = (
            "<p><strong>Break-even points</strong> (shaded): the plan changes</p>"
            f"<ol class='be'>{items}</ol>"
        )
    elif others or not isinstance(view.info.get("break_even"), list):
        be = "<p class='note'>Break-even points are worked out for a sweep of one parameter.</p>"
    else:
        be = f"<p class='note'>The plan does not change across these values of {_e(column)}.</p>"
    env_bars = [
        (ENV_LABEL[e], ENV_COLOR[e], [_number(v) or 0.0 for v in chosen[f"{e}_usd"]])
        for e in ENVIRONMENTS
        if f"{e}_usd" in chosen.columns
    ]
    labels = [
        f"{x:g}" + "".join(f" · {_plain(r[c])}" for c in others)
        for x, r in zip(xs, chosen.to_dict("records"), strict=True)
    ]
    x_title = " · ".join([column, *others])
    env_chart = _svg_categories(labels, env_bars, [], cur, 1090, 280, x_title=x_title)
    legend = "".join(
        f'<span><span class="ln{" d" if dashed else ""}" style="border-color:{c}"></span>'
        f"{_e(n)}</span>"
        for n, c, _, dashed in series
    )
    return (
        f'<div class="panel"><h3>Cost against {_e(column)}</h3><div class="legend">{legend}</div>'
        + chart
        + be
        + "<h3 style='margin-top:14px'>Cost by environment against "
        + f"{_e(x_title)} (undiscounted)</h3>"
        + _legend([(n, c) for n, c, _ in env_bars])
        + env_chart
        + "</div>"
    )


def _decision_key(r: dict[str, object]) -> tuple[str, float] | None:
    offer, site, rack = r.get("offer"), r.get("site"), r.get("rack_type")
    if isinstance(offer, str) and offer:
        block = _number(r.get("reserved_block"))
        name = f"reserved {offer}" + (f", block {block:g}" if block is not None else "")
        return name, _number(r.get("reserved_accelerators")) or 0.0
    if isinstance(site, str) and site:
        if isinstance(rack, str) and rack:
            return f"racks of {rack} at {site}", _number(r.get("racks_at_end")) or 0.0
        return f"site {site} open", 1.0
    return None


def _decisions_panel(view: _View, sweeps: list[tuple[str, pd.DataFrame]]) -> str:
    decisions = view.rows("decisions")
    if decisions.empty:
        return (
            '<div class="panel"><h3>The plan in each scenario</h3>'
            "<p>No scenario's plan buys racks, opens a site or reserves capacity.</p></div>"
        )
    values: dict[str, dict[str, float]] = {}
    for r in decisions.to_dict("records"):
        found = _decision_key(r)
        if found is None:
            continue
        key, value = found
        mine = values.setdefault(key, {})
        scenario = str(r.get("scenario"))
        mine[scenario] = mine.get(scenario, 0.0) + value
        site = r.get("site")
        if isinstance(site, str) and site and key.startswith("racks of "):
            values.setdefault(f"site {site} open", {})[scenario] = 1.0
    present = list(dict.fromkeys(str(s) for s in decisions["scenario"]))
    column, heads = view.short_names()
    if sweeps:
        ordered = [str(s) for s in sweeps[0][1]["scenario"] if str(s) in present]
        ordered += [s for s in present if s not in ordered]
    else:
        summary_order = [str(s) for s in view.rows("summary")["scenario"]]
        ordered = [s for s in summary_order if s in present] + [
            s for s in present if s not in summary_order
        ]
    head = "".join(f'<th class="n">{_e(heads.get(s, s))}</th>' for s in ordered)
    corner = f"decision \u2009/\u2009{_e(column)}" if column else "decision"
    keys = sorted(values, key=lambda k: (not k.startswith("site "), not k.startswith("racks"), k))
    body = []
    for key in keys:
        cells = []
        previous: float | None = None
        for s in ordered:
            v = values[key].get(s, 0.0)
            changed = previous is not None and v != previous and s in heads
            style = ' style="background:#fff1cf"' if changed else ""
            text = ("yes" if v else "no") if key.startswith("site ") else f"{v:,.0f}"
            cells.append(f'<td class="n"{style}>{text}</td>')
            previous = v if s in heads else None
        body.append(f"<tr><td class=nw>{_e(key)}</td>{''.join(cells)}</tr>")
    note = (
        "<p class='note'>Racks standing at the horizon's end and reserved commitments; "
        "a highlighted cell differs from the one to its left.</p>"
        if sweeps
        else "<p class='note'>Racks standing at the horizon's end and reserved commitments.</p>"
    )
    return (
        '<div class="panel"><h3>The plan in each scenario</h3>'
        f'<div class="scroll"><table><tr><th>{corner}</th>{head}</tr>{"".join(body)}</table></div>'
        f"{note}</div>"
    )


def _regret_panel(view: _View) -> str:
    regret = view.rows("regret")
    if regret.empty:
        return ""
    least = view.info.get("least_regret")
    plans = list(dict.fromkeys(str(s) for s in regret["scenario"]))
    under = list(dict.fromkeys(str(s) for s in regret["operated_under"]))
    cell: dict[tuple[str, str], str] = {}
    worst: dict[str, float] = {}
    for r in regret.to_dict("records"):
        plan, u = str(r["scenario"]), str(r["operated_under"])
        value = _number(r.get("regret_usd"))
        if value is None:
            cell[(plan, u)] = _e(r.get("status") or "n/a")
            worst[plan] = math.inf
        else:
            cell[(plan, u)] = _money(value)
            worst[plan] = max(worst.get(plan, -math.inf), value)
    column, short = view.short_names()
    head = "".join(f'<th class="n">{_e(short.get(u, u))}</th>' for u in under)
    body = []
    for plan in plans:
        tds = "".join(f'<td class="n">{cell.get((plan, u), "–")}</td>' for u in under)
        w = worst.get(plan, math.nan)
        best = plan == least
        body.append(
            f"<tr{' class=best' if best else ''}><td class=nw>"
            f"<code>{_e(short.get(plan, plan))}</code>"
            f"{' ★' if best else ''}</td>{tds}"
            f'<td class="n"><strong>{_money(w)}</strong></td></tr>'
        )
    return (
        '<div class="panel"><h3>Regret: each scenario\'s plan operated under every scenario</h3>'
        f"<p class='note'>Rows: the plan held fixed (sites, racks, reserved capacity); columns: "
        f"the scenario it is operated under; cells: its cost there less that scenario's own "
        f"optimum ({_e(view.currency)}, discounted)"
        + (f"; scenarios named by their {_e(column)}" if column else "")
        + ".</p>"
        '<div class="scroll"><table><tr><th>plan of \u2193 / under \u2192</th>'
        f'{head}<th class="n">worst</th></tr>'
        f"{''.join(body)}</table></div></div>"
    )


def _short_float(value: object, group: str) -> str:
    if isinstance(value, float):
        return f"{value:.2f}" if group == "timings_seconds" else f"{value:g}"
    return _text(value)


def _html_run(view: _View) -> str:
    info = view.info
    rows = []
    source = info.get("input")
    if isinstance(source, dict):
        rows.append(("input", f"{source.get('file')} (sha256 {source.get('sha256')})"))
    tool = info.get("tool")
    if isinstance(tool, dict):
        rows.append(("tool", f"{tool.get('name')} {tool.get('version')}"))
    for key in ("pyomo", "highs", "status", "termination", "best_bound_usd", "scheduler"):
        if info.get(key) is not None:
            value = info[key]
            rows.append((key, _money(value) if key.endswith("_usd") else value))
    for group in ("settings", "options", "timings_seconds"):
        values = info.get(group)
        if isinstance(values, dict) and values:
            text = ", ".join(f"{k} {_short_float(v, group)}" for k, v in values.items())
            rows.append((group, text))
    if isinstance(info.get("wall_seconds"), int | float):
        rows.append(("wall_seconds", f"{info['wall_seconds']:.1f}"))
    body = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows)
    return (
        "<h2>The run</h2>"
        f'<div class="panel"><table>{body}</table><p class="note">Every table is in '
        "results.xlsx and in the CSV files beside this page; run.json has the rest.</p></div>"
    )


# --- SVG charts --------------------------------------------------------------------------


def _nice_scale(
    lo: float, hi: float, count: int = 5, integer: bool = False
) -> tuple[float, float, list[float]]:
    """Axis bounds and ticks at 1, 2, 2.5 or 5 times a power of ten (whole numbers only
    when ``integer``) covering lo..hi."""
    if hi < lo:
        lo, hi = hi, lo
    if hi == lo:
        pad = abs(hi) * 0.05 or 1.0
        lo, hi = lo - pad, hi + pad
    raw = (hi - lo) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw * 0.999)
    if integer:
        step = max(1.0, float(math.ceil(step)))
    first = math.floor(lo / step + 1e-9) * step
    last = math.ceil(hi / step - 1e-9) * step
    ticks = [round(first + i * step, 10) for i in range(round((last - first) / step) + 1)]
    return first, last, ticks


def _svg_categories(
    labels: Sequence[str],
    bars: Sequence[tuple[str, str, Sequence[float]]],
    lines: Sequence[tuple[str, str, Sequence[float | None]]],
    unit: str,
    width: int,
    height: int,
    x_title: str = "",
    integer: bool = False,
) -> str:
    """Stacked bars (negatives stack downward) with step lines over them (limits)."""
    n = max(len(labels), 1)
    small = width < 500
    left, right, top, bottom = (48 if small else 64), 10, 12, (34 if not x_title else 48)
    pw, ph = width - left - right, height - top - bottom
    pos = [sum(max(b[2][i], 0.0) for b in bars) for i in range(len(labels))]
    neg = [sum(min(b[2][i], 0.0) for b in bars) for i in range(len(labels))]
    line_values = [v for _, _, vs in lines for v in vs if v is not None]
    lo = min([0.0, *neg, *line_values])
    hi = max([0.0, *pos, *line_values])
    lo, hi, ticks = _nice_scale(lo, hi, 4 if small else 5, integer)

    def y(v: float) -> float:
        return top + ph * (hi - v) / (hi - lo)

    band = pw / n
    bw = band * (0.7 if n > 1 else 0.4)
    out = [
        f'<svg viewBox="0 0 {width} {height}" style="max-width:{width}px" role="img" '
        f'aria-label="{_e(unit)}">'
    ]
    for t, text in zip(ticks, _axis_labels(ticks), strict=True):
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(t):.1f}" y2="{y(t):.1f}" '
            f'stroke="{"#9aa5b1" if t == 0 else "#e3e7ec"}" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y(t) + 4:.1f}" text-anchor="end">{_e(text)}</text>'
        )
    out.append(
        f'<text x="12" y="{top + ph / 2:.1f}" transform="rotate(-90 12 {top + ph / 2:.1f})" '
        f'text-anchor="middle">{_e(unit)}</text>'
    )
    for i, label in enumerate(labels):
        x = left + band * i + (band - bw) / 2
        up, down = 0.0, 0.0
        for name, color, values in bars:
            v = values[i]
            if v == 0:
                continue
            if v > 0:
                y0, y1 = y(up + v), y(up)
                up += v
            else:
                y0, y1 = y(down), y(down + v)
                down += v
            out.append(
                f'<rect x="{x:.1f}" y="{y0:.1f}" width="{bw:.1f}" height="{max(y1 - y0, 0.5):.1f}" '
                f'fill="{color}"><title>{_e(label)}, {_e(name)}: {_e(_money(v))}</title></rect>'
            )
    for name, color, values in lines:
        path, pen_down = [], False
        for i, v in enumerate(values):
            if v is None:
                pen_down = False
                continue
            x0, x1 = left + band * i, left + band * (i + 1)
            path.append(f"{'L' if pen_down else 'M'}{x0:.1f} {y(v):.1f} H{x1:.1f}")
            pen_down = True
        if path:
            out.append(
                f'<path d="{" ".join(path)}" fill="none" stroke="{color}" stroke-width="2" '
                f'stroke-dasharray="6 4"><title>{_e(name)}</title></path>'
            )
    every = max(1, math.ceil(n / (6 if small else 14)))
    for i, label in enumerate(labels):
        if i % every:
            continue
        x = left + band * (i + 0.5)
        out.append(f'<text x="{x:.1f}" y="{top + ph + 16}" text-anchor="middle">{_e(label)}</text>')
    if x_title:
        out.append(
            f'<text x="{left + pw / 2:.1f}" y="{height - 6}" text-anchor="middle">'
            f"{_e(x_title)}</text>"
        )
    out.append("</svg>")
    return "".join(out)


def _svg_xy(
    series: Sequence[tuple[str, str, Sequence[tuple[float, float | None]], bool]],
    x_title: str,
    unit: str,
    bands: Sequence[tuple[float, float, str]],
    width: int = 1090,
    height: int = 300,
) -> str:
    """Lines through points on numeric axes, with shaded intervals (break-even points)."""
    xs = [x for _, _, pts, _ in series for x, v in pts if v is not None]
    ys = [v for _, _, pts, _ in series for _, v in pts if v is not None]
    if not xs:
        return "<p class='note'>No scenario of this sweep has a plan.</p>"
    left, right, top, bottom = 96, 16, 22, 46
    pw, ph = width - left - right, height - top - bottom
    x_lo, x_hi = min(xs), max(xs)
    pad = (x_hi - x_lo) * 0.04 or 1.0
    x_lo, x_hi = x_lo - pad, x_hi + pad
    y_lo, y_hi = min(ys), max(ys)
    spread = (y_hi - y_lo) or abs(y_hi) * 0.01 or 1.0
    y_lo, y_hi, ticks = _nice_scale(y_lo - spread * 0.08, y_hi + spread * 0.08)

    def px(x: float) -> float:
        return left + pw * (x - x_lo) / (x_hi - x_lo)

    def py(v: float) -> float:
        return top + ph * (y_hi - v) / (y_hi - y_lo)

    out = [
        f'<svg viewBox="0 0 {width} {height}" style="max-width:{width}px" role="img" '
        f'aria-label="{_e(unit)} against {_e(x_title)}">'
    ]
    for a, b, label in bands:
        x0, x1 = px(min(a, b)), px(max(a, b))
        out.append(
            f'<rect x="{x0:.1f}" y="{top}" width="{max(x1 - x0, 2):.1f}" height="{ph}" '
            f'fill="#fbe3b5" opacity="0.75"><title>break-even {_e(label)}: between '
            f"{a:g} and {b:g}</title></rect>"
            f'<text x="{(x0 + x1) / 2:.1f}" y="{top - 6}" text-anchor="middle" '
            f'style="font-weight:600;fill:#8a5a00">{_e(label)}</text>'
        )
    for t, text in zip(ticks, _axis_labels(ticks), strict=True):
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{py(t):.1f}" y2="{py(t):.1f}" '
            f'stroke="#e3e7ec"/><text x="{left - 6}" y="{py(t) + 4:.1f}" text-anchor="end">'
            f"{_e(text)}</text>"
        )
    distinct = sorted(set(xs))
    x_ticks = distinct if len(distinct) <= 12 else _nice_scale(min(xs), max(xs), 8)[2]
    for t in x_ticks:
        if x_lo <= t <= x_hi:
            out.append(
                f'<line x1="{px(t):.1f}" x2="{px(t):.1f}" y1="{top + ph}" y2="{top + ph + 4}" '
                f'stroke="#9aa5b1"/><text x="{px(t):.1f}" y="{top + ph + 17}" '
                f'text-anchor="middle">{t:g}</text>'
            )
    out.append(
        f'<line x1="{left}" x2="{width - right}" y1="{top + ph}" y2="{top + ph}" stroke="#9aa5b1"/>'
        f'<text x="{left + pw / 2:.1f}" y="{height - 6}" text-anchor="middle">{_e(x_title)}</text>'
        f'<text x="14" y="{top + ph / 2:.1f}" transform="rotate(-90 14 {top + ph / 2:.1f})" '
        f'text-anchor="middle">{_e(unit)}</text>'
    )
    for name, color, pts, dashed in series:
        points = sorted((x, v) for x, v in pts if v is not None)
        dash = ' stroke-dasharray="7 5"' if dashed else ""  # it may lie on another line
        if len(points) > 1:
            coords = " ".join(f"{px(x):.1f},{py(v):.1f}" for x, v in points)
            out.append(
                f'<polyline points="{coords}" fill="none" stroke="{color}" stroke-width="2"{dash}/>'
            )
        for x, v in points:
            out.append(
                f'<circle cx="{px(x):.1f}" cy="{py(v):.1f}" r="3.5" fill="{color}">'
                f"<title>{_e(name)} at {x:g}: {_e(_money(v))}</title></circle>"
            )
    out.append("</svg>")
    return "".join(out)
