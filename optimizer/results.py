"""The plan as tables: small functions from a solved model to pandas DataFrames.

Each function returns one output table with the columns, order and units of
docs/outputs.md. They read the solution from the model's variables, and costs
and emissions from the same ledger arrays the objective sums (models/ledger.py),
so costs.csv reconciles with the objective.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from optimizer.columns import names
from optimizer.models import CATEGORIES, ModelData
from optimizer.models.constraints.stability import moves_at
from optimizer.plan import Plan
from optimizer.solve import Solved

ENVIRONMENTS = ("onprem", "cloud", "api", "edge")
EPS = 1e-9
CASH_EPS = 1e-6  # USD: a cost entry smaller than this is the solver's rounding, not cash

SUMMARY_COLUMNS = names("summary")
COSTS_COLUMNS = names("costs")
EMISSIONS_COLUMNS = names("emissions")
RACKS_COLUMNS = names("racks")
ASSIGNMENTS_COLUMNS = names("assignments")
SITES_COLUMNS = names("sites")


def clean(x: float | None) -> float:
    x = 0.0 if x is None else float(x)
    return 0.0 if abs(x) < EPS else x


def _period_dates(plan: Plan) -> tuple[dict[int, object], dict[int, object]]:
    p = plan.periods.set_index("period")
    return p["period_start"].to_dict(), p["period_end"].to_dict()


def costs(
    plan: Plan, m: pyo.ConcreteModel, scenario: str = "base", at: np.ndarray | None = None
) -> pd.DataFrame:
    """Cash by period, environment, category and location: USD, and USD discounted to
    start_date. The discounted column sums to the objective. At the solution loaded in
    the model's variables, or at ``at`` (a value per column of its layout)."""
    d: ModelData = m.data
    start, end = _period_dates(plan)
    rows = []
    ledger = m.costs
    at = m.layout.values() if at is None else at
    for key, value in zip(ledger.keys, ledger.values(at).tolist(), strict=True):
        t, env, category, location, region = key
        amount = clean(value)
        if abs(amount) < CASH_EPS:
            continue
        rows.append(
            (
                scenario,
                t,
                start[t],
                end[t],
                env,
                category,
                CATEGORIES[category],
                location,
                region,
                amount,
                amount * d.discount[t],
            )
        )
    frame = pd.DataFrame(rows, columns=COSTS_COLUMNS)
    return frame.sort_values(
        ["period", "environment", "category", "location"], kind="stable", ignore_index=True
    )


def emissions(m: pyo.ConcreteModel, scenario: str = "base") -> pd.DataFrame:
    """Emissions by period, environment, category and location, in t CO2e: the emissions
    ledger at the solution (the figures the carbon price and the cap see)."""
    rows = []
    ledger = m.emissions
    for key, value in zip(ledger.keys, ledger.values(m.layout.values()).tolist(), strict=True):
        tonnes = clean(value)
        if tonnes:
            rows.append((scenario, *key, tonnes))
    frame = pd.DataFrame(rows, columns=EMISSIONS_COLUMNS)
    return frame.sort_values(
        ["period", "environment", "category", "location"], kind="stable", ignore_index=True
    )


def racks(plan: Plan, m: pyo.ConcreteModel, scenario: str = "base") -> pd.DataFrame:
    """Racks bought (by purchase period) and installed (delivered, standing) per site,
    rack type and period: counts of racks."""
    d: ModelData = m.data
    start, _ = _period_dates(plan)
    bought: dict[tuple[str, str, int], int] = defaultdict(int)
    arrived: dict[tuple[str, str, int], int] = defaultdict(int)
    for key in d.buy:
        n = round(m.buy[key].value or 0)
        if n:
            bought[key] += n
            arrived[(key[0], key[1], d.delivered[key])] += n
    rows = []
    for s, k in d.site_pairs:
        standing = d.installed0.get((s, k), 0)
        series = []
        for t in d.periods:
            standing += arrived[(s, k, t)]
            series.append((t, bought[(s, k, t)], standing))
        if any(b or i for _, b, i in series):
            rows += [(scenario, s, d.site[s]["region"], k, t, start[t], b, i) for t, b, i in series]
    return pd.DataFrame(rows, columns=RACKS_COLUMNS)


def assignments(plan: Plan, m: pyo.ConcreteModel, scenario: str = "base") -> pd.DataFrame:
    """Where each workload runs: the share of its demand per option and period, that
    demand in the workload's own unit, and the accelerator-hours held for it."""
    d: ModelData = m.data
    start, _ = _period_dates(plan)
    lay = m.layout
    x = lay.values()
    rows = []
    nan = float("nan")
    for env in ENVIRONMENTS:
        # the shares of at least EPS (clean() makes the others 0, and they are left out)
        at = np.flatnonzero(x[lay.span(env)] >= EPS)
        keys = lay.keys[env]
        for i, share in zip(at.tolist(), x[lay.offset[env] + at].tolist(), strict=True):
            if env == "onprem":
                w, s, k, t = keys[i]
                loc, region, acc, rack_type = s, d.site[s]["region"], d.rack[k]["accelerator"], k
            else:
                w, loc, t = keys[i]
                rack_type = ""
                if env == "cloud":
                    region, acc = d.offer[loc]["region"], d.offer[loc]["accelerator"]
                elif env == "api":
                    region, acc = d.api_offer[loc]["region"], None
                else:
                    region, acc = d.workload[w]["user_region"], d.device[loc]["accelerator"]
            hours = d.ah_cap[(w, acc, t)] * share if acc is not None else nan
            rows.append(
                (
                    scenario,
                    w,
                    t,
                    start[t],
                    env,
                    loc,
                    region,
                    share,
                    d.demand[(w, t)] * share,
                    hours,
                    rack_type,
                )
            )
    frame = pd.DataFrame(rows, columns=ASSIGNMENTS_COLUMNS[:-1])
    gained = {
        (w, t, env, loc): change
        for (w, t), by_place in moves_at(m, d).items()
        for (env, loc), change in by_place.items()
        if change > 0
    }
    keys = list(
        zip(
            frame["workload"], frame["period"], frame["environment"], frame["location"], strict=True
        )
    )
    first = ~frame[["workload", "period", "environment", "location"]].duplicated()
    frame["moves"] = [gained.get(k, 0.0) if f else 0.0 for k, f in zip(keys, first, strict=True)]
    order = {w: i for i, w in enumerate(d.workload)}
    return frame.sort_values(
        ["workload", "period", "environment", "location"],
        key=lambda c: c.map(order) if c.name == "workload" else c,
        kind="stable",
        ignore_index=True,
    )


def sites(
    plan: Plan, m: pyo.ConcreteModel, shadow: dict[tuple[str, int], float], scenario: str = "base"
) -> pd.DataFrame:
    """Per site and period: open (0/1), kW of power and of each cooling used, rack slots
    used, the USD saved by one more kW of power, and the site's capacities."""
    d: ModelData = m.data
    standing = racks(plan, m, scenario)
    load = defaultdict(lambda: [0.0, 0.0, 0.0, 0])
    for row in standing.itertuples(index=False):
        rv = d.rack[row.rack_type]
        kw = float(rv["it_power_kw"]) * row.installed  # type: ignore[arg-type]
        entry = load[(row.site, row.period)]
        entry[0] += kw
        entry[1 if rv["cooling"] == "air" else 2] += kw
        entry[3] += row.installed
    built = {s: t for (s, t), var in m.build.items() if round(var.value or 0) == 1}
    rows = []
    for s, sv in d.site.items():
        for t in d.periods:
            is_open = bool(sv["existing"]) or (s in built and built[s] <= t)
            power, air, liquid, slots = load[(s, t)]
            rows.append(
                (
                    scenario,
                    s,
                    t,
                    int(is_open),
                    power,
                    float(sv["power_capacity_kw"]),  # type: ignore[arg-type]
                    air,
                    liquid,
                    slots,
                    shadow.get((s, t), 0.0),
                    float(sv["cooling_air_kw"]),  # type: ignore[arg-type]
                    float(sv["cooling_liquid_kw"]),  # type: ignore[arg-type]
                    int(sv["rack_slots"]),  # type: ignore[call-overload]
                )
            )
    return pd.DataFrame(rows, columns=SITES_COLUMNS)


def summary(
    costs_table: pd.DataFrame,
    emissions_table: pd.DataFrame,
    solved: Solved,
    scenario: str = "base",
    moves: float | None = None,
) -> pd.DataFrame:
    """One row per scenario: status, discounted objective, undiscounted total and by
    environment (USD), the solver's relative gap and seconds, then emissions in total and
    by environment (t CO2e)."""
    by_env = costs_table.groupby("environment")["amount_usd"].sum()
    co2_by_env = emissions_table.groupby("environment")["tco2e"].sum()
    row = {
        "scenario": scenario,
        "status": solved.status,
        "objective_usd": float(costs_table["discounted_usd"].sum()) if solved.has_plan else None,
        "total_cost_usd": float(costs_table["amount_usd"].sum()) if solved.has_plan else None,
        **{
            f"{env}_usd": float(by_env.get(env, 0.0)) if solved.has_plan else None
            for env in ENVIRONMENTS
        },
        "mip_gap": solved.gap,
        "solve_seconds": solved.seconds,
        "tco2e": float(emissions_table["tco2e"].sum()) if solved.has_plan else None,
        **{
            f"{env}_tco2e": float(co2_by_env.get(env, 0.0)) if solved.has_plan else None
            for env in ENVIRONMENTS
        },
        "moves": moves if solved.has_plan else None,
    }
    return pd.DataFrame([row], columns=SUMMARY_COLUMNS)


COLUMNS = {
    "summary": SUMMARY_COLUMNS,
    "costs": COSTS_COLUMNS,
    "emissions": EMISSIONS_COLUMNS,
    "workload_costs": names("workload_costs"),
    "workload_emissions": names("workload_emissions"),
    "workload_summary": names("workload_summary"),
    "racks": RACKS_COLUMNS,
    "assignments": ASSIGNMENTS_COLUMNS,
    "sites": SITES_COLUMNS,
}


def empty_tables(solved: Solved, scenario: str = "base") -> dict[str, pd.DataFrame]:
    """The tables of a run without a plan: the summary row says why, the others are
    empty with their columns, so the folder's schema never changes."""
    empty = {name: pd.DataFrame(columns=columns) for name, columns in COLUMNS.items()}
    return empty | {"summary": summary(empty["costs"], empty["emissions"], solved, scenario)}
