"""The calculator's two answers to a change, computed in a worker process.

**At once** (:meth:`Engine.quick`): the current plan held (every integer decision: sites
built, racks bought, reserved commitments, edge devices) and only the operations chosen
again under the new figures, an LP; beside it the LP relaxation of the whole model, whose
optimum bounds every plan from below. Both are kept HiGHS instances: a change of costs
changes their cost vectors (``changeColsCost``), a change of demand, site power capacity
or max_utilization the coefficients and bounds that follow it (found by
optimizer.calculator.linear), and HiGHS starts from its last basis; any other change
(an emissions cap, one that changes the model's sets) builds the model anew. The held
plan's answer is certified against its own LP like every other solve.

**Then** (:meth:`Engine.final`): the full mixed-integer solve of the scenario, by
optimizer.whatif.scenario_outcome, the very code ``optimize --sweep`` runs, started from
nothing (no MIP start, see docs/performance.md), so its figure is the command's figure.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np
import pyomo.environ as pyo

from optimizer import collector, results
from optimizer.calculator import figures
from optimizer.calculator.controls import Request, applied
from optimizer.calculator.linear import Linear, probe
from optimizer.certify import CertificateError, certified
from optimizer.compare import plan_changes, plan_view
from optimizer.models import build_data, build_model
from optimizer.models.objective import discounted, reprice
from optimizer.plan import Plan
from optimizer.scenarios import Override
from optimizer.solve import (
    Compiled,
    SolverOptions,
    compile_model,
    new_highs,
    objective_scale,
    plan_values,
    run_highs,
)
from optimizer.whatif import as_run, scenario_outcome

Integers = dict[tuple[str, object], int]  # (variable name, index) -> value
Base = tuple[dict[str, Any], Integers, dict[str, float]]  # answer, its integers, plan_view


@dataclass
class _Kept:
    """A model built once for a structure, with its held-plan LP and its relaxation."""

    model: pyo.ConcreteModel
    compiled: Compiled  # the model's matrices, its integer columns marked
    held: highspy.Highs
    relaxed: highspy.Highs
    integer_keys: list[tuple[int, tuple[str, object]]]
    quantities: tuple[Override, ...] = ()  # the overrides beyond prices its data holds


class Engine:
    """One session's solver state: the plan, the options, the plan now held, kept LPs."""

    def __init__(
        self,
        plan: Plan,
        options: SolverOptions,
        base: Base | None = None,
        linear: Linear | None = None,
    ) -> None:
        """Solve the base case (unless ``base`` gives it, from another engine), build the
        kept LPs and find the changes they take as new numbers (unless ``linear`` gives
        them, from another engine)."""
        self.plan = plan
        self.options = options
        self._kept: dict[tuple[object, ...], _Kept] = {}
        self.base_state = base if base is not None else self._solve(Request())
        self.base, self.held, self.held_view = self.base_state
        self.base_view = self.held_view
        kept = self._kept_for(Request(), plan)
        self.linear = linear if linear is not None else probe(plan, options, kept.compiled)
        self.quick(Request())  # the kept LPs solved once: the first change starts from a basis

    # -- the full solve --------------------------------------------------------------------

    def final(
        self, request: Request, stoppable: Callable[[], AbstractContextManager[None]] = nullcontext
    ) -> dict[str, Any]:
        """The certified optimum of the request's scenario, as the page shows it, with the
        decisions that differ from the base plan and from the plan held until now, which
        it replaces (when it has one). The solve runs within ``stoppable()`` and may be
        stopped anywhere there: nothing this engine keeps changes in it, and the model a
        scenario of other prices reuses (optimizer.run.resolve_prices) is re-priced in
        full before each use."""
        with stoppable():
            answer, incumbent, view = self._solve(request)
        answer["changes_from_base"] = figures.changes(plan_changes(self.base_view, view))
        answer["changes_from_held"] = figures.changes(plan_changes(self.held_view, view))
        if incumbent:
            self.held, self.held_view = incumbent, view
        return answer

    def _solve(self, request: Request) -> Base:
        base_plan, scenario = self.plan, request.scenario
        started = time.perf_counter()
        outcome = scenario_outcome(base_plan, scenario, self.options)
        run = as_run(scenario, outcome)
        seconds = time.perf_counter() - started
        if outcome.model is None or not outcome.solved.has_plan:
            return figures.final(base_plan, run, seconds), {}, {}
        incumbent = {
            (var.parent_component().local_name, var.index()): round(var.value or 0.0)
            for var in outcome.model.component_data_objects(pyo.Var)
            if var.is_integer()
        }
        return figures.final(base_plan, run, seconds), incumbent, plan_view(run)

    # -- the answer at once ----------------------------------------------------------------

    def quick(self, request: Request) -> dict[str, Any]:
        """The held plan operated under the request, certified, and the LP bound."""
        started = time.perf_counter()
        plan = applied(self.plan, request)
        data = build_data(plan)
        try:
            factors = self.linear.factors(self.plan, request, data)
        except KeyError:  # the kept LPs cannot take it: a model built for the request
            kept = self._kept_for(request, plan)
        else:
            kept = self._kept[()]
            self.linear.apply([kept.held, kept.relaxed], factors)
            quantities = request.scenario.quantities
            reprice(kept.model, data, prices_only=quantities == kept.quantities)
            kept.quantities = quantities
        m = kept.model
        cost, offset = discounted(m)
        scale = objective_scale(cost)
        every = np.arange(len(cost), dtype=np.int32)
        bound = None
        for h in (kept.relaxed, kept.held):
            h.changeColsCost(len(cost), every, cost * scale)
            h.changeObjectiveOffset(offset * scale)
        lp = dataclasses.replace(
            kept.compiled, integer=np.zeros(len(cost), dtype=bool), objective_scale=scale
        )
        relaxed, _, _ = run_highs(kept.relaxed, dataclasses.replace(lp, highs=kept.relaxed), 0, 0)
        if relaxed.has_plan:
            bound = relaxed.objective
        self._hold(kept)
        held_lp = dataclasses.replace(lp, highs=kept.held)
        solved, raw, _ = run_highs(kept.held, held_lp, 0.0, started)
        if raw is None:
            return figures.quick_without_plan(solved, bound, time.perf_counter() - started)
        values = plan_values(held_lp, raw)
        name = request.scenario.name
        cost_table = results.costs(plan, m, name, values.plan)
        ledger = float(cost_table["discounted_usd"].sum())
        try:
            solved = certified(held_lp, solved, values, ledger, self.options.mip_gap)
        except CertificateError as exc:
            return figures.quick_failed(str(exc), bound, time.perf_counter() - started)
        return figures.quick(cost_table, solved, bound, time.perf_counter() - started)

    def _kept_for(self, request: Request, plan: Plan) -> _Kept:
        """The kept model for the request's structure: the base case's for a change the
        kept LPs take as new numbers (at most two are kept, the base case's and the
        last)."""
        key = () if not request.overrides else request.key
        if key not in self._kept:
            if len(self._kept) >= 2:
                self._kept.pop(next(k for k in self._kept if k != ()))
            self._kept[key] = _build(self.plan if key == () else plan, self.options)
        return self._kept[key]

    def _hold(self, kept: _Kept) -> None:
        """Fix every integer column of the held LP at the held plan's value."""
        if not kept.integer_keys:
            return
        columns = np.array([j for j, _ in kept.integer_keys], dtype=np.int32)
        values = np.array([float(self.held.get(key, 0)) for _, key in kept.integer_keys])
        kept.held.changeColsBounds(len(columns), columns, values, values)


def _build(plan: Plan, options: SolverOptions) -> _Kept:
    with collector.paused():  # frozen after: later collections skip the kept model
        m = build_model(plan, build_data(plan))
        compiled = compile_model(m, options)
    lp = compiled.highs.getLp()
    lp.integrality_ = []
    held, relaxed = new_highs(options), new_highs(options)
    for h in (held, relaxed):
        h.setOptionValue("presolve", "off")  # a warm start from the last basis instead
        h.passModel(lp)
    keys = [
        (j, (var.parent_component().local_name, var.index()))
        for j, var in enumerate(compiled.columns)
        if compiled.integer[j]
    ]
    return _Kept(m, compiled, held, relaxed, keys)
