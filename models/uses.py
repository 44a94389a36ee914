"""Which (workload, option) pairs get a variable, and why the others do not.

Every rule that removes a pair is applied here: residency, latency, the allow_*
flags, model support, spot for interruptible work only, training speed (rack
density and the site's cooling are the (site, rack type) pairs of sets.py). A
workload left with no option keeps the reasons (``Reason``) for
optimizer/diagnose.py to word.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field

import pandas as pd

from optimizer.plan import Plan


def records(table: pd.DataFrame, key: str) -> dict[str, dict[str, object]]:
    """Each row of ``table`` as a dict of Python values, by its ``key`` column (the values
    to_dict("records") gives, read column by column: a third of its time)."""
    names = list(table.columns)
    columns = [table[name].tolist() for name in names]
    rows = (dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True))
    return {row[key]: row for row in rows}  # type: ignore[misc]


def blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


class Reason(enum.StrEnum):
    """Why a (workload, option) pair gets no variable; ModelData.why_none lists them for a
    workload left with no option, and optimizer/diagnose.py words them for the user."""

    RESIDENCY = "residency"  # residency keeps the workload out of the option's region
    LATENCY = "latency"  # the round trip to the option is over max_latency_ms
    MODEL = "model"  # the option's accelerator cannot serve the model (or train), or the API
    # serves another model
    ALLOW_CLOUD = "allow_cloud"  # the workload does not allow cloud offers
    ALLOW_API = "allow_api"  # ... token APIs
    ALLOW_EDGE = "allow_edge"  # ... edge devices
    INTERRUPTIBLE = "interruptible"  # a spot offer, and the workload is not interruptible
    SENSITIVE = "sensitive"  # a sensitive workload, and the API retains data


@dataclass
class Lookups:
    """The plan's tables as records by id, and the rules that read them."""

    plan: Plan
    hours: float
    site: dict[str, dict[str, object]]
    rack: dict[str, dict[str, object]]
    offer: dict[str, dict[str, object]]
    api_offer: dict[str, dict[str, object]]
    device: dict[str, dict[str, object]]
    workload: dict[str, dict[str, object]]
    jurisdiction: dict[str, object]
    speed: dict[str, float]  # accelerator -> training speed
    tps: dict[tuple[str, str], float]  # (accelerator, model) -> tokens per second

    def serves(self, w: str, accelerator: str) -> bool:
        wv = self.workload[w]
        if wv["kind"] == "training":
            return accelerator in self.speed
        return (accelerator, wv["model"]) in self.tps

    def where_ok(self, w: str, region: str) -> Reason | None:
        """Why a region is ruled out for a workload, or None when it is allowed."""
        wv = self.workload[w]
        home = wv["user_region"]
        if wv["residency"] == "region" and region != home:
            return Reason.RESIDENCY
        if (
            wv["residency"] == "jurisdiction"
            and self.jurisdiction[region] != self.jurisdiction[home]
        ):
            return Reason.RESIDENCY
        limit = wv["max_latency_ms"]
        if not blank(limit):
            rtt = self.plan.rtt_ms(home, region)  # type: ignore[arg-type]
            if rtt is None or rtt > float(limit):  # type: ignore[arg-type]
                return Reason.LATENCY
        return None


def lookups(plan: Plan) -> Lookups:
    speed = {
        a: float(v)
        for a, v in zip(
            plan.accelerators["accelerator"], plan.accelerators["training_speed"], strict=True
        )
        if not blank(v)
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
    return Lookups(
        plan=plan,
        hours=plan.settings.hours_per_period,
        site=records(plan.sites, "site"),
        rack=records(plan.hardware, "rack_type"),
        offer=records(plan.cloud, "offer"),
        api_offer=records(plan.apis, "api"),
        device=records(plan.edge, "device"),
        workload=records(plan.workloads, "workload"),
        jurisdiction=plan.regions.set_index("region")["jurisdiction"].to_dict(),
        speed=speed,
        tps=tps,
    )


Allowed = tuple[list[tuple[tuple[str, ...], str | None]], list[Reason]]  # (ids, accelerator)


def _onprem_allowed(look: Lookups, w: str, site_pairs: list[tuple[str, str]]) -> Allowed:
    """The (site, rack type) pairs a workload may use, and why the others may not."""
    allowed: list[tuple[tuple[str, ...], str | None]] = []
    reasons: list[Reason] = []
    for k, rt in site_pairs:
        acc = look.rack[rt]["accelerator"]
        if not look.serves(w, acc):  # type: ignore[arg-type]
            reasons.append(Reason.MODEL)
            continue
        bad = look.where_ok(w, look.site[k]["region"])  # type: ignore[arg-type]
        if bad:
            reasons.append(bad)
            continue
        allowed.append(((k, rt), acc))  # type: ignore[arg-type]
    return allowed, reasons


def _cloud_allowed(look: Lookups, w: str) -> Allowed:
    """The cloud offers a workload may use, and why the others may not."""
    wv = look.workload[w]
    if not wv["allow_cloud"]:
        return [], [Reason.ALLOW_CLOUD] if look.offer else []
    allowed: list[tuple[tuple[str, ...], str | None]] = []
    reasons: list[Reason] = []
    for c, cv in look.offer.items():
        if not look.serves(w, cv["accelerator"]):  # type: ignore[arg-type]
            reasons.append(Reason.MODEL)
            continue
        if cv["pricing"] == "spot" and not wv["interruptible"]:
            reasons.append(Reason.INTERRUPTIBLE)
            continue
        bad = look.where_ok(w, cv["region"])  # type: ignore[arg-type]
        if bad:
            reasons.append(bad)
            continue
        allowed.append(((c,), cv["accelerator"]))  # type: ignore[arg-type]
    return allowed, reasons


def _api_allowed(look: Lookups, w: str) -> Allowed:
    """The token APIs a workload may use, and why the others may not."""
    wv = look.workload[w]
    if not wv["allow_api"]:
        return [], [Reason.ALLOW_API] if look.api_offer else []
    allowed: list[tuple[tuple[str, ...], str | None]] = []
    reasons: list[Reason] = []
    for a, av in look.api_offer.items():
        if wv["kind"] != "inference" or av["model"] != wv["model"]:
            reasons.append(Reason.MODEL)
            continue
        if wv["sensitive"] and av["retains_data"]:
            reasons.append(Reason.SENSITIVE)
            continue
        bad = look.where_ok(w, av["region"])  # type: ignore[arg-type]
        if bad:
            reasons.append(bad)
            continue
        allowed.append(((a,), None))
    return allowed, reasons


def _edge_allowed(look: Lookups, w: str) -> Allowed:
    """The edge devices a workload may use, and why the others may not."""
    wv = look.workload[w]
    if not wv["allow_edge"]:
        return [], [Reason.ALLOW_EDGE] if look.device else []
    allowed: list[tuple[tuple[str, ...], str | None]] = []
    reasons: list[Reason] = []
    for e, ev in look.device.items():
        if not look.serves(w, ev["accelerator"]):  # type: ignore[arg-type]
            reasons.append(Reason.MODEL)
            continue
        limit = wv["max_latency_ms"]
        if not blank(limit) and look.plan.settings.edge_rtt_ms > float(limit):  # type: ignore[arg-type]
            reasons.append(Reason.LATENCY)
            continue
        allowed.append(((e,), ev["accelerator"]))  # type: ignore[arg-type]
    return allowed, reasons


@dataclass
class Uses:
    onprem: list[tuple[str, str, str, int]] = field(default_factory=list)
    cloud: list[tuple[str, str, int]] = field(default_factory=list)
    api: list[tuple[str, str, int]] = field(default_factory=list)
    edge: list[tuple[str, str, int]] = field(default_factory=list)
    accelerators: set[tuple[str, str]] = field(default_factory=set)  # (workload, accelerator)
    why_none: dict[str, list[Reason]] = field(default_factory=dict)


def allowed_uses(
    look: Lookups, site_pairs: list[tuple[str, str]], active_periods: dict[str, list[int]]
) -> Uses:
    """Every allowed (workload, option, period) use, and for a workload left with no option
    the rules that ruled each one out."""
    uses = Uses()
    for w in look.workload:
        ts = active_periods[w]
        if not ts:
            continue
        kinds = (
            (_onprem_allowed(look, w, site_pairs), uses.onprem),
            (_cloud_allowed(look, w), uses.cloud),
            (_api_allowed(look, w), uses.api),
            (_edge_allowed(look, w), uses.edge),
        )
        reasons: list[Reason] = []
        options = 0
        for (allowed, why), into in kinds:
            reasons += why
            options += len(allowed)
            for ids, acc in allowed:
                into += [(w, *ids, t) for t in ts]  # type: ignore[misc]
                if acc is not None:
                    uses.accelerators.add((w, acc))
        if options == 0:
            uses.why_none[w] = reasons
    return uses
