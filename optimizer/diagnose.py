"""Why there is no plan, in words an analyst can act on.

Two steps. Before solving: workloads that have demand but no allowed option
at all, with the rules that removed each kind of option, and racks already
installed over an existing site's limits. When the model is still
infeasible: an elastic re-solve in which demand and every site, quota and API
limit may be relaxed at a price, minimising the relative size of the
relaxation; its non-zero relaxations are the smallest change that makes a
plan exist.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass

import highspy
import numpy as np
import pyomo.environ as pyo

from optimizer.models import ModelData
from optimizer.models.constraints.carbon import cap_per_year
from optimizer.models.emissions import emission_ledger
from optimizer.models.layout import layout
from optimizer.plan import Plan
from optimizer.solve import Compiled, SolverOptions, new_highs, run_highs

TOLERANCE = 1e-6


def _fmt(x: float, unit: str = "") -> str:
    text = f"{x:,.0f}" if abs(x) >= 10 else f"{x:,.2f}".rstrip("0").rstrip(".")
    return text + unit


def no_option_reasons(plan: Plan, d: ModelData) -> list[str]:
    """Workloads with demand and no allowed option, each with the rules that bit."""
    out = []
    regions = plan.regions.set_index("region")
    for w, codes in d.why_none.items():
        wv = d.workload[w]
        home = wv["user_region"]
        words = []
        seen = set(codes)
        if "residency" in seen:
            if wv["residency"] == "region":
                words.append(f"residency=region keeps it in {home}")
            else:
                j = regions.loc[home, "jurisdiction"]
                words.append(f"residency=jurisdiction keeps it in jurisdiction {j}")
        if "latency" in seen:
            words.append(latency_words(plan, w))
        if "model" in seen:
            if wv["kind"] == "inference":
                words.append(
                    f"no option left has an accelerator with a throughput for model "
                    f"'{wv['model']}' in sheet 'performance' (or is an API serving it)"
                )
            else:
                words.append("no option left has an accelerator with a training_speed")
        for flag in ("allow_cloud", "allow_api", "allow_edge"):
            if flag in seen:
                words.append(f"{flag}=no")
        if "interruptible" in seen:
            words.append("spot offers need interruptible=yes")
        if "sensitive" in seen:
            words.append("it is sensitive, and the APIs left retain data")
        if not seen:
            words.append("the plan has no site rack, cloud offer, API or edge device at all")
        out.append(f"workload {w} has demand but no allowed option: " + "; ".join(words))
    return out


def latency_words(plan: Plan, w: str) -> str:
    """The round trips that a workload's max_latency_ms rules out, each with its value and
    where it is set: the in-region one, the edge one, a listed pair, or a pair not listed."""
    wv = plan.workloads.set_index("workload").loc[w]
    home, limit = wv["user_region"], float(wv["max_latency_ms"])
    regions = {*plan.sites["region"], *plan.apis["region"]}
    if wv["allow_cloud"]:
        regions |= set(plan.cloud["region"])
    if wv["residency"] == "region":
        regions &= {home}
    elif wv["residency"] == "jurisdiction":
        zone = plan.regions.set_index("region")["jurisdiction"]
        regions = {r for r in regions if zone[r] == zone[home]}
    too_far = []
    for region in sorted(regions, key=lambda r: (r != home, plan.rtt_ms(home, r) or math.inf, r)):
        rtt = plan.rtt_ms(home, region)
        if region == home and rtt is not None and rtt > limit:
            too_far.append(f"the in-region round trip (intra_region_rtt_ms {_fmt(rtt)} ms)")
        elif rtt is None:
            too_far.append(f"{home} - {region} (no row in sheet 'latency')")
        elif rtt > limit:
            too_far.append(f"{home} - {region} (rtt_ms {_fmt(rtt)} in sheet 'latency')")
    if wv["allow_edge"] and not plan.edge.empty and plan.settings.edge_rtt_ms > limit:
        too_far.append(f"edge devices (edge_rtt_ms {_fmt(plan.settings.edge_rtt_ms)} ms)")
    shown = too_far[:4] + ([f"{len(too_far) - 4} more pairs"] if len(too_far) > 4 else [])
    return f"max_latency_ms {_fmt(limit)} from {home} rules out " + ", ".join(shown)


def installed_over_limits(d: ModelData) -> list[str]:
    """Existing sites whose installed racks alone exceed a limit."""
    out = []
    for s, sv in d.site.items():
        power = air = liquid = slots = 0.0
        for (site, k), n in d.installed0.items():
            if site != s:
                continue
            kw = float(d.rack[k]["it_power_kw"]) * n  # type: ignore[arg-type]
            power += kw
            air += kw if d.rack[k]["cooling"] == "air" else 0.0
            liquid += kw if d.rack[k]["cooling"] == "liquid" else 0.0
            slots += n
        for used, cap, what in (
            (power, "power_capacity_kw", "kW of power"),
            (air, "cooling_air_kw", "kW of air cooling"),
            (liquid, "cooling_liquid_kw", "kW of liquid cooling"),
            (slots, "rack_slots", "rack slots"),
        ):
            limit = float(sv[cap])  # type: ignore[arg-type]
            if used > limit + TOLERANCE:
                out.append(
                    f"site {s}: the racks in sheet 'installed' need {_fmt(used)} {what}, "
                    f"more than its {cap} of {_fmt(limit)}"
                )
    return out + _installed_over_cap(d)


def _installed_over_cap(d: ModelData) -> list[str]:
    """Years in which the emissions every plan has (the racks in sheet 'installed' drawing
    power) exceed the cap: the emissions ledger with every decision at zero."""
    caps = cap_per_year(d)
    if not caps:
        return []
    lay = layout(d)
    ledger = emission_ledger(d, lay)
    fixed: dict[int, float] = {}
    for key, tonnes in zip(ledger.keys, ledger.values(np.zeros(lay.n)).tolist(), strict=True):
        fixed[key[0]] = fixed.get(key[0], 0.0) + tonnes
    years = d.years()
    out = []
    for y, cap in caps.items():
        tonnes = sum(fixed.get(t, 0.0) for t in years[y])
        if tonnes > cap + TOLERANCE:
            out.append(
                f"the racks in sheet 'installed' emit {_fmt(tonnes)} t CO2e in year {y + 1} of "
                f"the plan, more than max_tco2e_per_year allows ({_fmt(cap)} t)"
            )
    return out


def _too_early(d: ModelData, w: str, t: int, labels: dict[int, str]) -> str:
    """Why on-prem cannot serve a workload yet in period t, when only racks could: no rack
    can stand there by then, for the site's build and the rack's delivery lead times."""
    if any(key[0] == w and key[-1] == t for index in (d.cloud, d.api, d.edge) for key in index):
        return ""
    pairs = {(s, k) for w2, s, k, t2 in d.onprem if w2 == w and t2 == t}
    if not pairs:
        return ""
    arrivals: dict[tuple[str, str], int] = {}
    for (s, k, _), when in d.delivered.items():
        if (s, k) in pairs:
            arrivals[(s, k)] = min(when, arrivals.get((s, k), when))
    for pair in pairs:
        if d.installed0.get(pair):
            arrivals[pair] = 0
    if arrivals and min(arrivals.values()) <= t:
        return ""
    if not arrivals:
        return " (no rack that could serve it can be delivered inside the horizon)"
    (s, k), first = min(arrivals.items(), key=lambda item: item[1])
    return (
        f" (only racks could serve it, and none can stand by then: the earliest is {k} at {s} "
        f"in {labels[first]}, after build_lead_periods {d.site[s]['build_lead_periods']} and "
        f"lead_time_periods {d.rack[k]['lead_time_periods']})"
    )


@dataclass(frozen=True)
class Limit:
    """A limit of the model that the elastic re-solve may relax: its rows' family
    (``m.<name>``), what more of it is called, and where the limit is set (``owner``'s
    ``column``, looked up in ``ModelData.<table>``)."""

    name: str
    more: str
    owner: str = ""
    table: str = ""
    column: str = ""


DEMAND = Limit("demand_met", "less demand")
CARBON_CAP = Limit("carbon_cap", "t CO2e more a year")
LIMITS = (
    Limit("site_power", "kW more power", "site", "site", "power_capacity_kw"),
    Limit("site_air", "kW more air cooling", "site", "site", "cooling_air_kw"),
    Limit("site_liquid", "kW more liquid cooling", "site", "site", "cooling_liquid_kw"),
    Limit("site_slots", "more rack slots", "site", "site", "rack_slots"),
    Limit("cloud_quota", "more accelerators of quota", "cloud offer", "offer", "max_accelerators"),
    Limit(
        "api_limit", "million tokens a day more of limit", "API", "api_offer", "max_mtok_per_day"
    ),
    CARBON_CAP,
)


def elastic(
    compiled: Compiled, plan: Plan, data: ModelData, options: SolverOptions
) -> tuple[list[str], str]:
    """The smallest relaxation of demand and limits that makes a plan exist.

    Returns the relaxations in words (empty when none was found) and the
    elastic model's solver status. When it takes some demand away, a second re-solve
    keeps all demand and relaxes the limits only, naming the limits that bind and how
    much more of each would be needed.
    """
    present = {family.name for family in compiled.rows.families}
    by_name = {limit.name: limit for limit in (DEMAND, *LIMITS) if limit.name in present}
    amounts, at, status = _relax(compiled, by_name, options)
    if amounts is None or at is None:
        return [], status
    lines = _lines(compiled, by_name, plan, data, (amounts, at), "")
    if any(compiled.rows.at(i)[0].name == DEMAND.name for i in amounts):
        limits_only = {name: limit for name, limit in by_name.items() if limit is not DEMAND}
        more, at_more, _ = _relax(compiled, limits_only, options) if limits_only else (None,) * 3
        if more and at_more is not None:
            lines += _lines(
                compiled, by_name, plan, data, (more, at_more), "or, serving all demand: "
            )
    return lines, status


def _relax(
    compiled: Compiled, by_name: dict[str, Limit], options: SolverOptions
) -> tuple[dict[int, float] | None, np.ndarray | None, str]:
    """Solve with the rows of the families in ``by_name`` allowed to give at a price
    relative to their size (a share of demand, a share of the limit): row -> amount given
    and the relaxed plan's values of the model's columns, or None, None."""
    lp = compiled.highs.getLp()
    n = lp.num_col_
    slack_rows, weights, signs = [], [], []
    for family in compiled.rows.families:
        limit = by_name.get(family.name)
        if limit is None:
            continue
        for i in range(family.start, family.stop):
            slack_rows.append(i)
            if limit is DEMAND:
                weights.append(1.0)
                signs.append(1.0)
            else:
                weights.append(1.0 / max(abs(float(lp.row_upper_[i])), 1.0))
                signs.append(-1.0)
    h = new_highs(options)
    lp.col_cost_ = np.zeros(n)
    lp.offset_ = 0.0
    h.passModel(lp)
    if slack_rows:
        k = len(slack_rows)
        h.addCols(
            k,
            np.asarray(weights, dtype=float),
            np.zeros(k),
            np.full(k, highspy.kHighsInf),
            k,
            np.arange(k, dtype=np.int32),
            np.asarray(slack_rows, dtype=np.int32),
            np.asarray(signs, dtype=float),
        )
    relaxed = dataclasses.replace(
        compiled,
        highs=h,
        integer=np.concatenate([compiled.integer, np.zeros(len(slack_rows), dtype=bool)]),
        objective_scale=1.0,
    )
    solved, values, _ = run_highs(h, relaxed, 0.0, time.perf_counter())
    if values is None:
        return None, None, solved.status
    given = {i: float(values[n + j]) for j, i in enumerate(slack_rows)}
    amounts = {i: amount for i, amount in given.items() if amount > TOLERANCE}
    return amounts, values[:n], solved.status


def _lines(
    compiled: Compiled,
    by_name: dict[str, Limit],
    plan: Plan,
    data: ModelData,
    relaxation: tuple[dict[int, float], np.ndarray],
    prefix: str,
) -> list[str]:
    """The relaxations in words, one line per change and run of periods (``relaxation``:
    row -> amount given, and the relaxed plan's values of the columns)."""
    amounts, at = relaxation
    labels = plan.periods.set_index("period")["label"].to_dict()
    found: list[tuple[str, str, int]] = []  # what, why, period
    capped: list[str] = []
    for i, amount in amounts.items():
        family, index = compiled.rows.at(i)
        limit = by_name[family.name]
        if limit is CARBON_CAP:
            relaxed = (family.block, compiled, at)
            capped.append(prefix + _cap_line(plan, data, index, amount, relaxed))  # type: ignore[arg-type]
            continue
        where, t = index[0], index[1]  # type: ignore[index]
        if limit is DEMAND:
            what = f"workload {where} needs {amount:.0%} less demand"
            found.append((what, _too_early(data, where, t, labels), t))
            continue
        if limit.name == "cloud_quota":
            amount /= float(plan.settings.hours_per_period)
        value = float(getattr(data, limit.table)[where][limit.column])  # type: ignore[arg-type]
        found.append(
            (
                f"{prefix}{limit.owner} {where} needs {_fmt(amount)} {limit.more} than its "
                f"{limit.column} of {_fmt(value)}",
                "",
                t,
            )
        )
    return _in_periods(found, labels) + capped


def _cap_line(
    plan: Plan,
    d: ModelData,
    year: int,
    tonnes: float,
    relaxed: tuple[pyo.Block, Compiled, np.ndarray],
) -> str:
    """'the cap needs N t more a year in 2028', per year of emissions over the cap, and
    what emits most that year in the relaxed plan (``relaxed``: the cap's model, the model
    compiled, and the elastic solve's values of its columns)."""
    periods = d.years()[year]
    share = min(1.0, len(periods) * d.years_per_period)
    first = plan.periods.set_index("period").loc[periods[0], "period_start"]
    when = str(first.year) if (first.month, first.day) == (1, 1) else f"the year from {first}"
    cap = float(d.max_tco2e_per_year)  # type: ignore[arg-type]
    sources = _cap_sources(*relaxed, set(periods))
    return (
        f"the cap needs {_fmt(tonnes / share)} {CARBON_CAP.more} in {when} "
        f"(max_tco2e_per_year {_fmt(cap)}, a plan emits at least "
        f"{_fmt(cap + tonnes / share)} t that year); the smallest change that gives a plan is "
        f"max_tco2e_per_year {_fmt(cap + tonnes / share)}, or cleaner options for what emits "
        f"most that year in that plan: {sources}"
    )


EMITTER = {"onprem": "site", "cloud": "cloud offer", "api": "API", "edge": "edge device"}


def _cap_sources(m: pyo.Block, compiled: Compiled, values: np.ndarray, periods: set[int]) -> str:
    """The three largest emitters of model ``m`` in ``periods`` at the plan ``values`` (by
    column of ``compiled``): 'site dallas-1 (energy) 5,000 t, ...'."""
    for var, x in zip(compiled.columns, values.tolist(), strict=True):
        var.set_value(x, skip_validation=True)
    totals: dict[tuple[str, str, str], float] = {}
    ledger = m.emissions
    for key, tonnes in zip(ledger.keys, ledger.values(m.layout.values()).tolist(), strict=True):
        if key[0] in periods:
            where = (key[1], key[3], key[2])
            totals[where] = totals.get(where, 0.0) + tonnes
    top = sorted(totals.items(), key=lambda item: -item[1])[:3]
    return ", ".join(
        f"{EMITTER.get(env, env)} {location} ({category}) {_fmt(t)} t"
        for (env, location, category), t in top
        if t > TOLERANCE
    )


def _in_periods(found: list[tuple[str, str, int]], labels: dict[int, str]) -> list[str]:
    """One line per change and run of consecutive periods: '... in 2027-Q1 to 2029-Q4'."""
    periods: dict[tuple[str, str], list[int]] = {}
    for what, why, t in found:
        periods.setdefault((what, why), []).append(t)
    lines = []
    for (what, why), ts in periods.items():
        ts = sorted(ts)
        start = prev = ts[0]
        for t in [*ts[1:], None]:
            if t is not None and t == prev + 1:
                prev = t
                continue
            span = labels[start] if start == prev else f"{labels[start]} to {labels[prev]}"
            lines.append((start, f"{what} in {span}{why}"))
            if t is not None:
                start = prev = t
    return [line for _, line in sorted(lines)]
