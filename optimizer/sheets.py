"""Passes 1 and 2 of read_plan: the workbook's sheets and headers, then every cell against
its column in the schema (optimizer/schema.py), and the settings sheet as Settings."""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable

import pandas as pd

from .cells import SLOW, CellError, convert, fast_path, is_blank, shown
from .errors import Findings
from .plan import Settings
from .schema import SETTINGS_BY_KEY, SHEETS, SHEETS_BY_NAME, Column, Sheet
from .xlsx import RawSheet, column_letter

ROW = "excel_row"  # the Excel row each record came from, kept while checking


HEADER_SEARCH_ROWS = 10


def suggest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate a mistyped name most likely meant, if any."""
    pool = list(candidates)
    folded = name.strip().lower().replace(" ", "_")
    for c in pool:
        if c.lower() == folded:
            return c
    match = difflib.get_close_matches(folded, pool, n=1, cutoff=0.75)
    return match[0] if match else None


def empty(schema: Sheet) -> pd.DataFrame:
    return pd.DataFrame({c.name: pd.Series(dtype=_dtype(c)) for c in schema.columns} | {ROW: []})


def _dtype(column: Column) -> str:
    return {"number": "float64", "integer": "int64", "bool": "bool"}.get(column.type, "object")


# --- pass 1: sheets and headers ---------------------------------------------------------


def match_sheets(raw: list[RawSheet], found: Findings) -> dict[str, RawSheet]:
    present = {s.name for s in raw}
    expected = [s.name for s in SHEETS]
    matched: dict[str, RawSheet] = {}
    for sheet in raw:
        if sheet.name in SHEETS_BY_NAME:
            matched[sheet.name] = sheet
            if sheet.hidden and _holds_data(sheet):
                found.warn(
                    sheet.name, None, None, "the sheet is hidden but holds data; its data counts"
                )
            continue
        near = suggest(sheet.name, [n for n in expected if n not in present])
        if near:
            found.error(
                sheet.name,
                None,
                None,
                f"sheet names must match exactly: rename the sheet to '{near}'",
            )
        else:
            found.warn(
                sheet.name,
                None,
                None,
                "unknown sheet, ignored (the sheets read are: " + ", ".join(expected) + ")",
            )
    for schema in SHEETS:
        if schema.required and schema.name not in present:
            near = suggest(schema.name, present)
            if near is None or near in SHEETS_BY_NAME:
                found.error(
                    schema.name,
                    None,
                    None,
                    "the required sheet is missing (the "
                    f"workbook has: {', '.join(sorted(present)) or 'no sheets'})",
                )
    return matched


def _holds_data(sheet: RawSheet) -> bool:
    return any(not is_blank(v) for row in sheet.rows for v in row)


def _header(sheet: RawSheet, schema: Sheet, found: Findings) -> dict[str, int] | None:
    """Column name -> 0-based index, or None when the sheet has no usable header."""
    rows = sheet.rows
    first = [v for v in rows[0]] if rows else []
    names = [v.strip() if isinstance(v, str) else v for v in first]
    known = set(schema.column_names)
    if not any(n in known for n in names):
        for i, row in enumerate(rows[1:HEADER_SEARCH_ROWS], start=2):
            hits = [v for v in row if isinstance(v, str) and v.strip() in known]
            if hits:
                found.error(
                    schema.name,
                    1,
                    None,
                    f"the header must be in row 1, but row {i} "
                    f"looks like the header ({', '.join(hits[:3])}): delete the rows "
                    "above it",
                )
                return None
        if not _holds_data(sheet) and not schema.required:
            return None
    index: dict[str, int] = {}
    for j, value in enumerate(first):
        if is_blank(value):
            continue
        if not isinstance(value, str):
            found.error(
                schema.name,
                1,
                column_letter(j + 1),
                f"a header cell holds {shown(value)}; headers are column names",
            )
            continue
        if (1, j + 1) in sheet.bad_cells:
            found.error(schema.name, 1, value, sheet.bad_cells[(1, j + 1)])
        if value in known:
            if value in index:
                found.error(
                    schema.name,
                    1,
                    value,
                    f"the column appears twice (columns "
                    f"{column_letter(index[value] + 1)} and {column_letter(j + 1)})",
                )
            index[value] = j
    missing = [c for c in schema.column_names if c not in index]
    for value in first:
        if not isinstance(value, str) or value in known:
            continue
        near = suggest(value, missing)
        if near:
            found.error(
                schema.name, 1, value, f"column names must match exactly: rename it to '{near}'"
            )
            missing.remove(near)
        else:
            found.warn(schema.name, 1, value, "unknown column, ignored")
    for name in missing:
        if schema.column(name).required:
            found.error(
                schema.name, None, name, "the required column is missing (row 1 must name it)"
            )
    return index


def parse_sheet(sheet: RawSheet, schema: Sheet, found: Findings) -> pd.DataFrame | None:
    before = len(found.problems)
    index = _header(sheet, schema, found)
    if index is None:
        if schema.required and len(found.problems) == before:
            found.error(
                schema.name,
                None,
                None,
                "the required sheet is empty: row 1 names the "
                f"columns, then one row per {schema.row_is}",
            )
        return None
    if len(found.problems) > before:
        return None
    columns = [c for c in schema.columns if c.name in index]
    width = max(index.values()) + 1
    by_position = {index[c.name] + 1: c.name for c in columns}
    _check_merged(sheet, schema, by_position, found)
    positions = sorted(index.values())
    rows = [r if len(r) >= width else [*r, *[""] * (width - len(r))] for r in sheet.rows]
    bad_rows = {r for r, c in sheet.bad_cells if c - 1 in positions}
    data_rows = [
        i
        for i in range(1, len(rows))
        if (i + 1) in bad_rows or any(not is_blank(rows[i][j]) for j in positions)
    ]
    hidden = [i + 1 for i in data_rows if i + 1 in sheet.hidden_rows]
    if hidden:
        found.warn(
            schema.name,
            hidden[0],
            None,
            f"{len(hidden)} hidden row(s) hold data (rows {_list(hidden)}); their data counts",
        )
    hidden_cols = [name for pos, name in by_position.items() if pos in sheet.hidden_columns]
    if hidden_cols and data_rows:
        found.warn(
            schema.name,
            None,
            hidden_cols[0],
            f"hidden column(s) {', '.join(hidden_cols)} hold data; their data counts",
        )
    if not data_rows and schema.required:
        found.error(
            schema.name,
            None,
            None,
            f"the sheet has no data rows (one row per {schema.row_is} is needed)",
        )
    out: dict[str, list[object]] = {}
    for column in columns:
        j = index[column.name]
        fast = fast_path(column)
        special = {r for r, c in sheet.bad_cells if c == j + 1}
        values = []
        for i in data_rows:
            value = rows[i][j]
            typed = fast(value) if (i + 1) not in special else SLOW
            if typed is SLOW:
                bad = sheet.bad_cells.get((i + 1, j + 1))
                typed = _cell(value, bad, column, schema, i + 1, found)
            values.append(typed)
        out[column.name] = values
    for column in schema.columns:
        if column.name not in out:
            out[column.name] = [column.default] * len(data_rows)
    frame = pd.DataFrame({c.name: _series(out[c.name], c) for c in schema.columns})
    frame[ROW] = [i + 1 for i in data_rows]
    return frame


def _series(values: list[object], column: Column) -> pd.Series:
    """Numbers as floats (blank: NaN); whole numbers and yes/no typed once complete; text as
    Python strings with None for blank."""
    if column.type == "number":
        return pd.Series([math.nan if v is None else v for v in values], dtype="float64")
    if column.type in ("integer", "bool") and None not in values:
        return pd.Series(values, dtype=_dtype(column))
    return pd.Series(values, dtype=object)


def _list(rows: list[int], most: int = 8) -> str:
    head = ", ".join(str(r) for r in rows[:most])
    return head + (f" and {len(rows) - most} more" if len(rows) > most else "")


def _check_merged(
    sheet: RawSheet, schema: Sheet, by_position: dict[int, str], found: Findings
) -> None:
    for r1, c1, r2, c2 in sheet.merged:
        names = [by_position[c] for c in range(c1, c2 + 1) if c in by_position]
        if not names:
            continue
        ref = f"{column_letter(c1)}{r1}:{column_letter(c2)}{r2}"
        found.error(
            schema.name,
            r1,
            names[0],
            f"merged cells {ref}: unmerge them and type the value in every cell",
        )


def _cell(
    value: object, bad: str | None, column: Column, schema: Sheet, row: int, found: Findings
) -> object:
    if bad is not None:
        found.error(schema.name, row, column.name, bad)
        return None
    if is_blank(value):
        if column.required:
            found.error(
                schema.name, row, column.name, f"expected {column.expectation()}, got a blank cell"
            )
        return column.default
    if schema.name == "settings" and column.name == "value":
        return value  # typed by the setting's own column, in _settings
    try:
        result = convert(value, column)
    except CellError as exc:
        message = f"expected {column.expectation()}, {exc}"
        if column.type == "enum" and isinstance(value, str):
            near = suggest(value, column.choices)
            if near:
                message += f" (did you mean '{near}'?)"
        found.error(schema.name, row, column.name, message)
        return None
    return result


# --- settings -----------------------------------------------------------------------------


def read_settings(table: pd.DataFrame | None, found: Findings) -> Settings:
    values: dict[str, object] = {}
    if table is not None:
        seen: dict[str, int] = {}
        for key, raw, row in zip(table["key"], table["value"], table[ROW], strict=True):
            if key is None:
                continue
            column = SETTINGS_BY_KEY.get(key)
            if column is None:
                near = suggest(key, SETTINGS_BY_KEY)
                hint = (
                    f"did you mean '{near}'?"
                    if near
                    else "the settings are: " + ", ".join(SETTINGS_BY_KEY)
                )
                found.error("settings", row, "key", f"unknown setting {shown(key)}; {hint}")
                continue
            if key in seen:
                found.error(
                    "settings", row, "key", f"'{key}' is set twice (rows {seen[key]} and {row})"
                )
                continue
            seen[key] = row
            if raw is None:
                continue
            try:
                values[key] = convert(raw, column)
            except CellError as exc:
                found.error(
                    "settings", row, "value", f"{key}: expected {column.expectation()}, {exc}"
                )
                continue
    defaults = {
        c.name: convert(c.default, c) if c.type == "date" else c.default
        for c in SETTINGS_BY_KEY.values()
    }
    merged = defaults | values
    if merged["threads"] is not None:
        merged["threads"] = int(merged["threads"])  # type: ignore[call-overload]
    return Settings(**merged)  # type: ignore[arg-type]
