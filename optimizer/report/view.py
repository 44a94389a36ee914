"""The view both files show: the output tables turned into what a reader sees.

Scenario runs hold every scenario's rows; the per-period views (costs over time, sites,
workloads) show one scenario, the *focus*: ``base`` when it has a plan, else the first
scenario with one. Periods are named by the plan's own labeller (2027-Q1), as in the
terminal and run.json.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from optimizer.columns import OUTPUT_COLUMNS, SUMMARY_EXTRAS
from optimizer.plan import period_label, period_start
from optimizer.results import ENVIRONMENTS
from optimizer.schema import MONTHS_PER_PERIOD
from optimizer.status import Status

from .values import as_date, money, number, plain, text

HAS_PLAN = tuple(s for s in Status if s.is_ok)
ENV_LABEL = {"onprem": "on-prem", "cloud": "cloud", "api": "token APIs", "edge": "edge"}
ENV_COLOR = {"onprem": "#2f6b9a", "cloud": "#e8862a", "api": "#4e9a52", "edge": "#9467bd"}
# Stacking order and colours of costs.csv's categories: blues on-prem, oranges cloud.
CATEGORY_COLOR = {
    "rack_capex": "#1f4e79",
    "site_build": "#4a7fb0",
    "site_opex": "#8fb3d9",
    "rack_opex": "#b9d1ea",
    "energy": "#e0b53a",
    "cloud_reserved": "#b35806",
    "cloud_on_demand": "#f1a340",
    "cloud_spot": "#fdd6a0",
    "api": "#4e9a52",
    "edge_capex": "#7b4fa0",
    "edge_opex": "#c2a5dc",
    "residual_value": "#8c8c8c",
}
EXTRA_COLOR = ("#6b6b6b", "#a6761d", "#1b9e77", "#d95f02", "#7570b3", "#e7298a")
SUMMARY_EXTRA_NAMES = tuple(name for name, _, _ in SUMMARY_EXTRAS if name.islower())
# sites.csv holds the power capacity; these would give the other caps if it ever has them.
SITE_CAPS = {
    "cooling_air_used_kw": ("cooling_air_capacity_kw", "cooling_air_kw"),
    "cooling_liquid_used_kw": ("cooling_liquid_capacity_kw", "cooling_liquid_kw"),
    "slots_used": ("rack_slots", "slots_capacity"),
}
PER_PERIOD_TABLES = ("costs", "racks", "assignments", "sites")
ROBUST = "robust"  # the focus of a robust run: the shared plan, each figure its expectation


@dataclass
class View:
    """The tables, and what both files derive from them, worked out once in ``of``."""

    tables: dict[str, pd.DataFrame]
    info: dict[str, object]
    settings: dict[str, object]
    currency: str
    focus: str | None
    summary_row: dict[str, object]  # the focus scenario's summary
    has_plan: bool  # the focus scenario has a plan
    planned: pd.DataFrame  # the summary rows of the scenarios that have a plan
    overrides: list[str]  # the parameter columns of the summary
    # each overridden parameter with numeric values in two scenarios or more: the summary
    # rows that set it, in order of its value (column ``_x``)
    sweeps: list[tuple[str, pd.DataFrame]]
    # a sweep of one parameter: its name, and each swept scenario's value as a short
    # heading (the other scenarios keep their names); none for other runs
    swept: str
    short: dict[str, str]
    multi: bool
    periods: list[int]
    labels: dict[int, str]
    expected: dict[str, pd.DataFrame]  # a robust run's per-period tables, by probability

    @classmethod
    def of(cls, tables: dict[str, pd.DataFrame], info: dict[str, object]) -> View:
        tables = {str(k): v for k, v in tables.items() if isinstance(v, pd.DataFrame)}
        settings = info.get("settings")
        settings = settings if isinstance(settings, dict) else {}
        summary = tables.get("summary", pd.DataFrame(columns=["scenario", "status"]))
        known = {name for name, _, _ in OUTPUT_COLUMNS["summary"]} | set(SUMMARY_EXTRA_NAMES)
        overrides = [str(c) for c in summary.columns if str(c) not in known]
        expected = _expected(tables, info)
        focus = ROBUST if expected else _pick_focus(summary)
        mine = _rows(expected or tables, "summary", focus)
        summary_row = mine.iloc[0].to_dict() if not mine.empty else {}
        sweeps = _sweeps(summary, overrides)
        swept, chosen = sweeps[0] if len(sweeps) == 1 else ("", summary.iloc[:0])
        periods, labels = _periods(expected or tables, focus, settings)
        return cls(
            tables=tables,
            info=info,
            settings=settings,
            currency=text(settings.get("currency") or "USD"),
            focus=focus,
            summary_row=summary_row,
            has_plan=summary_row.get("status") in HAS_PLAN,
            planned=summary[summary["status"].isin(HAS_PLAN)] if "status" in summary else summary,
            overrides=overrides,
            sweeps=sweeps,
            swept=swept,
            short={str(r["scenario"]): f"{r['_x']:g}" for r in chosen.to_dict("records")},
            multi=len(summary) > 1 or "scenarios" in info or "robust" in info,
            periods=periods,
            labels=labels,
            expected=expected,
        )

    def rows(self, name: str, scenario: str | None = None) -> pd.DataFrame:
        """A table (empty with its columns when absent), optionally one scenario's rows
        (``robust``: the expected rows of a robust run's shared plan)."""
        if scenario == ROBUST and self.expected:
            return _rows(self.expected, name, scenario)
        return _rows(self.tables, name, scenario)

    def label(self, period: object) -> str:
        try:
            k = int(period)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            return text(period)
        return self.labels.get(k, f"P{k}")

    def others_swept(self, column: str, rows: pd.DataFrame) -> list[str]:
        """The other overridden parameters that these rows set (a product of sweeps)."""
        return [c for c in self.overrides if c != column and rows[c].notna().any()]

    def break_even(self, column: str) -> list[tuple[float, float, str]]:
        """breakeven.csv's brackets for ``column``: (from, to, what changes there)."""
        table = self.rows("breakeven")
        if table.empty or "parameter" not in table.columns:
            return []
        mine = table[table["parameter"].astype(str) == column]
        out = []
        for (low, high), group in mine.groupby(["value_below", "value_above"], sort=True):
            changes = "; ".join(
                f"{r['decision']} {plain(r['below'])} -> {plain(r['above'])}"
                for r in group.to_dict("records")
            )
            first = group.iloc[0]
            out.append(
                (
                    float(low),
                    float(high),
                    f"{changes} (optimum {money(first['objective_below_usd'])} below, "
                    f"{money(first['objective_above_usd'])} above)",
                )
            )
        return out

    @functools.cached_property
    def cost_pivot(self) -> pd.DataFrame:
        """Undiscounted cost of the focus scenario: period × category."""
        costs = self.rows("costs", self.focus)
        if costs.empty:
            return pd.DataFrame()
        pivot = cash(costs).pivot_table(
            index="period", columns="category", values="amount", aggfunc="sum", fill_value=0.0
        )
        pivot = pivot.reindex(index=self.periods, fill_value=0.0)
        return pivot[ordered(pivot.columns, tuple(CATEGORY_COLOR))]

    @functools.cached_property
    def env_table(self) -> pd.DataFrame:
        """The focus scenario's cost by environment: capex, opex, total (undiscounted) and
        discounted."""
        costs = self.rows("costs", self.focus)
        columns = ["capex", "opex", "total", "discounted"]
        if costs.empty:
            return pd.DataFrame(columns=columns)
        frame = cash(costs)
        by_type = frame.pivot_table(
            index="environment", columns="cost_type", values="amount", aggfunc="sum", fill_value=0.0
        )
        out = pd.DataFrame(index=ordered(frame["environment"], ENVIRONMENTS))
        out["capex"] = by_type.get("capex", pd.Series(dtype=float))
        out["opex"] = by_type.get("opex", pd.Series(dtype=float))
        out = out.fillna(0.0)
        out["total"] = out["capex"] + out["opex"]
        out["discounted"] = frame.groupby("environment")["disc"].sum()
        return out[columns]

    @functools.cached_property
    def used_sites(self) -> tuple[list[str], list[str]]:
        """The focus scenario's sites that are open or hold racks at some point, and the
        rest."""
        sites = self.rows("sites", self.focus)
        if sites.empty:
            return [], []
        order = list(dict.fromkeys(str(s) for s in sites["site"]))
        used = set()
        for site, group in sites.groupby(sites["site"].astype(str)):
            opened = pd.to_numeric(group["open"], errors="coerce").fillna(0).gt(0).any()
            slots = pd.to_numeric(group["slots_used"], errors="coerce").fillna(0).gt(0).any()
            if opened or slots:
                used.add(site)
        return [s for s in order if s in used], [s for s in order if s not in used]

    @functools.cached_property
    def _site_rows(self) -> dict[str, pd.DataFrame]:
        """The focus scenario's sites.csv rows by site (as text), each in table order."""
        sites = self.rows("sites", self.focus)
        return {str(s): rows for s, rows in sites.groupby(sites["site"].astype(str), sort=False)}

    def site_series(self, site: str, column: str) -> list[float | None]:
        """One column of sites.csv for one site of the focus scenario, period by period."""
        sites = self.rows("sites", self.focus)
        mine = self._site_rows.get(site, sites.iloc[:0])
        if column not in mine.columns:
            return [None] * len(self.periods)
        values = dict(
            zip(
                pd.to_numeric(mine["period"], errors="coerce"),
                pd.to_numeric(mine[column], errors="coerce"),
                strict=True,
            )
        )
        return [number(values.get(p)) for p in self.periods]

    def site_cap(self, site: str, used_column: str) -> list[float | None] | None:
        """The limit of a used column (cooling, slots) when sites.csv has it."""
        sites = self.rows("sites", self.focus)
        for cap in SITE_CAPS.get(used_column, ()):
            if cap in sites.columns:
                return self.site_series(site, cap)
        return None


def _rows(tables: dict[str, pd.DataFrame], name: str, scenario: str | None) -> pd.DataFrame:
    frame = tables.get(name)
    if frame is None:
        return pd.DataFrame(columns=[c for c, _, _ in OUTPUT_COLUMNS.get(name, ())])
    if scenario is None or "scenario" not in frame.columns or frame.empty:
        return frame
    return frame[frame["scenario"].astype(str) == scenario]


def _expected(tables: dict[str, pd.DataFrame], info: dict[str, object]) -> dict[str, pd.DataFrame]:
    """A robust run's shared plan as one scenario, ``robust``: every quantity (a column
    with a unit in optimizer/columns.py) of the per-period tables and of the summary
    weighted by the scenarios' probabilities (the racks and sites, the same in every
    scenario, stay as they are; costs and where work runs become their expectation).
    Empty for other runs."""
    robust = info.get("robust")
    p = robust.get("probabilities") if isinstance(robust, dict) else None
    if not isinstance(p, dict) or not p or "summary" not in tables:
        return {}
    out = {}
    for name in (*PER_PERIOD_TABLES, "summary"):
        frame = tables.get(name)
        if frame is None or "scenario" not in frame.columns:
            continue
        weight = frame["scenario"].astype(str).map(p).fillna(0.0)
        units = {c: unit for c, unit, _ in OUTPUT_COLUMNS.get(name, ())}
        values = [c for c in frame.columns if units.get(c, "") not in ("", "date")]
        frame = frame.assign(**{c: pd.to_numeric(frame[c], errors="coerce") for c in values})
        keys = [c for c in frame.columns if c not in values and c != "scenario"]
        weighted = frame[values].mul(weight, axis=0)
        grouped = weighted.groupby([frame[k] for k in keys], dropna=False, sort=False)
        out[name] = grouped[values].sum(min_count=1).reset_index().assign(scenario=ROBUST)
    summary = out["summary"]
    if not summary.empty:
        summary = summary.iloc[[0]].copy()
        summary["status"] = info.get("status")
        summary["objective_usd"] = info.get("objective_usd")
        summary["mip_gap"] = info.get("mip_gap")
        timings = info.get("timings_seconds")
        if isinstance(timings, dict):
            summary["solve_seconds"] = timings.get("solve_seconds")
        out["summary"] = summary
    return out


def _sweeps(summary: pd.DataFrame, overrides: list[str]) -> list[tuple[str, pd.DataFrame]]:
    out = []
    for column in overrides:
        values = pd.to_numeric(summary[column], errors="coerce")
        chosen = summary.assign(_x=values)[values.notna()].sort_values("_x", kind="stable")
        if chosen["_x"].nunique() >= 2:
            out.append((column, chosen))
    return out


def _pick_focus(summary: pd.DataFrame) -> str | None:
    if summary.empty or "scenario" not in summary.columns:
        return None
    names = [str(s) for s in summary["scenario"]]
    statuses = list(summary["status"]) if "status" in summary.columns else [None] * len(names)
    planned = [n for n, s in zip(names, statuses, strict=True) if s in HAS_PLAN]
    if "base" in planned:
        return "base"
    return planned[0] if planned else names[0]


def _periods(
    tables: dict[str, pd.DataFrame], focus: str | None, settings: dict[str, object]
) -> tuple[list[int], dict[int, str]]:
    """The focus scenario's period numbers, from 0 to the last, and their labels."""
    starts: dict[int, dt.date] = {}
    seen: set[int] = set()
    for name in PER_PERIOD_TABLES:
        frame = _rows(tables, name, focus)
        if frame.empty or "period" not in frame.columns:
            continue
        periods = pd.to_numeric(frame["period"], errors="coerce")
        seen |= {int(p) for p in periods.dropna()}
        if "period_start" not in frame.columns:
            continue
        for p, start in zip(periods, frame["period_start"], strict=True):
            day = as_date(start)
            if day is not None and not pd.isna(p):
                starts.setdefault(int(p), day)
    if not seen:
        return [], {}
    numbers = list(range(min(min(seen), 0), max(seen) + 1))
    kind = str(settings.get("period") or "")
    first = as_date(settings.get("start_date"))
    step = MONTHS_PER_PERIOD.get(kind)
    labels = {}
    for k in numbers:
        start = starts.get(k)
        if start is None and first is not None and step is not None:
            start = period_start(first, step, k)
        labels[k] = f"P{k}" if start is None else period_label(start, kind)
    return numbers, labels


def cash(costs: pd.DataFrame) -> pd.DataFrame:
    """costs rows with numeric ``amount`` (undiscounted) and ``disc`` (discounted)."""
    return costs.assign(
        amount=pd.to_numeric(costs["amount_usd"], errors="coerce").fillna(0.0),
        disc=pd.to_numeric(costs["discounted_usd"], errors="coerce").fillna(0.0),
    )


def category_colors(categories: Iterable[str]) -> dict[str, str]:
    colors, spare = {}, iter(EXTRA_COLOR * 20)
    for c in categories:
        colors[c] = CATEGORY_COLOR.get(c) or ENV_COLOR.get(c) or next(spare)
    return colors


def ordered(values: Iterable[object], order: Sequence[str]) -> list[str]:
    """The distinct values, those in ``order`` first in its order, the rest as they come."""
    present = list(dict.fromkeys(str(v) for v in values))
    return [o for o in order if o in present] + [p for p in present if p not in order]
