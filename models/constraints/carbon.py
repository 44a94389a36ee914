"""The cap on emissions a year."""

from __future__ import annotations

from collections import defaultdict

import pyomo.environ as pyo

from optimizer.models.constraints._util import at_most
from optimizer.models.sets import ModelData


def cap_per_year(d: ModelData) -> dict[int, float]:
    """Year from the start -> its cap in t CO2e (a last year shorter than a year gets its
    share); empty without a cap."""
    if d.max_tco2e_per_year is None:
        return {}
    return {
        y: d.max_tco2e_per_year * min(1.0, len(ts) * d.years_per_period)
        for y, ts in d.years().items()
    }


def add_carbon_cap(m: pyo.ConcreteModel, d: ModelData) -> None:
    """carbon_cap[y]:  Σ_{t in year y} Σ emission[t, ·]  ≤  max_tco2e_per_year · share[y]

    for each year y from start_date (share[y] = 1, or the part of a year the last one
    covers); embodied emissions count in the period bought. Only with the setting.
    """
    caps = cap_per_year(d)
    if not caps:
        return
    by_period: dict[int, list[object]] = defaultdict(list)
    for key in m.EMISSIONS:
        by_period[key[0]].append(m.emission[key])
    years = d.years()
    m.CAP_YEARS = pyo.Set(initialize=list(caps), ordered=True)
    m.carbon_cap = pyo.Constraint(
        m.CAP_YEARS,
        rule=lambda m, y: at_most(pyo.quicksum(e for t in years[y] for e in by_period[t]), caps[y]),
    )
