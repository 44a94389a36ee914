"""What-if runs: scenario overrides, --sweep, break-even, regret, Dask, the command line.

Every expected figure is derived by hand in the comments from SPEC.md ("scenarios",
"Scenario targets" under Conventions, "The command line", "The outputs"), never copied
from a run of the tool.

The solve tests share one tiny plan, ``BREAK_EVEN``: one year in one period,
max_utilization 1, one training workload of 730 H100-hours a month (one H100 busy all
year: 8,760 accelerator-hours), one existing site ``dc`` (PUE 1) that may buy racks of
type ``r1`` (one H100, 10 kW at full power whatever the load, 4,380 USD), and one
on-demand cloud offer ``od`` at 2 USD an accelerator-hour. Power costs 0.1 USD/kWh × m
(m the power price multiplier):

- on-prem: one rack, 4,380 + 10 kW × 8,760 h × 0.1 × m = 4,380 + 8,760 m USD;
- cloud: 8,760 ah × 2 = 17,520 USD, whatever the power price;
- they cost the same at 4,380 + 8,760 m = 17,520, m = 13,140 / 8,760 = 1.5
  (0.15 USD/kWh).
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import logging
import math
import os
import signal
import threading
import time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import Sheets, write_book

from optimizer import read_plan
from optimizer.cli import Exit, main
from optimizer.compare import WhatIf
from optimizer.errors import InputError
from optimizer.models import build_data
from optimizer.plan import Plan
from optimizer.scenarios import BASE, Scenario, apply, from_sheet, from_sweeps, parse_sweep
from optimizer.solve import SolverOptions
from optimizer.status import Status
from optimizer.whatif import run_scenarios

TPS_ONE = 1e6 / 3600  # tokens/s: one accelerator-hour per million tokens
OPTIONS = SolverOptions(mip_gap=0.0, time_limit_s=60.0)
approx = pytest.approx


# --- building workbooks -------------------------------------------------------------------


def rows(*records: dict[str, object]) -> list[list[object]]:
    """A sheet (header first) from records; a key missing from a record is a blank cell."""
    header: list[str] = []
    for record in records:
        header += [k for k in record if k not in header]
    return [header] + [[record.get(k) for k in header] for record in records]


def overrides(*items: tuple[str, str, str, float]) -> list[list[object]]:
    """A scenarios sheet from (scenario, parameter, target, value) tuples, in that order."""
    return [["scenario", "parameter", "target", "value"], *(list(i) for i in items)]


def as_text(path: Path, sheet: str, cell: str, text: str) -> None:
    """Make a cell hold ``text`` as a text cell (openpyxl would write '=...' as a formula)."""
    book = openpyxl.load_workbook(path)
    c = book[sheet][cell]
    c.value = text
    c.data_type = "s"
    book.save(path)


CAPEX = 4380.0  # USD a rack
RACK_KW = 10.0
PRICE = 0.1  # USD/kWh, the region's
CLOUD = 2.0  # USD an accelerator-hour
YEAR_H = 8760.0
M_STAR = 1.5  # the break-even power price multiplier (module docstring)


def onprem(m: float) -> float:
    """Cost of one rack for the year at power price multiplier m."""
    return CAPEX + RACK_KW * YEAR_H * PRICE * m


ALL_CLOUD = YEAR_H * CLOUD  # 17,520


def break_even_sheets(scenarios: list[list[object]] | None = None) -> Sheets:
    sheets: Sheets = {
        "settings": [
            ["key", "value"],
            ["horizon_years", 1],
            ["period", "year"],
            ["max_utilization", 1],
        ],
        "regions": rows({"region": "home", "jurisdiction": "EU", "power_price_usd_per_kwh": PRICE}),
        "accelerators": [["accelerator", "training_speed"], ["H100", 1]],
        "sites": rows(
            {
                "site": "dc",
                "region": "home",
                "power_capacity_kw": 1000,
                "cooling_air_kw": 1000,
                "rack_slots": 10,
                "pue": 1,
                "existing": "yes",
            }
        ),
        "hardware": rows(
            {
                "rack_type": "r1",
                "accelerator": "H100",
                "accelerators_per_rack": 1,
                "it_power_kw": RACK_KW,
                "cooling": "air",
                "capex_usd": CAPEX,
            }
        ),
        "cloud": rows(
            {
                "offer": "od",
                "provider": "cloudco",
                "region": "home",
                "accelerator": "H100",
                "pricing": "on_demand",
                "price_usd_per_accelerator_hour": CLOUD,
            }
        ),
        "workloads": rows(
            {
                "workload": "train",
                "kind": "training",
                "user_region": "home",
                "demand": 730,
                "demand_unit": "h100_hours_per_month",
            }
        ),
    }
    if scenarios:
        sheets["scenarios"] = scenarios
    return sheets


# Three scenarios for regret (base included):
# - base: 0.1 USD/kWh: one rack, 4,380 + 8,760 = 13,140 < 17,520;
# - cheap: 0.05 USD/kWh everywhere: one rack, 4,380 + 4,380 = 8,760;
# - dear: power × 3 = 0.3 USD/kWh: a rack would cost 4,380 + 26,280 = 30,660, so cloud,
#   17,520.
OPTIMUM = {"base": 13140.0, "cheap": 8760.0, "dear": 17520.0}
REGRET_SHEET = overrides(
    ("cheap", "power_price_usd_per_kwh", "*", 0.05),
    ("dear", "power_price_multiplier", "*", 3),
)


@pytest.fixture(scope="module")
def module_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("scenarios")


# --- 1. apply(): which rows each override reaches ----------------------------------------

# Regions north (0.10 USD/kWh) and south (0.20). Sites: no-oslo in north with its own
# price 0.05, inh in north and s2 in south inheriting their region's. Cloud offers aws-n
# (aws, north, 4 USD/ah), aws-s (aws, south, 3), gcp-n (gcp, north, 5). APIs tok-n
# (tokenco, north, 2 USD/mtok), tok-s (tokenco, south, 1), oth-n (other, north, 3).
# Workloads a (north, 10 mtok/day), b (north, 20), c (south, 30). Power capacity
# no-oslo 100 kW, inh 200, s2 300; air cooling 1,000 kW each.


def targets_sheets(scenarios: list[list[object]]) -> Sheets:
    def site(name: str, region: str, kw: float, price: float | None = None) -> dict:
        return {
            "site": name,
            "region": region,
            "power_capacity_kw": kw,
            "cooling_air_kw": 1000,
            "rack_slots": 10,
            "pue": 1,
            "existing": "yes",
            "power_price_usd_per_kwh": price,
        }

    def cloud(name: str, provider: str, region: str, price: float) -> dict:
        return {
            "offer": name,
            "provider": provider,
            "region": region,
            "accelerator": "H100",
            "pricing": "on_demand",
            "price_usd_per_accelerator_hour": price,
        }

    def api(name: str, provider: str, region: str, price: float) -> dict:
        return {
            "api": name,
            "provider": provider,
            "region": region,
            "model": "llm",
            "price_usd_per_mtok": price,
            "retains_data": "no",
        }

    def workload(name: str, region: str, demand: float) -> dict:
        return {
            "workload": name,
            "kind": "inference",
            "model": "llm",
            "user_region": region,
            "demand": demand,
            "demand_unit": "mtok_per_day",
            "allow_edge": "yes",
        }

    return {
        "settings": [["key", "value"], ["horizon_years", 1], ["period", "year"]],
        "regions": rows(
            {"region": "north", "jurisdiction": "NO", "power_price_usd_per_kwh": 0.10},
            {"region": "south", "jurisdiction": "NO", "power_price_usd_per_kwh": 0.20},
        ),
        "latency": rows({"from_region": "north", "to_region": "south", "rtt_ms": 10}),
        "sites": rows(
            site("no-oslo", "north", 100, 0.05), site("inh", "north", 200), site("s2", "south", 300)
        ),
        "accelerators": [["accelerator", "training_speed"], ["H100", 1]],
        "performance": [["accelerator", "model", "tokens_per_second"], ["H100", "llm", TPS_ONE]],
        "hardware": rows(
            {
                "rack_type": "r1",
                "accelerator": "H100",
                "accelerators_per_rack": 1,
                "it_power_kw": 10,
                "cooling": "air",
                "capex_usd": 1000,
            }
        ),
        "cloud": rows(
            cloud("aws-n", "aws", "north", 4.0),
            cloud("aws-s", "aws", "south", 3.0),
            cloud("gcp-n", "gcp", "north", 5.0),
        ),
        "apis": rows(
            api("tok-n", "tokenco", "north", 2.0),
            api("tok-s", "tokenco", "south", 1.0),
            api("oth-n", "other", "north", 3.0),
        ),
        "edge": rows(
            {
                "device": "box",
                "accelerator": "H100",
                "accelerators_per_device": 1,
                "capex_usd": 1000,
                "power_kw": 1,
            }
        ),
        "workloads": rows(
            workload("a", "north", 10), workload("b", "north", 20), workload("c", "south", 30)
        ),
        "scenarios": scenarios,
    }


BASE_VALUES: dict[str, dict[str, float]] = {
    # the price each region's edge devices pay, and each site's price (own or inherited)
    "region_price": {"north": 0.10, "south": 0.20},
    "site_price": {"no-oslo": 0.05, "inh": 0.10, "s2": 0.20},
    "cloud": {"aws-n": 4.0, "aws-s": 3.0, "gcp-n": 5.0},
    "apis": {"tok-n": 2.0, "tok-s": 1.0, "oth-n": 3.0},
    "demand": {"a": 10.0, "b": 20.0, "c": 30.0},
    "capacity": {"no-oslo": 100.0, "inh": 200.0, "s2": 300.0},
}

# scenario -> (its rows in the sheet, in that order; the values that change from the base)
APPLY_CASES: dict[str, tuple[list[tuple[str, str, float]], dict[str, dict[str, float]]]] = {
    # the multiplier row comes first, yet the absolute price applies first: 0.5 × 2 = 1.0
    # for the region, for no-oslo despite its own price, and for inh through the region
    "abs-then-mult": (
        [("power_price_multiplier", "north", 2), ("power_price_usd_per_kwh", "north", 0.5)],
        {
            "region_price": {"north": 1.0},
            "site_price": {"no-oslo": 1.0, "inh": 1.0},
        },
    ),
    # a region covers its sites even with their own price: 0.05 × 3, 0.10 × 3
    "region-mult": (
        [("power_price_multiplier", "north", 3)],
        {"region_price": {"north": 0.3}, "site_price": {"no-oslo": 0.15, "inh": 0.3}},
    ),
    # a site that inherits: only it changes, 0.10 × 3; the region (its edge devices and
    # no-oslo) keeps 0.10
    "site-inherits": ([("power_price_multiplier", "inh", 3)], {"site_price": {"inh": 0.3}}),
    "site-absolute": ([("power_price_usd_per_kwh", "inh", 0.7)], {"site_price": {"inh": 0.7}}),
    # absolute on the region first (0.5 for north and its sites), then inh × 3 = 1.5
    "site-mult-after-region-abs": (
        [("power_price_multiplier", "inh", 3), ("power_price_usd_per_kwh", "north", 0.5)],
        {"region_price": {"north": 0.5}, "site_price": {"no-oslo": 0.5, "inh": 1.5}},
    ),
    # absolute 0.3 everywhere first, then no-oslo × 2 = 0.6
    "all-abs-site-mult": (
        [("power_price_multiplier", "no-oslo", 2), ("power_price_usd_per_kwh", "*", 0.3)],
        {
            "region_price": {"north": 0.3, "south": 0.3},
            "site_price": {"no-oslo": 0.6, "inh": 0.3, "s2": 0.3},
        },
    ),
    # both multipliers compound: north × 2 then × 1.5 = × 3
    "two-multipliers": (
        [("power_price_multiplier", "*", 2), ("power_price_multiplier", "north", 1.5)],
        {
            "region_price": {"north": 0.3, "south": 0.4},
            "site_price": {"no-oslo": 0.15, "inh": 0.3, "s2": 0.4},
        },
    ),
    "cloud-provider": (
        [("cloud_price_multiplier", "aws", 0.5)],
        {"cloud": {"aws-n": 2.0, "aws-s": 1.5}},
    ),
    # aws × 0.5 and north × 2 compound on aws-n: 4 × 0.5 × 2 = 4
    "cloud-provider-and-region": (
        [("cloud_price_multiplier", "aws", 0.5), ("cloud_price_multiplier", "north", 2)],
        {"cloud": {"aws-n": 4.0, "aws-s": 1.5, "gcp-n": 10.0}},
    ),
    "cloud-all": (
        [("cloud_price_multiplier", "*", 1.5)],
        {"cloud": {"aws-n": 6.0, "aws-s": 4.5, "gcp-n": 7.5}},
    ),
    "api-provider": (
        [("api_price_multiplier", "tokenco", 1.5)],
        {"apis": {"tok-n": 3.0, "tok-s": 1.5}},
    ),
    "api-region": (
        [("api_price_multiplier", "north", 0.5)],
        {"apis": {"tok-n": 1.0, "oth-n": 1.5}},
    ),
    "demand-workload": ([("demand_multiplier", "b", 2)], {"demand": {"b": 40.0}}),
    "demand-user-region": (
        [("demand_multiplier", "north", 1.5)],
        {"demand": {"a": 15.0, "b": 30.0}},
    ),
    "demand-all": (
        [("demand_multiplier", "*", 0.5)],
        {"demand": {"a": 5.0, "b": 10.0, "c": 15.0}},
    ),
    "capacity-site": ([("power_capacity_multiplier", "s2", 0.5)], {"capacity": {"s2": 150.0}}),
    "capacity-region": (
        [("power_capacity_multiplier", "north", 2)],
        {"capacity": {"no-oslo": 200.0, "inh": 400.0}},
    ),
}


@pytest.fixture(scope="module")
def targets_plan(module_dir: Path) -> Plan:
    sheet = [
        (name, parameter, target, value)
        for name, (items, _) in APPLY_CASES.items()
        for parameter, target, value in items
    ]
    path = write_book(module_dir / "targets.xlsx", targets_sheets(overrides(*sheet)))
    return read_plan(path)


def observed(plan: Plan) -> dict[str, dict[str, float]]:
    """The values of BASE_VALUES as the model sees them in ``plan``."""
    data = build_data(plan)
    return {
        "region_price": dict(data.region_price),
        "site_price": dict(data.site_price),
        "cloud": dict(
            zip(plan.cloud["offer"], plan.cloud["price_usd_per_accelerator_hour"], strict=True)
        ),
        "apis": dict(zip(plan.apis["api"], plan.apis["price_usd_per_mtok"], strict=True)),
        "demand": dict(zip(plan.workloads["workload"], plan.workloads["demand"], strict=True)),
        "capacity": dict(zip(plan.sites["site"], plan.sites["power_capacity_kw"], strict=True)),
    }


def test_sheet_scenarios_keep_their_order_and_overrides(targets_plan):
    scenarios = from_sheet(targets_plan)
    assert [s.name for s in scenarios] == list(APPLY_CASES)
    for s in scenarios:
        rows_given = APPLY_CASES[s.name][0]
        assert [(o.parameter, o.target, o.value) for o in s.overrides] == rows_given
    kinds = {(o.parameter, o.target): o.kind for s in scenarios for o in s.overrides}
    assert kinds[("power_price_multiplier", "north")] == "region"
    assert kinds[("power_price_multiplier", "inh")] == "site"
    assert kinds[("cloud_price_multiplier", "aws")] == "provider"
    assert kinds[("cloud_price_multiplier", "north")] == "region"
    assert kinds[("demand_multiplier", "b")] == "workload"
    assert kinds[("demand_multiplier", "north")] == "region"
    assert kinds[("power_capacity_multiplier", "s2")] == "site"


@pytest.mark.parametrize("name", list(APPLY_CASES))
def test_apply_reaches_the_right_rows(targets_plan, name):
    before = {
        k: v.copy(deep=True) for k, v in vars(targets_plan).items() if isinstance(v, pd.DataFrame)
    }
    scenario = next(s for s in from_sheet(targets_plan) if s.name == name)
    changed = apply(targets_plan, scenario)
    expected = copy.deepcopy(BASE_VALUES)
    for group, values in APPLY_CASES[name][1].items():
        expected[group].update(values)
    got = observed(changed)
    for group, values in expected.items():
        assert got[group] == approx(values), group
    # power capacity scales power only: cooling, slots and the rest stay as they were
    for column in ("cooling_air_kw", "cooling_liquid_kw", "rack_slots", "pue", "region"):
        pd.testing.assert_series_equal(changed.sites[column], targets_plan.sites[column])
    # the base plan is not modified
    for table, frame in before.items():
        pd.testing.assert_frame_equal(getattr(targets_plan, table), frame, obj=table)
    assert observed(targets_plan) == approx_nested(BASE_VALUES)


def approx_nested(values: dict[str, dict[str, float]]) -> dict[str, object]:
    return {k: approx(v) for k, v in values.items()}


def test_apply_base_is_the_plan_itself(targets_plan):
    assert apply(targets_plan, Scenario(BASE)) is targets_plan


def priced_sheets(scenarios: list[list[object]]) -> Sheets:
    """The targets plan with max_utilization 1 and two workloads in north:

    - ``cam``: 1 mtok/day of inference that only an edge device may serve (cloud and APIs
      not allowed, racks far too dear): 365 ah a year, one device (1 accelerator,
      1,000 USD, 1 kW all the time): 1,000 + 8,760 × north's price;
    - ``job``: one H100 all year (730 H100-h/month), in north only, no cloud: one rack
      (10 kW, 1,000 USD) at no-oslo or inh, whichever is cheaper:
      1,000 + 87,600 × min(no-oslo's price, inh's price)."""
    sheets = targets_sheets(scenarios)
    sheets["settings"].append(["max_utilization", 1])
    sheets["workloads"] = rows(
        {
            "workload": "cam",
            "kind": "inference",
            "model": "llm",
            "user_region": "north",
            "demand": 1,
            "demand_unit": "mtok_per_day",
            "allow_edge": "yes",
            "allow_cloud": "no",
            "allow_api": "no",
            "residency": "region",
        },
        {
            "workload": "job",
            "kind": "training",
            "user_region": "north",
            "demand": 730,
            "demand_unit": "h100_hours_per_month",
            "allow_cloud": "no",
            "residency": "region",
        },
    )
    return sheets


# scenario -> (edge cost, job cost, the job's site); prices as (north, no-oslo, inh):
PRICED = {
    # (0.10, 0.05, 0.10): 1,000 + 876; 1,000 + 87,600 × 0.05
    "base": (1876.0, 5380.0, "no-oslo"),
    # north × 2, covering no-oslo's own price: (0.2, 0.1, 0.2)
    "region-x2": (2752.0, 9760.0, "no-oslo"),
    # inh (inheriting) × 0.2: (0.1, 0.05, 0.02); north's edge devices keep 0.1
    "inh-x0.2": (1876.0, 1000.0 + 87600 * 0.02, "inh"),
    # absolute 0.3 for north first, then inh × 0.5: (0.3, 0.3, 0.15)
    "abs-then-inh": (1000.0 + 8760 * 0.3, 1000.0 + 87600 * 0.15, "inh"),
}


@pytest.mark.parametrize("path", ["direct", "cluster"])
def test_power_price_targets_when_solved(tmp_path, request, path):
    """The same overrides solved: by optimize(apply(...)), and by run_scenarios on a Dask
    cluster (where price-only scenarios may reuse a worker's model)."""
    from optimizer.run import optimize

    sheet = overrides(
        ("region-x2", "power_price_multiplier", "north", 2),
        ("inh-x0.2", "power_price_multiplier", "inh", 0.2),
        ("abs-then-inh", "power_price_multiplier", "inh", 0.5),
        ("abs-then-inh", "power_price_usd_per_kwh", "north", 0.3),
    )
    plan = read_plan(write_book(tmp_path / "priced.xlsx", priced_sheets(sheet)))
    scenarios = [Scenario(BASE), *from_sheet(plan)]
    if path == "direct":
        runs = {s.name: optimize(apply(plan, s), OPTIONS, scenario=s.name) for s in scenarios}
        got = {name: (o.solved.status, o.solved.objective, o.tables) for name, o in runs.items()}
    else:
        address = request.getfixturevalue("cluster_address")
        result = run_scenarios(plan, scenarios, OPTIONS, address)
        got = {r.scenario.name: (r.status, r.objective, r.tables) for r in result.runs}
    assert list(got) == list(PRICED)
    for name, (edge, job, where) in PRICED.items():
        status, objective, tables = got[name]
        assert status == "optimal", name
        assert objective == approx(edge + job), name
        costs = tables["costs"]
        energy = costs[costs["category"] == "energy"].groupby("environment")["amount_usd"].sum()
        assert energy["edge"] == approx(edge - 1000.0), name
        assert energy["onprem"] == approx(job - 1000.0), name
        a = tables["assignments"]
        a = a[(a["workload"] == "job") & (a["share"] > 1e-6)]
        assert list(a["location"]) == [where], name


# --- 2. --sweep -------------------------------------------------------------------------


def test_sweep_range_is_inclusive(targets_plan):
    got = parse_sweep(targets_plan, "power_price_multiplier=0.5:2.0:0.25")
    assert [o.value for o in got] == approx([0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0])
    assert {(o.parameter, o.target, o.kind) for o in got} == {("power_price_multiplier", "*", "*")}
    # 0.1 + 2 × 0.1 is 0.30000000000000004 in floating point: 0.3 is still included
    assert [o.value for o in parse_sweep(targets_plan, "demand_multiplier=0.1:0.3:0.1")] == approx(
        [0.1, 0.2, 0.3]
    )
    # a step that does not land on STOP stops before it
    assert [o.value for o in parse_sweep(targets_plan, "demand_multiplier=1:2:0.4")] == approx(
        [1.0, 1.4, 1.8]
    )
    assert [o.value for o in parse_sweep(targets_plan, "demand_multiplier=2:2:0.5")] == [2.0]


def test_sweep_comma_list_and_target(targets_plan):
    got = parse_sweep(targets_plan, "demand_multiplier@b=1,2.5,4")
    assert [(o.parameter, o.target, o.kind, o.value) for o in got] == [
        ("demand_multiplier", "b", "workload", 1.0),
        ("demand_multiplier", "b", "workload", 2.5),
        ("demand_multiplier", "b", "workload", 4.0),
    ]
    [o] = parse_sweep(targets_plan, "cloud_price_multiplier@aws=0.8")
    assert (o.kind, o.value) == ("provider", 0.8)


def test_sweep_names(targets_plan):
    [s] = from_sweeps(targets_plan, ["power_price_multiplier=1.5"])
    assert s.name == "power_price_multiplier=1.5"
    assert s.values == {"power_price_multiplier": 1.5}
    [s] = from_sweeps(targets_plan, ["power_price_multiplier@no-oslo=1.5"])
    assert s.name == "power_price_multiplier@no-oslo=1.5"
    [o] = s.overrides
    assert (o.target, o.kind) == ("no-oslo", "site")
    # the scenario applies: no-oslo's own 0.05 × 1.5
    assert build_data(apply(targets_plan, s)).site_price["no-oslo"] == approx(0.075)


def test_two_sweeps_give_their_cartesian_product(targets_plan):
    scenarios = from_sweeps(
        targets_plan, ["power_price_multiplier=1,2", "demand_multiplier@north=0.5:1.5:0.5"]
    )
    assert len(scenarios) == 6
    assert len({s.name for s in scenarios}) == 6
    pairs = set()
    for s in scenarios:
        assert [o.parameter for o in s.overrides] == ["power_price_multiplier", "demand_multiplier"]
        assert "power_price_multiplier=" in s.name and "demand_multiplier@north=" in s.name
        pairs.add((s.values["power_price_multiplier"], s.values["demand_multiplier@north"]))
    assert pairs == set(itertools.product([1.0, 2.0], [0.5, 1.0, 1.5]))


BAD_SWEEPS = [
    pytest.param("power_price_multiplyer=1,2", id="unknown-parameter"),
    pytest.param("power_price_multiplier@atlantis=1.5", id="target-matches-nothing"),
    pytest.param("demand_multiplier@inh=2", id="site-target-for-demand"),
    pytest.param("cloud_price_multiplier@tokenco=2", id="api-provider-for-cloud"),
    pytest.param("power_price_multiplier=2.0:0.5:0.25", id="stop-before-start"),
    pytest.param("power_price_multiplier=0.5:2.0:0", id="step-0"),
    pytest.param("power_price_multiplier=0.5:2.0:-0.25", id="negative-step"),
    pytest.param("power_price_multiplier=low,high", id="text-values"),
    pytest.param("power_price_multiplier=0.5:two:0.25", id="text-in-range"),
    pytest.param("power_price_multiplier=1:2", id="range-without-step"),
    pytest.param("power_price_multiplier", id="no-values"),
    pytest.param("power_price_multiplier=", id="empty-values"),
]


@pytest.mark.parametrize("text", BAD_SWEEPS)
def test_bad_sweep_is_an_input_error_naming_it(targets_plan, text):
    with pytest.raises(InputError) as caught:
        from_sweeps(targets_plan, ["demand_multiplier=1,2", text])
    # the library names the sweep, not the command's option (the command adds --sweep)
    assert f"sweep {text}: " in str(caught.value) and "--" not in str(caught.value)


def test_capacity_sweep_on_a_region_without_sites_is_an_input_error(tmp_path):
    """Region ``empty`` has no site: power capacity there reaches nothing."""
    sheets = targets_sheets(overrides(("x", "demand_multiplier", "*", 1)))
    sheets["regions"].append(["empty", "NO", 0.3])
    plan = read_plan(write_book(tmp_path / "empty.xlsx", sheets))
    text = "power_capacity_multiplier@empty=2"
    with pytest.raises(InputError) as caught:
        parse_sweep(plan, text)
    assert f"sweep {text}: " in str(caught.value)


@pytest.mark.parametrize(
    "text",
    [
        "power_price_multiplyer=1,2",
        "power_price_multiplier@atlantis=1.5",
        "power_price_multiplier=2.0:0.5:0.25",
        "power_price_multiplier=0.5:2.0:0",
        "power_price_multiplier=low,high",
    ],
)
def test_bad_sweep_on_the_command_line_exits_2(tmp_path, text):
    plan = write_book(tmp_path / "plan.xlsx", break_even_sheets())
    out = tmp_path / "out"
    result = CliRunner().invoke(main, [str(plan), "--sweep", text, "--out", str(out)])
    assert result.exit_code == Exit.INPUT, result.output
    assert f"--sweep {text}" in result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)
    assert not out.exists()


# --- 3. break-even --------------------------------------------------------------------------

SWEEP = "power_price_multiplier=0.75:2.25:0.5"  # 0.75, 1.25 | 1.5 | 1.75, 2.25
SWEPT = [0.75, 1.25, 1.75, 2.25]


@pytest.fixture(scope="module")
def be_plan(module_dir: Path) -> Plan:
    return read_plan(write_book(module_dir / "be.xlsx", break_even_sheets(REGRET_SHEET)))


@pytest.fixture(scope="module")
def be_sweep(be_plan: Plan, cluster_address: str) -> WhatIf:
    return run_scenarios(be_plan, from_sweeps(be_plan, [SWEEP]), OPTIONS, scheduler=cluster_address)


def test_break_even_by_hand(be_sweep):
    assert onprem(M_STAR) == approx(ALL_CLOUD)  # the derivation in the module docstring
    names = [f"power_price_multiplier={m:g}" for m in SWEPT]
    assert [r.scenario.name for r in be_sweep.runs] == names
    for run, m in zip(be_sweep.runs, SWEPT, strict=True):
        assert run.status == "optimal", run.scenario.name
        assert run.objective == approx(min(onprem(m), ALL_CLOUD)), run.scenario.name
        a = run.tables["assignments"]
        where = a.groupby("location")["share"].sum()
        where = {k: v for k, v in where.items() if v > 1e-6}
        assert where == {("dc" if m < M_STAR else "od"): approx(1.0)}, run.scenario.name
    # the plan changes once, at 1.5: bisected from (1.25, 1.75) to 1 % of the step of 0.5
    [found] = be_sweep.break_even
    assert found.below <= M_STAR <= found.above
    assert found.above - found.below <= 0.005
    assert found.changes() == [("r1 racks at dc", 1, 0)]
    assert found.run_below.objective == approx(onprem(found.below))
    assert found.run_above.objective == approx(ALL_CLOUD)
    table = be_sweep.tables["breakeven"]
    assert list(table["decision"]) == ["r1 racks at dc"]
    assert table["break_even_value"].iloc[0] == approx(M_STAR, abs=0.0025)
    summary = be_sweep.tables["summary"]
    assert list(summary["scenario"]) == names
    assert list(summary["power_price_multiplier"]) == approx(SWEPT)
    assert list(summary["objective_usd"]) == approx([min(onprem(m), ALL_CLOUD) for m in SWEPT])


# --- 4. regret -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def regret_run(be_plan: Plan, cluster_address: str) -> WhatIf:
    scenarios = [Scenario(BASE), *from_sheet(be_plan)]
    return run_scenarios(be_plan, scenarios, OPTIONS, scheduler=cluster_address)


def test_regret_is_recomputed_from_its_own_columns(regret_run):
    regret = regret_run.tables["regret"]
    summary = regret_run.tables["summary"].set_index("scenario")
    assert list(summary.index) == ["base", "cheap", "dear"]
    assert list(summary["objective_usd"]) == approx([OPTIMUM[s] for s in summary.index])
    # every plan operated under every scenario: 3 × 3 rows
    assert sorted(zip(regret["scenario"], regret["operated_under"], strict=True)) == sorted(
        itertools.product(OPTIMUM, OPTIMUM)
    )
    for row in regret.itertuples(index=False):
        assert row.regret_usd == approx(row.cost_usd - row.optimum_usd)
        assert row.optimum_usd == approx(summary.loc[row.operated_under, "objective_usd"])
        if row.scenario == row.operated_under:
            assert row.regret_usd == approx(0.0, abs=1e-6)
    worst = regret.groupby("scenario")["regret_usd"].max()
    assert summary["worst_regret_usd"].to_dict() == approx(worst.to_dict())
    best = worst.idxmin()
    assert summary["least_regret"].to_dict() == {s: s == best for s in summary.index}
    assert regret_run.least_regret == [best]


def test_regret_by_hand(regret_run):
    """Plans: base and cheap buy one rack, dear buys none (module comments).

    - The rack operated under dear (0.3 USD/kWh): the rack is bought and draws full power
      whether busy or not, so it serves the workload: 4,380 + 10 × 8,760 × 0.3 = 30,660,
      regret 30,660 − 17,520 = 13,140.
    - No racks under base: all cloud, 17,520, regret 17,520 − 13,140 = 4,380; under cheap
      17,520 − 8,760 = 8,760.
    Worst-case regret: base 13,140, cheap 13,140, dear 8,760: dear's plan is least."""
    regret = regret_run.tables["regret"].set_index(["scenario", "operated_under"])
    expected = {
        ("base", "dear"): (30660.0, 13140.0),
        ("cheap", "dear"): (30660.0, 13140.0),
        ("base", "cheap"): (8760.0, 0.0),
        ("cheap", "base"): (13140.0, 0.0),
        ("dear", "base"): (17520.0, 4380.0),
        ("dear", "cheap"): (17520.0, 8760.0),
    }
    for key, (cost, gap) in expected.items():
        assert regret.loc[key, "status"] == "optimal", key
        assert regret.loc[key, "cost_usd"] == approx(cost), key
        assert regret.loc[key, "regret_usd"] == approx(gap), key
    assert regret_run.least_regret == ["dear"]
    assert regret_run.worst_regret == approx({"base": 13140.0, "cheap": 13140.0, "dear": 8760.0})
    decisions = regret_run.tables["decisions"]
    racks = decisions[decisions["rack_type"].notna()]
    assert sorted(
        zip(
            racks["scenario"], racks["site"], racks["rack_type"], racks["racks_at_end"], strict=True
        )
    ) == [
        ("base", "dc", "r1", 1),
        ("cheap", "dc", "r1", 1),
    ]


def test_a_site_opened_in_every_scenario_is_a_common_decision(tmp_path, cluster_address):
    """A site to build (``new``, 1,000 USD) and 1 or 2 racks of demand; cloud at 100 USD/ah
    is never worth it. Both scenarios build ``new`` (one rack, or two with demand × 2):
    opening it is a decision that holds in every scenario, though the rack counts differ."""
    sheets = break_even_sheets(overrides(("double", "demand_multiplier", "*", 2)))
    sheets["sites"] = rows(
        {
            "site": "new",
            "region": "home",
            "power_capacity_kw": 1000,
            "cooling_air_kw": 1000,
            "rack_slots": 10,
            "pue": 1,
            "existing": "no",
            "build_cost_usd": 1000,
        }
    )
    sheets["cloud"][1][sheets["cloud"][0].index("price_usd_per_accelerator_hour")] = 100
    plan = read_plan(write_book(tmp_path / "common.xlsx", sheets))
    result = run_scenarios(plan, [Scenario(BASE), *from_sheet(plan)], OPTIONS, cluster_address)
    decisions = result.tables["decisions"]
    assert sorted(
        zip(decisions["scenario"], decisions["site"], decisions["open"], strict=True)
    ) == [
        ("base", "new", 1),
        ("double", "new", 1),
    ]
    assert sorted(zip(decisions["scenario"], decisions["racks_at_end"], strict=True)) == [
        ("base", 1),
        ("double", 2),
    ]
    assert any("open" in line and "new" in line for line in result.common), result.common


# --- 5. an existing Dask cluster gives the local run's answers ---------------------------------

KEYS = {
    "summary": ["scenario"],
    "costs": ["scenario", "period", "environment", "category", "location"],
    "racks": ["scenario", "site", "rack_type", "period"],
    "assignments": ["scenario", "workload", "period", "location"],
    "sites": ["scenario", "site", "period"],
    "decisions": ["scenario", "site", "rack_type", "offer"],
    "regret": ["scenario", "operated_under"],
}


def test_dask_cluster_matches_the_local_run(be_plan, be_sweep):
    local = run_scenarios(be_plan, from_sweeps(be_plan, [SWEEP]), OPTIONS)
    assert [r.objective for r in local.runs] == [r.objective for r in be_sweep.runs]
    assert set(local.tables) == set(be_sweep.tables)
    for name, keys in KEYS.items():
        a, b = local.tables[name], be_sweep.tables[name]
        if name == "summary":
            a, b = a.drop(columns="solve_seconds"), b.drop(columns="solve_seconds")
        a = a.sort_values(keys, na_position="first").reset_index(drop=True)
        b = b.sort_values(keys, na_position="first").reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b, obj=name)
    assert local.least_regret == be_sweep.least_regret
    assert [b.line() for b in local.break_even] == [b.line() for b in be_sweep.break_even]
    assert local.common == be_sweep.common


# --- 6. a worker dies mid-sweep ----------------------------------------------------------------


def test_killing_a_worker_mid_sweep(be_plan):
    """Six scenarios on two workers slowed to a second a scenario (not the regret runs); the
    worker busy with a scenario when the first result arrives is killed. The scenario it held is
    retried elsewhere (SPEC: retried once, then reported failed): every scenario ends with
    an answer, and the run returns."""
    from distributed import Client, LocalCluster

    def slow_down() -> None:  # runs in each worker process (pickled by value)
        import time as _time

        import optimizer.whatif as w

        if getattr(w.solve_scenario, "slowed", False):
            return
        original = w.solve_scenario

        def slowed(plan, scenario, options, fixed=None, *args, **kwargs):
            if fixed is None:  # a scenario's own solve, not a regret run
                _time.sleep(1.0)
            return original(plan, scenario, options, fixed, *args, **kwargs)

        slowed.slowed = True
        w.solve_scenario = slowed

    swept = [0.25, 0.75, 1.25, 1.75, 2.25, 2.75]
    scenarios = from_sweeps(be_plan, ["power_price_multiplier=" + ",".join(map(str, swept))])
    killed: dict[str, object] = {}
    started: list[float] = []
    first_after: list[float] = []
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            host="127.0.0.1",
            silence_logs=logging.CRITICAL,
        ) as cluster,
        Client(cluster) as watcher,
    ):
        watcher.run(slow_down)
        pids = watcher.run(os.getpid)

        def progress(stage: str, total: int, done: int, running: int, failed: int) -> None:
            if stage != "scenarios" or killed:
                return
            if done == 0:
                started.append(time.monotonic())
                return
            first_after.append(time.monotonic() - started[0])
            deadline = time.monotonic() + 5
            busy: dict[str, list] = {}
            while time.monotonic() < deadline:
                busy = {w: keys for w, keys in watcher.processing().items() if keys}
                if busy:
                    break
                time.sleep(0.02)
            address = next(iter(busy)) if busy else next(iter(pids))
            killed.update(address=address, keys=list(busy.get(address, [])))
            with contextlib.suppress(ProcessLookupError):
                os.kill(pids[address], signal.SIGKILL)

        answer: dict[str, object] = {}

        def work() -> None:
            try:
                answer["result"] = run_scenarios(
                    be_plan, scenarios, OPTIONS, cluster.scheduler_address, progress
                )
            except BaseException as exc:  # reported below
                answer["error"] = exc

        thread = threading.Thread(target=work, daemon=True)
        thread.start()
        thread.join(timeout=120)
        assert not thread.is_alive(), "run_scenarios did not return after a worker died"
    assert "error" not in answer, answer.get("error")
    assert first_after and first_after[0] >= 0.9, "the workers were not slowed down"
    assert killed and killed["keys"], (
        f"no scenario was running when the worker was killed: {killed}"
    )
    result: WhatIf = answer["result"]  # type: ignore[assignment]
    assert [r.scenario.name for r in result.runs] == [s.name for s in scenarios]
    for run, m in zip(result.runs, swept, strict=True):
        assert run.status in ("optimal", Status.FAILED), run.scenario.name
        if run.status == Status.FAILED:
            assert run.error, run.scenario.name
        else:
            assert run.objective == approx(min(onprem(m), ALL_CLOUD)), run.scenario.name
    # one death is within the retry: every scenario is solved
    assert [r.status for r in result.runs] == ["optimal"] * len(swept)
    assert list(result.tables["summary"]["scenario"]) == [s.name for s in scenarios]


# --- 7. the command line ---------------------------------------------------------------------

DECISIONS_COLUMNS = [
    "scenario",
    "site",
    "open",
    "rack_type",
    "racks_at_end",
    "offer",
    "reserved_block",
    "reserved_accelerators",
]
REGRET_COLUMNS = [
    "scenario",
    "operated_under",
    "status",
    "cost_usd",
    "optimum_usd",
    "regret_usd",
    "tolerance_usd",
]
SUMMARY_COLUMNS = [
    "scenario",
    "status",
    "objective_usd",
    "total_cost_usd",
    "onprem_usd",
    "cloud_usd",
    "api_usd",
    "edge_usd",
    "mip_gap",
    "solve_seconds",
]


@pytest.fixture(scope="module")
def cli_plan(module_dir: Path) -> Path:
    """The regret plan with ``dear`` renamed '=cmd', typed as text."""
    path = write_book(module_dir / "cli.xlsx", break_even_sheets(REGRET_SHEET))
    as_text(path, "scenarios", "A3", "=cmd")
    return path


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8-sig")


def invoke(*args: str) -> object:
    return CliRunner().invoke(main, [*args, "--quiet"])


def test_cli_scenarios_write_every_table(cli_plan, module_dir, cluster_address):
    out = module_dir / "all-out"
    result = invoke(str(cli_plan), "--scenarios", "--out", str(out), "--scheduler", cluster_address)
    assert result.exit_code == Exit.OK, result.output
    names = ["base", "cheap", "'=cmd"]  # base first, then the sheet's order; '=' neutralised
    summary = read_csv(out / "summary.csv")
    assert list(summary.columns[: len(SUMMARY_COLUMNS)]) == SUMMARY_COLUMNS
    assert list(summary["scenario"]) == names
    assert list(summary["status"]) == ["optimal"] * 3
    assert list(summary["objective_usd"]) == approx([13140.0, 8760.0, 17520.0])
    # one column per overridden parameter, holding the scenario's value
    assert summary["power_price_usd_per_kwh"].tolist()[1] == approx(0.05)
    assert summary["power_price_multiplier"].tolist()[2] == approx(3.0)
    assert summary[["power_price_usd_per_kwh", "power_price_multiplier"]].iloc[0].isna().all()
    costs = read_csv(out / "costs.csv")
    assert set(costs["scenario"]) == set(names)
    assert costs.groupby("scenario")["discounted_usd"].sum().to_dict() == approx(
        dict(zip(names, [13140.0, 8760.0, 17520.0], strict=True))
    )
    for table in ("assignments", "sites"):
        assert set(read_csv(out / f"{table}.csv")["scenario"]) == set(names), table
    racks = read_csv(out / "racks.csv")
    assert set(racks["scenario"]) == {"base", "cheap"}  # '=cmd buys no rack
    decisions = read_csv(out / "decisions.csv")
    assert list(decisions.columns) == DECISIONS_COLUMNS
    assert set(decisions["scenario"]) == set(names)
    regret = read_csv(out / "regret.csv")
    assert list(regret.columns) == REGRET_COLUMNS
    assert sorted(zip(regret["scenario"], regret["operated_under"], strict=True)) == sorted(
        itertools.product(names, names)
    )
    row = regret[(regret["scenario"] == "base") & (regret["operated_under"] == "'=cmd")]
    assert row["cost_usd"].tolist() == approx([30660.0])
    for name in ("summary", "costs", "racks", "assignments", "sites", "decisions", "regret"):
        text = (out / f"{name}.csv").read_text(encoding="utf-8-sig")
        assert ",=cmd" not in text and "\n=cmd" not in text, name


def test_cli_one_scenario(cli_plan, module_dir, cluster_address):
    out = module_dir / "one-out"
    result = invoke(
        str(cli_plan), "--scenario", "cheap", "--out", str(out), "--scheduler", cluster_address
    )
    assert result.exit_code == Exit.OK, result.output
    summary = read_csv(out / "summary.csv")
    assert list(summary["scenario"]) == ["cheap"]
    assert summary["objective_usd"].tolist() == approx([8760.0])
    assert set(read_csv(out / "costs.csv")["scenario"]) == {"cheap"}


def test_cli_unknown_scenario_exits_2_naming_them(cli_plan, module_dir):
    out = module_dir / "nope-out"
    result = CliRunner().invoke(main, [str(cli_plan), "--scenario", "nope", "--out", str(out)])
    assert result.exit_code == Exit.INPUT, result.output
    assert "nope" in result.output
    for name in ("base", "cheap", "=cmd"):
        assert name in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_math_sanity():
    """The hand figures used above agree with each other."""
    assert onprem(1.0) == OPTIMUM["base"]
    assert OPTIMUM["cheap"] == CAPEX + RACK_KW * YEAR_H * 0.05
    assert OPTIMUM["dear"] == ALL_CLOUD
    assert math.isclose(onprem(3.0), 30660.0)


def test_break_even_counts_the_base_case_as_a_multiplier_of_1(be_plan, cluster_address):
    """Swept at 0.5 and 2 only, with the base case (x1, on-prem like 0.5): the plan changes
    between 1 and 2, the narrower interval around m* = 1.5."""
    scenarios = [Scenario(BASE), *from_sweeps(be_plan, ["power_price_multiplier=0.5,2"])]
    result = run_scenarios(
        be_plan, scenarios, OPTIONS, scheduler=cluster_address, break_even_tolerance=None
    )
    [found] = result.break_even
    assert found.line().startswith("between power_price_multiplier 1 and 2:"), found.line()
    assert found.run_below is result.runs[0]  # the base case
