"""Stable placement: the second pass that, among plans within the optimality tolerance,
takes one that moves the least work between locations (docs/formulation.md, "Stable
placement").

After the cost-optimal plan is certified, its integer decisions (sites, racks, reserved
commitments, edge devices) are held, a row holds the cost at most ``cost_limit`` and
the LP over the shares minimises the moves (models/constraints/stability.py). The plan it
gives is certified again against the cost model itself, with the first solve's proven
bound: its cost is within the gap asked for of that bound, so it is as optimal as the
first. The pass is an LP with no start, so the same scenario gives the same plan on
every path. When it fails (it should not: the first plan is feasible for it), the first
plan is kept.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo

from optimizer import results
from optimizer.certify import certify
from optimizer.models.constraints import add_stability, remove_stability
from optimizer.models.constraints.stability import total_moves
from optimizer.models.objective import discounted
from optimizer.plan import Plan
from optimizer.solve import (
    Compiled,
    Solved,
    SolverOptions,
    Values,
    compile_model,
    load_values,
    plan_values,
    run_highs,
)
from optimizer.status import Status

LIMIT_MARGIN = 1e-6  # the cost limit stays this share inside the gap, for the solver's tolerance


@dataclass(frozen=True)
class Stable:
    """What the second pass did: moves (share of a workload's demand, summed) before and
    after, the cost limit it held, its seconds, and whether its plan was taken."""

    taken: bool
    moves_before: float
    moves_after: float
    cost_before: float
    cost_limit: float
    seconds: float
    why_not: str = ""


def cost_limit(solved: Solved, mip_gap: float) -> float:
    """The most the stable plan may cost: within ``mip_gap`` of the proven bound, as the
    certificate measures it ((cost − bound) / max(1, |cost|) ≤ mip_gap), and never below
    the first plan's cost. Without a proven optimum (time limit), the first plan's cost."""
    cost = float(solved.objective)  # type: ignore[arg-type]
    if solved.status != Status.OPTIMAL or solved.best_bound is None:
        return cost
    room = mip_gap * max(1.0, abs(cost)) * (1 - LIMIT_MARGIN)
    return max(cost, solved.best_bound + room)


def _integers(compiled: Compiled) -> list[pyo.Var]:
    return [compiled.columns[j] for j in np.flatnonzero(compiled.integer).tolist()]


def stabilise(
    plan: Plan,
    m: pyo.ConcreteModel,
    compiled: Compiled,
    solved: Solved,
    values: Values,
    options: SolverOptions,
) -> tuple[Solved, Values, Stable]:
    """The stable plan (loaded into ``m``) with its certified Solved and Values; or, when
    the pass fails, the first plan, reloaded. ``solved`` must be the first plan's,
    certified."""
    started = time.perf_counter()
    d = m.data
    n = m.layout.n  # the model's first columns are its layout's, the pass's moves after them
    before = total_moves(m, d, values.plan[:n])
    first_cost = float(solved.objective)  # type: ignore[arg-type]
    limit = cost_limit(solved, options.mip_gap)
    stable = Stable(False, before, before, first_cost, limit, 0.0)
    if before <= 1e-9:  # nothing moves: nothing to improve
        return solved, values, stable
    held = [v for v in _integers(compiled) if not v.fixed]
    for var in held:
        var.fix(round(var.value or 0.0))
    m.total_cost.deactivate()
    add_stability(m, d, first_cost, limit, compiled.objective_scale)
    try:
        second = compile_model(m, options)
        answer, raw, _ = run_highs(second.highs, second, 0.0, time.perf_counter())
    finally:
        remove_stability(m)
        m.total_cost.activate()
        for var in held:
            var.unfix()
    why = "" if answer.status == Status.OPTIMAL and raw is not None else answer.termination
    if not why:
        now = load_values(compiled, plan_values(second, raw).plan[:n])
        cost, offset = discounted(m)
        by_matrix = float(np.dot(cost, now.plan)) + offset
        ledger = float(results.costs(plan, m)["discounted_usd"].sum())
        bound = solved.best_bound
        gap = None if bound is None else (ledger - bound) / max(1.0, abs(ledger))
        final = dataclasses.replace(
            solved,
            objective=by_matrix,
            gap=gap,
            seconds=solved.seconds + answer.seconds,
            iterations=solved.iterations + answer.iterations,
        )
        check = certify(compiled, final, now, ledger, options.mip_gap)
        if check.holds:
            final = dataclasses.replace(final, objective=ledger, certificate=check)
            after = total_moves(m, d, now.plan)
            seconds = time.perf_counter() - started
            return final, now, Stable(True, before, after, first_cost, limit, seconds)
        why = "its plan failed the certificate: " + "; ".join(check.failed)
    load_values(compiled, values.raw)
    seconds = time.perf_counter() - started
    return solved, values, dataclasses.replace(stable, seconds=seconds, why_not=why)
