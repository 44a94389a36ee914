"""The robust plan: one site, rack and reserved-capacity plan for every scenario.

A two-stage stochastic program: each scenario's model is a block of one Pyomo
model; their first-stage decisions (site openings, rack purchases, reserved
commitments) are tied together, their operations stay their own, and the
objective is the expected cost, by `probability` (equal when absent).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd
import pyomo.environ as pyo

from optimizer import collector, results
from optimizer.certify import certified
from optimizer.cluster_runs import cluster
from optimizer.compare import DECISIONS_COLUMNS, common_decisions, plan_decisions
from optimizer.diagnose import installed_over_limits, no_option_reasons
from optimizer.models import build_data, build_model
from optimizer.models.stages import FIRST_STAGE, FirstStage, first_stage
from optimizer.plan import Plan
from optimizer.run import power_shadow_prices
from optimizer.run import tables as tables_of_run
from optimizer.scenarios import BASE, Scenario, apply
from optimizer.solve import Solved, SolverOptions, solve
from optimizer.status import Termination
from optimizer.whatif import run_tasks

ROBUST = "robust"


@dataclass(frozen=True)
class Value:
    """What the robust plan is worth, in the two standard figures of stochastic
    programming (docs/whatif.md), with the figures behind them (USD, discounted)."""

    wait_and_see_usd: float | None  # Σ p · each scenario's own optimum
    base_plan_usd: float | None  # Σ p · the base case's plan under each scenario (inf: cannot)
    evpi_usd: float | None  # robust expected cost − wait_and_see
    vss_usd: float | None  # base_plan − robust expected cost (None: the base case has no plan)
    base_plan_fails: tuple[str, ...] = ()  # scenarios the base case's plan cannot serve

    def lines(self, currency: str) -> list[tuple[str, str]]:
        """The two figures in words: (label, text)."""
        out = []
        if self.evpi_usd is not None and self.wait_and_see_usd is not None:
            out.append(
                (
                    "Value of perfect information: ",
                    f"{self.evpi_usd:,.0f} {currency} (what knowing the scenario in advance "
                    f"would save: expected {self.wait_and_see_usd:,.0f} with each scenario's "
                    "own plan)",
                )
            )
        if self.base_plan_fails:
            out.append(
                (
                    "Value of the stochastic solution: ",
                    "the base case's plan cannot serve scenario " + ", ".join(self.base_plan_fails),
                )
            )
        elif self.vss_usd is not None and self.base_plan_usd is not None:
            out.append(
                (
                    "Value of the stochastic solution: ",
                    f"{self.vss_usd:,.0f} {currency} (what the robust plan saves, expected, "
                    f"against the base case's plan: {self.base_plan_usd:,.0f})",
                )
            )
        return out


@dataclass
class Robust:
    solved: Solved
    probabilities: dict[str, float]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    plan: FirstStage | None = None
    diagnosis: list[str] = field(default_factory=list)
    value: Value | None = None

    def decisions(self) -> pd.DataFrame:
        """decisions.csv's rows for the shared plan (scenario ``robust``)."""
        first = next(iter(self.probabilities), None)
        if self.plan is None or first is None:
            return pd.DataFrame(columns=DECISIONS_COLUMNS)
        mine = {k: t[t["scenario"] == first] for k, t in self.tables.items()}
        return plan_decisions(ROBUST, self.plan, mine)

    def describe(self) -> list[str]:
        """The shared plan in words."""
        table = self.decisions()
        return common_decisions(table, [ROBUST]) if not table.empty else ["buy and build nothing"]


def probabilities(scenarios: list[Scenario]) -> dict[str, float]:
    """The scenarios' probabilities; equal when the workbook gives none. When it gives them
    (for its own scenarios, summing to 1), a scenario without one (the base case) has 0."""
    if any(s.probability is not None for s in scenarios):
        return {s.name: s.probability or 0.0 for s in scenarios}
    return {s.name: 1.0 / len(scenarios) for s in scenarios}


def solve_robust(
    plan: Plan, scenarios: list[Scenario], options: SolverOptions, scheduler: str | None = None
) -> Robust:
    """The plan minimising expected cost over ``scenarios`` (those with probability > 0),
    and what it is worth against perfect information and against the base case's plan
    (those solves run on the Dask cluster: a local one, or ``scheduler``'s)."""
    p = {k: v for k, v in probabilities(scenarios).items() if v > 0}
    chosen = [s for s in scenarios if s.name in p]
    plans = {s.name: apply(plan, s) for s in chosen}
    data = {name: build_data(scenario_plan) for name, scenario_plan in plans.items()}
    reasons = [
        f"in scenario {name}: {line}"
        for name in plans
        for line in no_option_reasons(plans[name], data[name]) + installed_over_limits(data[name])
    ]
    if reasons:
        why = Termination.NO_OPTION
        none = Solved(why.status(False), why, None, None, None, 0.0, 0.0)
        return Robust(solved=none, probabilities=p, diagnosis=reasons)
    with collector.paused():
        m = pyo.ConcreteModel(name=f"{plan.source.stem}-robust")
        m.SCENARIOS = pyo.Set(initialize=list(plans), ordered=True)
        m.scenario = pyo.Block(m.SCENARIOS)
        for name in plans:
            build_model(plans[name], data[name], block=m.scenario[name])
            m.scenario[name].total_cost.deactivate()
        _tie_first_stage(m)
        m.expected = [(m.scenario[name], p[name]) for name in plans]  # compile_model's costs
        m.expected_cost = pyo.Objective(
            expr=pyo.quicksum(p[name] * m.scenario[name].total_cost.expr for name in plans),
            sense=pyo.minimize,
        )
        solved, compiled, values = solve(m, options)
    out = Robust(solved=solved, probabilities=p)
    if values is None:
        return out
    costs = {name: results.costs(plans[name], m.scenario[name], name) for name in plans}
    expected = sum(p[name] * float(costs[name]["discounted_usd"].sum()) for name in plans)
    solved = out.solved = certified(compiled, solved, values, expected, options.mip_gap)
    shadow = power_shadow_prices(
        compiled, options, {name: (m.scenario[name], p[name]) for name in plans}
    )
    tables: dict[str, list[pd.DataFrame]] = {name: [] for name in results.COLUMNS}
    for name in plans:
        block = m.scenario[name]
        cost = costs[name]
        obj = float(cost["discounted_usd"].sum())
        one = Solved(
            solved.status,
            solved.termination,
            obj,
            None,
            solved.gap,
            solved.seconds,
            solved.handoff_seconds,
            solved.warnings,
        )
        for table, frame in tables_of_run(
            plans[name], block, one, shadow.get(name, {}), name, cost
        ).items():
            tables[table].append(frame)
    out.tables = {k: pd.concat(v, ignore_index=True) for k, v in tables.items()}
    out.tables["summary"]["probability"] = out.tables["summary"]["scenario"].map(p)
    out.plan = first_stage(m.scenario[next(iter(plans))])
    out.value = value(plan, chosen, p, float(solved.objective), options, scheduler)
    return out


def value(
    plan: Plan,
    chosen: list[Scenario],
    p: dict[str, float],
    expected: float,
    options: SolverOptions,
    scheduler: str | None,
) -> Value:
    """EVPI and VSS of the robust plan whose expected cost is ``expected``: each scenario
    solved alone (wait and see), and the base case's own plan operated under each."""
    base = Scenario(BASE)
    alone = chosen + ([] if any(s.key == base.key for s in chosen) else [base])
    with cluster(scheduler, len(alone)) as client:
        runs = run_tasks(client, plan, [(s, None) for s in alone], options)
        own = {r.scenario.name: r for r in runs}
        base_run = next(r for r in runs if r.scenario.key == base.key)
        others = [s for s in chosen if s.key != base.key]
        fixed = (
            run_tasks(client, plan, [(s, base_run.plan) for s in others], options)
            if base_run.plan is not None
            else []
        )
    under = {r.scenario.name: r.objective for r in fixed} | {
        s.name: base_run.objective for s in chosen if s.key == base.key
    }
    wait_and_see = _weighted(p, {s.name: own[s.name].objective for s in chosen})
    base_plan = _weighted(p, under) if base_run.plan is not None else None
    fails = tuple(s.name for s in chosen if under.get(s.name) is None)
    if base_run.plan is not None and fails:
        base_plan = math.inf
    return Value(
        wait_and_see_usd=wait_and_see,
        base_plan_usd=base_plan,
        evpi_usd=None if wait_and_see is None else results.clean(expected - wait_and_see),
        vss_usd=None if base_plan is None else results.clean(base_plan - expected),
        base_plan_fails=fails,
    )


def _weighted(p: dict[str, float], costs: dict[str, float | None]) -> float | None:
    """Σ p · cost over ``p``'s scenarios; None when one has no cost."""
    if any(costs.get(name) is None for name in p):
        return None
    return sum(weight * float(costs[name]) for name, weight in p.items())  # type: ignore[arg-type]


def _tie_first_stage(m: pyo.ConcreteModel) -> None:
    """One first-stage decision for all scenarios: each scenario's variable equals the first
    scenario's; a decision that some scenario cannot take (its model has no such
    variable) is fixed at 0 wherever it exists."""
    names = list(m.SCENARIOS)
    rows = []
    for var_name in FIRST_STAGE:
        indexes = [set(getattr(m.scenario[n], var_name)) for n in names]
        common = set.intersection(*indexes)
        for n, own in zip(names, indexes, strict=True):
            for index in own - common:
                getattr(m.scenario[n], var_name)[index].fix(0)
        first = getattr(m.scenario[names[0]], var_name)
        for n in names[1:]:
            other = getattr(m.scenario[n], var_name)
            rows += [(other[i], first[i]) for i in sorted(common, key=str)]
    m.NONANTICIPATIVE = pyo.RangeSet(len(rows))
    m.same_plan = pyo.Constraint(
        m.NONANTICIPATIVE, rule=lambda m, i: rows[i - 1][0] == rows[i - 1][1]
    )
