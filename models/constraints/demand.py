"""Demand met: every workload's demand is served in full in every active period."""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from optimizer.models.components import index_set
from optimizer.models.constraints._util import Entries, add_array_family, keyed
from optimizer.models.sets import ModelData

SHARES = ("onprem", "cloud", "api", "edge")  # the share variables, by kind of option


def add_demand(m: pyo.ConcreteModel, d: ModelData) -> None:
    """demand_met[w, t]:  Σ_o share[w, o, t] = 1  for each (w, t) with demand > 0.

    o ranges over the options left for w by the sets: (site, rack type) pairs,
    cloud offers, APIs and edge device types. Assembled as arrays (one entry of
    1 per share variable).
    """
    layout = m.layout
    keys = [(key[0], key[-1]) for family in SHARES for key in layout.keys[family]]
    served = set(keys)
    index = [key for key in d.active if key in served]
    index_set(m, "DEMAND", index, 2)
    if not index:
        return
    _, rows = keyed(keys, index)
    columns = np.concatenate([layout.positions(family) for family in SHARES])
    entries = Entries()
    entries.add(rows, columns, [1.0] * len(keys))
    add_array_family(m, "demand_met", m.DEMAND, entries.rows(1.0, 1.0, len(index)))
