"""The calculator's answers as the page receives them: plain JSON values, and the report's
own sections (optimizer.report.page.render_sections) as HTML, escaped there."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pandas as pd

from optimizer.compare import ScenarioRun
from optimizer.plan import Plan
from optimizer.report.page import render_sections
from optimizer.report.view import View
from optimizer.results import ENVIRONMENTS
from optimizer.solve import Solved

MAX_CHANGES = 40


def _number(value: object) -> float | None:
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _certificate(solved: Solved) -> dict[str, Any] | None:
    c = solved.certificate
    if c is None:
        return None
    return {
        "holds": c.holds,
        "max_row_violation": c.max_row_violation,
        "objective_recomputed_usd": c.objective_recomputed_usd,
        "gap_recomputed": c.gap_recomputed,
    }


def _costs(cost_table: pd.DataFrame) -> dict[str, Any]:
    by_env = cost_table.groupby("environment")["amount_usd"].sum()
    return {
        "objective_usd": float(cost_table["discounted_usd"].sum()),
        "total_cost_usd": float(cost_table["amount_usd"].sum()),
        "by_env": {env: float(by_env.get(env, 0.0)) for env in ENVIRONMENTS},
    }


def _above(objective: float, bound: float | None) -> float | None:
    """How far above the bound a plan's cost is, as a fraction of the bound: the most it
    can be above the best possible plan."""
    if bound is None or bound <= 0:
        return None
    return max(0.0, (objective - bound) / bound)


def quick(
    cost_table: pd.DataFrame, solved: Solved, bound: float | None, seconds: float
) -> dict[str, Any]:
    """The held plan's certified figures and the LP bound."""
    costs = _costs(cost_table)
    return {
        "kind": "held",
        "status": solved.status,
        **costs,
        "bound_usd": bound,
        "above_bound": _above(costs["objective_usd"], bound),
        "seconds": seconds,
        "certificate": _certificate(solved),
    }


def quick_without_plan(solved: Solved, bound: float | None, seconds: float) -> dict[str, Any]:
    """The held plan cannot serve the request (e.g. more demand than its racks hold and
    nothing to rent)."""
    why = "the current plan cannot serve these figures; the full re-solve decides"
    return {"kind": "held", "status": solved.status, "message": why, "bound_usd": bound} | {
        "seconds": seconds
    }


def quick_failed(message: str, bound: float | None, seconds: float) -> dict[str, Any]:
    return {"kind": "held", "status": "error", "message": message, "bound_usd": bound} | {
        "seconds": seconds
    }


def final(plan: Plan, run: ScenarioRun, seconds: float) -> dict[str, Any]:
    """The full solve's certified figures, with the report's sections drawn from its
    tables."""
    solved = run.solved
    assert solved is not None
    answer: dict[str, Any] = {
        "kind": "final",
        "scenario": run.scenario.name,
        "status": solved.status,
        "mip_gap": _number(solved.gap),
        "seconds": seconds,
        "certificate": _certificate(solved),
        "diagnosis": list(run.diagnosis),
    }
    if not solved.has_plan or "costs" not in run.tables:
        return answer
    info = {"settings": dataclasses.asdict(plan.settings)}
    view = View.of(run.tables, info)
    answer |= _costs(run.tables["costs"])
    answer["sections"] = render_sections(view)
    return answer


def changes(found: list[tuple[str, float, float]]) -> list[dict[str, Any]]:
    """Decisions that differ between two plans, as the page lists them."""
    return [{"decision": k, "before": a, "after": b} for k, a, b in found[:MAX_CHANGES]] + (
        [{"decision": f"and {len(found) - MAX_CHANGES} more", "before": None, "after": None}]
        if len(found) > MAX_CHANGES
        else []
    )
