"""Stable placement: the second pass's moves between locations, and its cost limit.

Not part of the cost model: optimizer/stable.py adds this family to a solved model,
with the integer decisions fixed, minimises the moves, and removes it again.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import pyomo.environ as pyo

from optimizer.models.constraints._util import Entries, add_array_family
from optimizer.models.layout import Layout
from optimizer.models.objective import scaled_cost
from optimizer.models.sets import ModelData

Place = tuple[str, str]  # environment, location (a site for on-prem: its rack types together)


def placed_shares(lay: Layout) -> dict[tuple[str, Place, int], list[int]]:
    """(workload, place, t) -> the positions (models/layout.py) of the share variables that
    serve w from that place in t."""
    out: dict[tuple[str, Place, int], list[int]] = defaultdict(list)
    start = lay.offset["onprem"]
    for i, (w, s, _k, t) in enumerate(lay.keys["onprem"]):
        out[(w, ("onprem", s), t)].append(start + i)
    for env in ("cloud", "api", "edge"):
        start = lay.offset[env]
        for i, (w, o, t) in enumerate(lay.keys[env]):
            out[(w, (env, o), t)].append(start + i)
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
    shares = placed_shares(m.layout)
    active = set(d.active)
    index = sorted(
        {
            (w, p[0], p[1], t)
            for (w, p, u) in shares
            for t in (u, u + 1)
            if (w, t - 1) in active and (w, t) in active
        }
    )
    m.MOVES = pyo.Set(initialize=index, dimen=4, ordered=True)
    m.move = pyo.Var(m.MOVES, bounds=(0.0, 1.0))
    # Each row as Pyomo reads move ≥ S[t] − S[t−1]: S[t] − S[t−1] − move ≤ 0. A
    # column −1 − i is move[index[i]] (ArrayRows' others).
    up, down = Entries(), Entries()
    rows, columns, signs = [], [], []
    for i, (w, env, o, t) in enumerate(index):
        now, before = shares.get((w, (env, o), t), []), shares.get((w, (env, o), t - 1), [])
        rows += [i] * (len(now) + len(before))
        columns += now + before
        signs += [1.0] * len(now) + [-1.0] * len(before)
    n = len(index)
    move_columns = np.arange(-1, -1 - n, -1)
    up.add(rows, columns, signs)
    up.add(range(n), move_columns, np.full(n, -1.0))
    down.add(rows, columns, [-x for x in signs])
    down.add(range(n), move_columns, np.full(n, -1.0))
    others = list(m.move.values())
    add_array_family(m, "move_up", m.MOVES, up.rows(-math.inf, 0.0, n, others))
    add_array_family(m, "move_down", m.MOVES, down.rows(-math.inf, 0.0, n, others))
    m.cost_limit = pyo.Constraint(expr=scaled_cost(m, scale, row=True) <= cost_limit * scale)
    moves = 0.5 * pyo.quicksum(m.move.values())
    band = cost_limit - optimum
    tie: object = 0.0
    if band > 0:  # the weight as Pyomo's walk of TIE_WEIGHT · (cost − optimum) / band has it
        weight = 1 / (1.0 * band) * TIE_WEIGHT
        tie = scaled_cost(m, weight, row=False) - weight * optimum
    m.least_moves = pyo.Objective(expr=moves + tie, sense=pyo.minimize)


def remove_stability(m: pyo.Block) -> None:
    """Take the family out again (the model goes back to the cost model)."""
    for name in ("least_moves", "cost_limit", "move_down", "move_up", "move", "MOVES"):
        if hasattr(m, name):
            m.del_component(name)


def moves_at(m: pyo.Block, d: ModelData) -> dict[tuple[str, int], dict[Place, float]]:
    """At the plan loaded in ``m``: (w, t) -> place -> S[w,p,t] − S[w,p,t−1] (non-zero
    changes only, beyond 1e-9), for w active in t − 1 and t. Half the sum of their sizes is
    the share of w's demand moved into t."""
    level: dict[tuple[str, Place, int], float] = defaultdict(float)
    x = m.layout.values().tolist()
    for key, positions in placed_shares(m.layout).items():
        level[key] = sum(x[j] for j in positions)
    places: dict[str, set[Place]] = defaultdict(set)
    for w, p, _ in level:
        places[w].add(p)
    active = set(d.active)
    out: dict[tuple[str, int], dict[Place, float]] = {}
    for w, t in d.active:
        if (w, t - 1) not in active:
            continue
        change = {p: level[(w, p, t)] - level[(w, p, t - 1)] for p in sorted(places[w])}
        change = {p: x for p, x in change.items() if abs(x) > 1e-9}
        if change:
            out[(w, t)] = change
    return out


def total_moves(m: pyo.Block, d: ModelData) -> float:
    """½ Σ |S[w,p,t] − S[w,p,t−1]| over the plan loaded in ``m``."""
    return sum(0.5 * sum(abs(x) for x in c.values()) for c in moves_at(m, d).values())
