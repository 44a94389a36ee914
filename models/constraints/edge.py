"""Edge device capacity."""

from __future__ import annotations

import pyomo.environ as pyo

from optimizer.models.sets import ModelData
from optimizer.models.variables import Derived


def add_edge_capacity(m: pyo.ConcreteModel, d: ModelData, x: Derived) -> None:
    """edge_capacity[w, e, t]:
    share[w, e, t] · ah_cap[w, acc(e), t] / hours ≤ owned[w, e, t] · accelerators_per_device[e]

    in accelerators held on average, as rack_capacity. owned[w, e, t] counts the devices
    of type e bought for w up to t (they stay); max_utilization does not apply to edge
    devices.
    """
    if not d.edge:
        return

    def rule(m: pyo.ConcreteModel, w: str, e: str, t: int) -> object:
        acc = d.device[e]["accelerator"]
        per_device = float(d.device[e]["accelerators_per_device"])
        return d.ah_cap[(w, acc, t)] / d.hours * m.edge[w, e, t] <= per_device * x.owned(w, e, t)

    m.edge_capacity = pyo.Constraint(m.EDGE, rule=rule)
