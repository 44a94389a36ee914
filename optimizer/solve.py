"""Handing the Pyomo model to HiGHS, and the answer back.

The model's rows (optimizer/rows.py: the large families' arrays and the Pyomo-held
rows) and its costs become sparse matrices, which go to HiGHS in memory through
highspy (no LP file on the way); the solution is
loaded back into the Pyomo variables. ``solve`` returns a frozen ``Solved``;
variable values exist only when it says a plan exists.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import highspy
import numpy as np
import pyomo.environ as pyo
import scipy.sparse as sp
from pyomo.repn.standard_repn import generate_standard_repn

from optimizer.models.layout import FAMILIES, Columns
from optimizer.models.layout import blocks as layout_blocks
from optimizer.models.layout import columns as laid_out
from optimizer.models.objective import discounted, ledger_objective
from optimizer.plan import Settings
from optimizer.rows import (
    Rows,
    array_costs,
    model_columns,
    parse_pyomo_rows,
    stack,
)
from optimizer.status import Status, Termination

if TYPE_CHECKING:
    from optimizer.certify import Certificate

_UNSAFE = re.compile(r"[^A-Za-z0-9_.()]")


# HiGHS options the project sets over HiGHS's own defaults, chosen across the plans of
# benchmarks/formulation.py (the figures are in docs/performance.md).
HIGHS_DEFAULTS: dict[str, object] = {
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_rens": False,
    "mip_heuristic_run_root_reduced_cost": False,
    "mip_pscost_minreliable": 2,  # HiGHS's own: 8 (less strong branching)
}


@dataclass(frozen=True)
class Solved:
    """What the solver said (optimizer/status.py). ``has_plan`` is true for optimal and
    time_limit."""

    status: Status
    termination: Termination
    objective: float | None
    best_bound: float | None
    gap: float | None
    seconds: float
    handoff_seconds: float
    warnings: tuple[str, ...] = ()
    certificate: Certificate | None = None
    nodes: int = 0  # branch-and-bound nodes: the solver's work, the same on every run
    iterations: int = 0  # simplex iterations

    @property
    def has_plan(self) -> bool:
        return self.status.is_ok


@dataclass(frozen=True)
class SolverOptions:
    """The solver's options; defaults are the settings sheet's (optimizer/schema.py)."""

    mip_gap: float = Settings.mip_gap
    time_limit_s: float = Settings.time_limit_s
    threads: int = Settings.threads
    log: bool = False


@dataclass
class Compiled:
    """The model handed to HiGHS, with the Pyomo variable behind each column and what
    each row is (optimizer/rows.py).

    ``highs`` holds the only copy of the matrices; ``highs.getLp()`` gives one to
    change (fixed_lp_duals, the elastic diagnosis) without touching it.
    """

    highs: highspy.Highs
    columns: list[pyo.Var]
    rows: Rows
    integer: np.ndarray
    objective_scale: float = 1.0  # HiGHS sees the objective times this; undone on the way back


def compile_model(m: pyo.ConcreteModel, options: SolverOptions, names: bool = False) -> Compiled:
    """``m`` as standard-form matrices, passed to a new HiGHS instance (row and column
    names only when asked: they are slow).

    The columns are in the model's layout (models/layout.py): every decision variable of
    every built block, in the layout's order, then the variables no layout holds (the
    stable-placement pass's moves), component by component in declaration order. A
    variable in no row and no cost is an empty column; a fixed one (its value moved to
    the right-hand sides) is a continuous column with both bounds at its value. The rows
    are the families' arrays and the Pyomo-held rows stacked in declaration order
    (optimizer/rows.py)."""
    parsed = parse_pyomo_rows(m)
    layout = laid_out(m, _other_variables(m))
    columns = layout.variables
    n = len(columns)
    held = (v for rows in parsed.values() for vs in rows.variables for v in vs)
    position = _positions(layout, held)
    lower, upper, integer, fixed = _column_facts(layout)
    starts = {id(part): start for part, start in (*layout.starts, *layout.others)}
    value = np.where(fixed, lower, 0.0)
    stacked = stack(m, parsed, starts, position, fixed, value)
    k = len(stacked.rows)
    cost, offset = objective_vector(m, layout, starts, fixed, value)
    scale = objective_scale(cost)
    a = sp.csc_matrix((stacked.coef, (stacked.row, stacked.column)), shape=(k, n))
    a.sum_duplicates()
    h = new_highs(options)
    # the arrays go to HiGHS as buffers (a HighsLp's fields are copied element by element)
    status = h.passModel(
        n,
        k,
        a.nnz,
        int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMinimize),
        offset * scale,
        cost * scale,
        lower,
        upper,
        stacked.lower,
        stacked.upper,
        a.indptr[:-1].astype(np.int32),
        a.indices.astype(np.int32),
        a.data.astype(float),
        integer.astype(np.int32),  # HighsVarType: 1 integer, 0 continuous
    )
    if status != highspy.HighsStatus.kOk:
        raise RuntimeError(f"HiGHS refused the model ({status})")
    if names:
        for j, name in enumerate(_file_names(v.name for v in columns)):
            h.passColName(j, name)
        for i, name in enumerate(_file_names(stacked.rows.names())):
            h.passRowName(i, name)
    return Compiled(
        highs=h,
        columns=columns,
        rows=stacked.rows,
        integer=integer,
        objective_scale=scale,
    )


def _column_facts(order: Columns) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each column's lower and upper bound (±inf for none; a fixed variable's value for
    both), whether it is integer (a fixed one is not) and whether it is fixed. A laid-out
    column's bounds and integrality are its layout's (what add_variables declares), those
    of a Var component with ``declared`` facts (lower, upper, integer: arrays in its
    index order; stable placement's moves) are those; the other columns' are read from
    their variables, and so is whether each is fixed."""
    columns = order.variables
    facts = [(lay.lower, lay.upper, lay.integer) for lay in (b.layout for b, _ in order.starts)]
    inf = highspy.kHighsInf
    for var, _ in order.others:
        declared = getattr(var, "declared", None)
        if declared is None:
            rest = [
                (
                    -inf if (bounds := v.bounds)[0] is None else bounds[0],
                    inf if bounds[1] is None else bounds[1],
                    v.is_integer(),
                )
                for v in var.values()
            ]
            declared = tuple(np.array([r[i] for r in rest]).reshape(-1) for i in range(3))
        facts.append(declared)
    lower = np.concatenate([f[0] for f in facts]).astype(float)
    upper = np.concatenate([f[1] for f in facts]).astype(float)
    integer = np.concatenate([f[2] for f in facts]).astype(bool)
    fixed = np.fromiter((v.fixed for v in columns), dtype=bool, count=len(columns))
    if fixed.any():
        held = np.flatnonzero(fixed)
        lower[held] = upper[held] = [columns[j].value for j in held.tolist()]
        integer[held] = False
    return lower, upper, integer, fixed


def _positions(layout: Columns, variables: Iterable[pyo.Var]) -> dict[int, int]:
    """The column of each of ``variables`` (by ``id``), found through its block's layout
    (an index lookup built only for the families asked for) or among the others; or, when
    they are many (a carbon cap's rows hold most columns), in one lookup of every
    column."""
    variables = list(variables)
    if 4 * len(variables) > len(layout.variables):
        every = {id(v): j for j, v in enumerate(layout.variables)}
        return {id(v): every[id(v)] for v in variables}
    start = {id(block): first for block, first in layout.starts}
    lookups: dict[tuple[int, str], dict[object, int]] = {}
    others: dict[int, int] | None = None
    out: dict[int, int] = {}
    for v in variables:
        if id(v) in out:
            continue
        block, name = v.parent_block(), v.parent_component().local_name
        if id(block) in start and name in FAMILIES:
            lookup = lookups.get((id(block), name))
            if lookup is None:
                first = start[id(block)] + block.layout.offset[name]
                lookup = {key: first + i for i, key in enumerate(block.layout.keys[name])}
                lookups[(id(block), name)] = lookup
            out[id(v)] = lookup[v.index()]
        else:
            if others is None:
                rest = layout.variables[layout.laid_out :]
                others = {id(u): layout.laid_out + i for i, u in enumerate(rest)}
            out[id(v)] = others[id(v)]
    return out


def _other_variables(m: pyo.Block) -> list[pyo.Var]:
    """The Var components of ``m`` that no built block's layout holds, in declaration
    order."""
    laid = {id(b) for b in layout_blocks(m)}
    return [
        var
        for var in m.component_objects(pyo.Var, active=True, descend_into=True)
        if not (id(var.parent_block()) in laid and var.local_name in FAMILIES)
    ]


def objective_scale(cost: np.ndarray) -> float:
    """A power of ten that brings the largest cost coefficient to at most 1e4.

    Capex of millions of USD per rack next to energy of cents per kWh is badly
    scaled for HiGHS's tolerances; dividing the objective by a power of ten
    changes no decision and is undone exactly for the figures reported.
    """
    largest = float(np.abs(cost).max()) if cost.size else 0.0
    if largest <= 1e4:
        return 1.0
    return 10.0 ** -math.ceil(math.log10(largest / 1e4))


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Silence file descriptor 1 (HiGHS prints a banner from C++ when it is created)."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _file_names(names: Iterable[str]) -> list[str]:
    """Pyomo names made safe for LP and MPS files (demand_met[chat,0] -> demand_met(chat.0)),
    kept unique."""
    out: list[str] = []
    seen: set[str] = set()
    for name in names:
        safe = _UNSAFE.sub("_", name.replace("[", "(").replace("]", ")").replace(",", "."))
        candidate, n = safe, 1
        while candidate in seen:
            n += 1
            candidate = f"{safe}_{n}"
        seen.add(candidate)
        out.append(candidate)
    return out


def new_highs(options: SolverOptions) -> highspy.Highs:
    """A HiGHS instance with the run's options (and without its banner unless logging)."""
    if options.log:
        h = highspy.Highs()
    else:
        with _quiet_stdout():
            h = highspy.Highs()
    h.setOptionValue("log_to_console", options.log)
    for key, value in HIGHS_DEFAULTS.items():
        h.setOptionValue(key, value)
    h.setOptionValue("mip_rel_gap", float(options.mip_gap))
    h.setOptionValue("time_limit", float(options.time_limit_s))
    h.setOptionValue("threads", int(options.threads) or 1)  # 0: one, the same on any machine
    h.HandleKeyboardInterrupt = True
    return h


# (cost of the best plan found so far or None, best bound or None), in USD, during a
# solve; True stops the solve (as HiGHS's interrupt does: run_highs raises KeyboardInterrupt)
MipProgress = Callable[[float | None, float | None], bool]
_watchers: list[MipProgress] = []
PROGRESS_EVERY_S = 1.0  # between better plans, the bound is reported at most this often


@contextlib.contextmanager
def watching(progress: MipProgress) -> Iterator[None]:
    """Within the block, every mixed-integer solve of this process reports how it goes:
    ``progress(best plan's cost so far, best bound)`` at each better plan HiGHS finds
    (its improving-solution callback) and, between them, at most every PROGRESS_EVERY_S
    (its interrupt callback). Called from HiGHS's thread; nothing it reports is
    certified: only the finished solve is. When ``progress`` returns True, the solve
    stops at HiGHS's next check, as at Ctrl-C."""
    _watchers.append(progress)
    try:
        yield
    finally:
        _watchers.remove(progress)


def _watch(h: highspy.Highs, scale: float) -> None:
    last = [-math.inf]

    def report(event: object, always: bool) -> None:
        now = time.monotonic()
        if not always and now - last[0] < PROGRESS_EVERY_S:
            return
        last[0] = now
        out = event.data_out  # type: ignore[attr-defined]
        primal, dual = float(out.mip_primal_bound), float(out.mip_dual_bound)
        incumbent = primal / scale if math.isfinite(primal) else None
        bound = dual / scale if math.isfinite(dual) else None
        stop = [progress(incumbent, bound) for progress in list(_watchers)]
        if any(stop) and event.data_in is not None:  # type: ignore[attr-defined]
            event.data_in.user_interrupt = True  # type: ignore[attr-defined]
            last[0] = -math.inf  # and at every check after, until HiGHS stops

    h.cbMipImprovingSolution.subscribe(lambda event: report(event, True))
    h.cbMipInterrupt.subscribe(lambda event: report(event, False))


def run_highs(
    h: highspy.Highs, compiled: Compiled, handoff: float, started: float
) -> tuple[Solved, np.ndarray | None, np.ndarray | None]:
    """Solve what ``h`` holds; the status, and column values and row duals when there are."""
    log: list[str] = []
    h.cbLogging.subscribe(lambda event: log.append(event.message))
    watched = bool(_watchers) and bool(compiled.integer.any())
    if watched:
        _watch(h, compiled.objective_scale)
    t0 = time.perf_counter()
    h.solve()
    seconds = time.perf_counter() - t0
    h.cbLogging.clear()
    if watched:
        h.cbMipImprovingSolution.clear()
        h.cbMipInterrupt.clear()
    model_status = h.getModelStatus()
    if model_status == highspy.HighsModelStatus.kInterrupt:
        raise KeyboardInterrupt
    info = h.getInfo()
    if model_status == highspy.HighsModelStatus.kModelEmpty:  # every variable fixed: nothing
        cost = h.getLp().offset_ / compiled.objective_scale  # to choose, the constant is the cost
        empty, warnings = Termination.MODEL_EMPTY, scaling_warnings(log)
        solved = Solved(empty.status(True), empty, cost, cost, 0.0, seconds, handoff, warnings)
        return solved, np.zeros(0), None
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    mip = bool(compiled.integer.any())
    scale = compiled.objective_scale
    objective = float(info.objective_function_value) / scale if has_solution else None
    bound = float(info.mip_dual_bound) / scale if mip else objective
    termination = Termination.from_highs(model_status.name)
    gap = None
    if objective is not None:
        gap = float(info.mip_gap) if mip else 0.0
        if not math.isfinite(gap):
            gap = None
    solved = Solved(
        status=termination.status(has_solution),
        termination=termination,
        objective=objective,
        best_bound=bound if bound is not None and math.isfinite(bound) else None,
        gap=gap,
        seconds=seconds,
        handoff_seconds=handoff,
        warnings=scaling_warnings(log),
        nodes=max(0, int(info.mip_node_count)),
        iterations=max(0, int(info.simplex_iteration_count)),
    )
    if not has_solution:
        return solved, None, None
    solution = h.getSolution()
    values = np.asarray(solution.col_value, dtype=float)
    duals = np.asarray(solution.row_dual, dtype=float) / scale if solution.dual_valid else None
    return solved, values, duals


def scaling_warnings(log: list[str]) -> tuple[str, ...]:
    """HiGHS's warnings from its log (badly scaled numbers, mostly), once each."""
    lines = (line.strip() for message in log for line in message.splitlines())
    return tuple(dict.fromkeys(line for line in lines if line.startswith("WARNING")))


@dataclass(frozen=True)
class Values:
    """A solution by column: as the solver gave it, and as loaded into the model."""

    raw: np.ndarray
    plan: np.ndarray


def plan_values(compiled: Compiled, raw: np.ndarray) -> Values:
    """The solution as the plan: integers rounded, and values within 1e-9 of zero (the
    solver's leftovers) made zero."""
    values = np.where(compiled.integer, np.round(raw), raw)
    return Values(raw=raw, plan=np.where(np.abs(values) < 1e-9, 0.0, values))


def load_values(compiled: Compiled, raw: np.ndarray) -> Values:
    """Put the solution (plan_values) into the Pyomo variables."""
    values = plan_values(compiled, raw)
    for var, x in zip(compiled.columns, values.plan.tolist(), strict=True):
        var.set_value(x, skip_validation=True)
    return values


def _active_objective(m: pyo.Block) -> pyo.Objective:
    return next(m.component_data_objects(pyo.Objective, active=True))


def objective_vector(
    m: pyo.Block,
    order: Columns,
    starts: dict[int, int],
    fixed: np.ndarray,
    value: np.ndarray,
) -> tuple[np.ndarray, float]:
    """The active objective's cost per column of ``order`` and its constant: from the cost
    ledgers' arrays when it is the cost (a model's total_cost, the robust model's
    expected cost), from its arrays when it has them (stable placement's, as
    rows.array_costs reads them: on the columns rows.model_columns gives with ``starts``,
    the ``fixed`` columns at ``value``), else from its Pyomo expression."""
    blocks = ledger_objective(m)
    start = {id(b): s for b, s in order.starts}
    if blocks is None:
        objective = _active_objective(m)
        arrays = getattr(objective, "arrays", None)
        if arrays is None:
            return objective_costs(objective, order.variables)
        column = model_columns(arrays, objective.parent_block(), starts)
        return array_costs(arrays, column, len(order.variables), fixed, value)
    cost, offset = np.zeros(len(order.variables)), 0.0
    for block, weight in blocks:
        own, constant = discounted(block, weight)
        cost[start[id(block)] : start[id(block)] + len(own)] = own
        offset += constant
    return cost, offset


def objective_costs(objective: pyo.Objective, columns: list[pyo.Var]) -> tuple[np.ndarray, float]:
    """An objective's cost per column and its constant, from its Pyomo expression (the
    objectives that are not the cost ledger's)."""
    repn = generate_standard_repn(objective.expr, compute_values=True, quadratic=False)
    column = {id(v): j for j, v in enumerate(columns)}
    cost = np.zeros(len(columns))
    for var, coef in zip(repn.linear_vars, repn.linear_coefs, strict=True):
        cost[column[id(var)]] += coef
    return cost, float(repn.constant)


def solve(
    m: pyo.ConcreteModel,
    options: SolverOptions,
    write_model: Path | None = None,
    adjust: Callable[[Compiled], object] | None = None,
) -> tuple[Solved, Compiled, Values | None]:
    """Solve ``m`` with HiGHS: the solver's word, the compiled model, and the solution,
    loaded into ``m``'s variables, when there is a plan (not yet certified).
    ``adjust`` changes the compiled model before it is written and solved (the first
    stage fixed by its columns' bounds)."""
    started = time.perf_counter()
    compiled = compile_model(m, options, names=write_model is not None)
    if adjust is not None:
        adjust(compiled)
    if write_model is not None:
        write_model_file(compiled.highs, write_model)
    handoff = time.perf_counter() - started
    solved, raw, _ = run_highs(compiled.highs, compiled, handoff, started)
    return solved, compiled, None if raw is None else load_values(compiled, raw)


def write_model_file(h: highspy.Highs, path: Path) -> None:
    """Write the model HiGHS holds to ``path`` (format by suffix) whole: into a hidden file
    beside it, renamed over it once HiGHS says it succeeded."""
    tmp = path.with_name(f".{path.stem}.partial-{os.getpid()}{path.suffix}")
    try:
        if h.writeModel(str(tmp)) != highspy.HighsStatus.kOk or not tmp.is_file():
            raise OSError(f"the solver could not write the model to {path}")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def with_costs(base: Compiled, m: pyo.Block, options: SolverOptions) -> Compiled:
    """A new HiGHS instance holding ``base``'s model (compiled from ``m``) with the costs of
    ``m``'s ledger now (models/objective.py, reprice).

    A fresh instance, not ``base``'s with its costs changed: nothing of an earlier
    solve (basis, incumbent, start) carries over, so a scenario's answer does not
    depend on what this process solved before. (highspy 1.16.0 also answers
    wrongly when given a MIP start with presolve on; docs/performance.md.)
    """
    lp = base.highs.getLp()
    scale = set_costs(lp, m)
    h = new_highs(options)
    h.passModel(lp)
    return dataclasses.replace(base, highs=h, objective_scale=scale)


def set_costs(lp: highspy.HighsLp, m: pyo.Block) -> float:
    """Give ``lp`` the costs of ``m``'s ledger now, scaled (objective_scale); the scale."""
    cost, offset = discounted(m)
    scale = objective_scale(cost)
    lp.col_cost_, lp.offset_ = cost * scale, offset * scale
    return scale


def fixed_lp_duals(
    compiled: Compiled,
    options: SolverOptions,
    fix: Callable[[pyo.Var], bool],
    rows: Iterable[int],
) -> dict[int, float]:
    """Row duals of the LP with the integer columns for which ``fix`` holds fixed at their
    solution values and every other integer made continuous.

    The model's variables must hold a solution. Returns dual by row (a position in
    ``compiled.rows``) for the rows in ``rows`` (USD per unit of the row's right-hand
    side); empty when the LP has no duals.
    """
    lp = compiled.highs.getLp()
    lower, upper = np.array(lp.col_lower_), np.array(lp.col_upper_)
    for j in np.flatnonzero(compiled.integer).tolist():
        var = compiled.columns[j]
        if fix(var):
            value = round(var.value or 0.0)
            lower[j] = upper[j] = value
    lp.col_lower_, lp.col_upper_ = lower, upper
    lp.integrality_ = []
    h = new_highs(options)
    h.passModel(lp)
    _, _, duals = run_highs(h, compiled, 0.0, time.perf_counter())
    if duals is None:
        return {}
    return {i: float(duals[i]) for i in rows}
