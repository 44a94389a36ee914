"""Rack capacity: accelerator-hours used on a (site, rack type) within what is installed."""

from __future__ import annotations

import math

import pyomo.environ as pyo

from optimizer.models.components import index_set
from optimizer.models.constraints._util import Entries, add_array_family, keyed
from optimizer.models.sets import ModelData
from optimizer.models.variables import Derived


def add_rack_capacity(m: pyo.ConcreteModel, d: ModelData, x: Derived) -> None:
    """rack_capacity[s, k, t]:
    Σ_w share[w, s, k, t] · ah_cap[w, acc(k), t]
        ≤ installed[s, k, t] · accelerators_per_rack[k] · hours · max_utilization.

    ah_cap is the accelerator-hours of all of w's demand in t on k's
    accelerator, times peak_factor for inference. Assembled as arrays: the racks
    already installed are the right-hand side, the purchases delivered by t
    their columns.
    """
    layout = m.layout
    index, rows = keyed([(s, k, t) for _, s, k, t in d.onprem])
    if not index:
        return
    index_set(m, "RACK_USE", index, 3)
    acc = {k: rv["accelerator"] for k, rv in d.rack.items()}
    per_rack = {
        k: float(rv["accelerators_per_rack"]) * d.hours * d.max_utilization  # type: ignore[arg-type]
        for k, rv in d.rack.items()
    }
    ah_cap = d.ah_cap
    hours = [ah_cap[(w, acc[k], t)] for w, _, k, t in d.onprem]
    entries = Entries()
    entries.add(rows, layout.positions("onprem"), hours)
    buy = layout.position("buy")
    at, columns, coefs, upper = [], [], [], []
    for i, (s, k, t) in enumerate(index):
        for key in x.arrived(s, k, t):
            at.append(i)
            columns.append(buy[key])
            coefs.append(-per_rack[k])
        upper.append(per_rack[k] * d.installed0.get((s, k), 0))
    entries.add(at, columns, coefs)
    add_array_family(m, "rack_capacity", m.RACK_USE, entries.rows(-math.inf, upper, len(index)))
