"""results.xlsx's table rows written as XML (optimizer/report/sheet_rows.py) are the very
bytes xlsxwriter's API writes for them: every kind of value, text that needs escaping,
blank cells, rows and columns, formats first used in any order, on a sheet after others."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest
from xlsxwriter import Workbook

from optimizer.report import sheet_rows
from optimizer.report.workbook import HEADER, Formats, Sheet

TEXTS = [
    "plain",
    "a & b < c > d \"quoted\" 'single'",
    " leading",
    "trailing ",
    "tab\there",
    "line\nbreak",
    "carriage\rreturn",
    "_x0041_ looks escaped",
    "<r>rich-looking</r>",
    "=1+2",
    "-inf",
    "+1",
    "@sum",
    "#N/A",
    "é ü € 中文 😀",
    "\ufffe not a character",
]


def _columns(rows: int) -> tuple[list[list[object]], list[str | None]]:
    """Columns of every kind: the later columns' formats first used in earlier rows."""
    day = dt.date(2027, 1, 1)
    kinds: list[list[object]] = [
        [TEXTS[i % len(TEXTS)] for i in range(rows)],
        [None if i % 3 == 0 else i * 1.5 - 7.25 for i in range(rows)],
        [None if i < 4 else 10**i for i in range(rows)],
        [day + dt.timedelta(days=91 * i) if i % 2 else None for i in range(rows)],
        [None] * rows,
        ["" if i % 2 else "=quoted first" for i in range(rows)],
        [-0.0 if i == 0 else 1 / (i + 3) for i in range(rows)],
        [dt.datetime(2027, 3, 1, 12, 30) if i == 2 else None for i in range(rows)],
    ]
    formats = ["#,##0.00", None, "#,##0", "yyyy-mm-dd", "0.0%", None, "0.00%", "yyyy-mm-dd"]
    for values in kinds:  # blank rows: one inside, two at the end
        values[5] = None if not isinstance(values[5], str) else ""
        values[-1] = values[-2] = None
    return kinds, formats


def _book(path: Path, columns: list[list[object]], formats: list[str | None], fast: bool) -> None:
    wb = Workbook(str(path), {"constant_memory": True})
    shared = Formats(wb)
    first = Sheet(wb.add_worksheet("first"), shared)  # formats numbered before the table's
    first.append(["head", 1.5], ["#,##0"], style=HEADER)
    table = Sheet(wb.add_worksheet("table"), shared)
    table.append([f"c{i}" for i in range(len(columns))], style=HEADER)
    if fast:
        table.columns(columns, formats)
    else:
        for values in zip(*columns, strict=True):
            table.append(list(values), formats)
    wb.close()


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}


@pytest.mark.parametrize(("rows", "as_xml"), [(4, 0), (5, 1), (6, 2), (40, 37)])
def test_rows_as_xml_are_xlsxwriters_own(tmp_path: Path, rows: int, as_xml: int, monkeypatch):
    """``as_xml``: the rows before the last holding a value (the two at the end and the
    sixth of the 8 or 40 are blank)."""
    columns, formats = _columns(max(rows, 8))
    columns = [c[-rows:] for c in columns]
    _book(tmp_path / "api.xlsx", columns, formats, fast=False)
    written = []
    write = sheet_rows.write
    monkeypatch.setattr(sheet_rows, "write", lambda *a: written.append(write(*a)) or written[-1])
    _book(tmp_path / "xml.xlsx", columns, formats, fast=True)
    assert written == [as_xml]
    api, xml = _parts(tmp_path / "api.xlsx"), _parts(tmp_path / "xml.xlsx")
    assert api.keys() == xml.keys()
    for name in api:
        assert api[name] == xml[name], name


def test_rows_go_through_the_api_when_a_value_is_of_another_kind(tmp_path: Path):
    """A bool (or a date in a column without a format) is left to the API: nothing
    written as XML, and the workbook the same."""
    columns, formats = _columns(10)
    columns[1][3] = True
    wb = Workbook(str(tmp_path / "x.xlsx"), {"constant_memory": True})
    ws = wb.add_worksheet("t")
    ws.write_string(0, 0, "head")
    assert sheet_rows.write(ws, 1, columns, [None] * len(columns), lambda: None, ("=",)) == 0
    wb.close()
    _book(tmp_path / "api.xlsx", columns, formats, fast=False)
    _book(tmp_path / "xml.xlsx", columns, formats, fast=True)
    assert _parts(tmp_path / "api.xlsx") == _parts(tmp_path / "xml.xlsx")
