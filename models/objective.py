"""The cost ledger and the objective.

Every cost of the plan is one entry of ``m.cost``, keyed (period, environment,
category, location, region): the objective is their discounted sum, and
costs.csv is the same entries evaluated at the solution, so the two agree to
the cent by construction. The carbon price reaches the objective here, as
category ``carbon``: each entry of the emissions ledger (models/emissions.py)
times its region's price.
"""

from __future__ import annotations

from collections import defaultdict

import pyomo.environ as pyo

from optimizer.models.sets import ModelData
from optimizer.models.variables import Derived

CostKey = tuple[int, str, str, str, str]  # period, environment, category, location, region

CATEGORIES: dict[str, str] = {
    "rack_capex": "capex",
    "site_build": "capex",
    "site_opex": "opex",
    "rack_opex": "opex",
    "energy": "opex",
    "cloud_on_demand": "opex",
    "cloud_spot": "opex",
    "cloud_reserved": "opex",
    "api": "opex",
    "edge_capex": "capex",
    "edge_opex": "opex",
    "residual_value": "capex",
    "carbon": "opex",
}


def _f(value: object) -> float:
    return float(value)  # type: ignore[arg-type]


def cost_terms(m: pyo.ConcreteModel, d: ModelData, x: Derived) -> dict[CostKey, list[object]]:
    """Each cost entry as a list of linear terms (numbers for costs every plan has)."""
    ledger: dict[CostKey, list[object]] = defaultdict(list)
    ypp, hours, last = d.years_per_period, d.hours, d.periods[-1]

    # on-prem: sites
    for s, sv in d.site.items():
        region = sv["region"]
        for t in d.periods:
            opex = _f(sv["fixed_opex_usd_per_year"]) * ypp
            if opex:
                is_open = x.is_open(s, t)
                if not isinstance(is_open, float) or is_open:
                    ledger[(t, "onprem", "site_opex", s, region)].append(opex * is_open)
    for s, t in d.build:
        cost = _f(d.site[s]["build_cost_usd"])
        if cost:
            ledger[(t, "onprem", "site_build", s, d.site[s]["region"])].append(cost * m.build[s, t])

    # on-prem: racks
    for s, k, t in d.buy:
        region = d.site[s]["region"]
        capex = _f(d.rack[k]["capex_usd"])
        ledger[(t, "onprem", "rack_capex", s, region)].append(capex * m.buy[s, k, t])
        residual = capex * d.residual_fraction(k, d.delivered[(s, k, t)])
        if residual:
            ledger[(last, "onprem", "residual_value", s, region)].append(-residual * m.buy[s, k, t])
    for s, k in d.site_pairs:
        rv, sv = d.rack[k], d.site[s]
        region = sv["region"]
        idle_kwh, busy_kwh = d.rack_kwh(k)
        per_kwh = _f(sv["pue"]) * d.site_price[s]
        opex = _f(rv["opex_usd_per_year"]) * ypp
        for t in d.periods:
            racks = x.installed(s, k, t)
            if opex:
                ledger[(t, "onprem", "rack_opex", s, region)].append(opex * racks)
            ledger[(t, "onprem", "energy", s, region)].append(idle_kwh * per_kwh * racks)
            if busy_kwh and x.used_ah[(s, k, t)]:
                ledger[(t, "onprem", "energy", s, region)].append(
                    busy_kwh * per_kwh * pyo.quicksum(x.used_ah[(s, k, t)])
                )

    # cloud
    for w, c, t in d.cloud:
        cv = d.offer[c]
        if cv["pricing"] == "reserved":
            continue
        ah = d.ah_cap[(w, cv["accelerator"], t)]
        ledger[(t, "cloud", f"cloud_{cv['pricing']}", c, cv["region"])].append(
            _f(cv["price_usd_per_accelerator_hour"]) * ah * m.cloud[w, c, t]
        )
    for c, b in d.reserved_blocks:
        cv = d.offer[c]
        rate = _f(cv["price_usd_per_accelerator_hour"]) * hours
        for t in d.periods:
            if d.block_of[c][t] == b:
                ledger[(t, "cloud", "cloud_reserved", c, cv["region"])].append(
                    rate * m.commit[c, b]
                )

    # APIs
    for w, a, t in d.api:
        av = d.api_offer[a]
        ledger[(t, "api", "api", a, av["region"])].append(
            _f(av["price_usd_per_mtok"]) * d.mtok[(w, t)] * m.api[w, a, t]
        )

    # edge devices: bought per workload, kept (and paid for) to the horizon's end
    for w, e, t in d.edge_buy:
        ev = d.device[e]
        ledger[(t, "edge", "edge_capex", e, d.workload[w]["user_region"])].append(
            _f(ev["capex_usd"]) * m.edge_buy[w, e, t]
        )
    for w, e in x.edge_pairs():
        ev = d.device[e]
        region = d.workload[w]["user_region"]
        opex = _f(ev["opex_usd_per_year"]) * ypp
        energy = d.edge_kwh(e) * d.region_price[region]  # type: ignore[index]
        for t in d.periods:
            owned = x.owned(w, e, t)
            if opex:
                ledger[(t, "edge", "edge_opex", e, region)].append(opex * owned)
            if energy:
                ledger[(t, "edge", "energy", e, region)].append(energy * owned)

    # carbon: every emission entry (models/emissions.py) at its region's carbon price
    for key in m.EMISSIONS:
        t, env, _, location, region = key
        price = d.carbon_price.get(region, 0.0)
        if price:
            ledger[(t, env, "carbon", location, region)].append(price * m.emission[key])
    return ledger


def add_objective(m: pyo.ConcreteModel, d: ModelData, x: Derived) -> None:
    """total_cost = Σ_entries discount[t] · cost[t, environment, category, location, region],
    discount[t] = (1 + discount_rate) ** (−t · years_per_period)."""
    ledger = cost_terms(m, d, x)
    m.COSTS = pyo.Set(initialize=list(ledger), dimen=5, ordered=True)
    m.cost = pyo.Expression(m.COSTS, rule=lambda m, *key: pyo.quicksum(ledger[key]))
    m.total_cost = pyo.Objective(
        expr=pyo.quicksum(d.discount[key[0]] * m.cost[key] for key in m.COSTS),
        sense=pyo.minimize,
    )


def replace_objective(m: pyo.ConcreteModel, d: ModelData) -> None:
    """Rebuild the cost ledger and the objective of a built model from ``d`` (the same
    sets with other prices), and make ``d`` the model's data."""
    for component in (m.total_cost, m.cost, m.COSTS):
        m.del_component(component)
    m.data = d
    add_objective(m, d, Derived(m, d))
