"""Comparing what-if plans: each scenario's run, its first-stage decisions, each plan's
regret under the other scenarios, ties within the solvers' tolerance, and where a swept
parameter changes the plan.

Everything here works on finished runs (``ScenarioRun``, small enough to come back from
a worker); running them, here or on a cluster, is optimizer.whatif's.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from optimizer import results
from optimizer.columns import names
from optimizer.models.stages import FirstStage
from optimizer.scenarios import Override, Scenario
from optimizer.solve import Solved
from optimizer.status import Status


@dataclass
class ScenarioRun:
    """One scenario's answer, small enough to send back from a worker."""

    scenario: Scenario
    solved: Solved | None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    diagnosis: list[str] = field(default_factory=list)
    plan: FirstStage | None = None
    error: str | None = None

    @property
    def status(self) -> str:
        return self.solved.status if self.solved is not None else Status.FAILED

    @property
    def objective(self) -> float | None:
        return self.solved.objective if self.solved is not None else None


def combined(runs: list[ScenarioRun]) -> dict[str, pd.DataFrame]:
    """The output tables of every run, stacked (each has its scenario column)."""
    out: dict[str, pd.DataFrame] = {}
    for name in results.COLUMNS:
        if name == "summary":
            continue
        frames = [r.tables[name] for r in runs if name in r.tables]
        out[name] = (
            pd.concat(frames, ignore_index=True)
            if frames
            else pd.DataFrame(columns=results.COLUMNS[name])
        )
    out["summary"] = summary(runs)
    return out


def summary(runs: list[ScenarioRun]) -> pd.DataFrame:
    """One row per scenario: the columns of summary.csv, then one per override."""
    rows = []
    for run in runs:
        if "summary" in run.tables:
            row = run.tables["summary"].iloc[0].to_dict()
        else:
            row = dict.fromkeys(results.SUMMARY_COLUMNS)
            row["scenario"] = run.scenario.name
            row["status"] = run.status
            if run.solved is not None:
                row["mip_gap"], row["solve_seconds"] = run.solved.gap, run.solved.seconds
        rows.append(row | run.scenario.values)
    frame = pd.DataFrame(rows)
    extra = [c for c in frame.columns if c not in results.SUMMARY_COLUMNS]
    return frame[results.SUMMARY_COLUMNS + extra]


DECISIONS_COLUMNS = names("decisions")


def decisions(runs: list[ScenarioRun]) -> pd.DataFrame:
    """Each scenario's first-stage plan: sites open and racks standing at the horizon's end
    per site and rack type, and reserved accelerators per offer and term block."""
    rows = [
        row
        for run in runs
        if run.plan is not None
        for row in _decision_rows(run.scenario.name, run.plan, run.tables)
    ]
    return pd.DataFrame(rows, columns=DECISIONS_COLUMNS)


def plan_decisions(name: str, plan: FirstStage, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """decisions.csv's rows of one first-stage plan, under ``name``, from its tables (the
    robust plan's: one scenario's tables, the plan being the same in each)."""
    return pd.DataFrame(_decision_rows(name, plan, tables), columns=DECISIONS_COLUMNS)


def _decision_rows(
    name: str, plan: FirstStage, tables: dict[str, pd.DataFrame]
) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    if "racks" not in tables:
        return rows
    sites = tables["sites"]
    last = sites["period"].max() if not sites.empty else 0
    at_end = sites[sites["period"] == last].set_index("site")["open"]
    racks = tables["racks"]
    racks = racks[racks["period"] == racks["period"].max()] if not racks.empty else racks
    with_racks = set()
    for r in racks.itertuples(index=False):
        if r.installed:
            with_racks.add(r.site)
            rows.append(
                (
                    name,
                    r.site,
                    int(at_end.get(r.site, 1)),
                    r.rack_type,
                    r.installed,
                    None,
                    None,
                    None,
                )
            )
    for site, is_open in at_end.items():
        if is_open and site not in with_racks:
            rows.append((name, site, 1, None, 0, None, None, None))
    for (offer, block), n in sorted(plan.values.get("commit", {}).items()):
        rows.append((name, None, None, None, None, offer, block, n))
    return rows


REGRET_COLUMNS = names("regret")


def slack(run: ScenarioRun) -> float:
    """How far a run's cost may be above its optimum: its objective minus its best bound
    (0 for an LP solved to optimality)."""
    solved = run.solved
    if solved is None or solved.objective is None or solved.best_bound is None:
        return 0.0
    return max(0.0, solved.objective - solved.best_bound)


Operated = Callable[[ScenarioRun, ScenarioRun], "ScenarioRun | None"]


def regret(runs: list[ScenarioRun], operated: Operated) -> pd.DataFrame:
    """Each scenario's plan operated under every scenario (``operated(plan_run, under)``):
    its discounted cost there, that scenario's own optimum, the difference (the regret)
    and the solvers' tolerance on it."""
    rows = []
    for plan_run in runs:
        if plan_run.plan is None:
            continue
        for under in runs:
            same = under.scenario.key == plan_run.scenario.key
            run = under if same else operated(plan_run, under)
            if run is None:
                continue
            cost, best = run.objective, under.objective
            gap = cost - best if cost is not None and best is not None else None
            tolerance = slack(under) if same else slack(run) + slack(under)
            rows.append(
                (
                    plan_run.scenario.name,
                    under.scenario.name,
                    run.status,
                    cost,
                    best,
                    gap,
                    tolerance,
                )
            )
    return pd.DataFrame(rows, columns=REGRET_COLUMNS)


def least_regret(table: pd.DataFrame) -> tuple[list[str], dict[str, float]]:
    """The plans whose worst-case regret is least, with every plan within the solvers'
    tolerance of it (a tie, not a finding), and every plan's worst-case regret (infinite
    when it cannot be operated under some scenario, NaN when a solve it needs failed).
    None is named when any worst case is unknown."""
    worst: dict[str, float] = {}
    tolerance: dict[str, float] = {}
    for name, group in table.groupby("scenario", sort=False):
        values = group["regret_usd"].astype(float)
        unknown = (group["status"] == Status.FAILED) | (
            group["cost_usd"].notna() & group["optimum_usd"].isna()
        )
        if unknown.any():
            worst[str(name)] = float("nan")
        else:
            worst[str(name)] = float("inf") if values.isna().any() else float(values.max())
        tolerance[str(name)] = float(group["tolerance_usd"].astype(float).max())
    if any(math.isnan(v) for v in worst.values()):
        return [], worst
    finite = {k: v for k, v in worst.items() if v != float("inf")}
    if not finite:
        return [], worst
    best = min(finite, key=lambda k: finite[k])
    tied = [k for k, v in finite.items() if v - finite[best] <= tolerance[k] + tolerance[best]]
    return tied, worst


def common_decisions(table: pd.DataFrame, scenarios: list[str]) -> list[str]:
    """The decisions every scenario's plan makes, in words."""
    if table.empty or not scenarios:
        return []
    keys: dict[str, set[str]] = {}
    for row in table.itertuples(index=False):
        mine = keys.setdefault(row.scenario, set())
        if isinstance(row.offer, str):
            mine.add(
                f"reserve {int(row.reserved_accelerators)} accelerators of {row.offer} "
                f"(block {int(row.reserved_block)})"
            )
            continue
        mine.add(f"open {row.site}")
        if isinstance(row.rack_type, str):
            mine.add(f"{int(row.racks_at_end)} racks of {row.rack_type} at {row.site}")
    if set(keys) != set(scenarios):
        return []
    return sorted(set.intersection(*keys.values()))


def plan_view(run: ScenarioRun) -> dict[str, float]:
    """A run's first-stage plan as decisions.csv states it, by decision: ``site S open``,
    ``R racks at S`` (at the horizon's end), ``reserved O block B``."""
    out: dict[str, float] = {}
    for r in decisions([run]).itertuples(index=False):
        if isinstance(r.offer, str):
            out[f"reserved {r.offer} block {int(r.reserved_block)}"] = r.reserved_accelerators
            continue
        out[f"site {r.site} open"] = 1
        if isinstance(r.rack_type, str):
            out[f"{r.rack_type} racks at {r.site}"] = r.racks_at_end
    return out


def plan_changes(x: dict[str, float], y: dict[str, float]) -> list[tuple[str, float, float]]:
    """Each decision of two plans (as plan_view states them) that differs: (decision,
    value in ``x``, value in ``y``)."""
    return [
        (k, x.get(k, 0), y.get(k, 0)) for k in sorted(set(x) | set(y)) if x.get(k, 0) != y.get(k, 0)
    ]


@dataclass(frozen=True)
class BreakEven:
    """Where a swept parameter changes the plan: the bracket around the change (both
    ends solved), and each decision that flips there."""

    parameter: str
    below: float
    above: float
    run_below: ScenarioRun
    run_above: ScenarioRun

    @property
    def value(self) -> float:
        return (self.below + self.above) / 2

    def changes(self) -> list[tuple[str, float, float]]:
        return plan_changes(plan_view(self.run_below), plan_view(self.run_above))

    def line(self) -> str:
        """The break-even in words (the form report.html reads)."""
        parts = [f"{k} {a:g} -> {b:g}" for k, a, b in self.changes()]
        shown = "; ".join(parts[:6]) + (f"; and {len(parts) - 6} more" if len(parts) > 6 else "")
        low, high = self.run_below.objective, self.run_above.objective
        return (
            f"between {self.parameter} {self.below:.6g} and {self.above:.6g}: {shown} "
            f"(optimum {low:,.0f} USD below, {high:,.0f} above)"
        )


BREAKEVEN_COLUMNS = names("breakeven")


def breakeven_table(found: list[BreakEven]) -> pd.DataFrame:
    """breakeven.csv: a row per decision that flips at each break-even value."""
    rows = [
        (
            b.parameter,
            b.value,
            b.below,
            b.above,
            decision,
            below,
            above,
            b.run_below.objective,
            b.run_above.objective,
        )
        for b in found
        for decision, below, above in b.changes()
    ]
    return pd.DataFrame(rows, columns=BREAKEVEN_COLUMNS)


def swept_points(runs: list[ScenarioRun], parameter: str) -> list[tuple[float, ScenarioRun]]:
    """The runs with a plan along one swept parameter, by value; the base case counts as
    the value 1 of a multiplier (unless the sweep has it)."""
    points = sorted(
        ((r.scenario.values[parameter], r) for r in runs if parameter in r.scenario.values),
        key=lambda p: p[0],
    )
    base = next((r for r in runs if not r.scenario.overrides), None)
    if base is not None and "multiplier" in parameter and all(v != 1 for v, _ in points):
        points = sorted([*points, (1.0, base)], key=lambda p: p[0])
    return [(v, r) for v, r in points if r.plan is not None]


def probe(template: Override, value: float) -> Scenario:
    """The scenario at ``value`` of the swept override ``template``."""
    return Scenario(f"{template.label}={value:.12g}", (dataclasses.replace(template, value=value),))


@dataclass
class WhatIf:
    """A scenario run's answers: every scenario's run, the output tables, and what they
    say together."""

    runs: list[ScenarioRun]
    tables: dict[str, pd.DataFrame]
    least_regret: list[str]  # one plan, or several within the solvers' tolerance of each other
    worst_regret: dict[str, float]
    common: list[str]
    break_even: list[BreakEven]
    regret_solves: int = 0  # asked for
    failed_regret: int = 0
    regret_skipped: bool = False

    @property
    def failed_scenarios(self) -> int:
        return sum(r.status == Status.FAILED for r in self.runs)

    @property
    def partial(self) -> bool:
        """Some scenario or regret solve failed: the answers are incomplete."""
        return bool(self.failed_scenarios or self.failed_regret)

    def least_regret_plans(self) -> list[list[str]]:
        """The least-regret plans, each as the names of its scenario (a scenario solved
        once under several names, such as a multiplier of 1 and the base case, is one)."""
        key = {r.scenario.name: r.scenario.key for r in self.runs}
        groups: dict[object, list[str]] = {}
        for name in self.least_regret:
            groups.setdefault(key[name], []).append(name)
        return list(groups.values())


def renamed(run: ScenarioRun, scenario: Scenario) -> ScenarioRun:
    """``run``, the answer to a scenario with the same key, under ``scenario``'s name."""
    if run.scenario == scenario:
        return run
    return dataclasses.replace(
        run,
        scenario=scenario,
        tables={k: t.assign(scenario=scenario.name) for k, t in run.tables.items()},
    )
