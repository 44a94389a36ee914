"""Stable placement: the second pass's moves between locations, and its cost limit.

Not part of the cost model: optimizer/stable.py adds this family to a solved model,
with the integer decisions fixed, minimises the moves, and removes it again.
"""

from __future__ import annotations

import functools
import math
import operator
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo
import scipy.sparse as sp
from pyomo.core.expr import LinearExpression

from optimizer.models.components import DeferredObjective, index_set
from optimizer.models.constraints._util import (
    ArrayObjective,
    ArrayRows,
    Entries,
    add_array_family,
)
from optimizer.models.layout import Layout
from optimizer.models.objective import scaled_cost
from optimizer.models.sets import ModelData

Place = tuple[str, str]  # environment, location (a site for on-prem: its rack types together)
_FIRST, _SECOND, _LAST = (operator.itemgetter(i) for i in (0, 1, -1))


@dataclass(frozen=True)
class Levels:
    """The levels S[w,p,t] (the shares of w at place p in t, a site's rack types together)
    as a matrix over the layout's positions, and the moves' index: each (w, p, t) with w
    active in t − 1 and t and a share of w at p in t − 1 or t, sorted, with the rows of
    S[w,p,t] and S[w,p,t−1] in ``levels`` (−1: no share there then)."""

    levels: sp.csr_matrix  # (w, p, t) x positions: 1 at each share of w at p in t
    index: list[tuple[str, str, str, int]]  # MOVES: (w, environment, location, t)
    now: np.ndarray
    before: np.ndarray

    def changes(self, x: np.ndarray) -> np.ndarray:
        """S[w,p,t] − S[w,p,t−1] for each move of the index, at the positions' values
        ``x`` (each level added up over its positions in order)."""
        level = np.append(self.levels @ x, 0.0)
        return level[self.now] - level[self.before]


def levels(m: pyo.Block, d: ModelData) -> Levels:
    """The Levels of ``m``'s layout for the sets ``d`` (made once per model and data)."""
    cached = getattr(m, "_levels", None)
    if cached is not None and cached[0] is d:
        return cached[1]
    lay: Layout = m.layout
    shares = ("onprem", "cloud", "api", "edge")
    # each share's (w, p, t) as one number, (w · places + p) · periods + t, with the
    # workloads and places numbered in sorted order, so the numbers sort as the tuples
    first = {f: list(map(_FIRST, lay.keys[f])) for f in shares}  # workload
    second = {f: list(map(_SECOND, lay.keys[f])) for f in shares}  # location
    workloads = sorted(set().union(*first.values()))
    places = sorted((f, o) for f in shares for o in set(second[f]))
    w_of = {w: i for i, w in enumerate(workloads)}
    p_of = {p: i for i, p in enumerate(places)}
    periods = max([t for _, t in d.active], default=0) + 2  # t + 1 fits as well
    parts = []
    for f in shares:
        n = len(lay.keys[f])
        here = {o: i for (g, o), i in p_of.items() if g == f}
        w = np.fromiter(map(w_of.__getitem__, first[f]), np.int64, n)
        p = np.fromiter(map(here.__getitem__, second[f]), np.int64, n)
        t = np.fromiter(map(_LAST, lay.keys[f]), np.int64, n)
        parts.append((w * len(places) + p) * periods + t)
    code = np.concatenate(parts)
    columns = np.concatenate([lay.positions(f) for f in shares])
    level, row = np.unique(code, return_inverse=True)
    order = np.argsort(row, kind="stable")  # a level's positions in order
    indptr = np.concatenate(([0], np.cumsum(np.bincount(row, minlength=len(level)))))
    matrix = sp.csr_matrix((np.ones(len(row)), columns[order], indptr), (len(level), lay.n))
    # the moves: (w, p, t) for t = u and u + 1 of each level (w, p, u), w active in t − 1, t
    active = np.zeros((len(workloads), periods + 1), dtype=bool)  # column t + 1: period t
    for w, t in d.active:
        if w in w_of:
            active[w_of[w], t + 1] = True
    candidates = np.concatenate((level, level + 1))
    w, t = candidates // (len(places) * periods), candidates % periods
    moves = np.unique(candidates[active[w, t] & active[w, t + 1]])
    w, p, t = moves // (len(places) * periods), moves // periods % len(places), moves % periods
    index = [
        (workloads[a], places[b][0], places[b][1], c)
        for a, b, c in zip(w.tolist(), p.tolist(), t.tolist(), strict=True)
    ]

    def row_of(codes: np.ndarray) -> np.ndarray:
        at = np.minimum(np.searchsorted(level, codes), max(len(level) - 1, 0))
        return np.where(level[at] == codes, at, -1) if len(level) else np.full(len(codes), -1)

    now, before = row_of(moves), row_of(moves - 1)
    out = Levels(matrix, index, now, before)
    m._levels = (d, out)
    return out


TIE_WEIGHT = 1e-3  # of the cost band: among equally stable plans, the cheaper


def add_stability(
    m: pyo.Block, d: ModelData, optimum: float, cost_limit: float, scale: float
) -> None:
    """With S[w,p,t] = Σ shares of w at place p in t (a site's rack types together) and
    MOVES the (w, p, t) with w active in t − 1 and t and p an option of w:

    move_up[w,p,t]:    move[w,p,t] ≥ S[w,p,t] − S[w,p,t−1]
    move_down[w,p,t]:  move[w,p,t] ≥ S[w,p,t−1] − S[w,p,t]
    cost_limit:        total_cost · scale ≤ cost_limit · scale
    least_moves:       minimise ½ Σ move + TIE_WEIGHT · (total_cost − optimum) /
                       (cost_limit − optimum)

    ½ Σ move is the share of a workload's demand moved, summed over workloads and
    periods; the second term (left out when cost_limit = optimum) ranges over 0 … 0.001
    across the allowed costs, so of two equally stable plans the cheaper is taken.
    ``scale`` is the objective's scale (solve.objective_scale), so the cost row has the
    objective's magnitudes.
    """
    lv = levels(m, d)
    index = lv.index
    index_set(m, "MOVES", index, 4)
    m.move = pyo.Var(m.MOVES, bounds=(0.0, 1.0))
    # Each row as Pyomo reads move ≥ S[t] − S[t−1]: S[t] − S[t−1] − move ≤ 0. A
    # column −1 − i is move[index[i]] (ArrayRows' others: m.move).
    n = len(index)
    # S[w,p,t] − S[w,p,t−1] of each move as its shares' columns (+1 at t, −1 at t − 1)
    now, before = np.flatnonzero(lv.now >= 0), np.flatnonzero(lv.before >= 0)
    pick = sp.csr_matrix(
        (
            np.concatenate((np.ones(len(now)), np.full(len(before), -1.0))),
            (np.concatenate((now, before)), np.concatenate((lv.now[now], lv.before[before]))),
        ),
        shape=(n, lv.levels.shape[0]),
    )
    rise = (pick @ lv.levels).tocoo()
    move_columns = np.arange(-1, -1 - n, -1)
    up, down = Entries(), Entries()
    up.add(rise.row, rise.col, rise.data)
    up.add(range(n), move_columns, np.full(n, -1.0))
    down.add(rise.row, rise.col, -rise.data)
    down.add(range(n), move_columns, np.full(n, -1.0))
    others = m.move
    # its columns' bounds and integrality, which the hand-off reads instead of each variable
    m.move.declared = (np.zeros(n), np.ones(n), np.zeros(n, dtype=bool))
    add_array_family(m, "move_up", m.MOVES, up.rows(-math.inf, 0.0, n, others))
    add_array_family(m, "move_down", m.MOVES, down.rows(-math.inf, 0.0, n, others))
    # cost_limit as Pyomo's walk of the row's expression has it (models/objective.py)
    cost, constant = scaled_cost(m, scale, row=True)
    at = np.flatnonzero(cost)
    row, upper = np.zeros(len(at), np.int64), np.array([cost_limit * scale])
    limit = ArrayRows(
        row, at, cost[at], np.array([-math.inf]), upper, constant=np.array([constant])
    )
    add_array_family(m, "cost_limit", None, limit)
    # least_moves: its costs as arrays, the numbers Pyomo's standard repn read from the
    # ledger's (the hand-off takes them; tests/test_rows.py), and its Pyomo expression
    # the formula itself, on the cost model's total_cost, made when read
    band = cost_limit - optimum
    weight = None
    columns, coefs, offset = move_columns, np.full(n, 0.5), 0.0
    if band > 0:  # the weight as Pyomo's walk of TIE_WEIGHT · (cost − optimum) / band has it
        weight = 1 / (1.0 * band) * TIE_WEIGHT
        cost, constant = scaled_cost(m, weight, row=False)
        at = np.flatnonzero(cost)
        columns, coefs = np.concatenate((move_columns, at)), np.concatenate((coefs, cost[at]))
        offset = (0 + constant if constant else 0) + -(weight * optimum)
    make = functools.partial(_least_moves, weight=weight, optimum=optimum)
    m.least_moves = DeferredObjective(make)
    m.least_moves.arrays = ArrayObjective(columns, coefs, offset, others)


def _least_moves(m: pyo.Block, weight: float | None, optimum: float) -> object:
    """least_moves' Pyomo expression: ½ Σ move + weight · (total_cost − optimum), the
    second term left out without a ``weight``."""
    moves = 0.5 * LinearExpression(list(m.move.values()))
    tie: object = 0.0 if weight is None else weight * (m.total_cost.expr - optimum)
    return moves + tie


def remove_stability(m: pyo.Block) -> None:
    """Take the family out again (the model goes back to the cost model)."""
    for name in ("least_moves", "cost_limit", "move_down", "move_up", "move", "MOVES"):
        if hasattr(m, name):
            m.del_component(name)


def moves_at(
    m: pyo.Block, d: ModelData, x: np.ndarray | None = None
) -> dict[tuple[str, int], dict[Place, float]]:
    """At the plan loaded in ``m`` (or at the layout positions' values ``x``): (w, t) ->
    place -> S[w,p,t] − S[w,p,t−1] (non-zero changes only, beyond 1e-9), for w active
    in t − 1 and t, in the order of ``d.active`` and of the places. Half the sum of their
    sizes is the share of w's demand moved into t."""
    lv = levels(m, d)
    change = lv.changes(m.layout.values() if x is None else x)
    found: dict[tuple[str, int], dict[Place, float]] = defaultdict(dict)
    for i in np.flatnonzero(np.abs(change) > 1e-9).tolist():
        w, env, o, t = lv.index[i]
        found[(w, t)][(env, o)] = float(change[i])
    return {key: found[key] for key in d.active if key in found}


def total_moves(m: pyo.Block, d: ModelData, x: np.ndarray | None = None) -> float:
    """½ Σ |S[w,p,t] − S[w,p,t−1]| over the plan loaded in ``m`` (or ``x``, as moves_at)."""
    return sum(0.5 * sum(abs(x) for x in c.values()) for c in moves_at(m, d, x).values())
