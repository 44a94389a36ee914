"""The certificate of a solve, and the HiGHS behaviour that made it necessary.

Each check is shown to fail on a plan spoilt in its own way, on a small model
whose answer is known; the reproduction of highspy 1.16.0's wrong answer with
a MIP start is kept as a test; a failed certificate on the re-solve path falls
back to a fresh solve, and on a fresh solve ends the command with exit 1 and
no folder.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import highspy
import numpy as np
import pyomo.environ as pyo
import pytest
from click.testing import CliRunner
from test_solve import small_model

import optimizer.run
import optimizer.solve
import optimizer.whatif
from optimizer import read_plan
from optimizer.certify import CertificateError, certified, certify
from optimizer.cli import main
from optimizer.models import build_data, build_model
from optimizer.models.objective import reprice
from optimizer.run import optimize, resolve_prices
from optimizer.scenarios import BASE, Scenario, apply, from_sweeps
from optimizer.solve import (
    SolverOptions,
    Values,
    compile_model,
    run_highs,
    solve,
    with_costs,
)
from optimizer.status import Status, Termination

SEED = Path(__file__).parents[1] / "data" / "examples" / "seed-article.xlsx"


def test_a_right_answer_holds():
    m = small_model()
    solved, compiled, values = solve(m, SolverOptions(mip_gap=0.0))
    out = certified(compiled, solved, values, pyo.value(m.o), 0.0)
    c = out.certificate
    assert out.status == Status.OPTIMAL and c.holds and c.failed == ()
    assert c.objective_recomputed_usd == pytest.approx(17.0)
    assert c.objective_matrix_usd == pytest.approx(17.0)
    assert c.max_row_violation == 0.0 and c.max_integrality_violation == 0.0
    assert json.loads(json.dumps(c.as_dict()))["holds"] is True


def _spoilt(**change: object) -> tuple[str, ...]:
    m = small_model()
    solved, compiled, values = solve(m, SolverOptions(mip_gap=0.0))
    raw, plan = values.raw.copy(), values.plan.copy()
    ledger = 17.0
    if "plan" in change:
        plan = np.array(change["plan"], dtype=float)
        ledger = 3 * plan[0] + 2 * plan[1] + 5
    if "raw" in change:
        raw = np.array(change["raw"], dtype=float)
    ledger = float(change.get("ledger", ledger))  # type: ignore[arg-type]
    solved = dataclasses.replace(
        solved,
        objective=change.get("objective", solved.objective),
        best_bound=change.get("bound", solved.best_bound),
    )
    return certify(compiled, solved, Values(raw, plan), ledger, 0.0).failed


def test_each_check_fails_on_its_own_fault():
    # columns in order x, y (the compiler's order; checked here)
    assert _spoilt() == ()
    # y = 2x - 1 broken: x = 2, y = 2.5 violates c3 by 0.5 of a row of size 6.5
    assert any("row of the model is violated" in f for f in _spoilt(plan=[2, 2.5]))
    # y = 11 is above its bound of 10
    assert any("outside its bounds" in f for f in _spoilt(plan=[6, 11]))
    # the solver's x was 1.5, not a whole number
    assert any("whole number" in f for f in _spoilt(raw=[1.5, 3.0]))
    # the solver reported 15 for a plan that costs 17
    assert any("not 15.00 as the solver reported" in f for f in _spoilt(objective=15.0))
    # the ledger disagrees with the model's cost vector
    assert any("cost ledger gives 18.00" in f for f in _spoilt(ledger=18.0, objective=18.0))
    # a bound above the plan's cost
    assert any("bound 20.00 USD is above" in f for f in _spoilt(bound=20.0))
    # optimal at gap 0 with a bound 1 below: 1/17 = 5.9 % above it
    assert any("5.882% above the solver's bound" in f for f in _spoilt(bound=16.0))


def test_certified_raises_naming_the_check():
    m = small_model()
    solved, compiled, values = solve(m, SolverOptions(mip_gap=0.0))
    with pytest.raises(CertificateError, match=r"not 12\.00 as the solver reported"):
        certified(compiled, dataclasses.replace(solved, objective=12.0), values, 17.0, 0.0)


def _api_times_two() -> tuple[object, object]:
    plan = read_plan(SEED)
    return plan, from_sweeps(plan, ["api_price_multiplier=2"])[0]


def test_highspy_mip_start_reproduction():
    """The reproduction of docs/performance.md, "A wrong answer from a MIP start": the
    seed example's model with API prices doubled, given the base case's optimum as a
    MIP start. highspy 1.16.0 reports 2,055,125 USD and returns a plan that costs
    2,368,283; the optimum, from a fresh build without a start, is 2,265,763. Whatever
    the version does, the certificate must tell a wrong report from a right one, and
    the tool's own path must give the fresh build's optimum."""
    options = SolverOptions(mip_gap=0.0, threads=1)
    plan, scenario = _api_times_two()
    m = build_model(plan, build_data(plan))
    base = compile_model(m, options)
    _, start, _ = run_highs(base.highs, base, 0.0, 0.0)
    reprice(m, build_data(apply(plan, scenario)))
    compiled = with_costs(base, m, options)
    lp = compiled.highs.getLp()

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.passModel(lp)
    h.setSolution(len(start), np.arange(len(start), dtype=np.int32), start)
    h.run()
    raw = np.asarray(h.getSolution().col_value)
    scale = compiled.objective_scale
    reported = h.getInfo().objective_function_value / scale
    plan_cost = (float(np.dot(lp.col_cost_, raw)) + lp.offset_) / scale
    bound = h.getInfo().mip_dual_bound / scale
    solved = optimizer.solve.Solved(
        Status.OPTIMAL, Termination.OPTIMAL, reported, bound, 0.0, 0.0, 0.0
    )
    values = optimizer.solve.load_values(compiled, raw)
    ledger = pyo.value(m.total_cost)
    check = certify(compiled, solved, values, ledger, 0.0)
    assert check.holds == (abs(reported - plan_cost) <= 1e-5 * abs(plan_cost))

    fresh = optimize(apply(plan, scenario), options, scenario=scenario.name)
    assert fresh.solved.certificate.holds
    reused = resolve_prices(plan, scenario, options)
    assert reused is not None
    assert reused.solved.objective == pytest.approx(fresh.solved.objective, rel=1e-9)
    assert fresh.solved.objective == pytest.approx(2_265_762.82, abs=0.01)


def test_reuse_path_falls_back_to_a_fresh_solve(monkeypatch):
    """A re-solve whose answer fails its certificate (here: HiGHS handed the base case's
    costs, so its reported cost is not the plan's cost at the scenario's prices) gives
    way to a fresh build and solve."""
    options = SolverOptions(mip_gap=0.0, threads=1)
    plan, scenario = _api_times_two()

    def stale(base, model, opts):  # the base case's costs, whatever the model's ledger
        return dataclasses.replace(base, highs=_copy(base.highs, opts))

    def _copy(h, opts):
        new = optimizer.solve.new_highs(opts)
        new.passModel(h.getLp())
        return new

    monkeypatch.setattr(optimizer.run, "with_costs", stale)
    optimizer.run._reusable = None
    assert resolve_prices(plan, scenario, options) is None
    run = optimizer.whatif.solve_scenario(plan, scenario, options)
    assert run.solved.certificate.holds
    assert run.objective == pytest.approx(2_265_762.82, abs=0.01)


def test_regret_run_on_the_kept_model_falls_back_to_a_fresh_build(monkeypatch):
    """A regret run on the kept model whose answer fails its certificate (HiGHS handed
    the base case's costs again) gives way to a fresh build with the plan fixed."""
    options = SolverOptions(mip_gap=0.0, threads=1)
    plan, scenario = _api_times_two()
    fixed = optimizer.whatif.solve_scenario(plan, Scenario(BASE), options).plan
    assert fixed is not None
    fresh = optimize(apply(plan, scenario), options, scenario=scenario.name, fixed=fixed)
    assert fresh.solved.certificate.holds

    def stale(base, model, opts):
        new = optimizer.solve.new_highs(opts)
        new.passModel(base.highs.getLp())
        return dataclasses.replace(base, highs=new)

    monkeypatch.setattr(optimizer.run, "with_costs", stale)
    optimizer.run._reusable = None
    assert optimizer.run.operate_prices(plan, scenario, fixed, options) is None
    run = optimizer.whatif.solve_scenario(plan, scenario, options, fixed=fixed)
    assert run.solved.certificate.holds
    assert run.objective == fresh.solved.objective


def test_failed_certificate_on_a_fresh_solve_is_exit_1_and_no_folder(tmp_path, monkeypatch):
    real = optimizer.solve.run_highs

    def lying(h, compiled, handoff, started):
        solved, values, duals = real(h, compiled, handoff, started)
        return dataclasses.replace(solved, objective=solved.objective * 0.9), values, duals

    monkeypatch.setattr(optimizer.solve, "run_highs", lying)
    out = tmp_path / "res"
    result = CliRunner().invoke(main, [str(SEED), "--out", str(out)])
    assert result.exit_code == 1
    assert "the solver's plan failed its check" in result.output
    assert "as the solver reported" in result.output
    assert not out.exists()
