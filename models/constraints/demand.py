"""Demand met: every workload's demand is served in full in every active period."""

from __future__ import annotations

from collections import defaultdict

import pyomo.environ as pyo

from optimizer.models.sets import ModelData


def add_demand(m: pyo.ConcreteModel, d: ModelData) -> None:
    """demand_met[w, t]:  Σ_o share[w, o, t] = 1  for each (w, t) with demand > 0.

    o ranges over the options left for w by the sets: (site, rack type) pairs,
    cloud offers, APIs and edge device types.
    """
    terms: dict[tuple[str, int], list[pyo.Var]] = defaultdict(list)
    for w, s, k, t in d.onprem:
        terms[(w, t)].append(m.onprem[w, s, k, t])
    for var, index in ((m.cloud, d.cloud), (m.api, d.api), (m.edge, d.edge)):
        for w, o, t in index:
            terms[(w, t)].append(var[w, o, t])
    m.DEMAND = pyo.Set(initialize=[key for key in d.active if key in terms], dimen=2, ordered=True)
    if not m.DEMAND:
        return
    m.demand_met = pyo.Constraint(m.DEMAND, rule=lambda m, w, t: pyo.quicksum(terms[(w, t)]) == 1)
