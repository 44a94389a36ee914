"""Checks on the typed tables that look past one cell: numbers out of their plausible range
(warnings, in the words of the unit to type) and inference demand stated in requests
(checked, then converted to million tokens a day)."""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction

import pandas as pd

from .errors import Problem
from .plan import Settings
from .plausible import Plausible, Slip, slip_message
from .schema import DEMAND_UNITS, REQUESTS_PER_DAY, SETTINGS_BY_KEY, SHEETS, SHEETS_BY_NAME

ROW = "excel_row"
Report = Callable[[str, int, str, str], None]  # sheet, row, column, message

# The plausible range of a scenario's value, by parameter: a price or a cap has its
# column's; a multiplier typed as a percentage (150 for 1.5) is caught above 100.
MULTIPLIER = (Plausible("", "a multiplier", above=Slip(100.0, "a percentage", ((100.0, "%"),))),)
SCENARIO_VALUE_RANGES: dict[str, tuple[Plausible, ...]] = {
    "power_price_usd_per_kwh": SHEETS_BY_NAME["regions"]
    .column("power_price_usd_per_kwh")
    .plausible,
    "carbon_price_usd_per_t": SETTINGS_BY_KEY["carbon_price_usd_per_t"].plausible,
    "max_tco2e_per_year": SETTINGS_BY_KEY["max_tco2e_per_year"].plausible,
}


def magnitude_warnings(
    tables: dict[str, pd.DataFrame], settings: Settings, settings_table: pd.DataFrame | None
) -> list[Problem]:
    """Every number of the workbook outside its column's plausible range, one warning each."""
    out: list[Problem] = []
    if settings_table is not None:
        for key, row in zip(settings_table["key"], settings_table[ROW], strict=True):
            column = SETTINGS_BY_KEY.get(key)
            value = getattr(settings, key, None) if column is not None else None
            if column is not None and isinstance(value, int | float):
                message = slip_message(float(value), column.plausible)
                if message:
                    out.append(Problem("settings", int(row), "value", f"{key} = {message}"))
    for sheet in SHEETS[1:]:
        table = tables.get(sheet.name)
        if table is None or table.empty:
            continue
        units = table["demand_unit"] if sheet.name == "workloads" else [None] * len(table)
        for column in sheet.columns:
            ranges = column.plausible
            if sheet.name == "scenarios" and column.name == "value":
                ranges_of = [SCENARIO_VALUE_RANGES.get(p, MULTIPLIER) for p in table["parameter"]]
            else:
                ranges_of = [ranges] * len(table) if ranges else []
            if not ranges_of:
                continue
            for value, row, unit, rs in zip(
                table[column.name], table[ROW], units, ranges_of, strict=True
            ):
                if not isinstance(value, int | float) or math.isnan(value):
                    continue
                message = slip_message(float(value), rs, unit if column.name == "demand" else None)
                if message:
                    out.append(Problem(sheet.name, int(row), column.name, message))
    return out


def check_request_demand(workloads: pd.DataFrame, error: Report) -> None:
    """Demand in requests is for inference, with tokens_per_request, and only then is
    tokens_per_request given; when every row is right, convert such demand in place to
    mtok_per_day: requests a day x tokens_per_request / 1,000,000, exactly (rounded once)."""
    ok = True
    for row in workloads.itertuples(index=False):
        where = row.excel_row
        tokens = row.tokens_per_request
        given = not (tokens is None or math.isnan(tokens))
        in_requests = row.demand_unit in REQUESTS_PER_DAY
        if in_requests and row.kind == "training":
            error(
                "workloads",
                where,
                "demand_unit",
                f"demand in requests is for inference; a training workload's demand is in "
                f"{DEMAND_UNITS['training']}",
            )
        elif in_requests and not given:
            error(
                "workloads",
                where,
                "tokens_per_request",
                f"demand in {row.demand_unit} needs the tokens of one request (prompt and "
                "answer) here",
            )
        elif given and not in_requests and row.demand_unit is not None:
            error(
                "workloads",
                where,
                "tokens_per_request",
                f"given with demand in {row.demand_unit}, which has no requests: clear it, or "
                "give demand in requests_per_second or requests_per_minute",
            )
        else:
            continue
        ok = False
    if not ok:
        return
    for i, row in enumerate(workloads.itertuples(index=False)):
        if row.demand_unit in REQUESTS_PER_DAY:
            workloads.loc[workloads.index[i], "demand"] = mtok_per_day(
                row.demand, row.demand_unit, row.tokens_per_request
            )
            workloads.loc[workloads.index[i], "demand_unit"] = DEMAND_UNITS["inference"]


def mtok_per_day(requests: float, unit: str, tokens_per_request: float) -> float:
    """Requests a second or a minute at ``tokens_per_request``, in million tokens a day:
    computed exactly from the decimals as typed (0.1, not its nearest binary fraction) and
    rounded once."""
    exact = Fraction(repr(requests)) * REQUESTS_PER_DAY[unit] * Fraction(repr(tokens_per_request))
    return float(exact / 1_000_000)


__all__ = ["check_request_demand", "magnitude_warnings", "mtok_per_day"]
