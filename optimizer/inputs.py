"""read_plan: a workbook in, a typed and cross-checked Plan out, or every problem at once.

The work happens in three passes, each adding to one list of problems:
the sheets and their headers, every cell against its column in the schema
(optimizer/sheets.py), then the references and rules that span rows and
sheets (optimizer/checks.py). Only when the list is empty is a Plan built;
otherwise one InputError carries all of it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .checks import check, check_carbon
from .errors import Findings, InputError, Problem
from .plan import Plan, period_table
from .scenarios import SCENARIO_TARGETS, has_emission_figures, resolve_target
from .schema import SHEETS, SHEETS_BY_NAME
from .sheets import ROW, empty, match_sheets, parse_sheet, read_settings, suggest
from .workbook_checks import magnitude_warnings
from .xlsx import UnreadableWorkbook, read_workbook


def read_plan(path: str | Path) -> Plan:
    """Read, validate and cross-check a workbook; raise InputError listing every problem."""
    path = Path(path)
    found = Findings()
    try:
        raw = read_workbook(path, wanted=set(SHEETS_BY_NAME))
    except UnreadableWorkbook as exc:
        raise InputError([Problem(None, None, None, str(exc))]) from None
    sheets = match_sheets(raw, found)
    tables: dict[str, pd.DataFrame] = {}
    for schema in SHEETS:
        if schema.name in sheets:
            table = parse_sheet(sheets[schema.name], schema, found)
            if table is not None:
                tables[schema.name] = table
    settings_table = tables.pop("settings", None)
    settings = read_settings(settings_table, found)
    for schema in SHEETS[1:]:
        tables.setdefault(schema.name, empty(schema))
    found.warnings += magnitude_warnings(tables, settings, settings_table)
    if not found.problems:
        check(tables, settings, sheets, found)
    if not found.problems:
        check_carbon(tables, settings, settings_table, found)
    if found.problems:
        raise InputError(sorted(found.problems, key=_order), found.warnings)
    return Plan(
        source=path,
        settings=settings,
        periods=period_table(settings),
        warnings=found.warnings,
        **{name: t.drop(columns=ROW).reset_index(drop=True) for name, t in tables.items()},
    )


def _order(p: Problem) -> tuple[int, int, int, str]:
    sheet_rank = next((i for i, s in enumerate(SHEETS) if s.name == p.sheet), -1)
    if sheet_rank >= 0:
        cols = SHEETS[sheet_rank].column_names
        col_rank = cols.index(p.column) if p.column in cols else len(cols)
    else:
        col_rank = 0
    return (sheet_rank, p.row or 0, col_rank, p.message)


__all__ = [
    "SCENARIO_TARGETS",
    "InputError",
    "has_emission_figures",
    "read_plan",
    "resolve_target",
    "suggest",
]
