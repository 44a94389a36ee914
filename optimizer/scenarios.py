"""What-if scenarios: the workbook's `scenarios` sheet and sweeps of a parameter, and a
plan with a scenario's overrides applied.

A scenario is a list of overrides (parameter, target, value). Applying it gives
a new Plan: absolute power prices first, then every multiplier, compounding.
Targets follow SPEC.md: a region covers its sites (even those with a price of
their own) and its edge devices; demand targets a workload or its user region;
cloud and API prices a provider or a region; power capacity a site or region;
the carbon price a region (the price of everything emitted there) or all; the
cap on emissions and the settings discount_rate, residual_value (0 none, 1
straight_line) and max_utilization the whole plan. Which ids each parameter may target
(SCENARIO_TARGETS, resolve_target) is decided here; the workbook's checks
(optimizer/checks.py) call down into it.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from dataclasses import dataclass

import pandas as pd

from optimizer.cells import shown
from optimizer.errors import InputError, Problem
from optimizer.plan import Plan
from optimizer.safety import MAX_SCENARIOS
from optimizer.schema import (
    RESIDUAL_VALUES,
    SCENARIO_PARAMETERS,
    SETTING_PARAMETERS,
    SETTINGS_BY_KEY,
)

BASE = "base"

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


# --- carbon: what a cap needs ---------------------------------------------------------------

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


@dataclass(frozen=True)
class Override:
    parameter: str
    target: str  # an id, or "*" for all
    kind: str  # "*", "region", "site", "provider" or "workload"
    value: float

    @property
    def label(self) -> str:
        """The summary column this override fills: parameter, or parameter@target."""
        return self.parameter if self.target == "*" else f"{self.parameter}@{self.target}"

    @property
    def is_price(self) -> bool:
        """True when it changes costs only: prices, the discount rate and the residual
        value reach the objective alone (no row, bound or emission of the model)."""
        return self.parameter.endswith(
            ("price_multiplier", "usd_per_kwh", "usd_per_t")
        ) or self.parameter in ("discount_rate", "residual_value")


@dataclass(frozen=True)
class Scenario:
    name: str
    overrides: tuple[Override, ...] = ()
    probability: float | None = None

    @property
    def values(self) -> dict[str, float]:
        """Summary column -> value, for each override."""
        return {o.label: o.value for o in self.overrides}

    @property
    def key(self) -> tuple[tuple[str, str, float], ...]:
        """What the scenario changes: its overrides without the multipliers of 1, which
        change nothing. Scenarios with equal keys are one scenario under several names
        (a sweep's multiplier of 1 is the base case)."""
        return tuple(
            sorted(
                (o.parameter, o.target, o.value)
                for o in self.overrides
                if not (o.parameter.endswith("multiplier") and o.value == 1)
            )
        )

    @property
    def quantities(self) -> tuple[Override, ...]:
        """The overrides that change more than costs (Override.is_price)."""
        return tuple(o for o in self.overrides if not o.is_price)

    @property
    def prices_only(self) -> bool:
        """True when only the costs change (the model's structure is the base case's)."""
        return not self.quantities


def tables_of(plan: Plan) -> dict[str, pd.DataFrame]:
    return {
        f.name: getattr(plan, f.name)
        for f in dataclasses.fields(plan)
        if isinstance(getattr(plan, f.name), pd.DataFrame)
    }


def from_sheet(plan: Plan) -> list[Scenario]:
    """The scenarios of the workbook, in the order they first appear."""
    rows = plan.scenarios
    out: dict[str, list[Override]] = {}
    probability: dict[str, float | None] = {}
    for row in rows.itertuples(index=False):
        out.setdefault(row.scenario, []).append(
            Override(row.parameter, row.target, row.target_kind, float(row.value))
        )
        p = row.probability
        probability[row.scenario] = None if p is None or math.isnan(p) else float(p)
    return [Scenario(name, tuple(o), probability[name]) for name, o in out.items()]


def parse_sweep(plan: Plan, text: str) -> list[Override]:
    """``PARAMETER[@TARGET]=START:STOP:STEP`` (inclusive) or ``=A,B,C`` -> one override a
    value. Raises InputError naming the sweep ("sweep TEXT: ...") when it does not parse or
    fit the plan."""

    def bad(message: str) -> InputError:
        return InputError([Problem(None, None, None, f"sweep {text}: {message}")])

    head, sep, values = text.partition("=")
    parameter, _, target = head.strip().partition("@")
    target = target or "*"
    if not sep or not values.strip():
        raise bad("expected PARAMETER[@TARGET]=START:STOP:STEP or =A,B,C")
    if parameter not in SCENARIO_PARAMETERS:
        raise bad(f"unknown parameter '{parameter}'; one of {', '.join(SCENARIO_PARAMETERS)}")
    kind, problem = resolve_target(tables_of(plan), parameter, target)
    if problem:
        raise bad(problem)
    try:
        if ":" in values:
            start, stop, step = (float(v) for v in values.split(":"))
            if step <= 0 or stop < start:
                raise bad("a range needs START <= STOP and STEP > 0")
            count = math.floor((stop - start) / step + 1e-9) + 1
            numbers = [round(start + i * step, 12) for i in range(count)]
        else:
            numbers = [float(v) for v in values.split(",")]
    except ValueError:
        raise bad("the values must be numbers") from None
    if any(v < 0 or not math.isfinite(v) for v in numbers):
        raise bad("the values must be finite numbers >= 0")
    if len(numbers) > 1000:
        raise bad(f"{len(numbers)} values; at most 1,000 a sweep")
    problems = [p for v in numbers if (p := value_problem(parameter, v))]
    if problems:
        raise bad(problems[0])
    return [Override(parameter, target, kind or "*", v) for v in numbers]


def from_sweeps(plan: Plan, sweeps: list[str]) -> list[Scenario]:
    """The cartesian product of several sweeps, named ``parameter=value`` (joined by
    commas)."""
    axes = [parse_sweep(plan, text) for text in sweeps]
    count = math.prod(len(axis) for axis in axes)
    if count > MAX_SCENARIOS:
        raise InputError(
            [
                Problem(
                    None,
                    None,
                    None,
                    f"sweep: {count:,} scenarios in the product; at most {MAX_SCENARIOS:,} a run",
                )
            ]
        )
    out = []
    for combo in itertools.product(*axes):
        name = ",".join(f"{o.label}={o.value:g}" for o in combo)
        out.append(Scenario(name, tuple(combo)))
    return out


def apply(plan: Plan, scenario: Scenario) -> Plan:
    """``plan`` with the scenario's overrides applied (the base case: ``plan`` itself)."""
    if not scenario.overrides:
        return plan
    settings, regions, sites = plan.settings, plan.regions.copy(), plan.sites.copy()
    cloud, apis, workloads = plan.cloud.copy(), plan.apis.copy(), plan.workloads.copy()
    price = "power_price_usd_per_kwh"
    order = sorted(scenario.overrides, key=lambda o: o.parameter != price)
    for o in order:
        if o.parameter in (price, "power_price_multiplier"):
            region_rows = _match(regions, {"region": "region"}, o)
            site_rows = _match(sites, {"region": "region", "site": "site"}, o)
            if o.parameter == price:
                regions.loc[region_rows, price] = o.value
                sites.loc[site_rows, price] = o.value
                continue
            regions.loc[region_rows, price] *= o.value
            own = site_rows & sites[price].notna()
            sites.loc[own, price] *= o.value
            if o.kind == "site":  # a site that inherits its region's price gets its own
                inherit = site_rows & sites[price].isna()
                region_price = regions.set_index("region")[price]
                sites.loc[inherit, price] = sites.loc[inherit, "region"].map(region_price) * o.value
        elif o.parameter == "cloud_price_multiplier":
            rows = _match(cloud, {"provider": "provider", "region": "region"}, o)
            cloud.loc[rows, "price_usd_per_accelerator_hour"] *= o.value
        elif o.parameter == "api_price_multiplier":
            rows = _match(apis, {"provider": "provider", "region": "region"}, o)
            apis.loc[rows, "price_usd_per_mtok"] *= o.value
        elif o.parameter == "demand_multiplier":
            rows = _match(workloads, {"workload": "workload", "region": "user_region"}, o)
            workloads.loc[rows, "demand"] *= o.value
        elif o.parameter == "power_capacity_multiplier":
            rows = _match(sites, {"site": "site", "region": "region"}, o)
            sites.loc[rows, "power_capacity_kw"] *= o.value
        elif o.parameter == "carbon_price_usd_per_t":
            regions.loc[_match(regions, {"region": "region"}, o), o.parameter] = o.value
        elif o.parameter == "max_tco2e_per_year":
            settings = dataclasses.replace(settings, max_tco2e_per_year=o.value)
        elif o.parameter == "residual_value":
            settings = dataclasses.replace(settings, residual_value=RESIDUAL_VALUES[o.value])
        elif o.parameter in ("discount_rate", "max_utilization"):
            settings = dataclasses.replace(settings, **{o.parameter: o.value})
    return dataclasses.replace(
        plan,
        settings=settings,
        regions=regions,
        sites=sites,
        cloud=cloud,
        apis=apis,
        workloads=workloads,
    )


def _match(table: pd.DataFrame, columns: dict[str, str], o: Override) -> pd.Series:
    """Rows of ``table`` an override reaches: all for '*', else those whose column for the
    target's kind holds the target (none when the table has no such column)."""
    if o.kind == "*":
        return pd.Series(True, index=table.index)
    column = columns.get(o.kind)
    if column is None:
        return pd.Series(False, index=table.index)
    return table[column] == o.target


__all__ = [
    "BASE",
    "SCENARIO_TARGETS",
    "Override",
    "Scenario",
    "apply",
    "from_sheet",
    "from_sweeps",
    "parse_sweep",
]
