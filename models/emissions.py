"""The emissions ledger.

Every emission of the plan is one entry of ``m.emissions`` (arrays,
models/ledger.py), keyed (period, environment, category, location, region) like
the cost ledger, in tonnes of CO2e, linear in the same columns: emissions.csv is
these entries at the solution, the carbon price prices them in the cost ledger,
and the cap bounds their sum in each year. A figure left blank in the
workbook (an intensity, an API's kg per million tokens, an embodied figure,
a cloud offer's power with no default) adds no entry: that part is not
counted, and read_plan says so.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from optimizer.models.layout import Layout
from optimizer.models.ledger import Ledger, Terms, Used, edge_purchases, used_hours
from optimizer.models.sets import ModelData

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


def emission_ledger(d: ModelData, lay: Layout, used: Used | None = None) -> Ledger:
    """Each emission entry in t CO2e over the columns of ``lay`` (constants for emissions
    every plan has: the idle draw of racks already installed).

    energy (onprem):  (idle kWh · installed[s,k,t] + busy kWh/ah · used ah) · pue · kg/kWh
    embodied:         embodied_kg_co2e · buy[s,k,t] (racks), · edge_buy[w,e,t] (devices)
    cloud:            Σ_w cloud[w,c,t] · c_w,acc,t · kw_per_accelerator · kg/kWh of c's region
    api:              Σ_w api[w,a,t] · M_wt · kg_co2e_per_mtok
    energy (edge):    power_kw · H · kg/kWh of the workload's region · owned[w,e,t]

    each divided by 1,000 kg a tonne; no entry where a figure is blank.
    """
    ledger = Terms(lay.n)
    buy = lay.position("buy")
    arrivals: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    for key, when in d.delivered.items():
        arrivals[(key[0], key[1])].append((when, buy[key]))

    # on-prem: the energy the cost ledger prices, at the site's intensity
    used = used_hours(d, lay) if used is None else used
    for s, k in d.site_pairs:
        if s not in d.site_carbon:
            continue
        sv = d.site[s]
        per_kwh = float(sv["pue"]) * d.site_carbon[s] / KG_PER_T  # type: ignore[arg-type]
        idle_kwh, busy_kwh = d.rack_kwh(k)
        installed0 = d.installed0.get((s, k), 0)
        for t in d.periods:
            key = (t, "onprem", "energy", s, sv["region"])
            if idle_kwh and per_kwh:
                racks = [j for when, j in arrivals[(s, k)] if when <= t]
                ledger.add(key, idle_kwh * per_kwh, racks, constant=installed0)
            if busy_kwh and per_kwh and (s, k, t) in used:
                ledger.add(key, busy_kwh * per_kwh, *used[(s, k, t)])
    for s, k, t in d.buy:
        if kg := _kg(d.rack[k]["embodied_kg_co2e"]):
            key = (t, "onprem", "embodied", s, d.site[s]["region"])
            ledger.add(key, kg / KG_PER_T, [buy[(s, k, t)]])

    # cloud: accelerator-hours held (as billed) x power per accelerator x the region's intensity
    keys, per, at = [], [], []
    for i, (w, c, t) in enumerate(d.cloud):
        cv = d.offer[c]
        region = cv["region"]
        if c not in d.offer_kw or region not in d.region_carbon:
            continue
        per_ah = d.offer_kw[c] * d.region_carbon[region] / KG_PER_T  # type: ignore[index]
        if per_ah:
            keys.append((t, "cloud", "cloud", c, region))
            per.append(per_ah * d.ah_cap[(w, cv["accelerator"], t)])
            at.append(i)
    ledger.many(keys, np.array(per), lay.offset["cloud"] + np.array(at, dtype=np.int64))

    # APIs: the provider's kg per million tokens
    keys, per, at = [], [], []
    for i, (w, a, t) in enumerate(d.api):
        av = d.api_offer[a]
        if kg := _kg(av["kg_co2e_per_mtok"]):
            keys.append((t, "api", "api", a, av["region"]))
            per.append(kg / KG_PER_T * d.mtok[(w, t)])
            at.append(i)
    ledger.many(keys, np.array(per), lay.offset["api"] + np.array(at, dtype=np.int64))

    # edge devices: in the workload's region, drawing power_kw all the time once bought
    edge_buy = lay.position("edge_buy")
    for w, e, t in d.edge_buy:
        if kg := _kg(d.device[e]["embodied_kg_co2e"]):
            key = (t, "edge", "embodied", e, d.workload[w]["user_region"])
            ledger.add(key, kg / KG_PER_T, [edge_buy[(w, e, t)]])
    for (w, e), bought in edge_purchases(d, lay).items():
        region = d.workload[w]["user_region"]
        per_period = d.edge_kwh(e) * d.region_carbon.get(region, 0.0) / KG_PER_T  # type: ignore[call-overload]
        if per_period:
            for t in d.periods:
                owned = [j for u, j in bought if u <= t]
                ledger.add((t, "edge", "energy", e, region), per_period, owned)
    return ledger.ledger()
