"""The example plans: valid, reproducible from the catalog, solvable, and their solutions
keep every invariant when recomputed from the output tables."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from optimizer import read_plan
from optimizer.models import build_data
from optimizer.run import optimize
from optimizer.solve import SolverOptions

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "data" / "examples").glob("*.xlsx"))
TABLES = (
    "regions",
    "latency",
    "sites",
    "accelerators",
    "performance",
    "hardware",
    "installed",
    "cloud",
    "apis",
    "edge",
    "workloads",
    "scenarios",
)


def test_there_are_examples():
    assert {p.name for p in EXAMPLES} >= {"seed-article.xlsx", "hybrid-enterprise.xlsx"}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_is_valid_without_warnings(path):
    plan = read_plan(path)
    assert [str(w) for w in plan.warnings] == []


def test_examples_are_rebuilt_from_the_catalog(tmp_path):
    subprocess.run(
        [sys.executable, str(ROOT / "data" / "build_examples.py"), str(tmp_path)],
        check=True,
        capture_output=True,
    )
    for path in EXAMPLES:
        built, shipped = read_plan(tmp_path / path.name), read_plan(path)
        assert built.settings == shipped.settings
        for name in TABLES:
            pd.testing.assert_frame_equal(getattr(built, name), getattr(shipped, name))


def test_catalog_figures_carry_their_sources():
    for path in sorted((ROOT / "data" / "catalog").glob("*.csv")):
        table = pd.read_csv(path)
        assert {"source", "source_date", "confidence"} <= set(table.columns), path.name
        assert table["source"].notna().all() and table["source_date"].notna().all(), path.name
        assert set(table["confidence"]) <= {"high", "medium", "low"}, path.name


@pytest.fixture(scope="module", params=EXAMPLES, ids=lambda p: p.name)
def solved(request):
    plan = read_plan(request.param)
    outcome = optimize(plan, SolverOptions(mip_gap=plan.settings.mip_gap, time_limit_s=120))
    assert outcome.solved.has_plan, outcome.diagnosis
    return plan, outcome


def test_costs_sum_to_the_objective(solved):
    _, outcome = solved
    costs, summary = outcome.tables["costs"], outcome.tables["summary"]
    assert costs["discounted_usd"].sum() == pytest.approx(outcome.solved.objective, abs=0.01)
    assert summary.loc[0, "objective_usd"] == pytest.approx(outcome.solved.objective, abs=0.01)
    by_env = costs.groupby("environment")["amount_usd"].sum()
    for env in ("onprem", "cloud", "api", "edge"):
        assert summary.loc[0, f"{env}_usd"] == pytest.approx(by_env.get(env, 0.0), abs=0.01)


def test_workload_costs_sum_to_the_costs_to_the_cent(solved):
    _, outcome = solved
    t = outcome.tables
    for column in ("amount_usd", "discounted_usd"):
        assert t["workload_costs"][column].sum() == pytest.approx(
            t["costs"][column].sum(), abs=0.01
        )
    by_key = ["period", "environment", "category", "location"]
    split = t["workload_costs"].groupby(by_key)["amount_usd"].sum()
    whole = t["costs"].groupby(by_key)["amount_usd"].sum()
    assert (split - whole).abs().max() < 0.005
    assert t["workload_emissions"]["tco2e"].sum() == pytest.approx(t["emissions"]["tco2e"].sum())
    summary = t["workload_summary"]
    assert summary["cost_usd"].sum() == pytest.approx(t["costs"]["amount_usd"].sum(), abs=0.01)


def test_stable_placement_moves_less_within_the_gap(solved):
    plan, outcome = solved
    stable = outcome.stable
    assert stable is not None and outcome.solved.certificate.holds
    if stable.moves_before > 0:
        assert stable.taken and stable.moves_after < stable.moves_before
    assert outcome.tables["summary"]["moves"].iloc[0] == pytest.approx(stable.moves_after)
    assert outcome.solved.gap <= plan.settings.mip_gap + 1e-6


def test_every_workload_demand_is_met(solved):
    plan, outcome = solved
    data = build_data(plan)
    shares = outcome.tables["assignments"].groupby(["workload", "period"])["share"].sum()
    assert set(shares.index) == set(data.active)
    assert shares.to_numpy() == pytest.approx(1.0, abs=1e-6)
    demand = outcome.tables["assignments"].groupby(["workload", "period"])["demand"].sum()
    for (w, t), value in demand.items():
        assert value == pytest.approx(data.demand[(w, t)], rel=1e-6)


def test_no_cap_is_exceeded(solved):
    plan, outcome = solved
    sites = outcome.tables["sites"].merge(plan.sites, on="site", suffixes=("", "_input"))
    tol = 1e-6
    assert (sites["power_used_kw"] <= sites["power_capacity_kw"] + tol).all()
    assert (sites["cooling_air_used_kw"] <= sites["cooling_air_kw"] + tol).all()
    assert (sites["cooling_liquid_used_kw"] <= sites["cooling_liquid_kw"] + tol).all()
    assert (sites["slots_used"] <= sites["rack_slots"]).all()
    assert (sites.loc[sites["open"] == 0, "slots_used"] == 0).all()
    # accelerator-hours on each (site, rack type) within what stands there
    a = outcome.tables["assignments"]
    use = (
        a[a["environment"] == "onprem"]
        .groupby(["location", "rack_type", "period"])["accelerator_hours"]
        .sum()
    )
    racks = outcome.tables["racks"].set_index(["site", "rack_type", "period"])["installed"]
    hw = plan.hardware.set_index("rack_type")["accelerators_per_rack"]
    cap = plan.settings.hours_per_period * plan.settings.max_utilization
    for (site, rack_type, t), hours in use.items():
        assert hours <= racks[(site, rack_type, t)] * hw[rack_type] * cap * (1 + 1e-6)
    # cloud quotas
    quota = plan.cloud.set_index("offer")["max_accelerators"].dropna()
    cloud = (
        a[a["environment"] == "cloud"].groupby(["location", "period"])["accelerator_hours"].sum()
    )
    for (offer, _), hours in cloud.items():
        if offer in quota.index:
            assert hours <= quota[offer] * plan.settings.hours_per_period * (1 + 1e-6)
