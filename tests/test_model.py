"""The model against optima derived by hand from SPEC.md ("The model", "Conventions").

Each test writes a tiny workbook of its own, solves it with mip_gap 0 and checks the
optimum and the decisions that make it. The expected figures are worked out in the
comments from the spec's rules, never copied from a run of the tool.

Shorthands used in the derivations:
- A year period holds 8,760 h, a quarter 2,190 h.
- Training demand is in H100-hours a month: 730 of them is one H100 busy all the time,
  i.e. 8,760 accelerator-hours (ah) a year or 2,190 a quarter.
- Inference uses ``TPS_ONE`` tokens a second, at which one accelerator-hour serves one
  million tokens: D mtok/day is D × 365 ah a year (D × 91.25 a quarter) at average load.
- Unless a test says otherwise: one region ``home`` with power at 0 USD/kWh, racks of one
  accelerator drawing 10 kW, max_utilization 1, horizon 1 year.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import pytest
from conftest import Sheets, write_book

from optimizer import read_plan
from optimizer.run import Outcome, optimize
from optimizer.solve import SolverOptions

TPS_ONE = 1e6 / 3600  # tokens/s: one accelerator-hour per million tokens
YEAR_H = 8760.0
QUARTER_H = 2190.0

approx = functools.partial(pytest.approx, rel=1e-6, abs=0.01)


# --- building workbooks -------------------------------------------------------------------


def rows(*records: dict[str, object]) -> list[list[object]]:
    """A sheet (header first) from records; a key missing from a record is a blank cell."""
    header: list[str] = []
    for record in records:
        header += [k for k in record if k not in header]
    return [header] + [[record.get(k) for k in header] for record in records]


def region(name: str = "home", jurisdiction: str = "EU", price: float = 0.0) -> dict:
    return {"region": name, "jurisdiction": jurisdiction, "power_price_usd_per_kwh": price}


def site(name: str = "dc", **kw: object) -> dict:
    """An existing site in ``home`` with room to spare on every limit."""
    return {
        "site": name,
        "region": "home",
        "power_capacity_kw": 1000,
        "cooling_air_kw": 1000,
        "cooling_liquid_kw": 1000,
        "rack_slots": 100,
        "pue": 1,
        "existing": "yes",
    } | kw


def rack(name: str = "r1", **kw: object) -> dict:
    """One H100 per rack, 10 kW, air-cooled, 1,000 USD."""
    return {
        "rack_type": name,
        "accelerator": "H100",
        "accelerators_per_rack": 1,
        "it_power_kw": 10,
        "cooling": "air",
        "capex_usd": 1000,
    } | kw


def offer(name: str, price: float, **kw: object) -> dict:
    return {
        "offer": name,
        "provider": "cloudco",
        "region": "home",
        "accelerator": "H100",
        "pricing": "on_demand",
        "price_usd_per_accelerator_hour": price,
    } | kw


def api(name: str, price: float, **kw: object) -> dict:
    return {
        "api": name,
        "provider": "tokenco",
        "region": "home",
        "model": "llm",
        "price_usd_per_mtok": price,
        "retains_data": "no",
    } | kw


def device(name: str = "box", **kw: object) -> dict:
    return {
        "device": name,
        "accelerator": "H100",
        "accelerators_per_device": 1,
        "capex_usd": 1000,
        "power_kw": 0,
    } | kw


def training(demand: float, name: str = "train", **kw: object) -> dict:
    """``demand`` in H100-hours a month (730 = one H100 all the time)."""
    return {
        "workload": name,
        "kind": "training",
        "user_region": "home",
        "demand": demand,
        "demand_unit": "h100_hours_per_month",
    } | kw


def inference(demand: float, name: str = "chat", **kw: object) -> dict:
    """``demand`` in million tokens a day of model ``llm``."""
    return {
        "workload": name,
        "kind": "inference",
        "model": "llm",
        "user_region": "home",
        "demand": demand,
        "demand_unit": "mtok_per_day",
    } | kw


def plan_sheets(
    workloads: list[dict],
    *,
    settings: dict[str, object] | None = None,
    regions: list[dict] | None = None,
    latency: list[dict] | None = None,
    sites: list[dict] | None = None,
    hardware: list[dict] | None = None,
    installed: list[dict] | None = None,
    cloud: list[dict] | None = None,
    apis: list[dict] | None = None,
    edge: list[dict] | None = None,
) -> Sheets:
    """A minimal workbook: one year in one period and max_utilization 1 unless overridden;
    optional sheets only when given."""
    keys = {"horizon_years": 1, "period": "year", "max_utilization": 1} | (settings or {})
    sheets: Sheets = {
        "settings": [["key", "value"], *([k, v] for k, v in keys.items())],
        "regions": rows(*(regions or [region()])),
        "accelerators": [["accelerator", "training_speed"], ["H100", 1]],
        "performance": [["accelerator", "model", "tokens_per_second"], ["H100", "llm", TPS_ONE]],
        "workloads": rows(*workloads),
    }
    optional = {
        "latency": latency,
        "sites": sites,
        "hardware": hardware,
        "installed": installed,
        "cloud": cloud,
        "apis": apis,
        "edge": edge,
    }
    for name, records in optional.items():
        if records:
            sheets[name] = rows(*records)
    return sheets


# --- solving and reading the answer -------------------------------------------------------


def solve(tmp_path: Path, sheets: Sheets, name: str = "plan.xlsx") -> Outcome:
    plan = read_plan(write_book(tmp_path / name, sheets))
    out = optimize(plan, SolverOptions(mip_gap=0.0, time_limit_s=60.0))
    if out.solved.status == "optimal":
        check_invariants(out)
    return out


def check_invariants(out: Outcome) -> None:
    """What every solved plan must satisfy, whatever its numbers."""
    objective = out.solved.objective
    costs = out.tables["costs"]
    assert costs["discounted_usd"].sum() == approx(objective)
    assert out.tables["summary"]["objective_usd"].iloc[0] == approx(objective)
    shares = out.tables["assignments"].groupby(["workload", "period"])["share"].sum()
    for key, total in shares.items():
        assert total == pytest.approx(1.0, abs=1e-6), key


def cost(out: Outcome) -> float:
    assert out.solved.status == "optimal", (out.solved, out.diagnosis)
    return out.solved.objective  # type: ignore[return-value]


def placed(out: Outcome, period: int = 0, workload: str | None = None) -> dict[str, float]:
    """Location -> share of the workload's demand in the period (shares below 1e-6 left out)."""
    a = out.tables["assignments"]
    a = a[a["period"] == period]
    if workload is not None:
        a = a[a["workload"] == workload]
    by = a.groupby("location")["share"].sum()
    return {k: float(v) for k, v in by.items() if v > 1e-6}


def shares(**kw: float) -> dict[str, object]:
    return {k: pytest.approx(v, abs=1e-6) for k, v in kw.items()}


def bought(out: Outcome) -> dict[tuple[str, str, int], int]:
    """(site, rack type, period) -> racks bought, non-zero only."""
    r = out.tables["racks"]
    return {
        (s, k, int(t)): int(b)
        for s, k, t, b in zip(r["site"], r["rack_type"], r["period"], r["bought"], strict=True)
        if b
    }


def installed_by_period(out: Outcome, site_id: str = "dc", rack_type: str = "r1") -> list[int]:
    r = out.tables["racks"]
    r = r[(r["site"] == site_id) & (r["rack_type"] == rack_type)].sort_values("period")
    return [int(x) for x in r["installed"]]


def category(out: Outcome, name: str, column: str = "amount_usd") -> float:
    c = out.tables["costs"]
    return float(c.loc[c["category"] == name, column].sum())


def by_period(out: Outcome, name: str) -> dict[int, float]:
    c = out.tables["costs"]
    c = c[c["category"] == name]
    return {int(t): float(v) for t, v in c.groupby("period")["amount_usd"].sum().items()}


# --- integer racks ------------------------------------------------------------------------


def test_integer_racks_not_the_lp_relaxation(tmp_path):
    """Demand 876 H100-h/month = 10,512 ah a year = 1.2 racks of 8,760 ah.

    The LP relaxation would buy 1.2 racks for 1,200 USD; racks are whole, so the plan
    buys 2 for 2 × 1,000 = 2,000 USD (power is free, nothing else can serve it)."""
    out = solve(tmp_path, plan_sheets([training(876)], sites=[site()], hardware=[rack()]))
    assert cost(out) == approx(2000.0)
    assert bought(out) == {("dc", "r1", 0): 2}
    assert placed(out) == shares(dc=1.0)


def test_integer_racks_topped_up_by_cloud(tmp_path):
    """The same 1.2 racks of demand, with cloud at 0.2 USD/ah as well:
    all cloud 10,512 × 0.2 = 2,102.40; 2 racks 2,000; 1 rack + 0.2 × 8,760 = 1,752 ah of
    cloud = 1,000 + 350.40 = 1,350.40 USD, the cheapest: 1/1.2 of the demand on the rack."""
    out = solve(
        tmp_path,
        plan_sheets([training(876)], sites=[site()], hardware=[rack()], cloud=[offer("od", 0.2)]),
    )
    assert cost(out) == approx(1000.0 + 1752 * 0.2)
    assert bought(out) == {("dc", "r1", 0): 1}
    assert placed(out) == shares(dc=1 / 1.2, od=0.2 / 1.2)


# --- caps ---------------------------------------------------------------------------------

# Demand 3,650 H100-h/month = 5 H100 all year = 43,800 ah. A rack (1,000 USD) serves
# 8,760 ah; cloud costs 1 USD/ah, i.e. 8,760 USD per rack-year: racks are far cheaper.
# Uncapped: 5 racks, 5,000 USD. Capped at 2 racks: 2,000 + 3 × 8,760 = 28,280 USD,
# 2/5 of the demand on the racks and 3/5 on the cloud.
UNCAPPED, CAPPED = 5000.0, 2000.0 + 3 * 8760.0


@pytest.mark.parametrize(
    ("site_kw", "rack_kw", "expected", "racks"),
    [
        pytest.param({}, {}, UNCAPPED, 5, id="no-cap"),
        # 2 racks are 20 kW <= 25 kW; 3 would be 30 kW
        pytest.param({"power_capacity_kw": 25}, {}, CAPPED, 2, id="power"),
        pytest.param({"cooling_air_kw": 25}, {}, CAPPED, 2, id="air-cooling"),
        pytest.param(
            {"cooling_liquid_kw": 25, "cooling_air_kw": 0},
            {"cooling": "liquid"},
            CAPPED,
            2,
            id="liquid-cooling",
        ),
        pytest.param({"rack_slots": 2}, {}, CAPPED, 2, id="rack-slots"),
        # a 10 kW air rack in a room that takes 9.5 kW air racks: never placed, all cloud
        pytest.param({"max_air_rack_kw": 9.5}, {}, 5 * 8760.0, 0, id="air-rack-too-dense"),
        # exactly the room's maximum is allowed
        pytest.param({"max_air_rack_kw": 10}, {}, UNCAPPED, 5, id="air-rack-at-max"),
        # max_air_rack_kw limits air-cooled racks only
        pytest.param(
            {"max_air_rack_kw": 5}, {"cooling": "liquid"}, UNCAPPED, 5, id="liquid-rack-dense"
        ),
    ],
)
def test_site_caps_bind(tmp_path, site_kw, rack_kw, expected, racks):
    out = solve(
        tmp_path,
        plan_sheets(
            [training(3650)],
            sites=[site(**site_kw)],
            hardware=[rack(**rack_kw)],
            cloud=[offer("od", 1.0)],
        ),
    )
    assert cost(out) == approx(expected)
    assert sum(bought(out).values()) == racks
    expected_shares = {"dc": racks / 5, "od": 1 - racks / 5}
    assert placed(out) == shares(**{k: v for k, v in expected_shares.items() if v > 0})


def test_cloud_quota_binds(tmp_path):
    """5 H100 all year (43,800 ah). Offer cheap at 1 USD/ah has a quota of 2 accelerators
    (2 × 8,760 = 17,520 ah a year); offer dear at 2 USD/ah has none.

    2 × 8,760 × 1 + 3 × 8,760 × 2 = 17,520 + 52,560 = 70,080 USD."""
    out = solve(
        tmp_path,
        plan_sheets(
            [training(3650)],
            cloud=[offer("cheap", 1.0, max_accelerators=2), offer("dear", 2.0)],
        ),
    )
    assert cost(out) == approx(70080.0)
    assert placed(out) == shares(cheap=0.4, dear=0.6)


def test_api_daily_limit_binds(tmp_path):
    """10 mtok/day = 3,650 mtok a year. API cheap (1 USD/mtok) takes at most 4 mtok/day,
    API dear (3 USD/mtok) the rest. The peak factor 2 changes nothing: APIs are billed,
    and limited, on average load.

    4 × 365 × 1 + 6 × 365 × 3 = 1,460 + 6,570 = 8,030 USD."""
    out = solve(
        tmp_path,
        plan_sheets(
            [inference(10, peak_factor=2)],
            apis=[api("cheap", 1.0, max_mtok_per_day=4), api("dear", 3.0)],
        ),
    )
    assert cost(out) == approx(8030.0)
    assert placed(out) == shares(cheap=0.4, dear=0.6)


def test_api_limit_is_shared_by_workloads(tmp_path):
    """Two workloads of 3 mtok/day each on an API limited to 4 mtok/day in all: 4 mtok/day
    at 1 USD, 2 at 3 USD: (4 × 1 + 2 × 3) × 365 = 3,650 USD."""
    out = solve(
        tmp_path,
        plan_sheets(
            [inference(3, name="a"), inference(3, name="b")],
            apis=[api("cheap", 1.0, max_mtok_per_day=4), api("dear", 3.0)],
        ),
    )
    assert cost(out) == approx(3650.0)
    a = out.tables["assignments"]
    cheap = a[a["location"] == "cheap"]["demand"].sum()
    assert cheap == approx(4.0)


# --- where a workload may run -------------------------------------------------------------

REGIONS3 = [region("home", "EU"), region("near", "EU"), region("far", "US")]


@pytest.mark.parametrize(
    ("residency", "where", "expected"),
    [
        # one H100 all year = 8,760 ah at the cheapest region the rule allows
        ("any", "c-far", 8760 * 1.0),
        ("jurisdiction", "c-near", 8760 * 2.0),
        ("region", "c-home", 8760 * 3.0),
    ],
)
def test_residency(tmp_path, residency, where, expected):
    """Offers in home (EU, 3 USD/ah), near (EU, 2) and far (US, 1)."""
    out = solve(
        tmp_path,
        plan_sheets(
            [training(730, residency=residency)],
            regions=REGIONS3,
            cloud=[
                offer("c-home", 3.0),
                offer("c-near", 2.0, region="near"),
                offer("c-far", 1.0, region="far"),
            ],
        ),
    )
    assert cost(out) == approx(expected)
    assert placed(out) == shares(**{where: 1.0})


@pytest.mark.parametrize(
    ("limit", "intra", "far_rtt", "where", "price"),
    [
        # no limit: an unlisted pair does not matter; far is cheapest
        pytest.param(None, None, None, "c-far", 0.5, id="no-limit"),
        # 25 ms: far is not in sheet latency, so unreachable; home is 5 ms (default)
        pytest.param(25, None, None, "c-home", 1.0, id="unlisted-pair-unreachable"),
        # far listed at 100 ms, within a 150 ms limit
        pytest.param(150, None, 100, "c-far", 0.5, id="listed-pair-within-limit"),
        # intra_region_rtt_ms 30 > 25 rules out home; near at 20 ms is left
        pytest.param(25, 30, None, "c-near", 2.0, id="intra-region-rtt"),
        # 10 ms: near (20 ms) is too far; home at the default 5 ms is fine
        pytest.param(10, None, 100, "c-home", 1.0, id="listed-pair-too-slow"),
    ],
)
def test_latency(tmp_path, limit, intra, far_rtt, where, price):
    """Offers in home (1 USD/ah), near (2, 20 ms away) and far (0.5; listed only when
    far_rtt is given). One H100 all year: 8,760 ah × the price of the one chosen."""
    latency = [{"from_region": "near", "to_region": "home", "rtt_ms": 20}]
    if far_rtt is not None:
        latency.append({"from_region": "home", "to_region": "far", "rtt_ms": far_rtt})
    settings = {} if intra is None else {"intra_region_rtt_ms": intra}
    out = solve(
        tmp_path,
        plan_sheets(
            [training(730, max_latency_ms=limit)],
            settings=settings,
            regions=REGIONS3,
            latency=latency,
            cloud=[
                offer("c-home", 1.0),
                offer("c-near", 2.0, region="near"),
                offer("c-far", 0.5, region="far"),
            ],
        ),
    )
    assert cost(out) == approx(8760 * price)
    assert placed(out) == shares(**{where: 1.0})


@pytest.mark.parametrize(
    ("edge_rtt", "where", "expected"),
    [
        # edge at 1 ms (default) is within 10 ms: one box (capex 100) for 0.5 box of load
        (None, "box", 100.0),
        # edge at 20 ms is over the limit: cloud in home (5 ms) for 4,380 ah at 1 USD
        (20, "od", 4380.0),
    ],
)
def test_edge_rtt(tmp_path, edge_rtt, where, expected):
    """12 mtok/day = 4,380 ah a year (half a one-accelerator box), max_latency_ms 10."""
    settings = {} if edge_rtt is None else {"edge_rtt_ms": edge_rtt}
    out = solve(
        tmp_path,
        plan_sheets(
            [inference(12, max_latency_ms=10, allow_edge="yes")],
            settings=settings,
            cloud=[offer("od", 1.0)],
            edge=[device(capex_usd=100)],
        ),
    )
    assert cost(out) == approx(expected)
    assert placed(out) == shares(**{where: 1.0})


@pytest.mark.parametrize(
    ("workload", "where", "price"),
    [
        # training is interruptible by default: spot at 1 USD/ah
        pytest.param(training(730), "spot", 1.0, id="training"),
        pytest.param(training(730, interruptible="no"), "od", 2.0, id="training-not-interr"),
        # inference is not interruptible by default: on-demand at 2 USD/ah
        pytest.param(inference(24), "od", 2.0, id="inference"),
        pytest.param(inference(24, interruptible="yes"), "spot", 1.0, id="inference-interr"),
    ],
)
def test_spot_only_for_interruptible(tmp_path, workload, where, price):
    """One H100 all year (730 H100-h/month, or 24 mtok/day = 8,760 ah) × the price."""
    out = solve(
        tmp_path,
        plan_sheets(
            [workload],
            cloud=[offer("od", 2.0), offer("spot", 1.0, pricing="spot")],
        ),
    )
    assert cost(out) == approx(8760 * price)
    assert placed(out) == shares(**{where: 1.0})


# --- reserved commitments -----------------------------------------------------------------

# Quarters over one year (4 periods of 2,190 h). On-demand 2 USD/ah, reserved 1.2 USD/ah
# paid for every hour of its block. A commitment of c accelerators costs
# c × 2,190 × 1.2 = 2,628 c per period of its block (inside the horizon).
RES_PRICE, OD_PRICE = 1.2, 2.0


@pytest.mark.parametrize(
    ("demand_acc", "end_period", "term", "quota", "expected", "reserved_cost"),
    [
        # 1.5 H100 all year. c = 1: 4 × 2,628 = 10,512 + 0.5 × 2,190 × 2 × 4 = 8,760
        # -> 19,272; c = 2: 21,024; c = 0: 26,280.
        pytest.param(1.5, None, 1, None, 19272.0, 10512.0, id="steady-worth-it"),
        # a 2-year block is 8 quarters; only the 4 inside the horizon are paid: same
        pytest.param(1.5, None, 2, None, 19272.0, 10512.0, id="block-past-horizon"),
        # only period 0 active: c = 1 costs 10,512 + 0.5 × 2,190 × 2 = 12,702; on-demand
        # 1.5 × 2,190 × 2 = 6,570 -> not worth it
        pytest.param(1.5, 0, 1, None, 6570.0, 0.0, id="short-not-worth-it"),
        # periods 0-1 active, term 0.5 y = 2 quarters: block 0 is exactly the demand.
        # c = 1: 2 × 2,628 = 5,256 + 0.5 × 2,190 × 2 × 2 = 4,380 -> 9,636;
        # on-demand: 1.5 × 2,190 × 2 × 2 = 13,140
        pytest.param(1.5, 1, 0.5, None, 9636.0, 5256.0, id="half-year-block"),
        # term 0.6 y / 0.25 = 2.4 -> round -> 2 quarters; 0.4 -> 1.6 -> 2 quarters
        pytest.param(1.5, 1, 0.6, None, 9636.0, 5256.0, id="term-rounds-down"),
        pytest.param(1.5, 1, 0.4, None, 9636.0, 5256.0, id="term-rounds-up"),
        # periods 0-1 active, 1-year block: c = 1 is 10,512 + 4,380 = 14,892 > 13,140
        pytest.param(1.5, 1, 1, None, 13140.0, 0.0, id="half-used-not-worth-it"),
        # 2.5 H100 all year, commitment at most max_accelerators = 1:
        # 10,512 + 1.5 × 2,190 × 2 × 4 = 26,280 -> 36,792 (c = 2 would give 29,784)
        pytest.param(2.5, None, 1, 1, 36792.0, 10512.0, id="commitment-quota"),
    ],
)
def test_reserved(tmp_path, demand_acc, end_period, term, quota, expected, reserved_cost):
    out = solve(
        tmp_path,
        plan_sheets(
            [training(730 * demand_acc, end_period=end_period)],
            settings={"period": "quarter"},
            cloud=[
                offer("od", OD_PRICE),
                offer(
                    "res", RES_PRICE, pricing="reserved", term_years=term, max_accelerators=quota
                ),
            ],
        ),
    )
    assert cost(out) == approx(expected)
    assert category(out, "cloud_reserved") == approx(reserved_cost)


# --- APIs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sensitive", "where", "price"),
    [("no", "keeper", 1.0), ("yes", "clean", 3.0)],
)
def test_sensitive_never_uses_an_api_that_retains_data(tmp_path, sensitive, where, price):
    """10 mtok/day = 3,650 mtok a year × the price of the API allowed."""
    out = solve(
        tmp_path,
        plan_sheets(
            [inference(10, sensitive=sensitive)],
            apis=[api("keeper", 1.0, retains_data="yes"), api("clean", 3.0)],
        ),
    )
    assert cost(out) == approx(3650 * price)
    assert placed(out) == shares(**{where: 1.0})


# --- edge devices -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("window", "expected", "capex_period"),
    [
        # whole year: 2 boxes bought in period 0: capex 2,000; energy 2 × 0.5 kW × 2,190 h
        # × 0.1 USD = 219 a quarter × 4 = 876; opex 2 × 100 × 0.25 = 50 a quarter × 4 = 200
        ({}, 2000 + 876 + 200, 0),
        # active in periods 2-3 only: bought in period 2, energy and opex for 2 quarters
        ({"start_period": 2}, 2000 + 438 + 100, 2),
        # active in periods 0-1 only: the boxes stay and cost to the horizon's end
        ({"end_period": 1}, 2000 + 876 + 200, 0),
    ],
)
def test_edge_devices(tmp_path, window, expected, capex_period):
    """36 mtok/day = 3,285 ah a quarter on one-accelerator boxes of 2,190 ah a quarter:
    1.5 boxes of load, 2 whole boxes. Power at the user region's 0.1 USD/kWh (the other
    region's 9 USD/kWh is not used), PUE 1."""
    out = solve(
        tmp_path,
        plan_sheets(
            [inference(36, allow_edge="yes", allow_cloud="no", allow_api="no", **window)],
            settings={"period": "quarter"},
            regions=[region("home", price=0.1), region("other", price=9.0)],
            edge=[device(power_kw=0.5, opex_usd_per_year=100)],
        ),
    )
    assert cost(out) == approx(expected)
    assert by_period(out, "edge_capex") == {capex_period: approx(2000.0)}
    energy = out.tables["costs"]
    energy = energy[(energy["category"] == "energy") & (energy["environment"] == "edge")]
    assert set(energy["period"]) == set(range(capex_period, 4))
    assert set(energy["region"]) == {"home"}


# --- lead times ---------------------------------------------------------------------------

# Quarters over one year; half an H100 all the time (365 H100-h/month = 1,095 ah a
# quarter); a rack costs 1,000 and serves it; cloud 1 USD/ah = 1,095 a quarter.


@pytest.mark.parametrize(
    ("lead", "expected", "purchases"),
    [
        (0, 1000.0, {("dc", "r1", 0): 1}),
        # delivered in period 1: period 0 on cloud
        (1, 1000 + 1095.0, {("dc", "r1", 0): 1}),
        # delivered in period 3: 1,000 + 3 × 1,095 = 4,285 < 4 × 1,095 = 4,380 all cloud
        (3, 1000 + 3 * 1095.0, {("dc", "r1", 0): 1}),
        # would be delivered after the horizon: not modelled, all cloud
        (4, 4 * 1095.0, {}),
    ],
)
def test_rack_lead_time(tmp_path, lead, expected, purchases):
    out = solve(
        tmp_path,
        plan_sheets(
            [training(365)],
            settings={"period": "quarter"},
            sites=[site()],
            hardware=[rack(lead_time_periods=lead)],
            cloud=[offer("od", 1.0)],
        ),
    )
    assert cost(out) == approx(expected)
    assert bought(out) == purchases


@pytest.mark.parametrize(
    ("build_lead", "rack_lead", "expected", "purchases"),
    [
        (0, 0, 1000.0, {("dc", "r1", 0): 1}),
        # racks may stand from period 2: periods 0-1 on cloud
        (2, 0, 1000 + 2 * 1095.0, {("dc", "r1", 2): 1}),
        # bought in period 1 before the site is ready, delivered in period 2 when it is
        (2, 1, 1000 + 2 * 1095.0, {("dc", "r1", 1): 1}),
        # the site cannot be ready inside the horizon: all cloud
        (4, 0, 4 * 1095.0, {}),
    ],
)
def test_site_build_lead(tmp_path, build_lead, rack_lead, expected, purchases):
    """A new site with no build cost and no fixed opex."""
    out = solve(
        tmp_path,
        plan_sheets(
            [training(365)],
            settings={"period": "quarter"},
            sites=[site(existing="no", build_lead_periods=build_lead)],
            hardware=[rack(lead_time_periods=rack_lead)],
            cloud=[offer("od", 1.0)],
        ),
    )
    assert cost(out) == approx(expected)
    assert bought(out) == purchases


@pytest.mark.parametrize(
    ("build_cost", "expected", "opened"),
    [
        # build in period 2: 500 + 800 × 0.25 × 2 = 400 + rack 1,000 = 1,900 < 2,190
        # (building in period 0 would add 400 more of fixed opex)
        (500, 1900.0, [0, 0, 1, 1]),
        # 1,000 + 400 + 1,000 = 2,400 > 2,190: cloud
        (1000, 2190.0, [0, 0, 0, 0]),
    ],
)
def test_site_worth_building(tmp_path, build_cost, expected, opened):
    """Quarters over a year; half an H100 from period 2 on (2 × 1,095 ah, 2,190 USD on the
    cloud at 1 USD/ah). A new site: build_cost_usd, fixed opex 800 USD a year from the
    period it opens, racks at 1,000."""
    out = solve(
        tmp_path,
        plan_sheets(
            [training(365, start_period=2)],
            settings={"period": "quarter"},
            sites=[site(existing="no", build_cost_usd=build_cost, fixed_opex_usd_per_year=800)],
            hardware=[rack()],
            cloud=[offer("od", 1.0)],
        ),
    )
    assert cost(out) == approx(expected)
    s = out.tables["sites"].sort_values("period")
    assert list(s["open"]) == opened
    if any(opened):
        assert by_period(out, "site_build") == {2: approx(build_cost)}
        assert by_period(out, "site_opex") == {2: approx(200.0), 3: approx(200.0)}
    else:
        assert category(out, "site_build") == 0 and category(out, "site_opex") == 0


def test_site_costs_run_from_the_decision_to_build(tmp_path):
    """As above (demand from period 2: 2,190 USD on the cloud), with build_lead_periods 1,
    build cost 500 and fixed opex 800 a year. To have racks in period 2 the site is built
    in period 1, and pays from then: 500 + 3 quarters × 200 = 1,100, + rack 1,000 = 2,100
    < 2,190."""
    out = solve(
        tmp_path,
        plan_sheets(
            [training(365, start_period=2)],
            settings={"period": "quarter"},
            sites=[
                site(
                    existing="no",
                    build_cost_usd=500,
                    fixed_opex_usd_per_year=800,
                    build_lead_periods=1,
                )
            ],
            hardware=[rack()],
            cloud=[offer("od", 1.0)],
        ),
    )
    assert cost(out) == approx(2100.0)
    assert by_period(out, "site_build") == {1: approx(500.0)}
    assert by_period(out, "site_opex") == {t: approx(200.0) for t in (1, 2, 3)}
    assert bought(out) == {("dc", "r1", 2): 1}


# --- demand over time ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "demand", "growth", "expected"),
    [
        # years: 8,760 ah × (1 + 1.5 + 2.25) at 1 USD = 41,610
        ({"horizon_years": 3}, 730, 0.5, 8760 * (1 + 1.5 + 2.25)),
        # quarters: 1,095 ah × 2 ** (k × 0.25), k = 0..3
        ({"period": "quarter"}, 365, 1.0, 1095 * sum(2 ** (k / 4) for k in range(4))),
        # months (12 of 730 h): 365 ah × 2 ** (k / 12), k = 0..11
        ({"period": "month"}, 730 / 2, 1.0, 365 * sum(2 ** (k / 12) for k in range(12))),
    ],
)
def test_growth(tmp_path, settings, demand, growth, expected):
    out = solve(
        tmp_path,
        plan_sheets(
            [training(demand, growth_per_year=growth)],
            settings=settings,
            cloud=[offer("od", 1.0)],
        ),
    )
    assert cost(out) == approx(expected)


@pytest.mark.parametrize(
    ("window", "periods", "expected"),
    [
        # both ends included; growth compounds from period 0, not from start_period
        ({"start_period": 2, "end_period": 3}, [2, 3], 1095 * (2**0.5 + 2**0.75)),
        ({"start_period": 1, "end_period": 1}, [1], 1095 * 2**0.25),
        ({"end_period": 0}, [0], 1095.0),
    ],
)
def test_activity_window(tmp_path, window, periods, expected):
    """Quarters; half an H100 (1,095 ah a quarter) growing 100 % a year, cloud 1 USD/ah."""
    out = solve(
        tmp_path,
        plan_sheets(
            [training(365, growth_per_year=1.0, **window)],
            settings={"period": "quarter"},
            cloud=[offer("od", 1.0)],
        ),
    )
    assert cost(out) == approx(expected)
    assert sorted(set(out.tables["assignments"]["period"])) == periods


@pytest.mark.parametrize(
    ("where", "peak", "expected"),
    [
        # 20 mtok/day = 7,300 ah a year at average load, 10,950 held at peak 1.5
        pytest.param("cloud", 1.5, 10950.0, id="cloud-billed-at-peak"),
        pytest.param("cloud", 1.0, 7300.0, id="cloud-no-peak"),
        # the API bills average tokens: 7,300 mtok × 1 USD
        pytest.param("api", 1.5, 7300.0, id="api-billed-on-average"),
        # racks: 10,950 / 8,760 = 1.25 racks -> 2; without the peak 0.83 -> 1
        pytest.param("racks", 1.5, 2000.0, id="racks-held-for-peak"),
        pytest.param("racks", 1.0, 1000.0, id="racks-no-peak"),
    ],
)
def test_peak_factor(tmp_path, where, peak, expected):
    extra = {
        "cloud": {"cloud": [offer("od", 1.0)]},
        "api": {"apis": [api("tok", 1.0)]},
        "racks": {"sites": [site()], "hardware": [rack()]},
    }[where]
    out = solve(tmp_path, plan_sheets([inference(20, peak_factor=peak)], **extra))
    assert cost(out) == approx(expected)
    if where == "cloud":
        assert out.tables["assignments"]["accelerator_hours"].sum() == approx(7300 * peak)


# --- money over time ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "per_period", "expected"),
    [
        # years at 10 %: 8,760 × (1 + 1.1^-1 + 1.1^-2)
        ({"horizon_years": 3}, 8760.0, 8760 * (1 + 1.1**-1 + 1.1**-2)),
        # quarters at 10 %: 2,190 × 1.1^-(k × 0.25), k = 0..3
        ({"period": "quarter"}, 2190.0, 2190 * sum(1.1 ** (-k / 4) for k in range(4))),
    ],
)
def test_discounting(tmp_path, settings, per_period, expected):
    """One H100 all the time on the cloud at 1 USD/ah, discount_rate 0.1."""
    out = solve(
        tmp_path,
        plan_sheets(
            [training(730)],
            settings={"discount_rate": 0.1, **settings},
            cloud=[offer("od", 1.0)],
        ),
    )
    assert cost(out) == approx(expected)
    costs = out.tables["costs"]
    assert costs["amount_usd"].sum() == approx(per_period * len(set(costs["period"])))
    ypp = 1.0 if settings.get("period") is None else 0.25
    for t, amount, discounted in zip(
        costs["period"], costs["amount_usd"], costs["discounted_usd"], strict=True
    ):
        assert discounted == approx(amount * 1.1 ** (-t * ypp))
    assert out.tables["summary"]["total_cost_usd"].iloc[0] == approx(costs["amount_usd"].sum())


@pytest.mark.parametrize(
    ("settings", "lead", "lifetime", "expected", "credit"),
    [
        # residual_value none (the default): the rack's 1,200, no credit
        pytest.param({}, 0, 4, 1200.0, 0.0, id="none"),
        # delivered in period 0, 3 years old at the end of a 4-year life: 1/4 of 1,200 back
        pytest.param({"residual_value": "straight_line"}, 0, 4, 900.0, -300.0, id="straight"),
        # credited in the last period (2) and discounted as its cash: 300 / 1.1^2
        pytest.param(
            {"residual_value": "straight_line", "discount_rate": 0.1},
            0,
            4,
            1200 - 300 / 1.1**2,
            -300.0,
            id="discounted",
        ),
        # delivered in period 1 (age 2 years, half the value left, 600 back); period 0 on
        # cloud: 4,380 ah × 1 USD. Buying in period 1 instead: 2 × 4,380 + 1,200 − 900
        # = 9,060; all cloud 13,140.
        pytest.param(
            {"residual_value": "straight_line"}, 1, 4, 4380 + 600.0, -600.0, id="age-from-delivery"
        ),
        # blank lifetime_years: no residual value
        pytest.param({"residual_value": "straight_line"}, 0, None, 1200.0, 0.0, id="no-life"),
    ],
)
def test_residual_value(tmp_path, settings, lead, lifetime, expected, credit):
    """Three years in years; half an H100 all the time (4,380 ah a year); a rack of 1,200 USD
    with lifetime_years 4; cloud 1 USD/ah."""
    out = solve(
        tmp_path,
        plan_sheets(
            [training(365)],
            settings={"horizon_years": 3, **settings},
            sites=[site()],
            hardware=[rack(capex_usd=1200, lifetime_years=lifetime, lead_time_periods=lead)],
            cloud=[offer("od", 1.0)],
        ),
    )
    assert cost(out) == approx(expected)
    assert bought(out) == {("dc", "r1", 0): 1}
    if credit:
        assert by_period(out, "residual_value") == {2: approx(credit)}
    else:
        assert category(out, "residual_value") == 0


def test_residual_value_not_for_installed_racks(tmp_path):
    """An installed rack (capex 1,200, 4-year life) serves everything: no purchase, no
    credit, nothing to pay (power free, no opex)."""
    out = solve(
        tmp_path,
        plan_sheets(
            [training(365)],
            settings={"horizon_years": 3, "residual_value": "straight_line"},
            sites=[site()],
            hardware=[rack(capex_usd=1200, lifetime_years=4)],
            installed=[{"site": "dc", "rack_type": "r1", "racks": 1}],
        ),
    )
    assert cost(out) == approx(0.0)
    assert bought(out) == {}


# --- energy -------------------------------------------------------------------------------


def test_energy_at_average_load(tmp_path):
    """20 mtok/day, peak 1.5: 7,300 ah at average load, 10,950 held -> 2 racks (2,000).

    Racks of 10 kW with idle_power_fraction 0.4, PUE 1.5, the site's own 0.1 USD/kWh (the
    region's 1 USD/kWh is overridden). Energy:
    idle: 2 racks × 10 kW × 8,760 h × 0.4 = 70,080 kWh
    busy: 10 kW × 0.6 × 7,300 ah (average load, not × peak) = 43,800 kWh
    (113,880 kWh) × 1.5 × 0.1 = 17,082 USD. Total 19,082 USD."""
    out = solve(
        tmp_path,
        plan_sheets(
            [inference(20, peak_factor=1.5)],
            regions=[region(price=1.0)],
            sites=[site(pue=1.5, power_price_usd_per_kwh=0.1)],
            hardware=[rack(idle_power_fraction=0.4)],
        ),
    )
    assert cost(out) == approx(19082.0)
    assert category(out, "energy") == approx(17082.0)
    assert bought(out) == {("dc", "r1", 0): 2}


@pytest.mark.parametrize(
    ("can_use", "expected"),
    [
        # the workload runs on the installed rack; its busy energy per ah is
        # 10 kW × (1 − 0.5) × 1.2 × 0.1 = 0.6 USD < 1 on the cloud: 4,380 × 0.6 = 2,628
        (True, 100 + 5256 + 2628.0),
        # the workload must stay in region away (cloud 1 USD/ah): 4,380
        (False, 100 + 5256 + 4380.0),
    ],
)
def test_installed_racks_cost_in_every_plan(tmp_path, can_use, expected):
    """An existing site with 1 installed rack (10 kW, idle_power_fraction 0.5, opex 100 a
    year), PUE 1.2, 0.1 USD/kWh, site fixed opex 1,000 a year. Whatever the plan: site opex
    1,000, rack opex 100, idle energy 10 × 8,760 × 0.5 × 1.2 × 0.1 = 5,256. Half an H100 all
    year of training."""
    work = training(365) if can_use else training(365, user_region="away", residency="region")
    out = solve(
        tmp_path,
        plan_sheets(
            [work],
            regions=[region(price=0.1), region("away", price=0.1)],
            sites=[site(pue=1.2, fixed_opex_usd_per_year=1000)],
            hardware=[rack(idle_power_fraction=0.5, opex_usd_per_year=100)],
            installed=[{"site": "dc", "rack_type": "r1", "racks": 1}],
            cloud=[offer("od", 1.0, region="away")],
        ),
    )
    assert cost(out) == approx(expected + 1000)
    assert bought(out) == {}
    assert category(out, "site_opex") == approx(1000.0)
    assert category(out, "rack_opex") == approx(100.0)
    assert category(out, "rack_capex") == 0
    onprem_energy = out.tables["costs"]
    onprem_energy = onprem_energy[
        (onprem_energy["category"] == "energy") & (onprem_energy["location"] == "dc")
    ]
    assert onprem_energy["amount_usd"].sum() == approx(5256 + (2628.0 if can_use else 0.0))


@pytest.mark.parametrize(
    ("where", "utilization", "expected"),
    [
        # 21.6 mtok/day = 7,884 ah a year = 0.9 of an accelerator. At 0.85 a rack gives
        # 7,446 ah: 2 racks (2,000); at 1, one rack (1,000).
        pytest.param("racks", 0.85, 2000.0, id="racks-capped"),
        pytest.param("racks", 1.0, 1000.0, id="racks-full"),
        # edge devices are not capped: one box of 8,760 ah (capex 1,000)
        pytest.param("edge", 0.85, 1000.0, id="edge-not-capped"),
        # nor is a cloud quota: 1 accelerator = 8,760 ah ≥ 7,884 on the 1 USD offer
        pytest.param("cloud", 0.85, 7884.0, id="cloud-not-capped"),
    ],
)
def test_max_utilization_caps_racks_only(tmp_path, where, utilization, expected):
    extra = {
        "racks": {"sites": [site()], "hardware": [rack()]},
        "edge": {"edge": [device()]},
        "cloud": {"cloud": [offer("cheap", 1.0, max_accelerators=1), offer("dear", 2.0)]},
    }[where]
    out = solve(
        tmp_path,
        plan_sheets(
            [inference(21.6, allow_edge="yes")],
            settings={"max_utilization": utilization},
            **extra,
        ),
    )
    assert cost(out) == approx(expected)


def test_per_year_costs_pro_rata(tmp_path):
    """Quarters over a year; an existing site (fixed opex 4,000 a year) with one installed
    rack (opex 800 a year), no demand on it (the only workload must stay in region away,
    on the cloud at 1 USD/ah: half an H100 = 1,095 ah a quarter).
    Per quarter: site 1,000 and rack 200, each period; total 4,800 + 4 × 1,095 = 9,180."""
    out = solve(
        tmp_path,
        plan_sheets(
            [training(365, user_region="away", residency="region")],
            settings={"period": "quarter"},
            regions=[region(), region("away")],
            sites=[site(fixed_opex_usd_per_year=4000)],
            hardware=[rack(opex_usd_per_year=800)],
            installed=[{"site": "dc", "rack_type": "r1", "racks": 1}],
            cloud=[offer("od", 1.0, region="away")],
        ),
    )
    assert cost(out) == approx(9180.0)
    assert by_period(out, "site_opex") == {t: approx(1000.0) for t in range(4)}
    assert by_period(out, "rack_opex") == {t: approx(200.0) for t in range(4)}


# --- invariants on a plan with everything -------------------------------------------------


def test_invariants_on_a_mixed_plan(tmp_path):
    """Costs reconcile with the objective, the summary repeats it, every active (workload,
    period) is served in full, and nothing is served outside a workload's window."""
    sheets = plan_sheets(
        [
            inference(40, growth_per_year=0.5, peak_factor=1.3, max_latency_ms=50),
            training(2000, start_period=2, end_period=6),
            inference(3, name="qc", user_region="away", residency="region", allow_edge="yes"),
            inference(5, name="secret", sensitive="yes", end_period=4),
        ],
        settings={
            "horizon_years": 2,
            "period": "quarter",
            "discount_rate": 0.08,
            "residual_value": "straight_line",
            "max_utilization": 0.85,
        },
        regions=[region("home", price=0.1), region("away", "US", price=0.05)],
        latency=[{"from_region": "home", "to_region": "away", "rtt_ms": 80}],
        sites=[
            site("old", power_capacity_kw=60, rack_slots=4, pue=1.3, fixed_opex_usd_per_year=1e4),
            site(
                "new",
                region="away",
                existing="no",
                build_cost_usd=2e5,
                build_lead_periods=1,
                fixed_opex_usd_per_year=5e4,
            ),
        ],
        hardware=[
            rack(capex_usd=2e5, lifetime_years=5, idle_power_fraction=0.3, opex_usd_per_year=1e4),
            rack(
                "r2",
                accelerators_per_rack=8,
                it_power_kw=40,
                cooling="liquid",
                capex_usd=9e5,
                lifetime_years=4,
                lead_time_periods=1,
            ),
        ],
        installed=[{"site": "old", "rack_type": "r1", "racks": 2}],
        cloud=[
            offer("od", 4.0),
            offer("spot", 1.5, pricing="spot", region="away", max_accelerators=4),
            offer("res", 2.2, pricing="reserved", term_years=1, max_accelerators=8),
        ],
        apis=[api("keeper", 0.5, retains_data="yes", max_mtok_per_day=20), api("clean", 2.0)],
        edge=[device(capex_usd=5000, power_kw=0.7, opex_usd_per_year=300)],
    )
    out = solve(tmp_path, sheets)
    assert out.solved.status == "optimal"
    objective = out.solved.objective
    costs = out.tables["costs"]
    assert costs["discounted_usd"].sum() == approx(objective)
    assert out.tables["summary"]["objective_usd"].iloc[0] == approx(objective)
    assert out.tables["summary"]["total_cost_usd"].iloc[0] == approx(costs["amount_usd"].sum())
    served = out.tables["assignments"].groupby(["workload", "period"])["share"].sum()
    active = (
        {("chat", t) for t in range(8)}
        | {("train", t) for t in range(2, 7)}
        | {("qc", t) for t in range(8)}
        | {("secret", t) for t in range(5)}
    )
    assert set(served.index) == active
    for key, total in served.items():
        assert total == pytest.approx(1.0, abs=1e-6), key
    a = out.tables["assignments"]
    assert "keeper" not in set(a.loc[a["workload"] == "secret", "location"])
    assert set(a.loc[a["workload"] == "qc", "region"]) == {"away"}
    assert math.isfinite(objective) and objective > 0


# --- no plan ------------------------------------------------------------------------------


def test_infeasible_residency_names_the_workload(tmp_path):
    """Residency region keeps the workload in home; the only offer is in far."""
    out = solve(
        tmp_path,
        plan_sheets(
            [training(730, name="locked", residency="region")],
            regions=REGIONS3,
            cloud=[offer("c-far", 1.0, region="far")],
        ),
    )
    assert out.solved.status == "infeasible"
    assert any("locked" in line and "residency" in line for line in out.diagnosis), out.diagnosis


def test_infeasible_site_power_names_the_site(tmp_path):
    """1.5 H100 all year need 2 racks (20 kW) at the only allowed place, an existing site
    of 19 kW: the cheapest relaxation is 1 kW more power there."""
    out = solve(
        tmp_path,
        plan_sheets(
            [training(1095, allow_cloud="no")],
            sites=[site("tight-dc", power_capacity_kw=19)],
            hardware=[rack()],
            cloud=[offer("od", 1.0)],
        ),
    )
    assert out.solved.status == "infeasible"
    assert any("tight-dc" in line and "more power" in line for line in out.diagnosis), out.diagnosis


def test_infeasible_installed_racks_over_a_site_limit(tmp_path):
    """3 installed racks of 10 kW at a site of 25 kW: no plan, whatever else is allowed."""
    out = solve(
        tmp_path,
        plan_sheets(
            [training(365)],
            sites=[site("full-dc", power_capacity_kw=25)],
            hardware=[rack()],
            installed=[{"site": "full-dc", "rack_type": "r1", "racks": 3}],
            cloud=[offer("od", 1.0)],
        ),
    )
    assert out.solved.status == "infeasible"
    assert any("full-dc" in line and "power" in line for line in out.diagnosis), out.diagnosis
