"""Notes on a plan's cash that a finance reader would otherwise trip on: a residual-value
credit large against the rack capex, and a discounted total above the undiscounted one.
Shown by the terminal and report.html (docs/outputs.md, "report.html")."""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

LARGE_CREDIT = 0.2  # a residual-value credit at least this share of the rack capex is noted


def _money(x: float, currency: str) -> str:
    return f"{x:,.0f} {currency}"


def cash_notes(costs: pd.DataFrame, currency: str = "USD") -> list[str]:
    """The notes for one scenario's costs.csv rows (none when there is nothing to say)."""
    if costs.empty:
        return []
    by_category = costs.groupby("category")[["amount_usd", "discounted_usd"]].sum()

    def total(category: str, column: str = "amount_usd") -> float:
        return float(by_category[column].get(category, 0.0))

    notes = []
    capex, credit = total("rack_capex"), -total("residual_value")
    if credit > 0 and capex > 0 and credit >= LARGE_CREDIT * capex:
        notes.append(
            f"The residual-value credit is {_money(credit, currency)}, {credit / capex:.0%} of "
            f"the rack capex ({_money(capex, currency)}): the racks' straight-line value left "
            f"at the horizon's end, counted as cash in the last period. With residual_value "
            f"none this plan would cost {_money(credit, currency)} more "
            f"({_money(-total('residual_value', 'discounted_usd'), currency)} discounted), and "
            "renting may then be cheaper than buying: a sweep of residual_value over 0 and 1 "
            "solves both."
        )
    undiscounted = float(costs["amount_usd"].sum())
    discounted = float(costs["discounted_usd"].sum())
    if discounted > undiscounted + 0.005:
        credits = costs[costs["amount_usd"] < 0]
        notes.append(
            f"The discounted total ({_money(discounted, currency)}) is above the undiscounted "
            f"one ({_money(undiscounted, currency)}) because of credits: "
            f"{_money(-float(credits['amount_usd'].sum()), currency)} of negative cash "
            f"(the residual value) comes late and is discounted to "
            f"{_money(-float(credits['discounted_usd'].sum()), currency)}, shrinking more than "
            "the costs paid before it."
        )
    return notes


def move_lines(assignments: pd.DataFrame, labels: dict[int, str], limit: int = 12) -> list[str]:
    """When work moves between locations: "2027-Q3 chat: 100% from onprem dc to api tok",
    one line a (workload, period) with moves, in order of period; at most ``limit`` lines
    and a count of the rest."""
    if assignments.empty or "moves" not in assignments or assignments["moves"].sum() <= 0:
        return []
    level = assignments.groupby(["workload", "period", "environment", "location"], sort=False)[
        "share"
    ].sum()
    at: dict[tuple[object, object], dict[tuple[object, object], float]] = defaultdict(dict)
    for (w, t, env, loc), share in level.items():
        at[(w, t)][(env, loc)] = share
    lines = []
    moved = assignments[assignments["moves"] > 1e-9]
    for (w, t), rows in moved.groupby(["workload", "period"], sort=False):
        before, now = at.get((w, t - 1), {}), at[(w, t)]  # type: ignore[operator]
        left = [
            f"{env} {loc}"
            for (env, loc), share in before.items()
            if share - now.get((env, loc), 0.0) > 1e-9
        ]
        to = [f"{r.environment} {r.location}" for r in rows.itertuples()]
        share = float(rows["moves"].sum())
        lines.append(
            (t, f"{labels.get(t, t)} {w}: {share:.0%} from {', '.join(left)} to {', '.join(to)}")
        )
    lines.sort(key=lambda x: x[0])
    out = [line for _, line in lines[:limit]]
    if len(lines) > limit:
        out.append(f"… and {len(lines) - limit} more (assignments.csv, column moves)")
    return out
