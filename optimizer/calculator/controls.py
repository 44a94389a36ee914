"""What the calculator's page may change, and a request from it checked and made a scenario.

A request is what-if overrides (the parameters of docs/whatif.md, each with a target
from the plan's own ids) and the settings that decide buy against rent
(``discount_rate``, ``residual_value``, ``max_utilization``). Every problem is
reported by the form field it comes from (``overrides.2.value``, ``settings.discount_rate``)
so the page can show it beside its control; nothing is solved then.

Settings are carried as overrides with target ``*`` too: they are scenario parameters
(optimizer.schema.SETTING_PARAMETERS; residual_value 0 none, 1 straight_line) and go
through optimizer.scenarios.apply like any other.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from optimizer.inputs import SCENARIO_TARGETS, resolve_target
from optimizer.plan import Plan
from optimizer.scenarios import Override, Scenario, apply, tables_of
from optimizer.schema import SCENARIO_PARAMETERS, SETTINGS_BY_KEY

MAX_MULTIPLIER = 100.0  # a page control's range: 1e12 is a typing slip, not a scenario
MAX_OVERRIDES = 50
SETTINGS = ("discount_rate", "residual_value", "max_utilization")
RESIDUAL = ("none", "straight_line")  # residual_value as a number: its index here

# parameter -> (label, unit, largest value)
PARAMETERS: dict[str, tuple[str, str, float]] = {
    "power_price_usd_per_kwh": ("Power price", "USD/kWh", 10.0),
    "power_price_multiplier": ("Power price ×", "ratio", MAX_MULTIPLIER),
    "cloud_price_multiplier": ("Cloud prices ×", "ratio", MAX_MULTIPLIER),
    "api_price_multiplier": ("Token API prices ×", "ratio", MAX_MULTIPLIER),
    "demand_multiplier": ("Demand ×", "ratio", MAX_MULTIPLIER),
    "power_capacity_multiplier": ("Site power capacity ×", "ratio", MAX_MULTIPLIER),
    "carbon_price_usd_per_t": ("Carbon price", "USD/t CO2e", 10_000.0),
    "max_tco2e_per_year": ("Emissions cap", "t CO2e a year", 1e9),
}


class BadRequest(Exception):
    """What is wrong with a request: (form field, message) pairs, all of them."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in problems))
        self.problems = problems


@dataclass(frozen=True)
class Request:
    """A checked request: the overrides, settings last, in a stable order."""

    overrides: tuple[Override, ...] = ()

    @property
    def scenario(self) -> Scenario:
        """The overrides as one scenario, named the way ``--sweep`` names a product."""
        name = ",".join(f"{o.label}={o.value:g}" for o in self.overrides) or "base"
        return Scenario(name, self.overrides)

    @property
    def key(self) -> tuple[object, ...]:
        return self.scenario.key


def controls(plan: Plan) -> dict[str, Any]:
    """Everything the page needs to draw its controls: each parameter with its unit,
    range and targets (the plan's ids by kind), and each setting's current value."""
    tables = tables_of(plan)
    parameters = []
    for name, (label, unit, top) in PARAMETERS.items():
        if name not in SCENARIO_PARAMETERS:
            continue
        kind, _ = resolve_target(tables, name, "*")
        if kind is None:  # e.g. a cap on emissions in a workbook without emission figures
            continue
        targets = [
            {"id": target, "kind": kind}
            for kind, ids in _kinds(tables, name).items()
            for target in ids
        ]
        parameters.append(
            {
                "parameter": name,
                "label": label,
                "unit": unit,
                "max": top,
                "neutral": 1.0 if name.endswith("multiplier") else None,
                "targets": targets,
            }
        )
    s = plan.settings
    settings = {
        "discount_rate": {"value": s.discount_rate, "min": 0.0, "max": 1.0},
        "max_utilization": {"value": s.max_utilization, "min": 0.0, "max": 1.0},
        "residual_value": {"value": s.residual_value, "choices": list(RESIDUAL)},
    }
    return {"parameters": parameters, "settings": settings}


def _kinds(tables: dict[str, Any], parameter: str) -> dict[str, list[str]]:
    """The ids of each kind that ``parameter`` may target, in the workbook's order."""
    out: dict[str, list[str]] = {}
    candidates = {
        "region": list(tables["regions"]["region"]),
        "site": list(tables["sites"]["site"]),
        "provider": list(tables["cloud"]["provider"]) + list(tables["apis"]["provider"]),
        "workload": list(tables["workloads"]["workload"]),
    }
    for kind in SCENARIO_TARGETS.get(parameter, ()):
        for target in dict.fromkeys(str(t) for t in candidates[kind]):
            if resolve_target(tables, parameter, target)[0] == kind:
                out.setdefault(kind, []).append(target)
    return out


def parse(plan: Plan, payload: object) -> Request:
    """The page's JSON (``{"overrides": [{"parameter", "target", "value"}], "settings":
    {...}}``) checked against the plan; BadRequest naming every field that is wrong."""
    if not isinstance(payload, dict):
        raise BadRequest([("request", "expected a JSON object")])
    problems: list[tuple[str, str]] = []
    overrides = payload.get("overrides", [])
    if not isinstance(overrides, list) or len(overrides) > MAX_OVERRIDES:
        raise BadRequest([("overrides", f"expected a list of at most {MAX_OVERRIDES} overrides")])
    tables = tables_of(plan)
    chosen: list[Override] = []
    for i, row in enumerate(overrides):
        field = f"overrides.{i}"
        if not isinstance(row, dict):
            problems.append((field, "expected an object with parameter, target and value"))
            continue
        parameter, target = row.get("parameter"), row.get("target", "*")
        if parameter not in PARAMETERS or parameter not in SCENARIO_PARAMETERS:
            problems.append((f"{field}.parameter", f"unknown parameter {str(parameter)[:60]!r}"))
            continue
        if not isinstance(target, str):
            problems.append((f"{field}.target", "the target must be an id or *"))
            continue
        kind, why = resolve_target(tables, parameter, target)
        if kind is None:
            problems.append((f"{field}.target", why or "unknown target"))
            continue
        value, why = _number(row.get("value"), 0.0, PARAMETERS[parameter][2])
        if why:
            problems.append((f"{field}.value", why))
            continue
        chosen.append(Override(parameter, target, kind, value))
    settings = payload.get("settings", {})
    if not isinstance(settings, dict):
        problems.append(("settings", "expected an object"))
        settings = {}
    for name, value in settings.items():
        override, why = _setting(plan, str(name), value)
        if why:
            problems.append((f"settings.{str(name)[:40]}", why))
        elif override is not None:
            chosen.append(override)
    if problems:
        raise BadRequest(problems)
    return Request(tuple(chosen))


def _number(value: object, low: float, high: float, low_open: bool = False) -> tuple[float, str]:
    """``value`` as a finite number within [low, high] (or (low, high]), else why not."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return 0.0, "expected a number"
    try:
        number = float(value)
    except ValueError:
        return 0.0, "expected a number"
    if not math.isfinite(number):
        return 0.0, "expected a finite number"
    if number < low or (low_open and number == low):
        return 0.0, f"must be {'more than' if low_open else 'at least'} {low:g}"
    if number > high:
        return 0.0, f"must be at most {high:g}"
    return number, ""


def _setting(plan: Plan, name: str, value: object) -> tuple[Override | None, str]:
    """One setting as an override (None when it keeps the workbook's value)."""
    if name not in SETTINGS:
        return None, f"not a setting the calculator changes; one of {', '.join(SETTINGS)}"
    if name == "residual_value":
        if value not in RESIDUAL:
            return None, f"one of {', '.join(RESIDUAL)}"
        number = float(RESIDUAL.index(str(value)))
    else:
        column = SETTINGS_BY_KEY[name]
        top = column.maximum if column.maximum is not None else 1.0
        number, why = _number(value, 0.0, top, low_open=name == "max_utilization")
        if why:
            return None, why
    if getattr(plan.settings, name) == _setting_value(name, number):
        return None, ""
    return Override(name, "*", "*", number), ""


def _setting_value(name: str, number: float) -> object:
    return RESIDUAL[int(number)] if name == "residual_value" else number


def applied(plan: Plan, request: Request) -> Plan:
    """The plan as the request makes it: its overrides (settings among them) applied."""
    return apply(plan, request.scenario)
