"""The cost ledger and the objective.

Every cost of the plan is one entry of ``m.costs`` (arrays, models/ledger.py),
keyed (period, environment, category, location, region): the objective is their
discounted sum, and costs.csv is the same entries at the solution, so the two
agree to the cent by construction. The carbon price reaches the objective here, as
category ``carbon``: each entry of the emissions ledger (models/emissions.py)
times its region's price.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pyomo.environ as pyo

from optimizer.models.components import DeferredObjective
from optimizer.models.emissions import emission_ledger
from optimizer.models.layout import Layout
from optimizer.models.ledger import Ledger, Terms, Used, edge_purchases, expression, used_hours
from optimizer.models.sets import ModelData

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


def cost_ledger(d: ModelData, lay: Layout, emissions: Ledger, used: Used | None = None) -> Ledger:
    """The cost ledger of ``d`` over the columns of ``lay``; its carbon entries price the
    entries of ``emissions`` at their region's carbon price (``used``: used_hours(d, lay),
    when the caller has it)."""
    ledger = Terms(lay.n)
    ypp, hours, last = d.years_per_period, d.hours, d.periods[-1]
    build, buy = lay.position("build"), lay.position("buy")
    builds: dict[str, list[int]] = defaultdict(list)
    for s, t in d.build:
        builds[s].append(t)
    arrivals: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    for key, when in d.delivered.items():
        arrivals[(key[0], key[1])].append((when, buy[key]))

    # on-prem: sites (open: 1 for an existing site, else the builds decided by t)
    for s, sv in d.site.items():
        region = sv["region"]
        for t in d.periods:
            opex = _f(sv["fixed_opex_usd_per_year"]) * ypp
            if not opex:
                continue
            if s not in builds and sv["existing"]:
                ledger.add((t, "onprem", "site_opex", s, region), opex, constant=1.0)
            else:
                columns = [build[(s, u)] for u in builds[s] if u <= t]
                ledger.add((t, "onprem", "site_opex", s, region), opex, columns)
    for s, t in d.build:
        cost = _f(d.site[s]["build_cost_usd"])
        if cost:
            ledger.add((t, "onprem", "site_build", s, d.site[s]["region"]), cost, [build[(s, t)]])

    # on-prem: racks
    for s, k, t in d.buy:
        region = d.site[s]["region"]
        capex = _f(d.rack[k]["capex_usd"])
        ledger.add((t, "onprem", "rack_capex", s, region), capex, [buy[(s, k, t)]])
        residual = capex * d.residual_fraction(k, d.delivered[(s, k, t)])
        if residual:
            ledger.add((last, "onprem", "residual_value", s, region), -residual, [buy[(s, k, t)]])
    used = used_hours(d, lay) if used is None else used
    for s, k in d.site_pairs:
        rv, sv = d.rack[k], d.site[s]
        region = sv["region"]
        idle_kwh, busy_kwh = d.rack_kwh(k)
        per_kwh = _f(sv["pue"]) * d.site_price[s]
        opex = _f(rv["opex_usd_per_year"]) * ypp
        installed0 = d.installed0.get((s, k), 0)
        for t in d.periods:
            racks = [j for when, j in arrivals[(s, k)] if when <= t]
            if opex:
                ledger.add((t, "onprem", "rack_opex", s, region), opex, racks, constant=installed0)
            key = (t, "onprem", "energy", s, region)
            ledger.add(key, idle_kwh * per_kwh, racks, constant=installed0)
            if busy_kwh and (s, k, t) in used:
                ledger.add(key, busy_kwh * per_kwh, *used[(s, k, t)])

    # cloud (reserved capacity is paid by its commitment)
    cloud = [
        (i, w, c, t) for i, (w, c, t) in enumerate(d.cloud) if d.offer[c]["pricing"] != "reserved"
    ]
    ledger.many(
        [
            (t, "cloud", f"cloud_{d.offer[c]['pricing']}", c, d.offer[c]["region"])
            for _, w, c, t in cloud
        ],
        np.array(
            [
                _f(d.offer[c]["price_usd_per_accelerator_hour"])
                * d.ah_cap[(w, d.offer[c]["accelerator"], t)]
                for _, w, c, t in cloud
            ]
        ),
        lay.offset["cloud"] + np.array([i for i, *_ in cloud], dtype=np.int64),
    )
    commit = lay.position("commit")
    for c, b in d.reserved_blocks:
        cv = d.offer[c]
        rate = _f(cv["price_usd_per_accelerator_hour"]) * hours
        for t in d.periods:
            if d.block_of[c][t] == b:
                ledger.add((t, "cloud", "cloud_reserved", c, cv["region"]), rate, [commit[(c, b)]])

    # APIs
    ledger.many(
        [(t, "api", "api", a, d.api_offer[a]["region"]) for _, a, t in d.api],
        np.array([_f(d.api_offer[a]["price_usd_per_mtok"]) * d.mtok[(w, t)] for w, a, t in d.api]),
        lay.positions("api"),
    )

    # edge devices: bought per workload, kept (and paid for) to the horizon's end
    edge_buy = lay.position("edge_buy")
    for w, e, t in d.edge_buy:
        ledger.add(
            (t, "edge", "edge_capex", e, d.workload[w]["user_region"]),
            _f(d.device[e]["capex_usd"]),
            [edge_buy[(w, e, t)]],
        )
    for (w, e), bought in edge_purchases(d, lay).items():
        ev = d.device[e]
        region = d.workload[w]["user_region"]
        opex = _f(ev["opex_usd_per_year"]) * ypp
        energy = d.edge_kwh(e) * d.region_price[region]  # type: ignore[index]
        for t in d.periods:
            owned = [j for u, j in bought if u <= t]
            if opex:
                ledger.add((t, "edge", "edge_opex", e, region), opex, owned)
            if energy:
                ledger.add((t, "edge", "energy", e, region), energy, owned)

    # carbon: every emission entry (models/emissions.py) at its region's carbon price
    carbon, pick, price = [], [], []
    for i, (t, env, _, location, region) in enumerate(emissions.keys):
        if p := d.carbon_price.get(region, 0.0):
            carbon.append((t, env, "carbon", location, region))
            pick.append(i)
            price.append(p)
    return ledger.ledger((carbon, emissions, pick, price))


def add_objective(m: pyo.ConcreteModel, d: ModelData, used: Used | None = None) -> None:
    """total_cost = Σ_entries discount[t] · cost[t, environment, category, location, region],
    discount[t] = (1 + discount_rate) ** (−t · years_per_period).

    The ledger is ``m.costs`` (arrays, models/ledger.py); ``total_cost`` is the same sum
    as a linear expression of the columns, for a written model and the rows that bound
    the cost (stable placement)."""
    m.costs = cost_ledger(d, m.layout, m.emissions, used)
    set_total_cost(m)


def discounted(m: pyo.Block, weight: float = 1.0) -> tuple[np.ndarray, float]:
    """``weight`` x total_cost as a cost per column of ``m``'s layout, and its constant (for
    weight 1, the vector set_total_cost computed for the ledger of now)."""
    if weight == 1.0 and getattr(m, "cost_vector", None) is not None:
        return m.cost_vector
    d: ModelData = m.data
    ledger: Ledger = m.costs
    return ledger.coefficients(np.array([weight * d.discount[key[0]] for key in ledger.keys]))


def scaled_cost(m: pyo.Block, scale: float, row: bool) -> tuple[np.ndarray, float]:
    """scale · total_cost of ``m`` as a coefficient per column of its layout and a
    constant: for a row bounding the cost (``row``: its coefficients added up as Pyomo's
    compiler adds a tree of sums), or for an objective (as its objective walk does), so
    a cost bound or a tie-break is the same numbers the cost model's own objective and
    rows would give."""
    d: ModelData = m.data
    ledger: Ledger = m.costs
    discount = np.array([d.discount[key[0]] for key in ledger.keys])
    if row:
        cost, constant = ledger.row(discount)
        return scale * cost, scale * constant
    return ledger.coefficients(scale * discount)


def ledger_objective(m: pyo.Block) -> list[tuple[pyo.Block, float]] | None:
    """The built blocks and weights whose total_cost the active objective of ``m`` sums
    (``m.expected``: the robust model's expected cost), or None when it is another
    objective (stable placement's, the least emissions)."""
    if hasattr(m, "total_cost") and m.total_cost.active:
        return [(m, 1.0)]
    expected = getattr(m, "expected", None)
    if expected is not None and m.expected_cost.active:
        return expected
    return None


def _total_cost(m: pyo.Block) -> object:
    """total_cost's Pyomo expression: Σ cost_vector[j] · x[j] + its constant over the
    layout of ``m`` (the hand-off takes ``m.cost_vector`` itself: objective_vector)."""
    cost, offset = m.cost_vector
    return expression(cost, offset, m.layout.variables)


def set_total_cost(m: pyo.Block) -> None:
    """``m.total_cost`` and ``m.cost_vector`` from ``m.costs`` (created, or replaced)."""
    m.cost_vector = None
    m.cost_vector = discounted(m)
    if hasattr(m, "total_cost"):
        m.total_cost.pending()
    else:
        m.total_cost = DeferredObjective(_total_cost)


def reprice(m: pyo.Block, d: ModelData, prices_only: bool = False) -> None:
    """Make ``d`` (the same sets with other prices) the data of the built model ``m``: its
    ledgers and total_cost from ``d``. ``prices_only``: ``d`` differs from ``m``'s data in
    costs alone (optimizer.scenarios.Override.is_price), so the emissions ledger and the
    hours each share uses, which no price reaches, are kept."""
    m.data = d
    if not prices_only:
        m.used = used_hours(d, m.layout)
        m.emissions = emission_ledger(d, m.layout, m.used)
    m.costs = cost_ledger(d, m.layout, m.emissions, m.used)
    set_total_cost(m)
