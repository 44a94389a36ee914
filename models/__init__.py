"""The Pyomo formulation of the capacity plan, installed as ``optimizer.models``.

``build_model`` reads as the table of contents of docs/formulation.md: the
sparse sets, the variables, one call per constraint family, the objective.
"""

from __future__ import annotations

import pyomo.environ as pyo

from optimizer.models.constraints import (
    add_api_limits,
    add_carbon_cap,
    add_cloud_limits,
    add_demand,
    add_edge_capacity,
    add_rack_capacity,
    add_share_ready,
    add_site_limits,
)
from optimizer.models.emissions import EMISSION_CATEGORIES, emission_ledger
from optimizer.models.layout import layout
from optimizer.models.ledger import used_hours
from optimizer.models.objective import CATEGORIES, add_objective
from optimizer.models.sets import ModelData, build_data
from optimizer.models.variables import Derived, add_variables
from optimizer.plan import Plan


def build_model(
    plan: Plan, data: ModelData | None = None, block: pyo.Block | None = None
) -> pyo.ConcreteModel:
    """The mixed-integer model of ``plan`` (its sets from ``data`` when given), built in
    ``block`` when given (one scenario of the robust model) or in a new model."""
    d = data if data is not None else build_data(plan)
    m = block if block is not None else pyo.ConcreteModel(name=plan.source.stem)
    add_variables(m, d)
    m.layout = layout(d, m)
    # on-prem columns by (site, rack type, t), for both ledgers (kept for reprice)
    m.used = used = used_hours(d, m.layout)
    m.emissions = emission_ledger(d, m.layout, used)
    x = Derived(m, d)
    add_demand(m, d)
    add_rack_capacity(m, d, x)
    add_site_limits(m, d, x)
    add_share_ready(m, d, x)
    add_cloud_limits(m, d)
    add_api_limits(m, d)
    add_edge_capacity(m, d, x)
    add_carbon_cap(m, d)
    m.data = d
    add_objective(m, d, used)
    return m


__all__ = ["CATEGORIES", "EMISSION_CATEGORIES", "ModelData", "build_data", "build_model"]
