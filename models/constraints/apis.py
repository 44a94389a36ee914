"""Token API daily limits."""

from __future__ import annotations

import math

import pyomo.environ as pyo

from optimizer.models.components import index_set
from optimizer.models.constraints._util import Entries, add_array_family, keyed
from optimizer.models.sets import ModelData


def add_api_limits(m: pyo.ConcreteModel, d: ModelData) -> None:
    """api_limit[a, t]:  Σ_w share[w, a, t] · demand[w, t] ≤ max_mtok_per_day[a]

    (million tokens a day at average load; APIs with no limit get no row). Assembled
    as arrays.
    """
    limit: dict[str, float] = {}
    for a, av in d.api_offer.items():
        cap = av["max_mtok_per_day"]
        if cap is not None and not math.isnan(cap):  # type: ignore[arg-type]
            limit[a] = float(cap)  # type: ignore[arg-type]
    mine = [p for p, (_, a, _) in enumerate(d.api) if a in limit]
    if not mine:
        return
    index, rows = keyed([(d.api[p][1], d.api[p][2]) for p in mine])
    index_set(m, "API_LIMITED", index, 2)
    entries = Entries()
    entries.add(
        rows, m.layout.positions("api")[mine], (d.demand[(d.api[p][0], d.api[p][2])] for p in mine)
    )
    upper = [limit[a] for a, _ in index]
    add_array_family(m, "api_limit", m.API_LIMITED, entries.rows(-math.inf, upper, len(index)))
