"""Cost and emissions per workload: the cost and emissions ledgers split over workloads.

Every entry of the cost ledger (models/objective.py) and of the emissions ledger
(models/emissions.py) is linear in the columns of the model's layout
(models/ledger.py). At the plan, each coefficient of an entry belongs either to
one workload (its column is that workload's share of an option, or an edge
device bought for it: Layout.owners) or to the location (a constant, racks
bought, a site built, a reserved commitment):

- a workload's own terms are its own (cloud and API use, edge devices, the busy
  energy of the accelerator-hours it uses on a rack, the carbon price on these);
- the location's terms are shared by the accelerator-hours each workload holds
  there (assignments.csv's ``accelerator_hours``) against the accelerator-hours
  the location offers (racks standing × accelerators per rack × hours, or the
  reserved commitment × hours); what no workload holds is the line ``(idle)``.
  One-time entries (rack capex, site build, the residual-value credit, embodied
  emissions) are shared by the accelerator-hours over the whole horizon, the
  others by those of their own period.

The parts of an entry add up to it exactly, so workload_costs.csv sums to
costs.csv and workload_emissions.csv to emissions.csv (docs/outputs.md).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from optimizer.columns import names
from optimizer.models import ModelData
from optimizer.models.layout import Layout
from optimizer.models.ledger import Ledger
from optimizer.models.sets import HOURS_PER_MONTH

IDLE = "(idle)"
ONE_TIME = frozenset({"rack_capex", "site_build", "residual_value", "embodied"})
CASH_EPS = 1e-6  # as results.CASH_EPS: smaller parts are rounding, not cash or emissions

WORKLOAD_COSTS_COLUMNS = names("workload_costs")
WORKLOAD_EMISSIONS_COLUMNS = names("workload_emissions")
WORKLOAD_SUMMARY_COLUMNS = names("workload_summary")

Place = tuple[str, str]  # environment, location


class Shares:
    """Accelerator-hours held by each workload and offered at each shared location."""

    def __init__(self, m: pyo.Block, x: np.ndarray) -> None:
        """``x``: the plan's value of each column of the model's layout."""
        d: ModelData = m.data
        lay: Layout = m.layout
        self.used: dict[Place, dict[int, dict[str, float]]] = defaultdict(
            lambda: defaultdict(lambda: defaultdict(float))
        )
        self.offered: dict[Place, dict[int, float]] = defaultdict(lambda: defaultdict(float))
        # each place's periods are entered in the order of all its shares, zero or not (a
        # one-time split sums a workload's hours over them in that order); a share of 0
        # adds nothing
        for (w, s, k, t), value in zip(
            lay.keys["onprem"], x[lay.span("onprem")].tolist(), strict=True
        ):
            by_workload = self.used[("onprem", s)][t]
            if value:
                by_workload[w] += d.ah_cap[(w, d.rack[k]["accelerator"], t)] * value
        standing: dict[tuple[str, str], dict[int, float]] = defaultdict(lambda: defaultdict(float))
        for (s, k), n in d.installed0.items():
            for t in d.periods:
                standing[(s, k)][t] += n
        for key in d.buy:
            n = round(m.buy[key].value or 0)
            for t in d.periods:
                if n and t >= d.delivered[key]:
                    standing[(key[0], key[1])][t] += n
        for (s, k), by_period in standing.items():
            per_rack = float(d.rack[k]["accelerators_per_rack"]) * d.hours * d.max_utilization  # type: ignore[arg-type]
            for t, n in by_period.items():
                self.offered[("onprem", s)][t] += n * per_rack
        for (w, c, t), value in zip(lay.keys["cloud"], x[lay.span("cloud")].tolist(), strict=True):
            if d.offer[c]["pricing"] == "reserved":
                by_workload = self.used[("cloud", c)][t]
                if value:
                    by_workload[w] += d.ah_cap[(w, d.offer[c]["accelerator"], t)] * value
        for (c, b), var in m.commit.items():
            for t in d.periods:
                if d.block_of[c][t] == b:
                    self.offered[("cloud", c)][t] += round(var.value or 0) * d.hours

    def split(self, place: Place, t: int, category: str, amount: float) -> dict[str, float]:
        """``amount`` shared at ``place`` in period t, by workload (and ``(idle)``)."""
        if category in ONE_TIME:
            used: dict[str, float] = defaultdict(float)
            for by_w in self.used[place].values():
                for w, held in by_w.items():
                    used[w] += held
            offered = sum(self.offered[place].values())
        else:
            used, offered = self.used[place][t], self.offered[place][t]
        if offered <= 0:
            return {IDLE: amount}
        out = {w: amount * held / offered for w, held in sorted(used.items()) if held > 0}
        out[IDLE] = amount - sum(out.values())
        return out


def _own_parts(ledger: Ledger, lay: Layout, x: np.ndarray) -> dict[int, dict[str, float]]:
    """Entry -> workload -> the value of the entry's coefficients on that workload's columns
    (in the order the entry's terms name them)."""
    entry, column, coef = ledger.by_entry()
    owners = lay.owners()
    mine = np.fromiter((o is not None for o in owners), dtype=bool, count=len(owners))[column]
    entry, column = entry[mine].tolist(), column[mine]
    value = (coef[mine] * x[column]).tolist()
    out: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for e, j, part in zip(entry, column.tolist(), value, strict=True):
        out[e][owners[j]] += part  # type: ignore[index]
    return out


def _parts(own: dict[str, float], total: float, shares: Shares, key: tuple) -> dict[str, float]:
    """An entry's value ``total`` by workload: its own terms, and the rest shared."""
    t, env, category, location, _ = key
    out = defaultdict(float, own)
    shared = total - sum(own.values())
    if own and abs(shared) < CASH_EPS:  # rounding: to the largest part, so the parts add up
        out[max(own, key=lambda w: abs(own[w]))] += shared
        return out
    for w, part in shares.split((env, location), t, category, shared).items():
        out[w] += part
    return out


def _split(m: pyo.Block, ledger: Ledger, least: float) -> list[tuple[tuple, str, float]]:
    """(entry's key, workload, part) of each entry of ``ledger`` at the plan of ``m`` whose
    value is at least ``least``, for each of its parts of at least ``least``."""
    x = m.layout.values()
    own = _own_parts(ledger, m.layout, x)
    shares = Shares(m, x)
    out = []
    for e, (key, total) in enumerate(zip(ledger.keys, ledger.values(x).tolist(), strict=True)):
        if abs(total) < least:
            continue
        for w, part in _parts(own.get(e, {}), total, shares, key).items():
            if abs(part) >= least:
                out.append((key, w, part))
    return out


def _order(d: ModelData) -> dict[str, int]:
    return {w: i for i, w in enumerate([*d.workload, IDLE])}


def workload_costs(m: pyo.Block, scenario: str = "base") -> pd.DataFrame:
    """The cost ledger at the plan by workload, period, environment, category and
    location: USD and USD discounted (each entry as costs.csv has it, split)."""
    d: ModelData = m.data
    rows = [
        (scenario, w, t, env, category, location, part, part * d.discount[t])
        for (t, env, category, location, _), w, part in _split(m, m.costs, CASH_EPS)
    ]
    return _sorted(pd.DataFrame(rows, columns=WORKLOAD_COSTS_COLUMNS), d)


def workload_emissions(m: pyo.Block, scenario: str = "base") -> pd.DataFrame:
    """The emissions ledger at the plan by workload, period, environment, category and
    location, in t CO2e, split like the costs."""
    rows = [
        (scenario, w, t, env, category, location, part)
        for (t, env, category, location, _), w, part in _split(m, m.emissions, 1e-9)
    ]
    return _sorted(pd.DataFrame(rows, columns=WORKLOAD_EMISSIONS_COLUMNS), m.data)


def _sorted(frame: pd.DataFrame, d: ModelData) -> pd.DataFrame:
    order = _order(d)
    return frame.sort_values(
        ["workload", "period", "environment", "category", "location"],
        key=lambda c: c.map(order) if c.name == "workload" else c,
        kind="stable",
        ignore_index=True,
    )


@dataclass(frozen=True)
class _ByWorkload:
    """The sparse sets a workload's volume and alternative read, grouped by workload once
    (in the sets' own order, so every sum adds up as before)."""

    periods: dict[str, list[int]]
    mtok: dict[str, list[float]]
    demand: dict[str, list[float]]
    apis: dict[tuple[str, int], list[str]]
    clouds: dict[tuple[str, int], list[str]]

    @classmethod
    def of(cls, d: ModelData) -> _ByWorkload:
        grouped = cls(*(defaultdict(list) for _ in range(5)))  # type: ignore[arg-type]
        for w, t in d.active:
            grouped.periods[w].append(t)
        for (w, _), v in d.mtok.items():
            grouped.mtok[w].append(v)
        for (w, _), v in d.demand.items():
            grouped.demand[w].append(v)
        for w, a, t in d.api:
            grouped.apis[(w, t)].append(a)
        for w, c, t in d.cloud:
            grouped.clouds[(w, t)].append(c)
        return grouped


def volume(d: ModelData, w: str, by: _ByWorkload) -> tuple[float, str]:
    """What a workload gets over the horizon: million tokens (inference) or H100-hours
    (training: demand is H100-hours a month, each period holding hours / 730 months)."""
    if d.workload[w]["kind"] == "inference":
        return sum(by.mtok.get(w, [])), "million tokens"
    months = d.hours / HOURS_PER_MONTH
    return sum(v * months for v in by.demand.get(w, [])), "H100-hours"


def alternative(d: ModelData, w: str, by: _ByWorkload) -> tuple[str, str, float] | None:
    """The cheapest allowed API or on-demand or spot cloud offer for ``w`` at list price,
    as (environment, option, USD per unit of ``volume``); None when none is allowed.

    A cloud offer's USD per unit is its price times the accelerator-hours held per unit
    (peak_factor and tokens per second included; for training 1 / training_speed per
    H100-hour). Ties go to the first by id.
    """
    first = min(by.periods.get(w, []), default=None)
    if first is None:
        return None
    options: list[tuple[float, str, str]] = []
    for a in by.apis.get((w, first), []):
        options.append((float(d.api_offer[a]["price_usd_per_mtok"]), "api", a))  # type: ignore[arg-type]
    per_unit = d.mtok[(w, first)] if d.workload[w]["kind"] == "inference" else None
    if per_unit is None:
        per_unit = d.demand[(w, first)] * d.hours / HOURS_PER_MONTH
    for c in by.clouds.get((w, first), []):
        cv = d.offer[c]
        if cv["pricing"] != "reserved":
            ah = d.ah_cap[(w, cv["accelerator"], first)]
            price = float(cv["price_usd_per_accelerator_hour"])  # type: ignore[arg-type]
            options.append((price * ah / per_unit, "cloud", c))
    if not options:
        return None
    cost, env, option = min(options, key=lambda o: (o[0], o[2]))
    return env, option, cost


def workload_summary(
    m: pyo.Block, costs: pd.DataFrame, emissions: pd.DataFrame, scenario: str = "base"
) -> pd.DataFrame:
    """One row per workload with demand (and ``(idle)``): cost over the horizon, unit cost,
    emissions, and the cheapest allowed API or cloud alternative's unit cost."""
    d: ModelData = m.data
    cost = costs.groupby("workload")[["amount_usd", "discounted_usd"]].sum()
    tonnes = emissions.groupby("workload")["tco2e"].sum()
    rows = []
    by = _ByWorkload.of(d)
    served = [w for w in d.workload if w in by.periods]
    for w in [*served, IDLE]:
        if w == IDLE and w not in cost.index:
            continue
        amount = float(cost["amount_usd"].get(w, 0.0))
        row = {
            "scenario": scenario,
            "workload": w,
            "kind": "" if w == IDLE else d.workload[w]["kind"],
            "cost_usd": amount,
            "discounted_usd": float(cost["discounted_usd"].get(w, 0.0)),
            "tco2e": float(tonnes.get(w, 0.0)),
        }
        if w != IDLE:
            units, unit = volume(d, w, by)
            alt = alternative(d, w, by)
            row |= {
                "volume": units,
                "volume_unit": unit,
                "unit_cost_usd": amount / units if units else None,
                "alternative": "" if alt is None else f"{alt[0]} {alt[1]}",
                "alternative_unit_cost_usd": None if alt is None else alt[2],
            }
        rows.append(row)
    return pd.DataFrame(rows, columns=WORKLOAD_SUMMARY_COLUMNS)
