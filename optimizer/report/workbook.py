"""results.xlsx: every table as a sheet, the charts, the columns' meanings and run.json.

Written with xlsxwriter, row by row (``constant_memory``): two to three times faster
than openpyxl at 100,000 rows (benchmarks/xlsx_writers.py); a table's rows go in as the
XML xlsxwriter would write for them (sheet_rows.py). Values only: a text that a
spreadsheet would read as a formula or an error value (``=1+2``, ``#N/A``) is written
as a string with Excel's quote prefix, never evaluated; NaN and infinity, which Excel
lacks, become a blank and the text ``inf``. Numbers carry formats by unit; native charts
read the ``chart_data`` sheet (workbook_charts.py).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from xlsxwriter import Workbook
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from optimizer.columns import OUTPUT_COLUMNS, SUMMARY_EXTRAS

from . import sheet_rows
from .values import as_date, isna, plain_words, text
from .view import ROBUST, View
from .workbook_charts import CHART_DATA, ChartPlan, plan_charts

# Text that a spreadsheet reads as a formula; the CSV writer neutralises it too.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ERROR_START = "#"  # in a workbook cell, also an error value such as #N/A
TABLE_ORDER = (
    "summary",
    "costs",
    "racks",
    "assignments",
    "sites",
    "decisions",
    "regret",
    "breakeven",
)
OWN_SHEETS = ("charts", "chart_data", "columns", "run")
DATE_COLUMNS = ("period_start", "period_end")
EXCEL_MAX_TEXT = 32_767  # characters in a cell; longer ones make Excel repair the file
EXCEL_MAX_ROWS = 1_048_576  # rows in a sheet
CHART_DATA_FORMAT = "#,##0.00"
DAY_FORMAT = "yyyy-mm-dd"
TIME_FORMAT = "yyyy-mm-dd h:mm:ss"
PIXELS_PER_CHARACTER = 7  # Calibri 11's digit: a width in pixels is stored exactly
HEADER = {
    "bold": True,
    "font_color": "#FFFFFF",
    "bg_color": "#1F4E79",
    "pattern": 1,
    "bottom": 1,
    "bottom_color": "#0F2A44",
    "valign": "vcenter",
}
TITLE = {"bold": True, "font_size": 13}
BOLD = {"bold": True}


class Formats:
    """The workbook's cell formats, each made once."""

    def __init__(self, wb: Workbook) -> None:
        self._wb = wb
        self._made: dict[tuple[tuple[str, object], ...], Format] = {}

    def get(self, **props: object) -> Format:
        key = tuple(sorted(props.items()))
        if key not in self._made:
            self._made[key] = self._wb.add_format(dict(props))
        return self._made[key]


@dataclass
class Sheet:
    """A worksheet written row by row, as constant_memory requires."""

    ws: Worksheet
    formats: Formats
    row: int = 0

    def append(
        self,
        values: Sequence[object],
        number_formats: Sequence[str | None] = (),
        style: dict[str, object] | None = None,
    ) -> None:
        """The next row: ``values`` from column A, blank where None or empty text; text
        in ``style``, numbers and dates in their column's number format."""
        for col, value in enumerate(values):
            fmt = number_formats[col] if col < len(number_formats) else None
            self.write(col, value, fmt, style)
        self.row += 1

    def write(
        self, col: int, value: object, fmt: str | None, style: dict[str, object] | None
    ) -> None:
        """One value as a value: text stays a string (never a formula nor an error value),
        with Excel's quote prefix when it would look like one."""
        if value is None or value == "":  # an empty text is a blank cell too
            return
        if isinstance(value, str):
            props = dict(style or {})
            if value.startswith((*FORMULA_STARTS, ERROR_START)):
                props["quote_prefix"] = True
            self.ws.write_string(self.row, col, value, self.formats.get(**props) if props else None)
        elif isinstance(value, dt.date):
            fmt = fmt or (TIME_FORMAT if isinstance(value, dt.datetime) else DAY_FORMAT)
            self.ws.write_datetime(self.row, col, value, self.formats.get(num_format=fmt))
        elif isinstance(value, bool):
            self.ws.write_boolean(self.row, col, value, self._number(fmt))
        else:
            self.ws.write_number(self.row, col, value, self._number(fmt))  # type: ignore[arg-type]

    def columns(
        self, columns: Sequence[list[object]], number_formats: Sequence[str | None]
    ) -> None:
        """The next rows, from ``columns`` of values as ``_excel_value`` gives them, each
        cell as ``append`` writes it: most rows as xlsxwriter's own XML (sheet_rows.py),
        the rest through its API without ``append``'s per-value checks."""
        numbers = [self._number(fmt) for fmt in number_formats]
        starts = (*FORMULA_STARTS, ERROR_START)
        done = sheet_rows.write(
            self.ws,
            self.row,
            columns,
            numbers,
            lambda: self.formats.get(quote_prefix=True),
            starts,
        )
        ws, row = self.ws, self.row + done
        for values in zip(*(c[done:] for c in columns), strict=True):
            for col, value in enumerate(values):
                kind = type(value)
                if kind is float or kind is int:
                    ws.write_number(row, col, value, numbers[col])  # type: ignore[arg-type]
                elif kind is str:
                    if value:
                        quoted = value.startswith(starts)  # type: ignore[union-attr]
                        fmt = self.formats.get(quote_prefix=True) if quoted else None
                        ws.write_string(row, col, value, fmt)  # type: ignore[arg-type]
                elif value is not None:
                    self.row = row
                    self.write(col, value, number_formats[col], None)
            row += 1
        self.row = row

    def _number(self, fmt: str | None) -> Format | None:
        return self.formats.get(num_format=fmt) if fmt is not None else None

    def widths(self, widths: Sequence[float]) -> None:
        """Column widths in characters, from column A."""
        for col, width in enumerate(widths):
            self.ws.set_column_pixels(col, col, round(width * PIXELS_PER_CHARACTER))

    def landscape(self) -> None:
        self.ws.set_landscape()
        self.ws.fit_to_pages(1, 0)


def write_workbook(path: Path, view: View) -> None:
    """The sheets in order: the summary, charts, the other tables, chart_data, columns,
    run. xlsxwriter's row files go to a folder of their own, removed however the write
    ends (a full disk leaves none behind)."""
    with tempfile.TemporaryDirectory(prefix="optimize-xlsx-") as rows:
        _fill(Workbook(str(path), {"constant_memory": True, "tmpdir": rows}), view)


def _fill(wb: Workbook, view: View) -> None:
    formats = Formats(wb)
    names = [n for n in TABLE_ORDER if n in view.tables]
    names += [n for n in view.tables if n not in TABLE_ORDER]
    sheets: dict[str, Sheet] = {}
    for name in [*names[:1], "charts", *names[1:], CHART_DATA, "columns", "run"]:
        title = name if name in OWN_SHEETS else _sheet_title(name, set(sheets) | set(OWN_SHEETS))
        sheets[name] = Sheet(wb.add_worksheet(title), formats)
    charts = plan_charts(view, wb)
    _charts_sheet(sheets["charts"], view, charts)
    for name in names:
        _table_sheet(sheets[name], name, view.tables[name])
    _chart_data_sheet(sheets[CHART_DATA], charts)
    _columns_sheet(sheets["columns"], view, names)
    _run_sheet(sheets["run"], view)
    wb.close()


def _sheet_title(name: str, taken: set[str]) -> str:
    """A sheet name Excel takes: no []:*?/\\, no quote at either end, 31 characters, unique
    whatever the case."""
    title = re.sub(r"[\[\]:*?/\\]", "_", text(name))[:31].strip("'") or "table"
    taken = {t.lower() for t in taken}
    base, i = title, 2
    while title.lower() in taken:
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
    """A value as the workbook holds it: no NaN, no infinity (Excel has neither),
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


def _cells(series: pd.Series, is_date: bool) -> list[object]:
    """A column's values as the workbook holds them: ``_excel_value`` of each, taken whole
    where the column's type says what that gives (integers, finite floats, clean text)."""
    values = series.tolist()
    kind = series.dtype.kind if isinstance(series.dtype, np.dtype) else ""
    if kind in ("i", "u", "b"):
        return values  # Python ints and bools, as _excel_value makes them
    if kind == "f":
        for i in np.flatnonzero(~np.isfinite(series.to_numpy())).tolist():
            values[i] = _excel_value(values[i], is_date)  # NaN and infinity
        return values
    if not is_date and _clean_text(values):
        return values
    return [_excel_value(v, is_date) for v in values]


def _clean_text(values: list[object]) -> bool:
    """Every value is text that ``text`` leaves as it is and that Excel holds whole."""
    if not all(type(v) is str for v in values):
        return False
    joined = "".join(values)  # type: ignore[arg-type]
    return text(joined) == joined and max(map(len, values), default=0) <= EXCEL_MAX_TEXT  # type: ignore[arg-type]


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
        body = max(
            len(v) if type(v) is str else 0 if isna(v) else len(str(v)) for v in sample.tolist()
        )
    return float(min(max(len(name) + 3, body + 2, 8), 60))


def _table_sheet(sheet: Sheet, table: str, frame: pd.DataFrame) -> None:
    frame = frame.iloc[: EXCEL_MAX_ROWS - 1]  # the CSV holds any rows beyond (see the notes)
    names = [str(c) for c in frame.columns]
    units = {name: unit for name, (unit, _) in _described(table).items()}
    formats = [_number_format(n, units.get(n, "")) for n in names]
    sheet.widths(
        [
            _width(n, frame.iloc[:, i], fmt)
            for i, (n, fmt) in enumerate(zip(names, formats, strict=True))
        ]
    )
    sheet.ws.freeze_panes(1, 0)
    sheet.landscape()
    if names:
        sheet.ws.autofilter(0, 0, len(frame), len(names) - 1)
    sheet.append([text(n) for n in names], style=HEADER)
    sheet.columns(
        [_cells(frame.iloc[:, i], n in DATE_COLUMNS) for i, n in enumerate(names)], formats
    )


def _described(table: str) -> dict[str, tuple[str, str]]:
    """A table's documented columns: name → (unit, meaning)."""
    described = {name: (unit, meaning) for name, unit, meaning in OUTPUT_COLUMNS.get(table, ())}
    if table == "summary":
        described |= {name: (unit, meaning) for name, unit, meaning in SUMMARY_EXTRAS}
    return described


def _columns_sheet(sheet: Sheet, view: View, tables: list[str]) -> None:
    sheet.widths([14, 34, 28, 100])
    sheet.ws.freeze_panes(1, 0)
    sheet.landscape()
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
    sheet.ws.autofilter(0, 0, len(rows), 3)
    sheet.append(["table", "column", "unit", "meaning"], style=HEADER)
    for row in rows:
        sheet.append([text(v) if v else None for v in row])


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


def _run_sheet(sheet: Sheet, view: View) -> None:
    sheet.widths([44, 100])
    sheet.ws.freeze_panes(1, 0)
    sheet.append(["key", "value"], style=HEADER)
    for key, value in _flatten("", view.info):
        v = _excel_value(value, False)
        if v is not None and not isinstance(v, int | float | bool | str):
            v = text(v)
        sheet.append([text(key), v])


# The charts print one under the other, three a page, never split by a page break. A
# chart is 605 x 302 px in a slot of 18 rows of 15 pt (270 pt); at 75 % three slots and
# the notes above them are 9.2 inches high and a chart 4.7 inches wide (6.3 where
# LibreOffice, lacking Calibri, draws the columns it spans wider): inside the printable
# area of portrait A4 and Letter with the default margins (6.9 x 9.5 inches); a manual
# break falls between every three charts.
CHART_ROWS = 18
CHARTS_PER_PAGE = 3
CHART_PRINT_SCALE = 75


def _charts_sheet(sheet: Sheet, view: View, charts: ChartPlan) -> None:
    sheet.widths([12])
    sheet.ws.set_portrait()
    sheet.ws.set_print_scale(CHART_PRINT_SCALE)
    sheet.append([_charts_title(view)], style=TITLE)
    notes = _chart_notes(view, charts)
    for line in notes:
        sheet.append([text(line)])
    top = len(notes) + 3
    for i, chart in enumerate(charts.charts):
        # 10 px down its slot: the frame's top edge never lands on a page break's row line
        sheet.ws.insert_chart(f"A{top + i * CHART_ROWS}", chart, {"y_offset": 10})
    sheet.ws.set_h_pagebreaks(chart_page_breaks(top, len(charts.charts)))


def chart_page_breaks(top: int, charts: int) -> list[int]:
    """The 0-based rows above which a page starts: every CHARTS_PER_PAGE charts from row
    ``top`` (1-based), none after the last."""
    pages = (charts + CHARTS_PER_PAGE - 1) // CHARTS_PER_PAGE
    return [top - 1 + k * CHART_ROWS * CHARTS_PER_PAGE for k in range(1, pages)]


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


def _chart_data_sheet(sheet: Sheet, charts: ChartPlan) -> None:
    widest = max((b.width for b in charts.blocks), default=1)
    sheet.widths([28, *([18] * (widest - 1))])
    sheet.append(["Data of the charts on the sheet charts (derived from the tables)."])
    for block in charts.blocks:
        sheet.row = block.first - 2  # 0-based: the title row above the header
        sheet.append([text(block.title)], style=BOLD)
        sheet.append([text(h) for h in block.header], style=HEADER)
        for values in block.rows:
            sheet.append(
                [_excel_value(v, False) for v in values], [CHART_DATA_FORMAT] * len(values)
            )


def _charts_title(view: View) -> str:
    if view.focus == ROBUST:
        return "Charts of the robust plan (each figure expected over the scenarios)"
    return f"Charts of scenario {text(view.focus)}" if view.multi else "Charts"
