"""Pass 3 of read_plan: the references and rules that span rows and sheets (keys,
references, latency, sites, cloud, workloads, carbon, scenarios)."""

from __future__ import annotations

import math

import pandas as pd

from .cells import shown
from .errors import Findings
from .plan import Settings
from .scenarios import CAP_WITHOUT_FIGURES, has_emission_figures, resolve_target, value_problem
from .schema import (
    DEFAULT_KW_PER_ACCELERATOR,
    DEMAND_UNITS,
    REQUESTS_PER_DAY,
    SHEETS,
    SHEETS_BY_NAME,
    id_column,
)
from .sheets import ROW, suggest
from .workbook_checks import check_request_demand
from .xlsx import RawSheet


def check(
    tables: dict[str, pd.DataFrame],
    settings: Settings,
    sheets: dict[str, RawSheet],
    found: Findings,
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


def _check_keys(tables: dict[str, pd.DataFrame], found: Findings) -> None:
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


def _check_refs(tables: dict[str, pd.DataFrame], found: Findings) -> None:
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


def _check_latency(lat: pd.DataFrame, found: Findings) -> None:
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


def _check_sites(tables: dict[str, pd.DataFrame], found: Findings) -> None:
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


def _check_cloud(cloud: pd.DataFrame, found: Findings) -> None:
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
    found: Findings,
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


# --- carbon ---------------------------------------------------------------------------------


def check_carbon(
    tables: dict[str, pd.DataFrame],
    settings: Settings,
    settings_table: pd.DataFrame | None,
    found: Findings,
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


def _check_scenarios(tables: dict[str, pd.DataFrame], found: Findings) -> None:
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
