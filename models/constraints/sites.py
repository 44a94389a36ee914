"""Site limits: power, air and liquid cooling, rack slots, and opening once."""

from __future__ import annotations

from collections import defaultdict

import pyomo.environ as pyo

from optimizer.models.components import index_set
from optimizer.models.constraints._util import at_most
from optimizer.models.sets import ModelData
from optimizer.models.variables import Derived


def add_site_limits(m: pyo.ConcreteModel, d: ModelData, x: Derived) -> None:
    """For each site s and period t, with installed[s, k, t] racks of each type k:

    site_power[s, t]:   Σ_k installed · it_power_kw[k]            ≤ power_capacity_kw[s]
    site_air[s, t]:     Σ_{k air} installed · it_power_kw[k]      ≤ cooling_air_kw[s]
    site_liquid[s, t]:  Σ_{k liquid} installed · it_power_kw[k]   ≤ cooling_liquid_kw[s]
    site_slots[s, t]:   Σ_k installed                             ≤ rack_slots[s] · ready[s, t]
    build_once[s]:      Σ_t build[s, t]                           ≤ 1   (sites not existing)

    ready[s, t] is 1 from build_lead_periods after the decision to build (always,
    for an existing site), so no rack stands before its site is built.
    """
    types: dict[str, list[str]] = defaultdict(list)
    for s, k in d.site_pairs:
        types[s].append(k)
    index = [(s, t) for s in d.sites if types[s] for t in d.periods]
    if index:
        index_set(m, "SITE_PERIODS", index, 2)

        def load(s: str, t: int, cooling: str | None) -> object:
            return pyo.quicksum(
                (
                    float(d.rack[k]["it_power_kw"]) * x.installed(s, k, t)  # type: ignore[arg-type]
                    for k in types[s]
                    if cooling is None or d.rack[k]["cooling"] == cooling
                ),
            )

        def cap(s: str, name: str) -> float:
            return float(d.site[s][name])  # type: ignore[arg-type]

        m.site_power = pyo.Constraint(
            m.SITE_PERIODS,
            rule=lambda m, s, t: at_most(load(s, t, None), cap(s, "power_capacity_kw")),
        )
        m.site_air = pyo.Constraint(
            m.SITE_PERIODS,
            rule=lambda m, s, t: at_most(load(s, t, "air"), cap(s, "cooling_air_kw")),
        )
        m.site_liquid = pyo.Constraint(
            m.SITE_PERIODS,
            rule=lambda m, s, t: at_most(load(s, t, "liquid"), cap(s, "cooling_liquid_kw")),
        )
        m.site_slots = pyo.Constraint(
            m.SITE_PERIODS,
            rule=lambda m, s, t: at_most(
                pyo.quicksum(x.installed(s, k, t) for k in types[s]),
                cap(s, "rack_slots") * x.is_ready(s, t),
            ),
        )
    built = sorted({s for s, _ in d.build})
    if built:
        m.NEW_SITES = pyo.Set(initialize=built, ordered=True)
        m.build_once = pyo.Constraint(
            m.NEW_SITES,
            rule=lambda m, s: (
                pyo.quicksum(m.build[s, t] for t in d.periods if (s, t) in m.BUILD) <= 1
            ),
        )
