"""What-if scenarios: the workbook's `scenarios` sheet and `--sweep` options, and a plan
with a scenario's overrides applied.

A scenario is a list of overrides (parameter, target, value). Applying it gives
a new Plan: absolute power prices first, then every multiplier, compounding.
Targets follow SPEC.md: a region covers its sites (even those with a price of
their own) and its edge devices; demand targets a workload or its user region;
cloud and API prices a provider or a region; power capacity a site or region;
the carbon price a region (the price of everything emitted there) or all; the
cap on emissions and the settings discount_rate, residual_value (0 none, 1
straight_line) and max_utilization the whole plan.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from dataclasses import dataclass

import pandas as pd

from optimizer.errors import InputError, Problem
from optimizer.inputs import SCENARIO_TARGETS, resolve_target, value_problem
from optimizer.plan import Plan
from optimizer.safety import MAX_SCENARIOS
from optimizer.schema import RESIDUAL_VALUES, SCENARIO_PARAMETERS

BASE = "base"


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
    def prices_only(self) -> bool:
        """True when only the costs change (the model's structure is the base case's):
        prices, the discount rate and the residual value reach the objective alone."""
        return all(
            o.parameter.endswith(("price_multiplier", "usd_per_kwh", "usd_per_t"))
            or o.parameter in ("discount_rate", "residual_value")
            for o in self.overrides
        )


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
    value. Raises InputError naming the option when it does not parse or fit the plan."""

    def bad(message: str) -> InputError:
        return InputError([Problem(None, None, None, f"--sweep {text}: {message}")])

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
    """The cartesian product of several --sweep options, named ``parameter=value`` (joined
    by commas)."""
    axes = [parse_sweep(plan, text) for text in sweeps]
    count = math.prod(len(axis) for axis in axes)
    if count > MAX_SCENARIOS:
        raise InputError(
            [
                Problem(
                    None,
                    None,
                    None,
                    f"--sweep: {count:,} scenarios in the product; at most {MAX_SCENARIOS:,} a run",
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
