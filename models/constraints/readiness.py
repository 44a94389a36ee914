"""Shares placed on a site that is to be built only once it is ready."""

from __future__ import annotations

from collections import defaultdict

import pyomo.environ as pyo

from optimizer.models.sets import ModelData
from optimizer.models.variables import Derived


def add_share_ready(m: pyo.ConcreteModel, d: ModelData, x: Derived) -> None:
    """share_ready[w, s, t]:  Σ_k share[w, s, k, t] ≤ ready[s, t]   (sites not existing).

    Valid: it never cuts off an integer plan. Where ready[s, t] = 0, site_slots
    leaves no rack standing at s, so rack_capacity admits no share there (every
    share has ah_cap > 0); where it is 1, the row is the sum of shares of one
    workload's demand, at most 1 by demand_met. It removes only fractional
    points, the ones the LP relaxation likes: a sliver of a site built
    (build = 0.3) with 30 % of each of many workloads on it, 30 % of the build
    cost paid for it. One row per workload, not per site: the strong linking of
    facility location (the hybrid example's relaxation goes from 22 % to 4.9 %
    below the optimum; docs/performance.md).
    """
    shares: dict[tuple[str, str, int], list[pyo.Var]] = defaultdict(list)
    new_sites = set(d.new_sites)
    for w, s, k, t in d.onprem:
        if s in new_sites:
            shares[(w, s, t)].append(m.onprem[w, s, k, t])
    if not shares:
        return
    m.SHARE_READY = pyo.Set(initialize=list(shares), dimen=3, ordered=True)
    m.share_ready = pyo.Constraint(
        m.SHARE_READY,
        rule=lambda m, w, s, t: pyo.quicksum(shares[(w, s, t)]) <= x.is_ready(s, t),
    )
