"""Token API daily limits."""

from __future__ import annotations

import math
from collections import defaultdict

import pyomo.environ as pyo

from optimizer.models.sets import ModelData


def add_api_limits(m: pyo.ConcreteModel, d: ModelData) -> None:
    """api_limit[a, t]:  Σ_w share[w, a, t] · demand[w, t] ≤ max_mtok_per_day[a]

    (million tokens a day at average load; APIs with no limit get no row).
    """
    terms: dict[tuple[str, int], list[object]] = defaultdict(list)
    for w, a, t in d.api:
        limit = d.api_offer[a]["max_mtok_per_day"]
        if limit is not None and not math.isnan(limit):  # type: ignore[arg-type]
            terms[(a, t)].append(d.demand[(w, t)] * m.api[w, a, t])
    if not terms:
        return
    m.API_LIMITED = pyo.Set(initialize=list(terms), dimen=2, ordered=True)
    m.api_limit = pyo.Constraint(
        m.API_LIMITED,
        rule=lambda m, a, t: (
            pyo.quicksum(terms[(a, t)]) <= float(d.api_offer[a]["max_mtok_per_day"])
        ),  # type: ignore[arg-type]
    )
