"""Edge device capacity."""

from __future__ import annotations

import math

import pyomo.environ as pyo

from optimizer.models.constraints._util import Entries, add_array_family
from optimizer.models.sets import ModelData
from optimizer.models.variables import Derived


def add_edge_capacity(m: pyo.ConcreteModel, d: ModelData, x: Derived) -> None:
    """edge_capacity[w, e, t]:
    share[w, e, t] · ah_cap[w, acc(e), t] ≤ owned[w, e, t] · accelerators_per_device[e] · hours

    owned[w, e, t] counts the devices of type e bought for w up to t (they stay);
    max_utilization does not apply to edge devices. Assembled as arrays, one row per
    share.
    """
    if not d.edge:
        return
    layout = m.layout
    entries = Entries()
    entries.add(
        range(len(d.edge)),
        layout.positions("edge"),
        (d.ah_cap[(w, d.device[e]["accelerator"], t)] for w, e, t in d.edge),
    )
    per_device = {
        e: float(ev["accelerators_per_device"]) * d.hours  # type: ignore[arg-type]
        for e, ev in d.device.items()
    }
    bought = layout.position("edge_buy")
    owned = [
        (i, bought[key], -per_device[e])
        for i, (w, e, t) in enumerate(d.edge)
        for key in x.bought_by(w, e, t)
    ]
    entries.add((i for i, _, _ in owned), (j for _, j, _ in owned), (c for _, _, c in owned))
    add_array_family(m, "edge_capacity", m.EDGE, entries.rows(-math.inf, 0.0, len(d.edge)))
