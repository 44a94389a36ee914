"""Rack capacity: accelerator-hours used on a (site, rack type) within what is installed."""

from __future__ import annotations

from collections import defaultdict

import pyomo.environ as pyo

from optimizer.models.sets import ModelData
from optimizer.models.variables import Derived


def add_rack_capacity(m: pyo.ConcreteModel, d: ModelData, x: Derived) -> None:
    """rack_capacity[s, k, t]:
    Σ_w share[w, s, k, t] · ah_cap[w, acc(k), t] / hours
        ≤ installed[s, k, t] · accelerators_per_rack[k] · max_utilization.

    ah_cap is the accelerator-hours of all of w's demand in t on k's
    accelerator, times peak_factor for inference; divided by the period's hours, the
    accelerators it holds on average (the row in accelerators keeps its numbers near
    those of a rack, not in the hundreds of thousands).
    """
    used: dict[tuple[str, str, int], list[object]] = defaultdict(list)
    for w, s, k, t in d.onprem:
        acc = d.rack[k]["accelerator"]
        used[(s, k, t)].append(d.ah_cap[(w, acc, t)] / d.hours * m.onprem[w, s, k, t])
    if not used:
        return
    m.RACK_USE = pyo.Set(initialize=list(used), dimen=3, ordered=True)

    def rule(m: pyo.ConcreteModel, s: str, k: str, t: int) -> object:
        per_rack = float(d.rack[k]["accelerators_per_rack"]) * d.max_utilization  # type: ignore[arg-type]
        return pyo.quicksum(used[(s, k, t)]) <= per_rack * x.installed(s, k, t)

    m.rack_capacity = pyo.Constraint(m.RACK_USE, rule=rule)
