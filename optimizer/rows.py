"""The model's rows for HiGHS, and what each row is.

The families that grow with the workloads (demand_met, rack_capacity, share_ready,
cloud_quota, reserved_use, api_limit, edge_capacity) hold their rows as arrays over
their block's column layout (models/constraints/_util.py, ``ArrayRows``); the others
are Pyomo constraints, each row read from its expression. ``stack`` puts both in one
matrix, family after family in the order the model declares them (blocks in
Pyomo's order, each family in its index order) — the order Pyomo's own compiler
gives — and ``Rows`` says which family, index and block each row belongs to: the
one description that the elastic diagnosis, the shadow prices and the model file's
row names read.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo
from pyomo.common.errors import InfeasibleConstraintException
from pyomo.core.base.component_namer import index_repr
from pyomo.core.base.enums import SortComponents
from pyomo.repn.linear import LinearRepnVisitor
from pyomo.repn.util import VarRecorder

from optimizer.models.constraints._util import ArrayObjective, ArrayRows

LE, EQ, GE = 1, 0, -1  # a row's sense: "<=", "==", ">=" (a ranged row is one of each)


@dataclass(frozen=True)
class Family:
    """Rows ``start`` to ``stop`` of the matrix: the rows of one constraint family (a
    Pyomo Constraint component) in one block."""

    component: pyo.Constraint
    start: int
    stop: int
    index: tuple[object, ...] | None = None  # each row's index; None: the component's index

    @property
    def name(self) -> str:
        return self.component.local_name

    @property
    def block(self) -> pyo.Block:
        return self.component.parent_block()

    @functools.cached_property
    def keys(self) -> tuple[object, ...]:
        """Each row's index (a scalar constraint's is None)."""
        if self.index is not None:
            return self.index
        return tuple(self.component.index_set())


@dataclass(frozen=True)
class Rows:
    """What each row of the compiled matrix is: its family, index and block, and sense."""

    families: tuple[Family, ...]
    sense: np.ndarray  # per row: LE, EQ or GE

    def __len__(self) -> int:
        return len(self.sense)

    def at(self, i: int) -> tuple[Family, object]:
        """Row ``i``'s family and index."""
        f = self.families[bisect.bisect_right([f.start for f in self.families], i) - 1]
        return f, f.keys[i - f.start]

    def of(self, name: str, block: pyo.Block | None = None) -> Iterator[Family]:
        """The families called ``name`` (in ``block`` only, when given)."""
        for f in self.families:
            if f.name == name and (block is None or f.block is block):
                yield f

    def described(self) -> list[tuple[str, object, int]]:
        """(family, index, sense) of every row, in order."""
        return [
            (f.name, key, int(self.sense[f.start + j]))
            for f in self.families
            for j, key in enumerate(f.keys)
        ]

    def names(self) -> list[str]:
        """Every row's Pyomo name (``demand_met[chat,0]``, ``scenario[base].site_power[s,1]``)."""
        return [
            f.component.name + ("" if key is None else index_repr(key))
            for f in self.families
            for key in f.keys
        ]


@dataclass(frozen=True)
class Stacked:
    """The rows as a coordinate matrix over the model's columns, with their bounds."""

    row: np.ndarray
    column: np.ndarray
    coef: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    rows: Rows


def constraints(m: pyo.Block) -> list[pyo.Constraint]:
    """The model's active constraint families, blocks in Pyomo's order, each block's in
    declaration order."""
    return list(
        m.component_objects(
            pyo.Constraint, active=True, descend_into=True, sort=SortComponents.ORDERED_INDICES
        )
    )


@dataclass
class _Parsed:
    """Pyomo constraint rows read from their expressions: variables, coefficients, sense,
    right-hand side and index, row by row."""

    variables: list[list[pyo.Var]]
    coefs: list[list[float]]
    sense: list[int]
    rhs: list[float]
    index: list[object]


def _parse(con: pyo.Constraint, visitor: LinearRepnVisitor) -> _Parsed:
    """The rows of a Pyomo constraint family as Pyomo's standard-form compiler makes them
    (with its expression walker): fixed variables and constants moved to the right-hand
    side, an equality one row, a range two (<= then >=), a row without variables left
    out (or an error, when it is violated)."""
    out = _Parsed([], [], [], [], [])
    var_map = visitor.var_recorder.var_map
    for index, data in con.items(SortComponents.ORDERED_INDICES):
        if not data.active:
            continue
        lb, body, ub = data.to_bounded_expression(evaluate_bounds=True)
        if lb is None and ub is None:
            continue
        repn = visitor.walk_expression(body)
        if repn.nonlinear is not None:
            raise ValueError(f"constraint {data.name} is not linear")
        offset = repn.constant
        if not repn.linear:
            if (lb is None or lb <= offset) and (ub is None or ub >= offset):
                continue
            raise InfeasibleConstraintException(
                f"model contains a trivially infeasible constraint, '{data.name}'"
            )
        sides = [(EQ, ub)] if lb == ub else [(LE, ub), (GE, lb)]
        for sense, bound in sides:
            if bound is None:
                continue
            out.variables.append([var_map[i] for i in repn.linear])
            out.coefs.append(list(repn.linear.values()))
            out.sense.append(sense)
            out.rhs.append(bound - offset)
            out.index.append(index)
    return out


def model_columns(
    arrays: ArrayRows | ArrayObjective, block: pyo.Block, starts: dict[int, int]
) -> np.ndarray:
    """The model's column of each entry of ``arrays`` (of ``block``): the block's first
    column plus the entry's layout position, or for a column −1 − j the first column of
    ``others`` plus j (``starts``: the first column of each built block and of each Var
    component no layout holds, by ``id``)."""
    column = arrays.column + starts[id(block)]
    if arrays.others is not None:
        held_apart = arrays.column < 0
        column[held_apart] = starts[id(arrays.others)] - 1 - arrays.column[held_apart]
    return column


def array_costs(
    arrays: ArrayObjective, column: np.ndarray, n: int, fixed: np.ndarray, value: np.ndarray
) -> tuple[np.ndarray, float]:
    """An array objective's cost per column (of ``n``; ``column``: model_columns) and its
    constant, as Pyomo's standard repn reads the objective: a fixed column's (``fixed``,
    at ``value``) coefficient times its value added to the constant in the entries'
    order, its cost 0."""
    held = fixed[column]
    offset = arrays.constant
    for x in (arrays.coef[held] * value[column[held]]).tolist():
        offset += x
    cost = np.zeros(n)
    cost[column[~held]] = arrays.coef[~held]
    return cost, 0.0 + offset


def parse_pyomo_rows(m: pyo.Block) -> dict[int, _Parsed]:
    """Each active Pyomo-held family's rows (by ``id`` of the component)."""
    visitor = LinearRepnVisitor({}, var_recorder=VarRecorder({}, SortComponents.ORDERED_INDICES))
    return {id(c): _parse(c, visitor) for c in constraints(m) if not hasattr(c, "arrays")}


def stack(
    m: pyo.Block,
    parsed: dict[int, _Parsed],
    starts: dict[int, int],
    position: dict[int, int],
    fixed: np.ndarray,
    value: np.ndarray,
) -> Stacked:
    """All active rows of ``m`` in one matrix: array families on their columns
    (model_columns, ``starts``), Pyomo rows by ``position`` (``id`` of a variable ->
    column). An array entry in a fixed column (``fixed``, at ``value``) moves to the
    row's bounds, as Pyomo moves a fixed variable."""
    inf = np.inf
    parts: list[tuple[np.ndarray, ...]] = []
    families: list[Family] = []
    sense: list[np.ndarray] = []
    n = 0
    for con in constraints(m):
        arrays = getattr(con, "arrays", None)
        if arrays is not None:
            k = len(arrays)
            column = model_columns(arrays, con.parent_block(), starts)
            row, coef = arrays.row + n, arrays.coef
            lower, upper = arrays.lower, arrays.upper
            held = fixed[column]
            if held.any() or arrays.constant is not None:
                # as Pyomo's walker: the fixed columns' values added up in order, then the
                # row's constant, the sum moved to the bounds
                shift = np.bincount(arrays.row[held], coef[held] * value[column[held]], k)
                if arrays.constant is not None:
                    shift = shift + arrays.constant
                lower, upper = lower - shift, upper - shift
                row, column, coef = row[~held], column[~held], coef[~held]
            parts.append((row, column, coef, lower, upper))
            families.append(Family(con, n, n + k))
            sense.append(np.where(lower == upper, EQ, np.where(lower == -inf, LE, GE)))
        else:
            rows = parsed[id(con)]
            k = len(rows.sense)
            if not k:
                continue
            lengths = [len(v) for v in rows.variables]
            row = np.repeat(np.arange(n, n + k), lengths)
            column = np.fromiter(
                (position[id(v)] for vs in rows.variables for v in vs), np.int64, sum(lengths)
            )
            coef = np.fromiter((c for cs in rows.coefs for c in cs), float, sum(lengths))
            rhs, s = np.asarray(rows.rhs, dtype=float), np.asarray(rows.sense)
            lower, upper = np.where(s == LE, -inf, rhs), np.where(s == GE, inf, rhs)
            parts.append((row, column, coef, lower, upper))
            families.append(Family(con, n, n + k, tuple(rows.index)))
            sense.append(s)
        n += k
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return Stacked(empty, empty, np.zeros(0), np.zeros(0), np.zeros(0), Rows((), empty))
    row, column, coef, lower, upper = (np.concatenate(p) for p in zip(*parts, strict=True))
    return Stacked(row, column, coef, lower, upper, Rows(tuple(families), np.concatenate(sense)))
