"""The emissions ledger.

Every emission of the plan is one entry of ``m.emission``, keyed (period,
environment, category, location, region) like the cost ledger, in tonnes of
CO2e, as a linear expression of the same variables: emissions.csv is these
entries evaluated at the solution, the carbon price prices them in the cost
ledger, and the cap bounds their sum in each year. A figure left blank in the
workbook (an intensity, an API's kg per million tokens, an embodied figure,
a cloud offer's power with no default) adds no entry: that part is not
counted, and read_plan says so.
"""

from __future__ import annotations

from collections import defaultdict

import pyomo.environ as pyo

from optimizer.models.sets import ModelData
from optimizer.models.variables import Derived

EmissionKey = tuple[int, str, str, str, str]  # period, environment, category, location, region

KG_PER_T = 1000.0

EMISSION_CATEGORIES: dict[str, str] = {
    "energy": "grid electricity of sites (× PUE) and edge devices",
    "cloud": "electricity of the cloud accelerator-hours used",
    "api": "tokens served by APIs, at the provider's figure",
    "embodied": "making and shipping racks and edge devices, when bought",
}


def _kg(value: object) -> float:
    """A figure of the workbook in kg; 0 (not counted) when blank."""
    return 0.0 if value is None or value != value else float(value)  # type: ignore[arg-type]


def emission_terms(
    m: pyo.ConcreteModel, d: ModelData, x: Derived
) -> dict[EmissionKey, list[object]]:
    """Each emission entry as a list of linear terms in t CO2e (numbers for emissions every
    plan has: the idle draw of racks already installed)."""
    ledger: dict[EmissionKey, list[object]] = defaultdict(list)

    # on-prem: the energy the cost ledger prices, at the site's intensity
    for s, k in d.site_pairs:
        if s not in d.site_carbon:
            continue
        sv = d.site[s]
        per_kwh = float(sv["pue"]) * d.site_carbon[s] / KG_PER_T  # type: ignore[arg-type]
        idle_kwh, busy_kwh = d.rack_kwh(k)
        for t in d.periods:
            key = (t, "onprem", "energy", s, sv["region"])
            if idle_kwh and per_kwh:
                ledger[key].append(idle_kwh * per_kwh * x.installed(s, k, t))
            if busy_kwh and per_kwh and x.used_ah[(s, k, t)]:
                ledger[key].append(busy_kwh * per_kwh * pyo.quicksum(x.used_ah[(s, k, t)]))
    for s, k, t in d.buy:
        if kg := _kg(d.rack[k]["embodied_kg_co2e"]):
            key = (t, "onprem", "embodied", s, d.site[s]["region"])
            ledger[key].append(kg / KG_PER_T * m.buy[s, k, t])

    # cloud: accelerator-hours held (as billed) x power per accelerator x the region's intensity
    for w, c, t in d.cloud:
        cv = d.offer[c]
        region = cv["region"]
        if c not in d.offer_kw or region not in d.region_carbon:
            continue
        per_ah = d.offer_kw[c] * d.region_carbon[region] / KG_PER_T  # type: ignore[index]
        if per_ah:
            ah = d.ah_cap[(w, cv["accelerator"], t)]
            ledger[(t, "cloud", "cloud", c, region)].append(per_ah * ah * m.cloud[w, c, t])

    # APIs: the provider's kg per million tokens
    for w, a, t in d.api:
        av = d.api_offer[a]
        if kg := _kg(av["kg_co2e_per_mtok"]):
            ledger[(t, "api", "api", a, av["region"])].append(
                kg / KG_PER_T * d.mtok[(w, t)] * m.api[w, a, t]
            )

    # edge devices: in the workload's region, drawing power_kw all the time once bought
    for w, e, t in d.edge_buy:
        if kg := _kg(d.device[e]["embodied_kg_co2e"]):
            key = (t, "edge", "embodied", e, d.workload[w]["user_region"])
            ledger[key].append(kg / KG_PER_T * m.edge_buy[w, e, t])
    for w, e in x.edge_pairs():
        region = d.workload[w]["user_region"]
        per_period = d.edge_kwh(e) * d.region_carbon.get(region, 0.0) / KG_PER_T  # type: ignore[call-overload]
        if per_period:
            for t in d.periods:
                ledger[(t, "edge", "energy", e, region)].append(per_period * x.owned(w, e, t))
    return ledger


def add_emissions(m: pyo.ConcreteModel, d: ModelData, x: Derived) -> None:
    """emission[t, environment, category, location, region] (t CO2e), over ``EMISSIONS``:

    energy (onprem):  (idle kWh · installed[s,k,t] + busy kWh/ah · used ah) · pue · kg/kWh
    embodied:         embodied_kg_co2e · buy[s,k,t] (racks), · edge_buy[w,e,t] (devices)
    cloud:            Σ_w cloud[w,c,t] · c_w,acc,t · kw_per_accelerator · kg/kWh of c's region
    api:              Σ_w api[w,a,t] · M_wt · kg_co2e_per_mtok
    energy (edge):    power_kw · H · kg/kWh of the workload's region · owned[w,e,t]

    each divided by 1,000 kg a tonne; no entry where a figure is blank.
    """
    ledger = emission_terms(m, d, x)
    m.EMISSIONS = pyo.Set(initialize=list(ledger), dimen=5, ordered=True)
    m.emission = pyo.Expression(m.EMISSIONS, rule=lambda m, *key: pyo.quicksum(ledger[key]))
