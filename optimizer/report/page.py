"""report.html: one self-contained page, rendered from Jinja2 templates with autoescape.

The page needs no network: its charts are inline SVG (svg.py), its styling one
``<style>`` element, it has no script, and a Content-Security-Policy forbids fetching
anything, so an id holding markup is shown (escaped), never run. The functions here turn
the view into plain values for the templates (``templates/``, shipped with the package);
the only markup they hand over is svg.py's charts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from optimizer.results import ENVIRONMENTS

from . import page_finance, page_frontier, page_scenarios
from .compiled import keep_compiled
from .svg import bar_chart
from .values import badge, money, number, text, tonnes
from .view import ENV_COLOR, ENV_LABEL, SITE_CAPS, View, cash, category_colors, ordered

Context = dict[str, object]
NEUTRAL = "#888"
LIMIT = "#c0392b"


def _finalize(value: object) -> object:
    """Every value a template prints, as text XML and UTF-8 can carry (autoescape then
    escapes it); svg.py's markup as it is."""
    return value if isinstance(value, Markup) else text(value)


ENVIRONMENT = Environment(
    loader=PackageLoader("optimizer.report", "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=StrictUndefined,
    finalize=_finalize,
)
keep_compiled(ENVIRONMENT)


def render_page(view: View) -> str:
    """The whole page: the per-period sections when the focus scenario has a plan, the
    scenarios section for scenario runs."""
    source = view.info.get("input")
    file_name = source.get("file") if isinstance(source, dict) else None
    return ENVIRONMENT.get_template("report.html").render(
        title=f"Capacity plan: {file_name}" if file_name else "Capacity plan",
        currency=view.currency,
        meta=_meta(view),
        headline=_headline(view),
        diagnosis=_diagnosis(view),
        frontier=page_frontier.frontier(view),
        costs=_costs(view) if view.has_plan else None,
        sites=_sites(view) if view.has_plan else None,
        workloads=_workloads(view) if view.has_plan else None,
        finance=page_finance.finance(view) if view.has_plan else None,
        scenarios=page_scenarios.scenarios(view) if view.multi else None,
        run=_run(view),
    )


def render_sections(view: View) -> dict[str, str]:
    """report.html's per-period sections (costs, sites, workloads) and what each workload
    costs (finance: per unit, against the cheapest API or cloud offer; the notes; the
    moves) each on its own, drawn by the same code and templates, for another page that
    shows them (the local calculator). Empty when the focus scenario has no plan."""
    if not view.has_plan:
        return {}
    contexts = {
        "costs": _costs(view),
        "sites": _sites(view),
        "workloads": _workloads(view),
        "finance": page_finance.finance(view),
    }
    return {
        name: ENVIRONMENT.get_template(f"{name}.html").render(
            **{name: context, "currency": view.currency}
        )
        for name, context in contexts.items()
        if context is not None
    }


def _meta(view: View) -> Context:
    s = view.settings
    bits = []
    if view.periods:
        kind = text(s.get("period") or "period")
        first, last = view.labels[view.periods[0]], view.labels[view.periods[-1]]
        bits.append(f"{len(view.periods)} {kind}s, {first} to {last}")
    elif s.get("start_date"):
        bits.append(f"from {text(s.get('start_date'))}")
    bits.append(f"money in {view.currency}")
    rate = number(s.get("discount_rate"))
    if rate is not None:
        bits.append(f"discounted at {rate:.1%} a year to {text(s.get('start_date') or 'start')}")
    tool = view.info.get("tool")
    if isinstance(tool, dict) and tool.get("version"):
        bits.append(f"capacity-optimizer {text(tool.get('version'))}")
    scenarios = len(view.rows("summary")) if view.multi and view.focus is not None else 0
    return {"bits": bits, "scenarios": scenarios, "focus": view.focus}


def _share_of_cash(value: float | None, total: float) -> str:
    if not value or not total:
        return ""
    fraction = value / total
    return f"{fraction:.1%} of cash" if fraction < 0.1 else f"{fraction:.0%} of cash"


def _headline(view: View) -> Context | None:
    row = view.summary_row
    if not row:
        return None
    gap, seconds = number(row.get("mip_gap")), number(row.get("solve_seconds"))
    sub = []
    if gap is not None:
        sub.append(f"gap {gap:.2%}")
    if seconds is not None:
        sub.append(f"{seconds:.1f} s")
    cards = [_card("Status", None, " · ".join(sub), status=badge(row.get("status")))]
    if view.has_plan:
        cur = view.currency
        cards.append(_card("Total cost, discounted", row.get("objective_usd"), f"{cur}, objective"))
        cards.append(_card("Total cost, undiscounted", row.get("total_cost_usd"), f"{cur}, cash"))
        total = number(row.get("total_cost_usd")) or 0.0
        for env in ENVIRONMENTS:
            value = number(row.get(f"{env}_usd"))
            sub = f"{cur} {_share_of_cash(value, total)}".strip()
            cards.append(_card(ENV_LABEL[env], value, sub, color=ENV_COLOR[env]))
    return {
        "cards": cards,
        "emissions": _emission_cards(view) if view.has_plan else [],
        "focus": view.focus if view.multi else None,
    }


def _emission_cards(view: View) -> list[Context]:
    """The focus scenario's emissions over the horizon: in all and by environment."""
    row = view.summary_row
    total = number(row.get("tco2e"))
    if total is None:
        return []
    counted = not view.rows("emissions", view.focus).empty
    sub = "t CO2e" if counted else "t CO2e: the workbook gives no emission figures"
    cards = [_card("Emissions", None, sub) | {"value": tonnes(total)}]
    for env in ENVIRONMENTS:
        value = number(row.get(f"{env}_tco2e"))
        share = f" ({value / total:.0%})" if value and total else ""
        cards.append(
            _card(ENV_LABEL[env], None, f"t CO2e{share}", color=ENV_COLOR[env])
            | {"value": tonnes(value)}
        )
    return cards


def _card(
    label: str,
    value: object,
    sub: str,
    color: str | None = None,
    status: dict[str, str] | None = None,
) -> Context:
    """A headline figure: money, or a status badge."""
    return {"label": label, "value": money(value), "sub": sub, "color": color, "badge": status}


def _diagnosis(view: View) -> Context | None:
    """Why there is no plan: the run's own diagnosis, then each scenario's."""
    own = view.info.get("diagnosis")
    status = view.summary_row.get("status")
    blocks: list[Context] = []
    if isinstance(own, list) and own:
        blocks.append({"lines": own})
    elif not view.has_plan and view.summary_row:
        blocks.append({"lines": [], "status": status})
    scenarios = view.info.get("scenarios")
    for s in scenarios if isinstance(scenarios, list) else []:
        if not isinstance(s, dict):
            continue
        lines = [*(s.get("diagnosis") or []), *([s["error"]] if s.get("error") else [])]
        if lines:
            blocks.append({"lines": lines, "scenario": s.get("name"), "status": s.get("status")})
    return {"blocks": blocks} if blocks else None


def _costs(view: View) -> Context:
    pivot = view.cost_pivot
    if pivot.empty:
        return {"currency": view.currency, "chart": None}
    colors = category_colors(map(str, pivot.columns))
    labels = [view.label(p) for p in pivot.index]
    bars = [(str(c), colors[str(c)], [float(v) for v in pivot[c]]) for c in pivot.columns]
    chart = bar_chart(labels, bars, [], f"{view.currency} per period", 1090, 320)
    env = view.env_table
    total = float(env["total"].sum()) or 1.0
    environments = [
        {
            "label": ENV_LABEL.get(str(name), str(name)),
            "color": ENV_COLOR.get(str(name), NEUTRAL),
            **{k: money(r[k]) for k in ("capex", "opex", "total", "discounted")},
            "share": f"{float(r['total']) / total:.0%}",
            "bar": f"{max(float(r['total']) / total, 0) * 100:.1f}%",
        }
        for name, r in env.iterrows()
    ]
    return {
        "currency": view.currency,
        "legend": [(n, c) for n, c, _ in bars],
        "chart": chart,
        "environments": environments,
        "totals": {k: money(env[k].sum()) for k in ("capex", "opex", "total", "discounted")},
        "categories": _by_category(view, colors),
    }


def _by_category(view: View, colors: dict[str, str]) -> list[Context]:
    """Each category and cost type of the focus scenario, undiscounted and discounted."""
    frame = cash(view.rows("costs", view.focus))
    by_category = frame.groupby(["category", "cost_type"], sort=False)[["amount", "disc"]].sum()
    out = []
    for category in ordered(frame["category"], tuple(colors)):
        for (cat, cost_type), r in by_category.iterrows():  # type: ignore[misc]
            if str(cat) == category:
                out.append(
                    {
                        "category": category,
                        "color": colors.get(category, NEUTRAL),
                        "type": cost_type,
                        "amount": money(r["amount"]),
                        "disc": money(r["disc"]),
                    }
                )
    return out


def _sites(view: View) -> Context:
    used, unused = view.used_sites
    sites = view.rows("sites", view.focus)
    caps_known = all(any(c in sites.columns for c in caps) for caps in SITE_CAPS.values())
    return {
        "used": used,
        "unused": unused,
        "caps_note": bool(used) and not caps_known,
        "panels": [_site_panel(view, site) for site in used],
    }


def _site_facts(view: View, site: str) -> list[str]:
    """When the site opens, its peak power, racks, and when power binds."""
    labels = [view.label(p) for p in view.periods]
    is_open = view.site_series(site, "open")
    opened = next((labels[i] for i, v in enumerate(is_open) if v), None)
    power = view.site_series(site, "power_used_kw")
    peak = max((v or 0.0 for v in power), default=0.0)
    peak_cap = max((v or 0.0 for v in view.site_series(site, "power_capacity_kw")), default=0.0)
    slots = view.site_series(site, "slots_used")
    facts = []
    if opened is None:
        facts.append("never open")
    else:
        facts.append(
            f"open from the first period ({opened})" if is_open[0] else f"opens in {opened}"
        )
    if peak_cap:
        facts.append(f"peak power {peak:,.0f} of {peak_cap:,.0f} kW ({peak / peak_cap:.0%})")
    facts.append(f"up to {max((v or 0 for v in slots), default=0):,.0f} racks")
    shadow = view.site_series(site, "power_shadow_price_usd_per_kw")
    binding = [v for v in shadow if v and v > 0]
    if binding:
        facts.append(
            f"power binds in {len(binding)} period{'s' if len(binding) != 1 else ''} "
            f"(one more kW would save up to {max(binding):,.0f} {view.currency}, discounted)"
        )
    return facts


def _site_chart(
    view: View,
    site: str,
    bars: Sequence[tuple[str, str, str]],
    limits: Sequence[tuple[str, str, list[float | None] | None]],
    unit: str,
    integer: bool = False,
) -> Markup:
    """One site's columns (name, colour, sites.csv column) as stacked bars, and its limits
    (name, colour, values) as dashed lines where it has them."""
    labels = [view.label(p) for p in view.periods]
    stacks = [(n, c, [v or 0.0 for v in view.site_series(site, col)]) for n, c, col in bars]
    steps = [(n, c, values) for n, c, values in limits if values is not None]
    return bar_chart(labels, stacks, steps, unit, 380, 200, integer=integer)


def _site_panel(view: View, site: str) -> Context:
    """Power, cooling and rack slots of one site against its limits."""
    onprem = ENV_COLOR["onprem"]
    capacity = view.site_series(site, "power_capacity_kw")
    cooling = [
        ("air cooling capacity", LIMIT, view.site_cap(site, "cooling_air_used_kw")),
        ("liquid cooling capacity", "#7f3c8d", view.site_cap(site, "cooling_liquid_used_kw")),
    ]
    slots = view.site_cap(site, "slots_used")
    air, liquid, stand = "#5fa2d6", "#1b3f66", "#6c8ebf"
    figures = [
        {
            "title": "Power (kW)",
            "legend": [("used", onprem)],
            "dashed": ["capacity"],
            "chart": _site_chart(
                view,
                site,
                [("power used", onprem, "power_used_kw")],
                [("power capacity", LIMIT, capacity)],
                "kW",
            ),
        },
        {
            "title": "Cooling (kW)",
            "legend": [("air", air), ("liquid", liquid)],
            "dashed": [name for name, _, values in cooling if values is not None],
            "chart": _site_chart(
                view,
                site,
                [
                    ("air-cooled", air, "cooling_air_used_kw"),
                    ("liquid-cooled", liquid, "cooling_liquid_used_kw"),
                ],
                cooling,
                "kW of heat",
            ),
        },
        {
            "title": "Rack slots",
            "legend": [("used", stand)],
            "dashed": ["slots"] if slots is not None else [],
            "chart": _site_chart(
                view,
                site,
                [("racks standing", stand, "slots_used")],
                [("rack slots", LIMIT, slots)],
                "racks",
                integer=True,
            ),
        },
    ]
    return {"site": site, "facts": "; ".join(_site_facts(view, site)), "figures": figures}


def _env_order(environment: str) -> int:
    return ENVIRONMENTS.index(environment) if environment in ENVIRONMENTS else len(ENVIRONMENTS)


def _workloads(view: View) -> Context:
    """Each workload's share by environment per period, and where it runs first and last."""
    rows = view.rows("assignments", view.focus)
    if rows.empty:
        return {"grid": None}
    frame = rows.assign(
        share_value=pd.to_numeric(rows["share"], errors="coerce").fillna(0.0),
        period_number=pd.to_numeric(rows["period"], errors="coerce"),
    )
    # (workload, period) -> [(environment, where, region, share)]
    cells: dict[tuple[str, int], list[tuple[str, str, str, float]]] = {}
    for r in frame.itertuples(index=False):
        rack = getattr(r, "rack_type", "")
        where = str(r.location) + (f" ({rack})" if isinstance(rack, str) and rack else "")
        cells.setdefault((str(r.workload), int(r.period_number)), []).append(
            (str(r.environment), where, str(r.region), float(r.share_value))
        )
    workloads = list(dict.fromkeys(str(w) for w in frame["workload"]))
    active: dict[str, list[int]] = {}  # each workload's periods with demand, in one pass
    for name, period in cells:
        active.setdefault(name, []).append(period)
    step = max(1, math.ceil(len(view.periods) / 16))
    return {
        "legend": [(ENV_LABEL[e], ENV_COLOR[e]) for e in ENVIRONMENTS],
        "head": [view.labels[p] if i % step == 0 else "" for i, p in enumerate(view.periods)],
        "wide": len(view.periods) >= 8,
        "grid": [
            {"workload": w, "cells": [_stack(view, cells.get((w, p), []), p) for p in view.periods]}
            for w in workloads
        ],
        "ends": [_ends(view, w, sorted(active[w]), cells) for w in workloads],
    }


def _stack(view: View, parts: list[tuple[str, str, str, float]], period: int) -> Context | None:
    """One grid cell: the shares as coloured spans, the locations in its tooltip."""
    if not parts:
        return None
    parts = sorted(parts, key=lambda x: _env_order(x[0]))
    tip = "; ".join(
        f"{loc} [{ENV_LABEL.get(env, env)}] {share:.0%}" for env, loc, _, share in parts
    )
    return {
        "title": f"{view.labels[period]}: {tip}",
        "spans": [
            (f"{share * 100:.2f}%", ENV_COLOR.get(env, NEUTRAL)) for env, _, _, share in parts
        ],
    }


def _ends(
    view: View,
    workload: str,
    active: list[int],
    cells: dict[tuple[str, int], list[tuple[str, str, str, float]]],
) -> Context:
    """A workload's first and last period with demand (``active``: its periods with
    demand, in order), and where it runs then."""

    def where(period: int) -> list[Context]:
        parts = sorted(cells[(workload, period)], key=lambda x: -x[3])
        return [
            {
                "color": ENV_COLOR.get(env, NEUTRAL),
                "location": loc,
                "region": region,
                "share": f"{share:.0%}",
            }
            for env, loc, region, share in parts
        ]

    first, last = active[0], active[-1]
    return {
        "workload": workload,
        "first": view.label(first),
        "first_where": where(first),
        "last": view.label(last),
        "last_where": where(last),
    }


def _short_float(value: object, group: str) -> str:
    if isinstance(value, float):
        return f"{value:.2f}" if group == "timings_seconds" else f"{value:g}"
    return text(value)


def _run(view: View) -> Context:
    """run.json's facts as rows of (key, value)."""
    info = view.info
    rows: list[tuple[str, object]] = []
    source = info.get("input")
    if isinstance(source, dict):
        rows.append(("input", f"{source.get('file')} (sha256 {source.get('sha256')})"))
    tool = info.get("tool")
    if isinstance(tool, dict):
        rows.append(("tool", f"{tool.get('name')} {tool.get('version')}"))
    for key in ("pyomo", "highs", "status", "termination", "best_bound_usd", "scheduler"):
        if info.get(key) is not None:
            rows.append((key, money(info[key]) if key.endswith("_usd") else info[key]))
    for group in ("settings", "options", "timings_seconds"):
        values = info.get(group)
        if isinstance(values, dict) and values:
            rows.append(
                (group, ", ".join(f"{k} {_short_float(v, group)}" for k, v in values.items()))
            )
    if isinstance(info.get("wall_seconds"), int | float):
        rows.append(("wall_seconds", f"{info['wall_seconds']:.1f}"))
    return {"rows": rows}
