"""Sparse index sets and coefficients, built once from the plan.

The model gets no variable for a pair that can never be used: rack density and
the site's cooling decide the (site, rack type) pairs here, and uses.py applies
every rule that removes a (workload, option) pair. ``ModelData`` is plain Python
(tuples, dicts, floats): the constraint families read it, and so do the
result tables and the infeasibility diagnosis.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from optimizer.models.uses import Lookups, Reason, allowed_uses, blank, lookups
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

    why_none: dict[str, list[Reason]] = field(default_factory=dict)  # workload -> rules that bit

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
        if not self.straight_line_residual or blank(life):
            return 0.0
        age = (len(self.periods) - delivered) * self.years_per_period
        return max(0.0, 1.0 - age / float(life))  # type: ignore[arg-type]


def _given(values: dict[str, object]) -> dict[str, float]:
    """The values that are not blank, as floats."""
    return {k: float(v) for k, v in values.items() if not blank(v)}  # type: ignore[arg-type]


def _per_unit(look: Lookups, w: str, accelerator: str) -> float:
    """Accelerator-hours per unit of demand per period, at average load."""
    wv = look.workload[w]
    if wv["kind"] == "training":
        return look.hours / HOURS_PER_MONTH / look.speed[accelerator]
    return (
        look.hours
        * DAYS_PER_HOUR
        * TOKENS_PER_MTOK
        / (
            look.tps[(accelerator, wv["model"])] * SECONDS_PER_HOUR  # type: ignore[index]
        )
    )


def _power_prices(
    plan: Plan, site: dict[str, dict[str, object]]
) -> tuple[dict[str, float], dict[str, float]]:
    """Each region's power price, and each site's: its own, or its region's."""
    region_price = plan.regions.set_index("region")["power_price_usd_per_kwh"].astype(float)
    by_region = region_price.to_dict()
    site_price = {
        k: float(v["power_price_usd_per_kwh"])  # type: ignore[arg-type]
        if not blank(v["power_price_usd_per_kwh"])
        else by_region[v["region"]]
        for k, v in site.items()
    }
    return by_region, site_price


@dataclass
class _Carbon:
    region_carbon: dict[str, float]
    site_carbon: dict[str, float]
    offer_kw: dict[str, float]
    carbon_price: dict[str, float]


def _carbon(plan: Plan, look: Lookups) -> _Carbon:
    """Intensities (a site's own, else its region's), the kW of a cloud accelerator (given,
    else the catalog's default) and each region's carbon price (else the setting's)."""
    regions = plan.regions.set_index("region")
    region_carbon = _given(regions["carbon_kg_per_kwh"].to_dict())
    site_carbon = _given(
        {
            k: region_carbon.get(v["region"])  # type: ignore[call-overload]
            if blank(v["carbon_kg_per_kwh"])
            else v["carbon_kg_per_kwh"]
            for k, v in look.site.items()
        }
    )
    offer_kw = _given(
        {
            c: DEFAULT_KW_PER_ACCELERATOR.get(v["accelerator"])  # type: ignore[call-overload]
            if blank(v["kw_per_accelerator"])
            else v["kw_per_accelerator"]
            for c, v in look.offer.items()
        }
    )
    carbon_price = {
        r: plan.settings.carbon_price_usd_per_t if blank(v) else float(v)
        for r, v in regions["carbon_price_usd_per_t"].items()
    }
    return _Carbon(region_carbon, site_carbon, offer_kw, carbon_price)


@dataclass
class _Racks:
    new_sites: list[str]
    build: list[tuple[str, int]]
    site_pairs: list[tuple[str, str]]
    buy: list[tuple[str, str, int]]
    delivered: dict[tuple[str, str, int], int]
    installed0: dict[tuple[str, str], int]


def _sites_and_racks(plan: Plan, look: Lookups, periods: list[int]) -> _Racks:
    """Sites to build, the (site, rack type) pairs that fit, and when racks may be bought
    (delivered after their lead time, once the site is ready)."""
    n = len(periods)
    site, rack = look.site, look.rack
    new_sites = [k for k, v in site.items() if not v["existing"]]
    ready_from = {k: 0 if v["existing"] else int(v["build_lead_periods"]) for k, v in site.items()}  # type: ignore[call-overload]
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
    return _Racks(new_sites, build, site_pairs, buy, delivered, installed0)


def _demand(
    workload: dict[str, dict[str, object]], periods: list[int], ypp: float
) -> tuple[dict[tuple[str, int], float], list[tuple[str, int]]]:
    """Each workload's demand in each period of its life, grown yearly; the (workload,
    period) pairs with demand."""
    demand: dict[tuple[str, int], float] = {}
    active = []
    for w, wv in workload.items():
        for t in periods:
            if wv["start_period"] <= t <= wv["end_period"]:  # type: ignore[operator]
                d = float(wv["demand"]) * (1 + float(wv["growth_per_year"])) ** (t * ypp)  # type: ignore[arg-type]
                if d > 0:
                    demand[(w, t)] = d
                    active.append((w, t))
    return demand, active


def _reserved(
    offer: dict[str, dict[str, object]], periods: list[int], ypp: float
) -> tuple[list[tuple[str, int]], dict[str, list[int]]]:
    """Each reserved offer's commitment blocks (its term in periods), and the block of each
    period."""
    reserved_blocks, block_of = [], {}
    for c, cv in offer.items():
        if cv["pricing"] != "reserved":
            continue
        length = max(1, round(float(cv["term_years"]) / ypp))  # type: ignore[arg-type]
        block_of[c] = [t // length for t in periods]
        reserved_blocks += [(c, b) for b in sorted(set(block_of[c]))]
    return reserved_blocks, block_of


def _accelerator_hours(
    look: Lookups,
    accelerators: set[tuple[str, str]],
    demand: dict[tuple[str, int], float],
    active_periods: dict[str, list[int]],
) -> tuple[dict[tuple[str, str, int], float], dict[tuple[str, str, int], float]]:
    """Accelerator-hours a workload's demand needs on an accelerator in each period: at
    average load, and as capacity held (times peak_factor for inference)."""
    ah_avg: dict[tuple[str, str, int], float] = {}
    ah_cap: dict[tuple[str, str, int], float] = {}
    for w, acc in accelerators:
        wv = look.workload[w]
        unit = _per_unit(look, w, acc)
        peak = float(wv["peak_factor"]) if wv["kind"] == "inference" else 1.0  # type: ignore[arg-type]
        for t in active_periods[w]:
            ah_avg[(w, acc, t)] = demand[(w, t)] * unit
            ah_cap[(w, acc, t)] = demand[(w, t)] * unit * peak
    return ah_avg, ah_cap


def build_data(plan: Plan) -> ModelData:
    """All index sets and coefficients of the model for ``plan``."""
    s = plan.settings
    periods = list(range(s.n_periods))
    hours = s.hours_per_period
    ypp = s.years_per_period
    look = lookups(plan)
    workload = look.workload
    racks = _sites_and_racks(plan, look, periods)
    demand, active = _demand(workload, periods, ypp)
    active_periods: dict[str, list[int]] = {w: [] for w in workload}
    for w, t in active:
        active_periods[w].append(t)
    uses = allowed_uses(look, racks.site_pairs, active_periods)
    ah_avg, ah_cap = _accelerator_hours(look, uses.accelerators, demand, active_periods)
    mtok = {
        (w, t): demand[(w, t)] * hours * DAYS_PER_HOUR
        for w, t in active
        if workload[w]["kind"] == "inference"
    }
    reserved_blocks, block_of = _reserved(look.offer, periods, ypp)
    carbon = _carbon(plan, look)
    region_price, site_price = _power_prices(plan, look.site)
    return ModelData(
        periods=periods,
        hours=hours,
        years_per_period=ypp,
        discount={t: (1 + s.discount_rate) ** (-t * ypp) for t in periods},
        max_utilization=s.max_utilization,
        straight_line_residual=s.residual_value == "straight_line",
        sites=list(look.site),
        new_sites=racks.new_sites,
        build=racks.build,
        site_pairs=racks.site_pairs,
        buy=racks.buy,
        delivered=racks.delivered,
        installed0=racks.installed0,
        onprem=uses.onprem,
        cloud=uses.cloud,
        api=uses.api,
        edge=uses.edge,
        edge_buy=list(uses.edge),
        reserved_blocks=reserved_blocks,
        block_of=block_of,
        active=active,
        demand=demand,
        ah_avg=ah_avg,
        ah_cap=ah_cap,
        mtok=mtok,
        site=look.site,
        rack=look.rack,
        offer=look.offer,
        api_offer=look.api_offer,
        device=look.device,
        workload=workload,
        region_price=region_price,
        site_price=site_price,
        why_none=uses.why_none,
        region_carbon=carbon.region_carbon,
        site_carbon=carbon.site_carbon,
        offer_kw=carbon.offer_kw,
        carbon_price=carbon.carbon_price,
        max_tco2e_per_year=s.max_tco2e_per_year,
    )
