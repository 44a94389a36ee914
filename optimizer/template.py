"""The template workbook, written from the schema.

Every sheet and column, a note on each header with its unit, default and
meaning, drop-down lists for enumerated and yes/no columns, and one example
row per sheet that together make a valid plan (it passes --check).
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from .schema import SETTINGS, SHEETS, Column, Sheet

# Rows beyond each column's own example, so that the examples reference each other.
EXTRA_ROWS: dict[str, list[dict[str, object]]] = {
    "regions": [{"region": "us-texas", "jurisdiction": "US", "power_price_usd_per_kwh": 0.08}],
}
EXAMPLE_OVERRIDES: dict[str, dict[str, object]] = {
    "latency": {"to_region": "us-texas", "rtt_ms": 120},
}
VALIDATED_ROWS = 5000
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def header_note(column: Column) -> str:
    """The note on a header cell: meaning, unit, whether required, default, allowed values."""
    lines = [column.description]
    if column.unit:
        lines.append(f"Unit: {column.unit}")
    lines.append(f"Expected: {column.expectation()}")
    if column.required:
        lines.append("Required.")
    elif column.default is not None:
        lines.append(f"Blank means {_shown_default(column)}.")
    if column.ref:
        lines.append(f"Must match an id in sheet '{column.ref}'.")
    return "\n".join(lines)


def _shown_default(column: Column) -> str:
    if column.type == "bool":
        return "yes" if column.default else "no"
    if isinstance(column.default, float):
        return f"{column.default:g}"
    return str(column.default)


def _example_rows(sheet: Sheet) -> list[list[object]]:
    if sheet.name == "settings":
        return [[c.name, _setting_value(c)] for c in _WITH_DEFAULTS]
    base = {c.name: c.example for c in sheet.columns} | EXAMPLE_OVERRIDES.get(sheet.name, {})
    rows = [base, *EXTRA_ROWS.get(sheet.name, [])]
    return [[row.get(c.name) for c in sheet.columns] for row in rows]


# The settings the template lists, each at its default; one without (max_tco2e_per_year: no
# cap) is left out, as a blank value is an error.
_WITH_DEFAULTS = tuple(c for c in SETTINGS if c.default is not None)


def _setting_value(column: Column) -> object:
    if isinstance(column.default, float) and column.default.is_integer():
        return int(column.default)
    return column.default


def write_template(path: Path) -> None:
    """Write the template workbook to ``path`` (overwriting it)."""
    book = Workbook()
    book.remove(book.active)
    for sheet in SHEETS:
        ws = book.create_sheet(sheet.name)
        for j, column in enumerate(sheet.columns, start=1):
            cell = ws.cell(row=1, column=j, value=column.name)
            cell.font = Font(bold=True)
            cell.fill = _HEADER_FILL
            note = Comment(header_note(column), "capacity-optimizer")
            note.width, note.height = 320, 160
            cell.comment = note
            ws.column_dimensions[get_column_letter(j)].width = max(12, len(column.name) + 4)
            if column.allowed:
                rule = DataValidation(
                    type="list",
                    formula1='"' + ",".join(column.allowed) + '"',
                    allow_blank=not column.required,
                    showErrorMessage=True,
                    errorTitle=column.name,
                    error=f"Expected {column.expectation()}.",
                )
                letter = get_column_letter(j)
                rule.add(f"{letter}2:{letter}{VALIDATED_ROWS}")
                ws.add_data_validation(rule)
        for row in _example_rows(sheet):
            ws.append(row)
        ws.freeze_panes = "A2"
    if "settings" in book.sheetnames:
        _describe_settings(book["settings"])
    book.save(path)


def _describe_settings(ws: object) -> None:
    """Notes on each setting's key cell, like the header notes of other sheets."""
    for i, column in enumerate(_WITH_DEFAULTS, start=2):
        cell = ws.cell(row=i, column=1)  # type: ignore[attr-defined]
        note = Comment(header_note(column), "capacity-optimizer")
        note.width, note.height = 320, 140
        cell.comment = note
