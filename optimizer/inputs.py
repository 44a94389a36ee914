"""read_plan: a workbook in, a typed and cross-checked Plan out, or every problem at once.

The work happens in three passes, each adding to one list of problems:
the sheets and their headers, every cell against its column in the schema,
then the references and rules that span rows and sheets. Only when the list
is empty is a Plan built; otherwise one InputError carries all of it.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from .cells import SLOW, CellError, convert, fast_path, is_blank, shown
from .errors import InputError, Problem
from .plan import Plan, Settings, period_table
from .schema import (
    DEFAULT_KW_PER_ACCELERATOR,
    DEMAND_UNITS,
    REQUESTS_PER_DAY,
    RESIDUAL_VALUES,
    SETTING_PARAMETERS,
    SETTINGS_BY_KEY,
    SHEETS,
    SHEETS_BY_NAME,
    Column,
    Sheet,
    id_column,
)
from .workbook_checks import check_request_demand, magnitude_warnings
from .xlsx import RawSheet, UnreadableWorkbook, column_letter, read_workbook

ROW = "excel_row"  # the Excel row each record came from, kept while checking
HEADER_SEARCH_ROWS = 10


class _Findings:
    """The problems and warnings found so far."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []

    def error(self, sheet: str | None, row: int | None, column: str | None, msg: str) -> None:
        self.problems.append(Problem(sheet, row, column, msg))

    def warn(self, sheet: str | None, row: int | None, column: str | None, msg: str) -> None:
        self.warnings.append(Problem(sheet, row, column, msg))


def suggest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate a mistyped name most likely meant, if any."""
    pool = list(candidates)
    folded = name.strip().lower().replace(" ", "_")
    for c in pool:
        if c.lower() == folded:
            return c
    match = difflib.get_close_matches(folded, pool, n=1, cutoff=0.75)
    return match[0] if match else None


def read_plan(path: str | Path) -> Plan:
    """Read, validate and cross-check a workbook; raise InputError listing every problem."""
    path = Path(path)
    found = _Findings()
    try:
        raw = read_workbook(path, wanted=set(SHEETS_BY_NAME))
    except UnreadableWorkbook as exc:
        raise InputError([Problem(None, None, None, str(exc))]) from None
    sheets = _match_sheets(raw, found)
    tables: dict[str, pd.DataFrame] = {}
    for schema in SHEETS:
        if schema.name in sheets:
            table = _parse_sheet(sheets[schema.name], schema, found)
            if table is not None:
                tables[schema.name] = table
    settings_table = tables.pop("settings", None)
    settings = _settings(settings_table, found)
    for schema in SHEETS[1:]:
        tables.setdefault(schema.name, _empty(schema))
    found.warnings += magnitude_warnings(tables, settings, settings_table)
    if not found.problems:
        _check(tables, settings, sheets, found)
    if not found.problems:
        _check_carbon(tables, settings, settings_table, found)
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


def _empty(schema: Sheet) -> pd.DataFrame:
    return pd.DataFrame({c.name: pd.Series(dtype=_dtype(c)) for c in schema.columns} | {ROW: []})


def _dtype(column: Column) -> str:
    return {"number": "float64", "integer": "int64", "bool": "bool"}.get(column.type, "object")


# --- pass 1: sheets and headers ---------------------------------------------------------


def _match_sheets(raw: list[RawSheet], found: _Findings) -> dict[str, RawSheet]:
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


def _header(sheet: RawSheet, schema: Sheet, found: _Findings) -> dict[str, int] | None:
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


def _parse_sheet(sheet: RawSheet, schema: Sheet, found: _Findings) -> pd.DataFrame | None:
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
    sheet: RawSheet, schema: Sheet, by_position: dict[int, str], found: _Findings
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
    value: object, bad: str | None, column: Column, schema: Sheet, row: int, found: _Findings
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


def _settings(table: pd.DataFrame | None, found: _Findings) -> Settings:
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


# --- pass 3: references and rules across rows and sheets ---------------------------------


def _check(
    tables: dict[str, pd.DataFrame],
    settings: Settings,
    sheets: dict[str, RawSheet],
    found: _Findings,
) -> None:
    _check_keys(tables, found)
    _check_refs(tables, found)
    if found.problems:
        return
    _check_latency(tables["latency"], found)
    _check_sites(tables, found)
    _check_cloud(tables["cloud"], found)
    _check_workloads(tables, settings, sheets, found)
    _check_scenarios(tables, found)


def _check_keys(tables: dict[str, pd.DataFrame], found: _Findings) -> None:
    for schema in SHEETS[1:]:
        table = tables[schema.name]
        if not schema.key or table.empty or schema.name == "latency":
            continue
        seen: dict[tuple[object, ...], int] = {}
        for key, row in zip(
            zip(*(table[k] for k in schema.key), strict=True), table[ROW], strict=True
        ):
            if any(k is None for k in key):
                continue
            if key in seen:
                what = ", ".join(f"{k} {shown(v)}" for k, v in zip(schema.key, key, strict=True))
                found.error(
                    schema.name, row, schema.key[-1], f"duplicate {what} (first in row {seen[key]})"
                )
            else:
                seen[key] = row


def _check_refs(tables: dict[str, pd.DataFrame], found: _Findings) -> None:
    for schema in SHEETS[1:]:
        table = tables[schema.name]
        for column in schema.columns:
            if column.ref is None or table.empty:
                continue
            target = SHEETS_BY_NAME[column.ref]
            ids = set(tables[column.ref][id_column(target)])
            for value, row in zip(table[column.name], table[ROW], strict=True):
                if value is None or value in ids:
                    continue
                near = suggest(value, ids)
                hint = f" (did you mean '{near}'?)" if near else ""
                found.error(
                    schema.name,
                    row,
                    column.name,
                    f"{shown(value)} is not {_a(id_column(target))} of sheet '{column.ref}'{hint}",
                )


def _check_latency(lat: pd.DataFrame, found: _Findings) -> None:
    seen: dict[tuple[str, str], tuple[int, float]] = {}
    for a, b, ms, row in zip(
        lat["from_region"], lat["to_region"], lat["rtt_ms"], lat[ROW], strict=True
    ):
        if a == b:
            found.warn(
                "latency",
                row,
                "to_region",
                "a region with itself is ignored: within a "
                "region the round trip is the setting intra_region_rtt_ms",
            )
            continue
        if (a, b) in seen:
            found.error(
                "latency",
                row,
                "to_region",
                f"duplicate pair {a} - {b} (first in row {seen[(a, b)][0]})",
            )
        elif (b, a) in seen:
            first, other = seen[(b, a)]
            if other != ms:
                found.error(
                    "latency",
                    row,
                    "rtt_ms",
                    f"{b} - {a} is {other:g} ms in row {first} "
                    f"but {a} - {b} is {ms:g} ms here; one direction is enough",
                )
        else:
            seen[(a, b)] = (row, ms)


def _check_sites(tables: dict[str, pd.DataFrame], found: _Findings) -> None:
    sites = tables["sites"].set_index("site", drop=False)
    hardware = tables["hardware"].set_index("rack_type", drop=False)
    for row in sites.itertuples(index=False):
        if row.existing and row.build_cost_usd:
            found.warn(
                "sites",
                row.excel_row,
                "build_cost_usd",
                "an existing site has no build cost; the figure is ignored",
            )
    for row in tables["installed"].itertuples(index=False):
        where = row.excel_row
        site = sites.loc[row.site]
        rack = hardware.loc[row.rack_type]
        if not site["existing"] and row.racks > 0:
            found.error(
                "installed",
                where,
                "site",
                f"site '{row.site}' is not existing "
                "(sheet 'sites', column 'existing'): racks can be installed only at "
                "existing sites",
            )
        if rack["cooling"] == "air" and rack["it_power_kw"] > site["max_air_rack_kw"]:
            found.error(
                "installed",
                where,
                "rack_type",
                f"'{row.rack_type}' is an air-cooled "
                f"rack of {rack['it_power_kw']:g} kW, denser than site '{row.site}' "
                f"takes (max_air_rack_kw {site['max_air_rack_kw']:g})",
            )


def _check_cloud(cloud: pd.DataFrame, found: _Findings) -> None:
    for row in cloud.itertuples(index=False):
        where = row.excel_row
        term = row.term_years
        if row.pricing == "reserved" and (term is None or math.isnan(term)):
            found.error("cloud", where, "term_years", "a reserved offer needs its term in years")
        if row.pricing != "reserved" and term is not None and not math.isnan(term):
            found.warn(
                "cloud",
                where,
                "term_years",
                f"only reserved offers have a term; ignored for {_a(row.pricing)} offer",
            )


def _check_workloads(
    tables: dict[str, pd.DataFrame],
    settings: Settings,
    sheets: dict[str, RawSheet],
    found: _Findings,
) -> None:
    w = tables["workloads"]
    last = settings.n_periods - 1
    inference = w["kind"] == "inference"
    perf_models = set(tables["performance"]["model"])
    api_models = set(tables["apis"]["model"])
    trainable = tables["accelerators"]["training_speed"].notna().any()
    if inference.any() and "performance" not in sheets:
        found.error(
            None,
            None,
            None,
            "the sheet 'performance' is required when a workload is an "
            "inference workload (one row per accelerator and model)",
        )
    for row in w.itertuples(index=False):
        where = row.excel_row
        if (
            row.kind
            and row.demand_unit
            and DEMAND_UNITS[row.kind] != row.demand_unit
            and row.demand_unit not in REQUESTS_PER_DAY
        ):
            found.error(
                "workloads",
                where,
                "demand_unit",
                f"{_a(row.kind)} workload's demand is in {DEMAND_UNITS[row.kind]}, "
                f"got '{row.demand_unit}'",
            )
        if row.kind == "inference":
            if row.model is None:
                found.error("workloads", where, "model", "an inference workload needs its model")
            elif row.model not in perf_models and row.model not in api_models:
                found.error(
                    "workloads",
                    where,
                    "model",
                    f"no accelerator in sheet 'performance' "
                    f"and no API in sheet 'apis' serves model '{row.model}'",
                )
        elif row.kind == "training" and not trainable:
            found.error(
                "workloads",
                where,
                "kind",
                "no accelerator can train (sheet "
                "'accelerators', column 'training_speed' is blank everywhere)",
            )
        start = 0 if row.start_period is None else row.start_period
        end = max(last, start) if row.end_period is None else row.end_period
        if end < start:
            found.error(
                "workloads",
                where,
                "end_period",
                f"ends (period {end}) before it starts (period {start})",
            )
        elif start > last:
            found.warn(
                "workloads",
                where,
                "start_period",
                f"starts after the horizon's last period ({last}); it has no demand in the plan",
            )
    check_request_demand(w, found.error)
    w["interruptible"] = [
        (kind == "training") if flag is None else flag
        for kind, flag in zip(w["kind"], w["interruptible"], strict=True)
    ]
    w["start_period"] = [0 if s is None else s for s in w["start_period"]]
    w["end_period"] = [last if e is None else e for e in w["end_period"]]
    for name in ("interruptible",):
        w[name] = w[name].astype(bool)
    for name in ("start_period", "end_period"):
        w[name] = w[name].astype("int64")


# Which kinds of id each scenario parameter may target.
SCENARIO_TARGETS: dict[str, tuple[str, ...]] = {
    "power_price_multiplier": ("region", "site"),
    "power_price_usd_per_kwh": ("region", "site"),
    "cloud_price_multiplier": ("provider", "region"),
    "api_price_multiplier": ("provider", "region"),
    "demand_multiplier": ("workload", "region"),
    "power_capacity_multiplier": ("site", "region"),
    "carbon_price_usd_per_t": ("region",),
    "max_tco2e_per_year": (),  # the whole plan: * only
    **dict.fromkeys(SETTING_PARAMETERS, ()),
}


def value_problem(parameter: str, value: float) -> str | None:
    """Why a scenario value cannot be used for a setting parameter (the setting's own
    range, from the schema), or None."""
    if parameter == "residual_value":
        return (
            None
            if value in RESIDUAL_VALUES
            else "residual_value takes 0 (none) or 1 (straight_line)"
        )
    if parameter not in SETTING_PARAMETERS:
        return None
    column = SETTINGS_BY_KEY[parameter]
    low, high = column.minimum or 0.0, column.maximum
    if (
        value < low
        or (column.exclusive_minimum and value <= low)
        or (high is not None and value > high)
    ):
        return f"{parameter} {value:g} is out of range: {column.expectation()}"
    return None


def _target_kinds(tables: dict[str, pd.DataFrame], parameter: str) -> dict[str, set[str]]:
    """For one parameter: kind of target -> the ids of that kind it may name."""
    site_regions = set(tables["sites"]["region"])
    if parameter.startswith("cloud"):
        providers, regions = set(tables["cloud"]["provider"]), set(tables["cloud"]["region"])
    elif parameter.startswith("api"):
        providers, regions = set(tables["apis"]["provider"]), set(tables["apis"]["region"])
    elif parameter == "demand_multiplier":
        providers, regions = set(), set(tables["workloads"]["user_region"])
    elif parameter == "power_capacity_multiplier":
        providers, regions = set(), site_regions
    elif parameter == "carbon_price_usd_per_t":
        providers, regions = set(), set(tables["regions"]["region"])
    else:  # power prices reach a region's sites and the edge devices of its workloads
        providers = set()
        edge_regions = (
            set(tables["workloads"]["user_region"]) if not tables["edge"].empty else set()
        )
        regions = site_regions | edge_regions
    pools = {
        "region": regions,
        "site": set(tables["sites"]["site"]),
        "provider": providers,
        "workload": set(tables["workloads"]["workload"]),
    }
    return {kind: pools[kind] for kind in SCENARIO_TARGETS[parameter]}


def resolve_target(
    tables: dict[str, pd.DataFrame], parameter: str, target: str
) -> tuple[str | None, str | None]:
    """The kind of id a scenario target names ('*', region, site, provider, workload), or
    None and why it cannot be used with the parameter."""
    if parameter == "max_tco2e_per_year" and not has_emission_figures(tables):
        return None, CAP_WITHOUT_FIGURES
    if target == "*":
        return "*", None
    if not SCENARIO_TARGETS[parameter]:
        return None, f"{parameter} applies to the whole plan: type * as the target"
    matches = [k for k, ids in _target_kinds(tables, parameter).items() if target in ids]
    if not matches:
        allowed = " or ".join(SCENARIO_TARGETS[parameter])
        return None, (
            f"{shown(target)} matches no {allowed} that {parameter} can apply to "
            "(or type * for all)"
        )
    if len(matches) > 1:
        return None, f"{shown(target)} is both a {' and a '.join(matches)}; rename one of them"
    return matches[0], None


# --- carbon ---------------------------------------------------------------------------------

# Where the workbook states emissions: (sheet, column).
EMISSION_FIGURES = (
    ("regions", "carbon_kg_per_kwh"),
    ("sites", "carbon_kg_per_kwh"),
    ("apis", "kg_co2e_per_mtok"),
    ("hardware", "embodied_kg_co2e"),
    ("edge", "embodied_kg_co2e"),
)
CAP_WITHOUT_FIGURES = (
    "a cap on emissions needs emission figures, and the workbook has none: fill "
    + ", ".join(f"'{column}' in sheet '{sheet}'" for sheet, column in EMISSION_FIGURES)
)


def has_emission_figures(tables: dict[str, pd.DataFrame]) -> bool:
    """True when some cell of the workbook states emissions (cloud offers count only through
    their region's intensity)."""
    return any(tables[sheet][column].notna().any() for sheet, column in EMISSION_FIGURES)


def _check_carbon(
    tables: dict[str, pd.DataFrame],
    settings: Settings,
    settings_table: pd.DataFrame | None,
    found: _Findings,
) -> None:
    """A cap needs figures to bound; a plan that reports emissions names the options whose
    energy or tokens it cannot count (warnings). Embodied figures are an optional extra:
    a blank one is not warned about."""
    figures = has_emission_figures(tables)
    if not figures:
        if settings_table is not None:
            rows = {
                k: int(r) for k, r in zip(settings_table["key"], settings_table[ROW], strict=True)
            }
            if settings.max_tco2e_per_year is not None:
                found.error("settings", rows["max_tco2e_per_year"], "value", CAP_WITHOUT_FIGURES)
            if settings.carbon_price_usd_per_t:
                found.warn(
                    "settings",
                    rows["carbon_price_usd_per_t"],
                    "value",
                    "the carbon price changes nothing: the workbook has no emission figures",
                )
        return
    intensity = tables["regions"].set_index("region")["carbon_kg_per_kwh"].notna()
    apis = tables["apis"]
    for row in apis.loc[apis["kg_co2e_per_mtok"].isna(), ROW]:
        found.warn(
            "apis",
            int(row),
            "kg_co2e_per_mtok",
            "blank: the tokens the API serves are not counted in the emissions",
        )
    for row in tables["sites"].itertuples(index=False):
        if not intensity[row.region] and math.isnan(row.carbon_kg_per_kwh):
            found.warn(
                "sites",
                row.excel_row,
                "carbon_kg_per_kwh",
                f"blank here and for region '{row.region}': the site's energy is not counted "
                "in the emissions",
            )
    for row in tables["cloud"].itertuples(index=False):
        if not intensity[row.region]:
            found.warn(
                "cloud",
                row.excel_row,
                "region",
                f"region '{row.region}' has no carbon_kg_per_kwh: the offer's use is not "
                "counted in the emissions",
            )
        elif math.isnan(row.kw_per_accelerator) and row.accelerator not in (
            DEFAULT_KW_PER_ACCELERATOR
        ):
            found.warn(
                "cloud",
                row.excel_row,
                "kw_per_accelerator",
                f"blank, and accelerator '{row.accelerator}' has no default: the offer's use is "
                "not counted in the emissions",
            )


def _check_scenarios(tables: dict[str, pd.DataFrame], found: _Findings) -> None:
    s = tables["scenarios"]
    if s.empty:
        s["target_kind"] = pd.Series(dtype="object")
        return
    kinds: list[str | None] = []
    probability: dict[str, tuple[float | None, int]] = {}
    for row in s.itertuples(index=False):
        where = row.excel_row
        if row.scenario.strip().lower() == "base":
            found.error(
                "scenarios",
                where,
                "scenario",
                "'base' is the workbook without overrides; give the scenario another name",
            )
        p = None if row.probability is None or math.isnan(row.probability) else row.probability
        if row.scenario in probability and probability[row.scenario][0] != p:
            first_p, first_row = probability[row.scenario]
            found.error(
                "scenarios",
                where,
                "probability",
                f"scenario '{row.scenario}' has "
                f"probability {_p(first_p)} in row {first_row} but {_p(p)} here",
            )
        probability.setdefault(row.scenario, (p, where))
        kind, problem = resolve_target(tables, row.parameter, row.target)
        if problem:
            found.error("scenarios", where, "target", problem)
        if problem := value_problem(row.parameter, row.value):
            found.error("scenarios", where, "value", problem)
        kinds.append(kind)
    s["target_kind"] = kinds
    given = {name: p for name, (p, _) in probability.items()}
    if any(p is not None for p in given.values()):
        blank = [name for name, p in given.items() if p is None]
        if blank:
            found.error(
                "scenarios",
                None,
                "probability",
                "probabilities are given for some "
                f"scenarios but not for {', '.join(blank)}; give them for all or none",
            )
        else:
            total = sum(p for p in given.values() if p is not None)
            if abs(total - 1.0) > 1e-6:
                found.error(
                    "scenarios",
                    None,
                    "probability",
                    f"the scenarios' probabilities sum to {total:g}; they must sum to 1",
                )


def _a(noun: str) -> str:
    return ("an " if noun[:1] in "aeiou" else "a ") + noun


def _p(p: float | None) -> str:
    return "blank" if p is None else f"{p:g}"


__all__ = [
    "SCENARIO_TARGETS",
    "InputError",
    "has_emission_figures",
    "read_plan",
    "resolve_target",
    "suggest",
]
