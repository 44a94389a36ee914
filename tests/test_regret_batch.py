"""Regret runs in batches (optimizer/run.py operate_batch): each plan operated under
each price scenario as an LP on the kept model, from the plan's own basis.

- Determinism: the same (plan, scenario) runs in one batch, reversed, shuffled, in
  batches of one and two, and after other work in the process give identical
  figures, bit for bit.
- Against a fresh build: each answer is a fresh build and solve of the scenario with
  the plan fixed (reuse=False), within the two solves' tolerance.
- Fallback: a run the batch cannot make is run alone, as before.
"""

from __future__ import annotations

import random

import pytest
from conftest import write_book
from test_whatif_exact import random_sheets

import optimizer.run
from optimizer import read_plan
from optimizer.certify import OBJECTIVE_TOLERANCE
from optimizer.compare import ScenarioRun, slack
from optimizer.models.stages import FirstStage
from optimizer.plan import Plan
from optimizer.run import operate_batch, operate_prices
from optimizer.scenarios import BASE, Scenario, from_sweeps
from optimizer.solve import Solved, SolverOptions
from optimizer.whatif import run_operated, solve_scenario

OPTIONS = SolverOptions(mip_gap=0.0, time_limit_s=60.0)
PLANS = 12
Pair = tuple[FirstStage, Scenario]


@pytest.fixture(scope="module")
def batches(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Plan, list[Pair]]]:
    """Random plans, each with every plan its scenarios choose paired with every price
    scenario of a sweep (three values of a price, the base case and one more)."""
    folder = tmp_path_factory.mktemp("batch")
    out = []
    for seed in range(PLANS):
        sheets, _ = random_sheets(seed)
        plan = read_plan(write_book(folder / f"b{seed}.xlsx", sheets))
        parameter = random.Random(seed).choice(
            ["power_price_multiplier", "cloud_price_multiplier", "api_price_multiplier"]
        )
        scenarios = [Scenario(BASE), *from_sweeps(plan, [f"{parameter}=0.4,1.7,3"])]
        chosen = {
            run.plan.key(): run.plan
            for s in scenarios
            if (run := solve_scenario(plan, s, OPTIONS)).plan is not None
        }
        out.append((plan, [(fixed, s) for fixed in chosen.values() for s in scenarios]))
    return out


def _figures(answer: Solved | None) -> tuple[object, ...]:
    assert answer is not None and answer.certificate is not None and answer.certificate.holds
    return (answer.status, answer.objective, answer.best_bound, answer.gap, answer.iterations)


def _by_pair(pairs: list[Pair], answers: list[Solved | None]) -> dict[tuple, tuple]:
    return {(f.key(), s.key): _figures(a) for (f, s), a in zip(pairs, answers, strict=True)}


def test_a_run_is_the_same_in_any_batch_and_order(batches):
    compared = 0
    for plan, pairs in batches:
        reference = _by_pair(pairs, operate_batch(plan, pairs, OPTIONS))
        shuffled = pairs[:]
        random.Random(len(pairs)).shuffle(shuffled)
        for order in (pairs[::-1], shuffled):
            assert _by_pair(order, operate_batch(plan, order, OPTIONS)) == reference
        for size in (1, 2):  # batches of one and two, after the work above in this process
            for i in range(0, len(pairs), size):
                chunk = shuffled[i : i + size]
                got = _by_pair(chunk, operate_batch(plan, chunk, OPTIONS))
                assert got == {k: reference[k] for k in got}, plan.source.name
        compared += len(reference)
    assert compared >= PLANS * 3


def test_a_batched_run_is_a_fresh_run_within_its_tolerance(batches):
    """Against a fresh build and solve of the scenario with the plan fixed (a mixed-integer
    solve, first stage fixed by its columns' bounds), and the kept model's single run."""
    checked = 0
    for plan, pairs in batches:
        for (fixed, scenario), answer in zip(
            pairs, operate_batch(plan, pairs, OPTIONS), strict=True
        ):
            assert answer is not None
            fresh = solve_scenario(plan, scenario, OPTIONS, fixed=fixed, reuse=False)
            alone = operate_prices(plan, scenario, fixed, OPTIONS)
            assert fresh.solved is not None and alone is not None
            assert answer.status == fresh.status == alone.status
            if fresh.objective is None:
                assert answer.objective is None
                continue
            batched = ScenarioRun(scenario=scenario, solved=answer)
            allowed = (
                slack(batched) + slack(fresh) + OBJECTIVE_TOLERANCE * abs(fresh.objective) * 1e-3
            )
            assert abs(answer.objective - fresh.objective) <= allowed, (plan.source.name, scenario)
            assert abs(answer.objective - alone.objective) <= allowed
            assert answer.best_bound is not None and answer.best_bound <= answer.objective * (
                1 + 1e-9
            )
            checked += 1
    assert checked >= PLANS * 3


def test_a_run_the_batch_cannot_make_is_run_alone(batches, monkeypatch):
    plan, pairs = batches[0]
    monkeypatch.setattr(optimizer.run, "_operate", lambda *args: None)  # as a failed certificate
    runs = run_operated(plan, pairs, OPTIONS, None)
    for (fixed, scenario), run in zip(pairs, runs, strict=True):
        alone = solve_scenario(plan, scenario, OPTIONS, fixed=fixed)
        assert run.scenario == scenario
        assert _figures(run.solved) == _figures(alone.solved)
