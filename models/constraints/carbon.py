"""The cap on emissions a year, and the frontier's budget on emissions over the horizon."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pyomo.environ as pyo

from optimizer.models.constraints._util import at_most
from optimizer.models.ledger import expression
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


def emitted(m: pyo.Block, periods: Iterable[int] | None = None, row: bool = True) -> object:
    """Σ emission[t, ·] over ``periods`` (None: the whole horizon), in t CO2e: the
    emissions ledger's entries (``m.emissions``) as one linear expression, added up for
    a row (or, not ``row``, for an objective) as models/objective.py's scaled_cost."""
    chosen = None if periods is None else set(periods)
    ledger = m.emissions
    weight = np.array([1.0 if chosen is None or k[0] in chosen else 0.0 for k in ledger.keys])
    coef, constant = ledger.row(weight) if row else ledger.coefficients(weight)
    return expression(coef, constant, m.layout.variables)


def add_carbon_cap(m: pyo.ConcreteModel, d: ModelData) -> None:
    """carbon_cap[y]:  Σ_{t in year y} Σ emission[t, ·]  ≤  max_tco2e_per_year · share[y]

    for each year y from start_date (share[y] = 1, or the part of a year the last one
    covers); embodied emissions count in the period bought. Only with the setting.
    """
    caps = cap_per_year(d)
    if not caps:
        return
    years = d.years()
    m.CAP_YEARS = pyo.Set(initialize=list(caps), ordered=True)
    m.carbon_cap = pyo.Constraint(
        m.CAP_YEARS, rule=lambda m, y: at_most(emitted(m, years[y]), caps[y])
    )


def add_carbon_budget(m: pyo.ConcreteModel, tonnes: float) -> None:
    """carbon_budget:  Σ_t Σ emission[t, ·]  ≤  ε

    the frontier's epsilon-constraint (optimizer/pareto.py): the plan's emissions over
    the whole horizon at most ``tonnes``. Only in a frontier's solves."""
    m.carbon_budget = pyo.Constraint(rule=lambda m: at_most(emitted(m), tonnes))
