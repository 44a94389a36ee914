"""Sparse index sets and coefficients, built once from the plan.

Every rule that removes a (workload, option) pair is applied here, so the
model gets no variable for a pair that can never be used: residency, latency,
the allow_* flags, model support, spot for interruptible work only, training
speed, rack density and the site's cooling. ``ModelData`` is plain Python
(tuples, dicts, floats): the constraint families read it, and so do the
result tables and the infeasibility diagnosis.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from optimizer.plan import Plan
from optimizer.schema import DEFAULT_KW_PER_ACCELERATOR

DAYS_PER_HOUR = 1 / 24
HOURS_PER_MONTH = 730.0
TOKENS_PER_MTOK = 1e6
SECONDS_PER_HOUR = 3600.0


@dataclass
class ModelData:
    """Index sets (tuples) and coefficients for one plan."""

    periods: list[int]
    hours: float
    years_per_period: float
    discount: dict[int, float]
    max_utilization: float
    straight_line_residual: bool

    # sites and racks
    sites: list[str]
    new_sites: list[str]
    build: list[tuple[str, int]]  # (site, period of the decision to build)
    site_pairs: list[tuple[str, str]]  # (site, rack_type) that may hold racks
    buy: list[tuple[str, str, int]]  # (site, rack_type, period bought)
    delivered: dict[tuple[str, str, int], int]  # buy -> period delivered
    installed0: dict[tuple[str, str], int]

    # uses: the share of a workload's demand in a period served by an option
    onprem: list[tuple[str, str, str, int]]  # (workload, site, rack_type, t)
    cloud: list[tuple[str, str, int]]  # (workload, offer, t)
    api: list[tuple[str, str, int]]  # (workload, api, t)
    edge: list[tuple[str, str, int]]  # (workload, device, t)
    edge_buy: list[tuple[str, str, int]]  # (workload, device, period bought)
    reserved_blocks: list[tuple[str, int]]  # (offer, block)
    block_of: dict[str, list[int]]  # reserved offer -> block of each period
    active: list[tuple[str, int]]  # (workload, t) with positive demand

    # coefficients
    demand: dict[tuple[str, int], float]  # in the workload's own unit
    ah_avg: dict[tuple[str, str, int], float]  # (w, accelerator, t) -> acc-hours at average load
    ah_cap: dict[tuple[str, str, int], float]  # ... capacity held (x peak_factor for inference)
    mtok: dict[tuple[str, int], float]  # (w, t) -> million tokens in the period (inference)

    # lookups from the plan's tables
    site: dict[str, dict[str, object]]
    rack: dict[str, dict[str, object]]
    offer: dict[str, dict[str, object]]
    api_offer: dict[str, dict[str, object]]
    device: dict[str, dict[str, object]]
    workload: dict[str, dict[str, object]]
    region_price: dict[str, float]
    site_price: dict[str, float]

    why_none: dict[str, list[str]] = field(default_factory=dict)  # workload -> rules that bit

    # carbon: only the figures given (a blank intensity or power leaves its emissions out)
    region_carbon: dict[str, float] = field(default_factory=dict)  # kg CO2e/kWh
    site_carbon: dict[str, float] = field(default_factory=dict)  # kg CO2e/kWh
    offer_kw: dict[str, float] = field(default_factory=dict)  # kW per accelerator-hour
    carbon_price: dict[str, float] = field(default_factory=dict)  # region -> USD/t CO2e
    max_tco2e_per_year: float | None = None

    def years(self) -> dict[int, list[int]]:
        """Year from the start (0, 1, ...) -> its periods."""
        out: dict[int, list[int]] = {}
        for t in self.periods:
            out.setdefault(math.floor(t * self.years_per_period + 1e-9), []).append(t)
        return out

    def rack_kwh(self, rack_type: str) -> tuple[float, float]:
        """IT energy of a rack type: kWh a period per installed rack (its idle draw), and kWh
        per accelerator-hour used (the rest of its draw, in proportion to use)."""
        rv = self.rack[rack_type]
        kw, idle = float(rv["it_power_kw"]), float(rv["idle_power_fraction"])  # type: ignore[arg-type]
        return kw * self.hours * idle, kw * (1 - idle) / float(rv["accelerators_per_rack"])  # type: ignore[arg-type]

    def edge_kwh(self, device: str) -> float:
        """kWh a period of one edge device (it draws power_kw all the time)."""
        return float(self.device[device]["power_kw"]) * self.hours  # type: ignore[arg-type]

    def residual_fraction(self, rack_type: str, delivered: int) -> float:
        """Straight-line value left at the horizon's end of a rack delivered in a period
        (0 unless the setting residual_value is straight_line)."""
        life = self.rack[rack_type]["lifetime_years"]
        if not self.straight_line_residual or _blank(life):
            return 0.0
        age = (len(self.periods) - delivered) * self.years_per_period
        return max(0.0, 1.0 - age / float(life))  # type: ignore[arg-type]


def _records(table: pd.DataFrame, key: str) -> dict[str, dict[str, object]]:
    return {row[key]: row for row in table.to_dict("records")}


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _given(values: dict[str, object]) -> dict[str, float]:
    """The values that are not blank, as floats."""
    return {k: float(v) for k, v in values.items() if not _blank(v)}  # type: ignore[arg-type]


def build_data(plan: Plan) -> ModelData:
    """All index sets and coefficients of the model for ``plan``."""
    s = plan.settings
    periods = list(range(s.n_periods))
    n = len(periods)
    hours = s.hours_per_period
    ypp = s.years_per_period
    discount = {t: (1 + s.discount_rate) ** (-t * ypp) for t in periods}

    regions = plan.regions.set_index("region")
    region_price = regions["power_price_usd_per_kwh"].astype(float).to_dict()
    jurisdiction = regions["jurisdiction"].to_dict()
    site = _records(plan.sites, "site")
    rack = _records(plan.hardware, "rack_type")
    offer = _records(plan.cloud, "offer")
    api_offer = _records(plan.apis, "api")
    device = _records(plan.edge, "device")
    workload = _records(plan.workloads, "workload")
    speed = {
        a: float(v)
        for a, v in zip(
            plan.accelerators["accelerator"], plan.accelerators["training_speed"], strict=True
        )
        if not _blank(v)
    }
    tps = {
        (a, m): float(v)
        for a, m, v in zip(
            plan.performance["accelerator"],
            plan.performance["model"],
            plan.performance["tokens_per_second"],
            strict=True,
        )
    }
    site_price = {
        k: float(v["power_price_usd_per_kwh"])
        if not _blank(v["power_price_usd_per_kwh"])
        else region_price[v["region"]]  # type: ignore[index]
        for k, v in site.items()
    }
    region_carbon = _given(regions["carbon_kg_per_kwh"].to_dict())
    site_carbon = _given(
        {
            k: region_carbon.get(v["region"])  # type: ignore[call-overload]
            if _blank(v["carbon_kg_per_kwh"])
            else v["carbon_kg_per_kwh"]
            for k, v in site.items()
        }
    )
    offer_kw = _given(
        {
            c: DEFAULT_KW_PER_ACCELERATOR.get(v["accelerator"])  # type: ignore[call-overload]
            if _blank(v["kw_per_accelerator"])
            else v["kw_per_accelerator"]
            for c, v in offer.items()
        }
    )
    carbon_price = {
        r: s.carbon_price_usd_per_t if _blank(v) else float(v)
        for r, v in regions["carbon_price_usd_per_t"].items()
    }

    # --- sites and racks ----------------------------------------------------------------
    new_sites = [k for k, v in site.items() if not v["existing"]]
    ready_from = {k: 0 if v["existing"] else int(v["build_lead_periods"]) for k, v in site.items()}
    build = [(k, t) for k in new_sites for t in periods if t + ready_from[k] < n]
    installed0 = {
        (r["site"], r["rack_type"]): int(r["racks"])
        for r in plan.installed.to_dict("records")
        if int(r["racks"]) > 0
    }
    site_pairs = []
    for k, sv in site.items():
        for rt, rv in rack.items():
            cooling_kw = sv["cooling_air_kw"] if rv["cooling"] == "air" else sv["cooling_liquid_kw"]
            fits = (
                (rv["cooling"] != "air" or rv["it_power_kw"] <= sv["max_air_rack_kw"])  # type: ignore[operator]
                and rv["it_power_kw"] <= min(sv["power_capacity_kw"], cooling_kw)  # type: ignore[operator]
                and sv["rack_slots"] >= 1  # type: ignore[operator]
            )
            if fits or (k, rt) in installed0:
                site_pairs.append((k, rt))
    buy, delivered = [], {}
    for k, rt in site_pairs:
        lead = int(rack[rt]["lead_time_periods"])  # type: ignore[arg-type]
        for t in periods:
            arrives = t + lead
            if arrives < n and arrives >= ready_from[k]:
                buy.append((k, rt, t))
                delivered[(k, rt, t)] = arrives

    # --- demand -------------------------------------------------------------------------
    demand: dict[tuple[str, int], float] = {}
    active = []
    for w, wv in workload.items():
        for t in periods:
            if wv["start_period"] <= t <= wv["end_period"]:  # type: ignore[operator]
                d = float(wv["demand"]) * (1 + float(wv["growth_per_year"])) ** (t * ypp)  # type: ignore[arg-type]
                if d > 0:
                    demand[(w, t)] = d
                    active.append((w, t))
    active_periods: dict[str, list[int]] = {w: [] for w in workload}
    for w, t in active:
        active_periods[w].append(t)

    def serves(w: str, accelerator: str) -> bool:
        wv = workload[w]
        if wv["kind"] == "training":
            return accelerator in speed
        return (accelerator, wv["model"]) in tps

    def per_unit(w: str, accelerator: str) -> float:
        """Accelerator-hours per unit of demand per period, at average load."""
        wv = workload[w]
        if wv["kind"] == "training":
            return hours / HOURS_PER_MONTH / speed[accelerator]
        return (
            hours
            * DAYS_PER_HOUR
            * TOKENS_PER_MTOK
            / (
                tps[(accelerator, wv["model"])] * SECONDS_PER_HOUR  # type: ignore[index]
            )
        )

    def where_ok(w: str, region: str) -> str | None:
        """Why a region is ruled out for a workload, or None when it is allowed."""
        wv = workload[w]
        home = wv["user_region"]
        if wv["residency"] == "region" and region != home:
            return "residency"
        if wv["residency"] == "jurisdiction" and jurisdiction[region] != jurisdiction[home]:
            return "residency"
        limit = wv["max_latency_ms"]
        if not _blank(limit):
            rtt = plan.rtt_ms(home, region)  # type: ignore[arg-type]
            if rtt is None or rtt > float(limit):  # type: ignore[arg-type]
                return "latency"
        return None

    onprem, cloud, api, edge, edge_buy = [], [], [], [], []
    accelerators_used: set[tuple[str, str]] = set()
    why_none: dict[str, list[str]] = {}
    for w, wv in workload.items():
        ts = active_periods[w]
        if not ts:
            continue
        reasons: list[str] = []
        options = 0
        for k, rt in site_pairs:
            acc = rack[rt]["accelerator"]
            if not serves(w, acc):  # type: ignore[arg-type]
                reasons.append("model")
                continue
            bad = where_ok(w, site[k]["region"])  # type: ignore[arg-type]
            if bad:
                reasons.append(bad)
                continue
            onprem += [(w, k, rt, t) for t in ts]
            accelerators_used.add((w, acc))  # type: ignore[arg-type]
            options += 1
        for c, cv in offer.items():
            if not wv["allow_cloud"]:
                reasons.append("allow_cloud")
                break
            if not serves(w, cv["accelerator"]):  # type: ignore[arg-type]
                reasons.append("model")
                continue
            if cv["pricing"] == "spot" and not wv["interruptible"]:
                reasons.append("interruptible")
                continue
            bad = where_ok(w, cv["region"])  # type: ignore[arg-type]
            if bad:
                reasons.append(bad)
                continue
            cloud += [(w, c, t) for t in ts]
            accelerators_used.add((w, cv["accelerator"]))  # type: ignore[arg-type]
            options += 1
        for a, av in api_offer.items():
            if not wv["allow_api"]:
                reasons.append("allow_api")
                break
            if wv["kind"] != "inference" or av["model"] != wv["model"]:
                reasons.append("model")
                continue
            if wv["sensitive"] and av["retains_data"]:
                reasons.append("sensitive")
                continue
            bad = where_ok(w, av["region"])  # type: ignore[arg-type]
            if bad:
                reasons.append(bad)
                continue
            api += [(w, a, t) for t in ts]
            options += 1
        for e, ev in device.items():
            if not wv["allow_edge"]:
                reasons.append("allow_edge")
                break
            if not serves(w, ev["accelerator"]):  # type: ignore[arg-type]
                reasons.append("model")
                continue
            limit = wv["max_latency_ms"]
            if not _blank(limit) and plan.settings.edge_rtt_ms > float(limit):  # type: ignore[arg-type]
                reasons.append("latency")
                continue
            edge += [(w, e, t) for t in ts]
            edge_buy += [(w, e, t) for t in ts]
            accelerators_used.add((w, ev["accelerator"]))  # type: ignore[arg-type]
            options += 1
        if options == 0:
            why_none[w] = reasons

    ah_avg: dict[tuple[str, str, int], float] = {}
    ah_cap: dict[tuple[str, str, int], float] = {}
    for w, acc in accelerators_used:
        unit = per_unit(w, acc)
        peak = float(workload[w]["peak_factor"]) if workload[w]["kind"] == "inference" else 1.0  # type: ignore[arg-type]
        for t in active_periods[w]:
            ah_avg[(w, acc, t)] = demand[(w, t)] * unit
            ah_cap[(w, acc, t)] = demand[(w, t)] * unit * peak
    mtok = {
        (w, t): demand[(w, t)] * hours * DAYS_PER_HOUR
        for w, t in active
        if workload[w]["kind"] == "inference"
    }

    # --- reserved commitments -----------------------------------------------------------
    reserved_blocks, block_of = [], {}
    for c, cv in offer.items():
        if cv["pricing"] != "reserved":
            continue
        length = max(1, round(float(cv["term_years"]) / ypp))  # type: ignore[arg-type]
        block_of[c] = [t // length for t in periods]
        reserved_blocks += [(c, b) for b in sorted(set(block_of[c]))]

    return ModelData(
        periods=periods,
        hours=hours,
        years_per_period=ypp,
        discount=discount,
        max_utilization=s.max_utilization,
        straight_line_residual=s.residual_value == "straight_line",
        sites=list(site),
        new_sites=new_sites,
        build=build,
        site_pairs=site_pairs,
        buy=buy,
        delivered=delivered,
        installed0=installed0,
        onprem=onprem,
        cloud=cloud,
        api=api,
        edge=edge,
        edge_buy=edge_buy,
        reserved_blocks=reserved_blocks,
        block_of=block_of,
        active=active,
        demand=demand,
        ah_avg=ah_avg,
        ah_cap=ah_cap,
        mtok=mtok,
        site=site,
        rack=rack,
        offer=offer,
        api_offer=api_offer,
        device=device,
        workload=workload,
        region_price=region_price,
        site_price=site_price,
        why_none=why_none,
        region_carbon=region_carbon,
        site_carbon=site_carbon,
        offer_kw=offer_kw,
        carbon_price=carbon_price,
        max_tco2e_per_year=s.max_tco2e_per_year,
    )
