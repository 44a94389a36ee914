"""A table sheet's rows as XML, written straight into xlsxwriter's row file.

Each cell written through xlsxwriter's API costs about 10 µs of its own Python (checks,
a cell tuple, then, row by row, attributes escaped one by one): 80 % of results.xlsx's
time at 300 workloads (docs/performance.md, "Writing results.xlsx"). Here a table's
rows become the very bytes xlsxwriter writes for them, column by column, each distinct
text escaped once, into the file its ``constant_memory`` mode keeps for a sheet's rows:
every row but the last with a value, which goes through the API as before, so that the
sheet's extent and the order in which formats are numbered stay xlsxwriter's own.

This reads xlsxwriter's internals: the worksheet's row file (``fh``), ``previous_row``,
``_write_single_row``, ``_check_dimensions``, ``_convert_date_time``, and a format's
``_get_xf_index``. pyproject.toml bounds the xlsxwriter versions, and
tests/test_xlsx_rows.py writes every kind of value both ways and compares the bytes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from xlsxwriter.format import Format
from xlsxwriter.utility import _preserve_whitespace, xl_col_to_name
from xlsxwriter.worksheet import Worksheet


def write(
    ws: Worksheet,
    first: int,
    columns: Sequence[list[object]],
    formats: Sequence[Format | None],
    quoted: Callable[[], Format],
    starts: tuple[str, ...],
) -> int:
    """Rows ``first``, ``first + 1``, … of ``columns`` (values as the workbook holds them:
    None, int, float, str, date; numbers and dates in ``formats[col]``, text starting
    with ``starts`` in ``quoted()``, other text unformatted), all but the last row that
    holds a value. Returns the rows written: 0 when the sheet is not in the state this
    needs or a value is of another kind (the caller then writes them through the API)."""
    n = len(columns[0]) if columns else 0
    last = next((i for i in range(n - 1, -1, -1) if any(_holds(c[i]) for c in columns)), -1)
    if last <= 0 or not ws.constant_memory or ws.row_info or ws.comments:
        return 0
    if ws.previous_row != first - 1 or ws.dim_rowmax not in (None, first - 1):
        return 0
    for values, fmt in zip(columns, formats, strict=True):
        kinds = set(map(type, values))
        if not kinds <= KINDS or (fmt is None and kinds & DATES):
            return 0
        if str in kinds and max(len(v) for v in values if type(v) is str) > ws.xls_strmax // 2:
            return 0  # xlsxwriter would count its UTF-16 units
    # the formats numbered in the order xlsxwriter meets them: row by row
    used: list[tuple[int, int, Format]] = []
    quote: Format | None = None
    for col, values in enumerate(columns):
        i = next((i for i, v in enumerate(values[:last]) if type(v) in FORMATTED), None)
        if i is not None and formats[col] is not None:
            used.append((i, col, formats[col]))  # type: ignore[arg-type]
        i = next((i for i, v in enumerate(values[:last]) if _quoted(v, starts)), None)
        if i is not None:
            quote = quote or quoted()
            used.append((i, col, quote))
    ws._write_single_row(first)  # the rows above, as the first cell below would
    index = {id(fmt): fmt._get_xf_index() for _, _, fmt in sorted(used, key=lambda u: u[:2])}
    style = {key: f' s="{xf}"' for key, xf in index.items()}
    quote_style = style[id(quote)] if quote is not None else ""
    cells = [
        _column(ws, col, first, values[:last], style.get(id(formats[col]), ""), quote_style, starts)
        for col, values in enumerate(columns)
    ]
    rows = [r for r, parts in enumerate(zip(*cells, strict=True)) if any(parts)]
    for r in rows:
        ws.fh.write(f'<row r="{first + r + 1}">{"".join(c[r] for c in cells)}</row>')
    held = [col for col, c in enumerate(cells) if any(c)]
    ws._check_dimensions(first + rows[0], held[0])
    ws._check_dimensions(first + rows[-1], held[-1])
    ws.previous_row = first + last
    return last


DATES = {dt.date, dt.datetime}
FORMATTED = {int, float, *DATES}
KINDS = {type(None), str, *FORMATTED}


def _holds(value: object) -> bool:
    return value is not None and value != ""


def _quoted(value: object, starts: tuple[str, ...]) -> bool:
    return type(value) is str and value.startswith(starts)  # type: ignore[union-attr]


def _column(
    ws: Worksheet,
    col: int,
    first: int,
    values: list[object],
    style: str,
    quote_style: str,
    starts: tuple[str, ...],
) -> list[str]:
    """Each value's <c> element ('' for a blank) in rows ``first``, … of column ``col``."""
    letter = xl_col_to_name(col)
    texts: dict[str, str] = {}
    out = []
    for r, value in enumerate(values, start=first + 1):
        kind = type(value)
        if kind is float or kind is int:
            out.append(f'<c r="{letter}{r}"{style}><v>{value:.16G}</v></c>')
        elif kind is str:
            tail = texts.get(value)  # type: ignore[arg-type]
            if tail is None:
                quoted = value.startswith(starts)  # type: ignore[union-attr]
                tail = _text(ws, value, quote_style if quoted else "")  # type: ignore[arg-type]
                texts[value] = tail  # type: ignore[index]
            out.append(f'<c r="{letter}{r}"{tail}' if value else "")
        elif value is None:
            out.append("")
        else:
            day = ws._convert_date_time(value)
            out.append(f'<c r="{letter}{r}"{style}><v>{day:.16G}</v></c>')
    return out


def _text(ws: Worksheet, value: str, style: str) -> str:
    """An inline string's element after its reference, as xlsxwriter writes it."""
    string = ws._escape_control_characters(value)
    if string.startswith("<r>") and string.endswith("</r>"):
        return f'{style} t="inlineStr"><is>{string}</is></c>'
    preserve = ' xml:space="preserve"' if _preserve_whitespace(string) else ""
    return f'{style} t="inlineStr"><is><t{preserve}>{ws._escape_data(string)}</t></is></c>'
