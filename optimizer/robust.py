"""The robust plan: one site, rack and reserved-capacity plan for every scenario.

A two-stage stochastic program: each scenario's model is a block of one Pyomo
model; their first-stage decisions (site openings, rack purchases, reserved
commitments) are tied together, their operations stay their own, and the
objective is the expected cost, by `probability` (equal when absent).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import pyomo.environ as pyo

from optimizer import results
from optimizer.certify import certified
from optimizer.diagnose import installed_over_limits, no_option_reasons
from optimizer.models import build_data, build_model
from optimizer.models.stages import FIRST_STAGE, FirstStage, first_stage
from optimizer.plan import Plan
from optimizer.run import power_shadow_prices
from optimizer.scenarios import Scenario, apply
from optimizer.solve import INFEASIBLE, Solved, SolverOptions, solve
from optimizer.whatif import DECISIONS_COLUMNS, ScenarioRun, common_decisions, decisions

ROBUST = "robust"


@dataclass
class Robust:
    solved: Solved
    probabilities: dict[str, float]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    plan: FirstStage | None = None
    diagnosis: list[str] = field(default_factory=list)

    def decisions(self) -> pd.DataFrame:
        """decisions.csv's rows for the shared plan (scenario ``robust``)."""
        first = next(iter(self.probabilities), None)
        if self.plan is None or first is None:
            return pd.DataFrame(columns=DECISIONS_COLUMNS)
        mine = {k: t[t["scenario"] == first] for k, t in self.tables.items()}
        return decisions([ScenarioRun(Scenario(ROBUST), self.solved, mine, plan=self.plan)])

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


def solve_robust(plan: Plan, scenarios: list[Scenario], options: SolverOptions) -> Robust:
    """The plan minimising expected cost over ``scenarios`` (those with probability > 0)."""
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
        none = Solved(
            INFEASIBLE, "no allowed option (found before solving)", None, None, None, 0.0, 0.0
        )
        return Robust(solved=none, probabilities=p, diagnosis=reasons)
    m = pyo.ConcreteModel(name=f"{plan.source.stem}-robust")
    m.SCENARIOS = pyo.Set(initialize=list(plans), ordered=True)
    m.scenario = pyo.Block(m.SCENARIOS)
    for name in plans:
        build_model(plans[name], data[name], block=m.scenario[name])
        m.scenario[name].total_cost.deactivate()
    _tie_first_stage(m)
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
        tables["summary"].append(results.summary(cost, one, name))
        tables["costs"].append(cost)
        tables["racks"].append(results.racks(plans[name], block, name))
        tables["assignments"].append(results.assignments(plans[name], block, name))
        tables["sites"].append(results.sites(plans[name], block, shadow.get(name, {}), name))
    out.tables = {k: pd.concat(v, ignore_index=True) for k, v in tables.items()}
    out.tables["summary"]["probability"] = out.tables["summary"]["scenario"].map(p)
    out.plan = first_stage(m.scenario[next(iter(plans))])
    return out


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
