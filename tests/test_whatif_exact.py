"""What-if answers that can be trusted: a scenario's answer is a fresh run's answer,
whatever path, order, worker count or cluster produced it.

- Differential: on 30 random small plans (seeded), each with a sweep of a price or
  demand parameter, every scenario solved the way a worker solves it (the price-only
  re-solve on the model kept for the plan, in forward and reversed order) has the
  objective of a fresh build and solve of that scenario alone, at mip_gap 0.
- Properties: raising a price never lowers the optimum; no regret is negative beyond
  its tolerance.
- Determinism: one sweep forwards and reversed, on 1 and 2 local workers and on a
  real `dask scheduler` + `dask worker` cluster on 127.0.0.1, gives identical tables.
- A multiplier of 1 is the base case: solved once, reported under both names.
"""

from __future__ import annotations

import itertools
import random
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import Sheets, write_book
from test_model import api, inference, offer, plan_sheets, rack, region, site, training

import optimizer.whatif
from optimizer import read_plan, results
from optimizer.cli import Exit, main
from optimizer.models import build_model
from optimizer.models.stages import FirstStage, first_stage, targets
from optimizer.plan import Plan
from optimizer.run import optimize
from optimizer.scenarios import BASE, Scenario, apply, from_sweeps
from optimizer.solve import SolverOptions, solve
from optimizer.whatif import run_scenarios, solve_scenario

OPTIONS = SolverOptions(mip_gap=0.0, time_limit_s=60.0)
PRICES = ("power_price_multiplier", "cloud_price_multiplier", "api_price_multiplier")
PLANS = 30


def random_sheets(seed: int) -> tuple[Sheets, str]:
    """A small random plan (one region; sites to build or standing; racks, cloud offers,
    an API; training and inference work) and a sweep of one parameter over it."""
    rng = random.Random(seed)
    sites = [
        site(
            f"s{i}",
            existing="yes" if i == 0 and rng.random() < 0.5 else "no",
            build_cost_usd=rng.choice([0, 2000, 20000]),
            power_capacity_kw=rng.choice([30, 60, 200]),
            rack_slots=rng.choice([2, 5, 20]),
            fixed_opex_usd_per_year=rng.choice([0, 500]),
        )
        for i in range(rng.randint(1, 2))
    ]
    hardware = [
        rack(
            f"r{i}",
            accelerators_per_rack=rng.choice([1, 2, 4]),
            it_power_kw=rng.choice([5, 10, 20]),
            capex_usd=rng.choice([1500, 4000, 12000]),
        )
        for i in range(rng.randint(1, 2))
    ]
    cloud = [offer("od", rng.uniform(0.4, 2.5))]
    if rng.random() < 0.5:
        cloud.append(
            offer("res", rng.uniform(0.2, 1.0), pricing="reserved", term_years=1, provider="rco")
        )
    work = [inference(rng.uniform(1, 60), "chat", growth_per_year=rng.choice([0, 0.5]))]
    if rng.random() < 0.6:
        work.append(training(rng.uniform(200, 3000), "train"))
    sheets = plan_sheets(
        work,
        settings={"horizon_years": rng.choice([1, 2]), "period": rng.choice(["year", "quarter"])},
        regions=[region(price=rng.uniform(0.02, 0.4))],
        sites=sites,
        hardware=hardware,
        cloud=cloud,
        apis=[api("tok", rng.uniform(0.3, 3.0))],
    )
    parameter = rng.choice([*PRICES, "demand_multiplier"])
    values = sorted(rng.sample([0.5, 0.8, 1.3, 2.0, 3.0], 2))
    return sheets, f"{parameter}={values[0]},{values[1]}"


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Plan, list[Scenario]]]:
    folder = tmp_path_factory.mktemp("random")
    out = []
    for seed in range(PLANS):
        sheets, sweep = random_sheets(seed)
        plan = read_plan(write_book(folder / f"p{seed}.xlsx", sheets))
        out.append((plan, [Scenario(BASE), *from_sweeps(plan, [sweep])]))
    return out


def test_every_scenario_equals_a_fresh_run(plans):
    """The worker's path (solve_scenario: the kept model with new costs for prices), in
    forward then reversed order in one process, against optimize() on the scenario's own
    plan, built from nothing."""
    checked = 0
    for plan, scenarios in plans:
        fresh = {s.name: optimize(apply(plan, s), OPTIONS, scenario=s.name) for s in scenarios}
        for order in (scenarios, scenarios[::-1]):
            for s in order:
                run = solve_scenario(plan, s, OPTIONS)
                want = fresh[s.name].solved
                assert run.status == want.status, (plan.source.name, s.name)
                assert run.solved is not None and run.solved.certificate.holds
                assert run.objective == pytest.approx(want.objective, rel=1e-9), (
                    plan.source.name,
                    s.name,
                )
                if want.has_plan:  # and the same plan, decision for decision
                    assert run.plan == first_stage(fresh[s.name].model), s.name
                checked += 1
    assert checked == PLANS * 3 * 2


def _fixed_in_pyomo(plan: Plan, fixed: FirstStage) -> float | None:
    """The cost of operating ``fixed`` under ``plan`` by another route than the tool's:
    the first-stage variables fixed in the Pyomo model before it is compiled (so they
    are no columns of the LP at all), the ledger's total at the solution."""
    m = build_model(plan)
    found = targets(m, fixed)
    if found is None:
        return None
    for var, value in found:
        var.fix(value)
    _, _, values = solve(m, OPTIONS)
    return None if values is None else float(results.costs(plan, m)["discounted_usd"].sum())


def test_every_regret_run_equals_a_fresh_run(plans, monkeypatch):
    """Each scenario's plan operated under every scenario the way a worker does it (for a
    scenario that changes only prices: on the model kept for the plan, its first stage
    fixed by bounds) against a fresh build of that scenario with the plan fixed: the
    same status, objective and bound, bit for bit; and against the plan fixed in the
    Pyomo model (another LP, the same optimum) to 1e-9."""
    kept = []

    def spy(*args: object) -> object:
        answer = operate_prices(*args)
        kept.append(answer is not None)
        return answer

    operate_prices = optimizer.whatif.operate_prices
    monkeypatch.setattr(optimizer.whatif, "operate_prices", spy)
    checked = 0
    for plan, scenarios in plans:
        chosen = {
            run.plan.key(): run.plan
            for s in scenarios
            if (run := solve_scenario(plan, s, OPTIONS)).plan
        }
        for fixed in chosen.values():
            for s in scenarios:
                run = solve_scenario(plan, s, OPTIONS, fixed=fixed).solved
                fresh = optimize(apply(plan, s), OPTIONS, scenario=s.name, fixed=fixed).solved
                assert run is not None and run.certificate is not None
                assert (run.status, run.objective, run.best_bound, run.gap) == (
                    fresh.status,
                    fresh.objective,
                    fresh.best_bound,
                    fresh.gap,
                ), (plan.source.name, s.name)
                other = _fixed_in_pyomo(apply(plan, s), fixed)
                assert run.objective == pytest.approx(other, rel=1e-9), (plan.source.name, s.name)
                checked += 1
    assert checked >= PLANS * 3
    assert len(kept) >= 2 * PLANS and all(kept)  # most scenarios change only prices


def test_raising_a_price_never_lowers_the_optimum(plans):
    swept = 0
    for plan, scenarios in plans:
        parameter = next(iter(scenarios[1].values))
        if parameter not in PRICES:
            continue
        points = sorted(
            [(1.0, scenarios[0])] + [(s.values[parameter], s) for s in scenarios[1:]],
            key=lambda p: p[0],
        )
        costs = [solve_scenario(plan, s, OPTIONS).objective for _, s in points]
        for low, high in itertools.pairwise(costs):
            assert low <= high * (1 + 1e-9), (plan.source.name, parameter, costs)
        swept += 1
    assert swept >= 10


def test_no_regret_is_negative_beyond_its_tolerance(plans, cluster_address):
    for plan, scenarios in plans:
        result = run_scenarios(
            plan, scenarios, OPTIONS, scheduler=cluster_address, break_even_tolerance=None
        )
        regret = result.tables["regret"].dropna(subset=["regret_usd"])
        assert not regret.empty
        too_low = regret[regret["regret_usd"] < -regret["tolerance_usd"] - 1e-6]
        assert too_low.empty, (plan.source.name, too_low)
        assert result.least_regret, plan.source.name


# --- determinism ---------------------------------------------------------------------------

SWEEP = "power_price_multiplier=0.5,1,1.5,3"
SORT = {
    "summary": ["scenario"],
    "costs": ["scenario", "period", "environment", "category", "location"],
    "racks": ["scenario", "site", "rack_type", "period"],
    "assignments": ["scenario", "workload", "period", "environment", "location"],
    "sites": ["scenario", "site", "period"],
    "decisions": ["scenario", "site", "rack_type", "offer", "reserved_block"],
    "regret": ["scenario", "operated_under"],
    "breakeven": ["break_even_value", "decision"],
}


def _canonical(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    out = {}
    for name, keys in SORT.items():
        frame = tables[name].drop(columns=["solve_seconds"], errors="ignore")
        out[name] = frame.sort_values(keys, na_position="first", kind="stable").reset_index(
            drop=True
        )
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def external_scheduler() -> Iterator[str]:
    """A real cluster started the way an operator starts one: `dask scheduler` and two
    `dask worker` processes on 127.0.0.1."""
    dask = shutil.which("dask") or str(Path(sys.executable).with_name("dask"))
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    common = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    scheduler = subprocess.Popen(
        [
            dask,
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--dashboard-address",
            ":0",
        ],
        **common,
    )
    workers = [
        subprocess.Popen(
            [
                dask,
                "worker",
                address,
                "--nthreads",
                "1",
                "--nworkers",
                "1",
                "--host",
                "127.0.0.1",
                "--dashboard-address",
                ":0",
                "--no-nanny",
            ],
            **common,
        )
        for _ in range(2)
    ]
    try:
        from distributed import Client

        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for p in [*workers, scheduler]:
            p.terminate()
        for p in [*workers, scheduler]:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def test_a_sweep_gives_identical_tables_in_any_order_on_any_workers(tmp_path, external_scheduler):
    sheets, _ = random_sheets(7)
    plan = read_plan(write_book(tmp_path / "det.xlsx", sheets))
    scenarios = [Scenario(BASE), *from_sweeps(plan, [SWEEP])]
    started = time.perf_counter()
    runs = {
        "forward, 2 workers": run_scenarios(plan, scenarios, OPTIONS, workers=2),
        "reversed, 2 workers": run_scenarios(plan, scenarios[::-1], OPTIONS, workers=2),
        "forward, 1 worker": run_scenarios(plan, scenarios, OPTIONS, workers=1),
        "reversed, external cluster": run_scenarios(
            plan, scenarios[::-1], OPTIONS, scheduler=external_scheduler
        ),
    }
    assert time.perf_counter() - started < 300
    reference = _canonical(runs["forward, 2 workers"].tables)
    assert not reference["regret"].empty
    for how, result in runs.items():
        tables = _canonical(result.tables)
        for name in SORT:
            pd.testing.assert_frame_equal(tables[name], reference[name], obj=f"{how}: {name}")
        assert [b.line() for b in result.break_even] == [
            b.line() for b in runs["forward, 2 workers"].break_even
        ]
    # and a plain run of the base case is the sweep's base case
    alone = optimize(plan, OPTIONS)
    assert alone.solved.objective == runs["forward, 1 worker"].runs[0].objective


def test_a_multiplier_of_1_is_the_base_case_solved_once(tmp_path, monkeypatch):
    sheets, _ = random_sheets(3)
    plan = read_plan(write_book(tmp_path / "one.xlsx", sheets))
    scenarios = [Scenario(BASE), *from_sweeps(plan, ["power_price_multiplier=1,2"])]
    result = run_scenarios(plan, scenarios, OPTIONS, workers=1)
    base, one, two = result.runs
    assert one.scenario.name == "power_price_multiplier=1"
    assert one.solved is base.solved  # one solve, two names
    assert set(one.tables["costs"]["scenario"]) == {"power_price_multiplier=1"}
    summary = result.tables["summary"].set_index("scenario")
    assert (
        summary.loc["base", "objective_usd"]
        == summary.loc["power_price_multiplier=1", "objective_usd"]
    )
    regret = result.tables["regret"]
    assert len(regret) == 9  # every plan under every name
    assert two.solved is not base.solved
    # one scenario under two names is one plan, never a tie with itself
    for names in result.least_regret_plans():
        assert ("base" in names) == ("power_price_multiplier=1" in names), names


def test_break_even_options_need_one_numeric_sweep(tmp_path):
    sheets, _ = random_sheets(1)
    path = write_book(tmp_path / "be.xlsx", sheets)
    out = tmp_path / "out"
    for args, says in (
        (
            [
                "--sweep",
                "power_price_multiplier=1,2",
                "--sweep",
                "cloud_price_multiplier=1,2",
                "--break-even-tolerance",
                "0.05",
            ],
            "--break-even-tolerance applies to one --sweep of a number",
        ),
        (["--scenarios", "--no-break-even"], "--no-break-even applies to one --sweep"),
        (
            [
                "--sweep",
                "power_price_multiplier=1,2",
                "--no-break-even",
                "--break-even-tolerance",
                "0.1",
            ],
            "not both",
        ),
        (["--sweep", "power_price_multiplier=1,2", "--break-even-tolerance", "0"], "0<x<1"),
    ):
        result = CliRunner().invoke(main, [str(path), "--out", str(out), *args])
        assert result.exit_code == Exit.INPUT, (args, result.output)
        assert says in result.output, (args, result.output)
        assert "Traceback" not in result.output
        assert not out.exists()


def test_sweep_via_the_command_line_writes_breakeven_csv(tmp_path):
    """The hand-made break-even of tests/test_scenarios.py through the command line: on-prem
    costs 4,380 + 8,760 m, cloud 17,520, so the plan flips at m = 1.5; bisected between
    the swept 1 and 2 to 1 % of the step (0.01), with --break-even-tolerance."""
    from test_scenarios import break_even_sheets

    path = write_book(tmp_path / "be.xlsx", break_even_sheets())
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        [
            str(path),
            "--out",
            str(out),
            "--sweep",
            "power_price_multiplier=1,2",
            "--break-even-tolerance",
            "0.02",
            "--quiet",
        ],
    )
    assert result.exit_code == Exit.OK, result.output
    table = pd.read_csv(out / "breakeven.csv", encoding="utf-8-sig")
    [row] = table.itertuples(index=False)
    assert row.value_below <= 1.5 <= row.value_above
    assert row.value_above - row.value_below <= 0.02
    assert (row.decision, row.below, row.above) == ("r1 racks at dc", 1, 0)
    assert row.objective_below_usd == pytest.approx(4380 + 8760 * row.value_below)
    assert row.objective_above_usd == pytest.approx(17520)
