"""One run of the base case: sets, model, solve, diagnosis or result tables."""

from __future__ import annotations

import dataclasses
import functools
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import highspy
import numpy as np
import pandas as pd
import pyomo.environ as pyo

from optimizer import attribution, collector, results
from optimizer.certify import CertificateError, certified
from optimizer.diagnose import elastic, installed_over_limits, no_option_reasons
from optimizer.models import build_data, build_model
from optimizer.models.constraints.carbon import add_carbon_budget
from optimizer.models.objective import reprice
from optimizer.models.stages import FirstStage, targets
from optimizer.plan import Plan
from optimizer.scenarios import Scenario, apply
from optimizer.solve import (
    Compiled,
    Solved,
    SolverOptions,
    Values,
    compile_model,
    fixed_lp_duals,
    load_values,
    new_highs,
    run_highs,
    set_costs,
    solve,
    with_costs,
)
from optimizer.stable import Stable, stabilise
from optimizer.status import Status, Termination


@dataclass
class Outcome:
    """What a run produced: the solver's word, the tables when there is a plan, the
    diagnosis when there is none, and how long each step took."""

    solved: Solved
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    diagnosis: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    model: pyo.ConcreteModel | None = None
    stable: Stable | None = None  # the stable-placement pass, when it ran


def _precheck_failure(why: Termination = Termination.NO_OPTION) -> Solved:
    return Solved(
        status=why.status(False),
        termination=why,
        objective=None,
        best_bound=None,
        gap=None,
        seconds=0.0,
        handoff_seconds=0.0,
    )


def optimize(
    plan: Plan,
    options: SolverOptions,
    write_model: Path | None = None,
    scenario: str = "base",
    fixed: FirstStage | None = None,
    budget: float | None = None,
) -> Outcome:
    """Solve ``plan``; explain why when there is no plan.

    With ``fixed``, the first-stage decisions (sites, racks, reserved commitments)
    are held at those values and only the operations are chosen; no diagnosis is
    made then. With ``budget``, the plan's emissions over the horizon are at most
    that many t CO2e (a point of the cost–carbon frontier, optimizer/pareto.py).
    """
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    data = build_data(plan)
    reasons = no_option_reasons(plan, data) + installed_over_limits(data)
    timings["sets_seconds"] = time.perf_counter() - t0
    if reasons:
        return Outcome(solved=_precheck_failure(), diagnosis=reasons, timings=timings)
    t0 = time.perf_counter()
    with collector.paused():
        m = build_model(plan, data)
        if budget is not None:
            add_carbon_budget(m, budget)
        timings["build_seconds"] = time.perf_counter() - t0
        found = targets(m, fixed) if fixed is not None else None
        if fixed is not None and found is None:
            return Outcome(
                solved=_precheck_failure(Termination.PURCHASES_DO_NOT_FIT), timings=timings
            )
        adjust = None if found is None else functools.partial(_fix_in_model, found=found)
        solved, compiled, values = solve(m, options, write_model, adjust)
    timings["handoff_seconds"] = solved.handoff_seconds
    timings["solve_seconds"] = solved.seconds
    outcome = Outcome(solved=solved, timings=timings, model=m)
    if solved.status == Status.INFEASIBLE and fixed is None:
        t0 = time.perf_counter()
        outcome.diagnosis, _ = elastic(compiled, plan, data, options)
        if not outcome.diagnosis:
            outcome.diagnosis = ["no relaxation of demand or limits was found in time"]
        timings["diagnosis_seconds"] = time.perf_counter() - t0
        return outcome
    if values is None:
        return outcome
    return _finish(plan, outcome, compiled, values, options, scenario, with_tables=fixed is None)


def _finish(
    plan: Plan,
    outcome: Outcome,
    compiled: Compiled,
    values: Values,
    options: SolverOptions,
    scenario: str,
    with_tables: bool = True,
) -> Outcome:
    """Certify the plan loaded into the model (CertificateError when it fails) and make
    the tables (not for a regret run, ``with_tables`` false: its cost is all it needs;
    nor the stable-placement pass, which would change that cost within the gap)."""
    m = outcome.model
    cost_table = results.costs(plan, m, scenario)
    ledger = float(cost_table["discounted_usd"].sum())
    outcome.solved = certified(compiled, outcome.solved, values, ledger, options.mip_gap)
    outcome.timings["certificate_seconds"] = outcome.solved.certificate.seconds
    if with_tables and plan.settings.stable_placement:
        outcome.solved, values, outcome.stable = stabilise(
            plan, m, compiled, outcome.solved, values, options
        )
        outcome.timings["stable_seconds"] = outcome.stable.seconds
        if outcome.stable.taken:
            cost_table = results.costs(plan, m, scenario)
    t0 = time.perf_counter()
    if with_tables:
        shadow = power_shadow_prices(compiled, options, {scenario: (m, 1.0)})[scenario]
        outcome.tables = tables(plan, m, outcome.solved, shadow, scenario, cost_table)
    outcome.timings["results_seconds"] = time.perf_counter() - t0
    return outcome


@dataclass
class _Reusable:
    """The model a worker built for a plan, kept for scenarios that change only prices."""

    plan: weakref.ref[Plan]
    model: pyo.ConcreteModel
    compiled: Compiled


_reusable: _Reusable | None = None  # one per process: a Dask worker runs one task at a time


def _kept(plan: Plan, options: SolverOptions) -> _Reusable | None:
    """The model of ``plan`` kept by this process, built and compiled on first use; None
    when there is nothing to reuse (no allowed option somewhere)."""
    global _reusable
    if _reusable is None or _reusable.plan() is not plan:
        _reusable = None
        base = build_data(plan)
        if no_option_reasons(plan, base) or installed_over_limits(base):
            return None
        with collector.paused():
            m = build_model(plan, base)
            _reusable = _Reusable(weakref.ref(plan), m, compile_model(m, options))
    return _reusable


def _priced(kept: _Reusable, plan: Plan, scenario: Scenario, options: SolverOptions) -> Compiled:
    """The kept model with ``scenario``'s prices: its ledgers (arrays) from the scenario's
    data, their costs in a new HiGHS instance."""
    _repriced(kept, plan, scenario)
    return with_costs(kept.compiled, kept.model, options)


def _repriced(kept: _Reusable, plan: Plan, scenario: Scenario) -> None:
    """The kept model's ledgers (arrays) from ``scenario``'s data (it changes prices only)."""
    reprice(kept.model, build_data(apply(plan, scenario)), scenario.prices_only)


def resolve_prices(plan: Plan, scenario: Scenario, options: SolverOptions) -> Outcome | None:
    """Solve a scenario that changes only prices on the model built for ``plan`` (built on
    first use in this process), with the scenario's costs in a new HiGHS instance.

    None when there is nothing to reuse (no allowed option somewhere) or the answer
    failed its certificate: the caller then builds and solves the scenario afresh.
    """
    t0 = time.perf_counter()
    kept = _kept(plan, options)
    if kept is None:
        return None
    compiled = _priced(kept, plan, scenario, options)
    timings = {"build_seconds": time.perf_counter() - t0}
    solved, raw, _ = run_highs(compiled.highs, compiled, 0.0, time.perf_counter())
    timings["solve_seconds"] = solved.seconds
    outcome = Outcome(solved=solved, timings=timings, model=kept.model)
    if raw is None:
        return outcome
    try:
        return _finish(plan, outcome, compiled, load_values(compiled, raw), options, scenario.name)
    except CertificateError:
        return None


def operate_prices(
    plan: Plan, scenario: Scenario, fixed: FirstStage, options: SolverOptions
) -> Solved | None:
    """The cost of operating the first-stage plan ``fixed`` under a scenario that changes
    only prices (a regret run), on the model kept for ``plan``: the scenario's costs in
    a new HiGHS instance, the first-stage columns fixed by their bounds. Only the
    solver's word, certified (no tables, no shadow prices: a regret run needs neither).

    The same answer as ``optimize(..., fixed=fixed)`` on the scenario's own plan. None
    when there is nothing to reuse or the answer failed its certificate: the caller
    then builds and solves afresh.
    """
    kept = _kept(plan, options)
    if kept is None:
        return None
    found = targets(kept.model, fixed)
    if found is None:
        return _precheck_failure(Termination.PURCHASES_DO_NOT_FIT)
    compiled = _priced(kept, plan, scenario, options)
    if _fix_columns(compiled, found):
        return None  # a decision in no row and no cost: fixed in a fresh build's model
    solved, raw, _ = run_highs(compiled.highs, compiled, 0.0, time.perf_counter())
    if raw is None:
        return solved
    outcome = Outcome(solved=solved, model=kept.model)
    values = load_values(compiled, raw)
    try:
        return _finish(plan, outcome, compiled, values, options, scenario.name, False).solved
    except CertificateError:
        return None


def operate_batch(
    plan: Plan, pairs: Sequence[tuple[FirstStage, Scenario]], options: SolverOptions
) -> list[Solved | None]:
    """The cost of operating each first-stage plan of ``pairs`` under its scenario (regret
    runs; every scenario changes only prices) on the model kept for ``plan``, as LPs:
    the same answers as ``operate_prices``, within the certificate's tolerance.

    With the first stage fixed by its columns' bounds, the edge devices are the only
    integers left; the run solves the LP with integrality dropped, and an answer
    whose edge devices are not whole fails its certificate (an LP optimum that is
    whole is the mixed-integer optimum, its bound the LP's). Each scenario is priced
    once for the whole batch; each run is a new HiGHS instance given the plan's LP with
    the scenario's costs and started from the plan's basis: the optimal basis of the
    plan's LP at the workbook's own prices, solved from nothing. A run's answer thus
    depends on its plan and scenario alone, never on the batch, its order or what the
    process solved before (a kept instance given a basis is not: HiGHS carries state
    between solves that ``clearSolver`` does not reset). Every answer is certified;
    None for a run whose answer failed or that cannot be run so: the caller runs it
    as ``operate_prices`` does.
    """
    kept = _kept(plan, options)
    if kept is None:
        return [None] * len(pairs)
    lp = kept.compiled.highs.getLp()  # the workbook's costs until the first scenario's
    lp.integrality_ = []
    bounds = np.array(lp.col_lower_), np.array(lp.col_upper_)
    starts: dict[tuple[object, ...], _Start | Solved | None] = {}
    by_scenario: dict[tuple[object, ...], list[int]] = {}
    for i, (fixed, scenario) in enumerate(pairs):
        if fixed.key() not in starts:
            starts[fixed.key()] = _start(kept, lp, bounds, fixed, options)
        by_scenario.setdefault(scenario.key, []).append(i)
    out: list[Solved | None] = [None] * len(pairs)
    for indices in by_scenario.values():
        scenario = pairs[indices[0]][1]
        _repriced(kept, plan, scenario)
        scale = set_costs(lp, kept.model)
        for i in indices:
            start = starts[pairs[i][0].key()]
            if isinstance(start, _Start):
                out[i] = _operate(plan, kept, lp, start, scale, scenario.name, options)
            else:
                out[i] = start
    return out


@dataclass
class _Start:
    """A first-stage plan in a batch of regret runs: its columns' bounds (the first stage
    fixed) and the basis every run of it starts from."""

    lower: np.ndarray
    upper: np.ndarray
    basis: highspy.HighsBasis


def _start(
    kept: _Reusable,
    lp: highspy.HighsLp,
    bounds: tuple[np.ndarray, np.ndarray],
    fixed: FirstStage,
    options: SolverOptions,
) -> _Start | Solved | None:
    """``fixed`` in ``lp`` (the kept model's, its integrality dropped, at the workbook's
    costs): the bounds fixing its first stage, and the optimal basis of that LP solved
    from nothing. A precheck failure when the plan cannot be carried out in this model;
    None when it is no LP of this kind (a decision in no column) or has no optimum."""
    found = targets(kept.model, fixed)
    if found is None:
        return _precheck_failure(Termination.PURCHASES_DO_NOT_FIT)
    columns, values, missing = fixed_columns(kept.compiled, found)
    if missing:
        return None
    lower, upper = bounds[0].copy(), bounds[1].copy()
    lower[columns] = upper[columns] = values
    lp.col_lower_, lp.col_upper_ = lower, upper
    h = new_highs(options)
    h.passModel(lp)
    h.solve()  # as run_highs does (run() after other solves in the process: "Not Set")
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    return _Start(lower, upper, h.getBasis())


def _operate(
    plan: Plan,
    kept: _Reusable,
    lp: highspy.HighsLp,
    start: _Start,
    scale: float,
    scenario: str,
    options: SolverOptions,
) -> Solved | None:
    """One regret run of a batch: ``lp`` (a scenario's costs) with ``start``'s first stage,
    in a new HiGHS instance from ``start``'s basis; certified, None when it fails."""
    lp.col_lower_, lp.col_upper_ = start.lower, start.upper
    h = new_highs(options)
    h.passModel(lp)
    h.setBasis(start.basis)
    relaxed = np.zeros_like(kept.compiled.integer)
    compiled = dataclasses.replace(kept.compiled, highs=h, integer=relaxed, objective_scale=scale)
    solved, raw, _ = run_highs(h, compiled, 0.0, time.perf_counter())
    if solved.status != Status.OPTIMAL or raw is None or raw.size != len(relaxed):
        return None
    whole = dataclasses.replace(compiled, integer=kept.compiled.integer)  # checked whole
    outcome = Outcome(solved=solved, model=kept.model)
    values = load_values(whole, raw)
    try:
        return _finish(plan, outcome, whole, values, options, scenario, False).solved
    except CertificateError:
        return None


def _fix_columns(compiled: Compiled, found: list[tuple[pyo.Var, int]]) -> list[tuple[pyo.Var, int]]:
    """Fix the first-stage columns of ``compiled``'s HiGHS instance, before it solves, at
    ``found``'s values (``targets``) by their bounds; the variables that are no column
    (in no row and no cost), with their values, are returned.

    Both paths of a regret run fix the first stage this way, so that a fresh build and
    the kept model hand HiGHS the same LP and get the same answer, bit for bit.
    """
    columns, bounds, missing = fixed_columns(compiled, found)
    compiled.highs.changeColsBounds(len(columns), columns, bounds, bounds)
    return missing


def fixed_columns(
    compiled: Compiled, found: list[tuple[pyo.Var, int]]
) -> tuple[np.ndarray, np.ndarray, list[tuple[pyo.Var, int]]]:
    """The columns of ``found``'s first-stage variables and their values, and the
    variables that are no column of ``compiled`` (in no row and no cost), with theirs."""
    column = {id(var): j for j, var in enumerate(compiled.columns)}
    at = [(column[id(var)], value) for var, value in found if id(var) in column]
    columns = np.array([j for j, _ in at], dtype=np.int32)
    bounds = np.array([value for _, value in at], dtype=float)
    return columns, bounds, [(var, value) for var, value in found if id(var) not in column]


def _fix_in_model(compiled: Compiled, found: list[tuple[pyo.Var, int]]) -> None:
    """The first stage fixed in a fresh build: columns by bounds, the rest in the model."""
    for var, value in _fix_columns(compiled, found):
        var.fix(value)


def power_shadow_prices(
    compiled: Compiled, options: SolverOptions, blocks: dict[str, tuple[pyo.Block, float]]
) -> dict[str, dict[tuple[str, int], float]]:
    """USD (discounted) saved by one more kW of power at a site in a period, for each
    named block (a model, or one scenario of the robust model, with its weight in the
    objective).

    From the LP with the sites opened, the reserved commitments and the edge
    devices fixed at the plan's values and rack purchases made continuous: with
    every integer fixed, a site's power row holds no free variable and its dual
    says nothing.
    """
    rows = {
        i: (name, weight, key)
        for name, (block, weight) in blocks.items()
        for family in compiled.rows.of("site_power", block)
        for i, key in enumerate(family.keys, start=family.start)
    }
    out: dict[str, dict[tuple[str, int], float]] = {name: {} for name in blocks}
    if not rows:
        return out
    duals = fixed_lp_duals(
        compiled,
        options,
        fix=lambda var: var.parent_component().local_name != "buy",
        rows=rows,
    )
    for i, dual in duals.items():
        name, weight, key = rows[i]
        out[name][key] = results.clean(-dual / weight)  # type: ignore[index]
    return out


def tables(
    plan: Plan,
    m: pyo.ConcreteModel,
    solved: Solved,
    shadow: dict[tuple[str, int], float],
    scenario: str,
    cost_table: pd.DataFrame,
) -> dict[str, pd.DataFrame]:
    """Every output table of a solved run (``shadow``: power shadow prices by site, period;
    ``cost_table``: its costs)."""
    emission_table = results.emissions(m, scenario)
    by_workload = attribution.workload_costs(m, scenario)
    emitted_by = attribution.workload_emissions(m, scenario)
    placed = results.assignments(plan, m, scenario)
    moves = float(placed["moves"].sum())
    return {
        "summary": results.summary(cost_table, emission_table, solved, scenario, moves),
        "costs": cost_table,
        "emissions": emission_table,
        "workload_costs": by_workload,
        "workload_emissions": emitted_by,
        "workload_summary": attribution.workload_summary(m, by_workload, emitted_by, scenario),
        "racks": results.racks(plan, m, scenario),
        "assignments": placed,
        "sites": results.sites(plan, m, shadow, scenario),
    }
