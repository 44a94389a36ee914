"""results.xlsx: every table as a sheet, the charts, the columns' meanings and run.json.

Values only: a text that a spreadsheet would read as a formula or an error value
(``=1+2``, ``#N/A``) is stored as text with Excel's quote prefix, never evaluated; NaN
and infinity, which Excel lacks, become a blank and the text ``inf``. Numbers carry
formats by unit; native charts read the ``chart_data`` sheet (workbook_charts.py).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from optimizer.columns import OUTPUT_COLUMNS, SUMMARY_EXTRAS

from .values import as_date, isna, plain_words, text
from .view import View
from .workbook_charts import ChartPlan, plan_charts

# Text that a spreadsheet reads as a formula; the CSV writer neutralises it too.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ERROR_START = "#"  # in a workbook cell, also an error value such as #N/A
TABLE_ORDER = ("summary", "costs", "racks", "assignments", "sites", "decisions", "regret")
OWN_SHEETS = ("charts", "chart_data", "columns", "run")
DATE_COLUMNS = ("period_start", "period_end")
EXCEL_MAX_TEXT = 32_767  # characters in a cell; longer ones make Excel repair the file
EXCEL_MAX_ROWS = 1_048_576  # rows in a sheet
CHART_DATA_FORMAT = "#,##0.00"
HEADER_FONT = Font(name="Calibri", bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
HEADER_BORDER = Border(bottom=Side(style="thin", color="0F2A44"))
TITLE_FONT = Font(name="Calibri", bold=True, size=13)
BOLD_FONT = Font(name="Calibri", bold=True)


def write_workbook(path: Path, view: View) -> None:
    """The sheets in order: the summary, charts, the other tables, chart_data, columns,
    run."""
    wb = Workbook(write_only=True)
    names = [n for n in TABLE_ORDER if n in view.tables]
    names += [n for n in view.tables if n not in TABLE_ORDER]
    sheets: dict[str, WriteOnlyWorksheet] = {}
    for name in [*names[:1], "charts", *names[1:], "chart_data", "columns", "run"]:
        title = name if name in OWN_SHEETS else _sheet_title(name, set(sheets) | set(OWN_SHEETS))
        sheets[name] = wb.create_sheet(title)
    charts = plan_charts(view, sheets["chart_data"])
    _charts_sheet(sheets["charts"], view, charts)
    for name in names:
        _table_sheet(sheets[name], name, view.tables[name])
    _chart_data_sheet(sheets["chart_data"], charts)
    _columns_sheet(sheets["columns"], view, names)
    _run_sheet(sheets["run"], view)
    wb.save(path)


def _sheet_title(name: str, taken: set[str]) -> str:
    title = re.sub(r"[\[\]:*?/\\]", "_", text(name))[:31] or "table"
    base, i = title, 2
    while title in taken:
        title = f"{base[:28]}_{i}"
        i += 1
    return title


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
        day = as_date(value)
        if is_date or isinstance(value, pd.Timestamp):
            return day
        return value
    if isinstance(value, str) and is_date:
        day = as_date(value)
        if day is not None and len(value) == 10:
            return day
    if isna(value):
        return None
    return text(value)[:EXCEL_MAX_TEXT]


def _cell(ws: WriteOnlyWorksheet, value: object, fmt: str | None = None) -> WriteOnlyCell:
    """A cell that holds ``value`` as a value: text stays text (data type 's', never a
    formula nor an error value), with Excel's quote prefix when it would look like one."""
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
        if value.startswith((*FORMULA_STARTS, ERROR_START)):
            cell.quotePrefix = True
    elif fmt is not None and value is not None:
        cell.number_format = fmt
    return cell


def _values(ws: WriteOnlyWorksheet, values: Iterable[object]) -> list[WriteOnlyCell | None]:
    """A row of cells with no number format; blank where there is no value."""
    return [None if v is None else _cell(ws, v) for v in values]


def _header(ws: WriteOnlyWorksheet, names: Sequence[str]) -> list[WriteOnlyCell]:
    cells = []
    for name in names:
        cell = _cell(ws, text(name))
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
        body = int(sample.map(lambda v: len(str(v)) if not isna(v) else 0).max())
    return float(min(max(len(name) + 3, body + 2, 8), 60))


def _landscape(ws: WriteOnlyWorksheet) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _widths(ws: WriteOnlyWorksheet, widths: dict[str, float]) -> None:
    for letter, width in widths.items():
        ws.column_dimensions[letter].width = width


def _table_sheet(ws: WriteOnlyWorksheet, table: str, frame: pd.DataFrame) -> None:
    frame = frame.iloc[: EXCEL_MAX_ROWS - 1]  # the CSV holds any rows beyond (see the notes)
    names = [str(c) for c in frame.columns]
    units = {name: unit for name, (unit, _) in _described(table).items()}
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


def _described(table: str) -> dict[str, tuple[str, str]]:
    """A table's documented columns: name → (unit, meaning)."""
    described = {name: (unit, meaning) for name, unit, meaning in OUTPUT_COLUMNS.get(table, ())}
    if table == "summary":
        described |= {name: (unit, meaning) for name, unit, meaning in SUMMARY_EXTRAS}
    return described


def _columns_sheet(ws: WriteOnlyWorksheet, view: View, tables: list[str]) -> None:
    _widths(ws, {"A": 14, "B": 34, "C": 28, "D": 100})
    ws.freeze_panes = "A2"
    _landscape(ws)
    rows: list[tuple[str, str, str, str]] = []
    for table in tables:
        described = _described(table)
        for name in map(str, view.tables[table].columns):
            if name in described:
                unit, meaning = described[name]
            elif table == "summary":
                unit = "the parameter's unit"
                meaning = f"the scenario's value of {name} (blank: not overridden)"
            else:
                unit, meaning = "", ""
            rows.append((table, name, unit, plain_words(meaning)))
    ws.auto_filter.ref = f"A1:D{len(rows) + 1}"
    ws.append(_header(ws, ["table", "column", "unit", "meaning"]))
    for row in rows:
        ws.append(_values(ws, (text(v) if v else None for v in row)))


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


def _run_sheet(ws: WriteOnlyWorksheet, view: View) -> None:
    _widths(ws, {"A": 44, "B": 100})
    ws.freeze_panes = "A2"
    ws.append(_header(ws, ["key", "value"]))
    for key, value in _flatten("", view.info):
        v = _excel_value(value, False)
        if v is not None and not isinstance(v, int | float | bool | str):
            v = text(v)
        ws.append(_values(ws, (text(key), v)))


def _charts_sheet(ws: WriteOnlyWorksheet, view: View, charts: ChartPlan) -> None:
    ws.column_dimensions["A"].width = 12
    _landscape(ws)
    title = _cell(ws, f"Charts of scenario {text(view.focus)}" if view.multi else "Charts")
    title.font = TITLE_FONT
    ws.append([title])
    notes = _chart_notes(view, charts)
    for line in notes:
        ws.append([_cell(ws, text(line))])
    top = len(notes) + 3
    for i, chart in enumerate(charts.charts):
        column = "A" if i % 2 == 0 else "K"
        ws.add_chart(chart, f"{column}{top + (i // 2) * 18}")


def _chart_notes(view: View, charts: ChartPlan) -> list[str]:
    """The lines under the charts sheet's title."""
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
    return lines


def _chart_data_sheet(ws: WriteOnlyWorksheet, charts: ChartPlan) -> None:
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
        label = _cell(ws, text(block.title))
        label.font = BOLD_FONT
        ws.append([label])
        ws.append(_header(ws, block.header))
        for values in block.rows:
            ws.append(
                [
                    None if v is None else _cell(ws, _excel_value(v, False), CHART_DATA_FORMAT)
                    for v in values
                ]
            )
        row = block.last
