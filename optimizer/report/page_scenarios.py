"""report.html's section for scenario runs: the scenarios side by side, cost against
each swept parameter with the break-even intervals shaded, each plan's decisions and the
regret matrix. Plain values for templates/scenarios.html, and svg.py's charts."""

from __future__ import annotations

import itertools
import math

import pandas as pd

from optimizer.results import ENVIRONMENTS

from .svg import bar_chart, xy_chart
from .values import badge, money, number, plain
from .view import ENV_COLOR, ENV_LABEL, EXTRA_COLOR, View

Context = dict[str, object]
SUMMARY_MONEY = ("objective_usd", "total_cost_usd", *(f"{e}_usd" for e in ENVIRONMENTS))
SUMMARY_EXTRAS = ("probability", "worst_regret_usd")
LINE_COLORS = ("#1f4e79", "#e8862a", "#4e9a52", "#9467bd", *EXTRA_COLOR)


def scenarios(view: View) -> Context:
    """Everything the scenarios section shows."""
    sweeps = view.sweeps
    planned = view.planned
    robust = view.info.get("robust")
    common = view.info.get("decisions_in_every_scenario")
    least = view.info.get("least_regret_plans")
    return {
        "table": _table(view),
        "least": least if isinstance(least, list) and least else None,
        "common": common if isinstance(common, list) else [],
        "robust": robust["plan"]
        if isinstance(robust, dict) and isinstance(robust.get("plan"), list)
        else None,
        "robust_value": robust.get("value_lines") or [] if isinstance(robust, dict) else [],
        "expected": money(view.info.get("objective_usd"))
        if number(view.info.get("objective_usd")) is not None
        else None,
        "sweeps": [_sweep(view, column, chosen) for column, chosen in sweeps],
        "by_environment": _by_environment(view, planned)
        if not sweeps and len(planned) > 1
        else None,
        "decisions": _decisions(view, sweeps),
        "regret": _regret(view),
    }


def _table(view: View) -> Context:
    """The summary of every scenario: overrides, costs, and the least-regret mark."""
    summary = view.rows("summary")
    swept, short = view.swept, view.short  # a sweep's scenarios go by their value
    overrides = [c for c in view.overrides if c != swept]
    columns = [*SUMMARY_MONEY, *(c for c in SUMMARY_EXTRAS if c in summary.columns)]
    rows = []
    for r in summary.to_dict("records"):
        name = str(r.get("scenario"))
        rows.append(
            {
                "name": name,
                "short": short.get(name, name),
                "best": number(r.get("least_regret")) == 1.0,
                "status": badge(r.get("status")),
                "overrides": [plain(r.get(c)) for c in overrides],
                "amounts": [_summary_value(c, r.get(c)) for c in columns],
            }
        )
    return {
        "swept": swept,
        "overrides": overrides,
        "columns": [c.removesuffix("_usd") for c in columns],
        "rows": rows,
    }


def _summary_value(column: str, value: object) -> str:
    x = number(value)
    return f"{x:.0%}" if column == "probability" and x is not None else money(value)


def _lines(
    view: View, column: str, chosen: pd.DataFrame, others: list[str]
) -> list[tuple[str, str, list[tuple[float, float | None]], bool]]:
    """The objective (and, for one parameter, the total cost) against the swept value;
    with other parameters swept too, one line per combination of their values."""
    if not others:
        xs = [float(x) for x in chosen["_x"]]
        return [
            (name, color, [(x, number(v)) for x, v in zip(xs, chosen[c], strict=True)], dashed)
            for name, color, c, dashed in (
                ("objective (discounted)", "#1f4e79", "objective_usd", False),
                ("total cost (undiscounted)", "#e8862a", "total_cost_usd", True),
            )
        ]
    lines = []
    palette = itertools.cycle(LINE_COLORS)
    for key, group in chosen.groupby([chosen[c].astype(str) for c in others], sort=True):
        values = key if isinstance(key, tuple) else (key,)
        label = ", ".join(f"{c}={v}" for c, v in zip(others, values, strict=True))
        points = [
            (float(x), number(v)) for x, v in zip(group["_x"], group["objective_usd"], strict=True)
        ]
        lines.append((f"objective, {label}", next(palette), points, False))
    return lines


def _env_bars(rows: pd.DataFrame) -> list[tuple[str, str, list[float]]]:
    return [
        (ENV_LABEL[e], ENV_COLOR[e], [number(v) or 0.0 for v in rows[f"{e}_usd"]])
        for e in ENVIRONMENTS
        if f"{e}_usd" in rows.columns
    ]


def _sweep(view: View, column: str, chosen: pd.DataFrame) -> Context:
    """Cost against one swept parameter, break-even points shaded."""
    others = view.others_swept(column, chosen)
    lines = _lines(view, column, chosen, others)
    bands = view.break_even(column)
    has_points = any(v is not None for _, _, points, _ in lines for _, v in points)
    chart = (
        xy_chart(
            lines, column, view.currency, [(a, b, str(i + 1)) for i, (a, b, _) in enumerate(bands)]
        )
        if has_points
        else None
    )
    if bands:
        verdict = "bands"
    elif others or not isinstance(view.info.get("break_even"), list):
        verdict = "one parameter only"
    else:
        verdict = "unchanged"
    xs = [float(x) for x in chosen["_x"]]
    labels = [
        f"{x:g}" + "".join(f" · {plain(r[c])}" for c in others)
        for x, r in zip(xs, chosen.to_dict("records"), strict=True)
    ]
    x_title = " · ".join([column, *others])
    env_bars = _env_bars(chosen)
    return {
        "column": column,
        "legend": [(name, color, dashed) for name, color, _, dashed in lines],
        "chart": chart,
        "bands": [(f"{a:g}", f"{b:g}", words) for a, b, words in bands],
        "verdict": verdict,
        "x_title": x_title,
        "env_legend": [(n, c) for n, c, _ in env_bars],
        "env_chart": bar_chart(labels, env_bars, [], view.currency, 1090, 280, x_title=x_title),
    }


def _by_environment(view: View, planned: pd.DataFrame) -> Context:
    """Cost by environment per scenario, when the scenarios are not a sweep."""
    bars = _env_bars(planned)
    labels = [str(s) for s in planned["scenario"]]
    return {
        "legend": [(n, c) for n, c, _ in bars],
        "chart": bar_chart(labels, bars, [], view.currency, 1090, 300),
    }


def _decision_key(r: dict[str, object]) -> tuple[str, float] | None:
    """A decisions.csv row as (what is decided, how much)."""
    offer, site, rack = r.get("offer"), r.get("site"), r.get("rack_type")
    if isinstance(offer, str) and offer:
        block = number(r.get("reserved_block"))
        name = f"reserved {offer}" + (f", block {block:g}" if block is not None else "")
        return name, number(r.get("reserved_accelerators")) or 0.0
    if isinstance(site, str) and site:
        if isinstance(rack, str) and rack:
            return f"racks of {rack} at {site}", number(r.get("racks_at_end")) or 0.0
        return f"site {site} open", 1.0
    return None


def _decision_values(decisions: pd.DataFrame) -> dict[str, dict[str, float]]:
    """decision → scenario → value; a site with racks is open."""
    values: dict[str, dict[str, float]] = {}
    for r in decisions.to_dict("records"):
        found = _decision_key(r)
        if found is None:
            continue
        key, value = found
        mine = values.setdefault(key, {})
        scenario = str(r.get("scenario"))
        mine[scenario] = mine.get(scenario, 0.0) + value
        site = r.get("site")
        if isinstance(site, str) and site and key.startswith("racks of "):
            values.setdefault(f"site {site} open", {})[scenario] = 1.0
    return values


def _decision_order(
    view: View, present: list[str], sweeps: list[tuple[str, pd.DataFrame]]
) -> list[str]:
    """The scenarios in order of the swept value, else as in the summary."""
    first = [str(s) for s in (sweeps[0][1] if sweeps else view.rows("summary"))["scenario"]]
    return [s for s in first if s in present] + [s for s in present if s not in first]


def _decisions(view: View, sweeps: list[tuple[str, pd.DataFrame]]) -> Context:
    """Each scenario's plan side by side; along a sweep, a change from the left is marked."""
    decisions = view.rows("decisions")
    if decisions.empty:
        return {"rows": None}
    values = _decision_values(decisions)
    present = list(dict.fromkeys(str(s) for s in decisions["scenario"]))
    column, heads = view.swept, view.short
    scenarios = _decision_order(view, present, sweeps)
    keys = sorted(values, key=lambda k: (not k.startswith("site "), not k.startswith("racks"), k))
    rows = []
    for key in keys:
        cells = []
        previous: float | None = None
        for s in scenarios:
            v = values[key].get(s, 0.0)
            changed = previous is not None and v != previous and s in heads
            shown = ("yes" if v else "no") if key.startswith("site ") else f"{v:,.0f}"
            cells.append((shown, changed))
            previous = v if s in heads else None
        rows.append({"key": key, "cells": cells})
    return {
        "column": column,
        "heads": [heads.get(s, s) for s in scenarios],
        "rows": rows,
        "sweep": bool(sweeps),
    }


def _regret(view: View) -> Context | None:
    """Each scenario's plan (rows) under every scenario (columns): its regret there."""
    regret = view.rows("regret")
    if regret.empty:
        return None
    least = view.info.get("least_regret")
    least = set(map(str, least)) if isinstance(least, list) else {str(least)}
    plans = list(dict.fromkeys(str(s) for s in regret["scenario"]))
    under = list(dict.fromkeys(str(s) for s in regret["operated_under"]))
    cell: dict[tuple[str, str], str] = {}
    worst: dict[str, float] = {}
    for r in regret.to_dict("records"):
        plan, u = str(r["scenario"]), str(r["operated_under"])
        value = number(r.get("regret_usd"))
        if value is None:
            cell[(plan, u)] = str(r.get("status") or "n/a")
            worst[plan] = math.inf
        else:
            cell[(plan, u)] = money(value)
            worst[plan] = max(worst.get(plan, -math.inf), value)
    column, short = view.swept, view.short
    return {
        "column": column,
        "currency": view.currency,
        "under": [short.get(u, u) for u in under],
        "rows": [
            {
                "plan": short.get(plan, plan),
                "best": plan in least,
                "cells": [cell.get((plan, u), "–") for u in under],
                "worst": money(worst.get(plan, math.nan)),
            }
            for plan in plans
        ],
    }
