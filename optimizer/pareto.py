"""The cost–carbon frontier: the cheapest plan at each level of emissions.

Point 1 is the cost-minimal plan (the plan as configured, its carbon price and cap
included). Point N is the carbon-minimal plan, found lexicographically so that it is
not dominated: first the least emissions any plan has over the horizon, then the
cheapest plan that emits no more (within a millionth). The points between minimise
cost with the emissions over the horizon at most an epsilon evenly spaced between the
two ends (models/constraints/carbon.py, ``carbon_budget``). Every point is an ordinary
run (optimizer.run.optimize) with that bound, solved on the what-if cluster
(optimizer.whatif.run_tasks) and certified like any solve; the least-emissions solve is
certified against the emissions ledger.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pandas as pd
import pyomo.environ as pyo

from optimizer.certify import certified
from optimizer.cluster_runs import StageProgress, cluster
from optimizer.columns import names
from optimizer.compare import ScenarioRun, combined, decisions
from optimizer.diagnose import installed_over_limits, no_option_reasons
from optimizer.models import build_data, build_model
from optimizer.models.constraints.carbon import emitted
from optimizer.models.stages import first_stage
from optimizer.plan import Plan
from optimizer.run import optimize
from optimizer.scenarios import Scenario
from optimizer.solve import Solved, SolverOptions, solve
from optimizer.status import Status
from optimizer.whatif import run_tasks

LEAST = "least"  # the target of the carbon-minimal end
SLACK = 1e-6  # the carbon-minimal end may emit this fraction more than the least found
PARETO_COLUMNS = names("pareto")


def point_name(i: int) -> str:
    return f"point-{i}"


def least_emissions(plan: Plan, options: SolverOptions) -> tuple[Solved | None, float | None]:
    """The least emissions over the horizon any plan of ``plan`` has (t CO2e), certified
    against the emissions ledger; (None, None) when no option exists somewhere (the
    cost-minimal end says why)."""
    data = build_data(plan)
    if no_option_reasons(plan, data) or installed_over_limits(data):
        return None, None
    m = build_model(plan, data)
    m.total_cost.deactivate()
    m.least_emissions = pyo.Objective(expr=emitted(m, row=False), sense=pyo.minimize)
    solved, compiled, values = solve(m, options)
    if values is None:
        return solved, None
    tonnes = sum(m.emissions.values(m.layout.values()).tolist())
    return certified(compiled, solved, values, tonnes, options.mip_gap), tonnes


def solve_point(
    plan: Plan, scenario: Scenario, options: SolverOptions, target: float | str | None
) -> ScenarioRun:
    """One point of the frontier (in a worker): the cheapest plan with emissions over the
    horizon at most ``target`` t CO2e (None: unbounded; ``LEAST``: the least any plan
    has, solved first)."""
    first: Solved | None = None
    budget = target if isinstance(target, float) else None
    if target == LEAST:
        first, tonnes = least_emissions(plan, options)
        if first is not None and tonnes is None:  # no plan at all: point-1 says why
            return ScenarioRun(scenario=scenario, solved=first)
        if tonnes is not None:  # (else no option somewhere: the run below says which)
            budget = tonnes * (1 + SLACK) + SLACK
    outcome = optimize(plan, options, scenario=scenario.name, budget=budget)
    solved = outcome.solved
    if first is not None and first.status == Status.TIME_LIMIT and solved.status == Status.OPTIMAL:
        solved = dataclasses.replace(solved, status=Status.TIME_LIMIT)  # the least was not proven
        outcome.tables["summary"]["status"] = Status.TIME_LIMIT
    return ScenarioRun(
        scenario=scenario,
        solved=solved,
        tables=outcome.tables,
        diagnosis=outcome.diagnosis,
        plan=first_stage(outcome.model) if outcome.model is not None and solved.has_plan else None,
    )


def epsilons(most: float, least: float, points: int) -> list[float]:
    """The bounds of the points strictly between the ends: evenly spaced from ``most``
    down to ``least``, none when the two ends emit the same."""
    if most - least <= SLACK * max(1.0, abs(most)):
        return []
    step = (most - least) / (points - 1)
    return [most - k * step for k in range(1, points - 1)]


@dataclass
class Frontier:
    """The points of the frontier and the tables of the run."""

    runs: list[ScenarioRun]
    epsilon: dict[str, float | None]
    tables: dict[str, pd.DataFrame]

    @property
    def failed(self) -> int:
        return sum(run.solved is None for run in self.runs)


def tco2e(run: ScenarioRun) -> float | None:
    """A point's emissions over the horizon (None without a plan)."""
    if run.solved is None or not run.solved.has_plan or "summary" not in run.tables:
        return None
    return float(run.tables["summary"]["tco2e"].iloc[0])


def frontier(
    plan: Plan,
    points: int,
    options: SolverOptions,
    scheduler: str | None = None,
    progress: StageProgress | None = None,
    workers: int | None = None,
) -> Frontier:
    """Solve the two ends at once, then the ``points`` − 2 points between them at once."""
    if points < 2:
        raise ValueError("a frontier needs at least two points")

    cheap, clean = Scenario(point_name(1)), Scenario(point_name(points))
    with cluster(scheduler, 2, workers) as client:
        ends = run_tasks(
            client,
            plan,
            [(cheap, None), (clean, LEAST)],
            options,
            progress,
            "ends",
            task=solve_point,
        )
        most, least = tco2e(ends[0]), tco2e(ends[1])
        between: list[float] = []
        if most is not None and least is not None:
            between = epsilons(most, least, points)
        jobs = [(Scenario(point_name(i + 2)), e) for i, e in enumerate(between)]
        middle = (
            run_tasks(client, plan, jobs, options, progress, "between", task=solve_point)
            if jobs
            else []
        )
    if not between:  # no trade-off (or an end failed): the ends only, named 1 and 2
        clean = Scenario(point_name(2))
        ends[1] = dataclasses.replace(ends[1], scenario=clean)
        _rename(ends[1], clean.name)
    runs = [ends[0], *middle, ends[1]]
    epsilon: dict[str, float | None] = {cheap.name: None}
    epsilon |= {s.name: e for s, e in jobs}
    if least is not None:
        epsilon[runs[-1].scenario.name] = least * (1 + SLACK) + SLACK
    tables = combined(runs)
    tables["decisions"] = decisions(runs)
    tables["pareto"] = pareto_table(runs, epsilon)
    return Frontier(runs=runs, epsilon=epsilon, tables=tables)


def _rename(run: ScenarioRun, name: str) -> None:
    for frame in run.tables.values():
        if "scenario" in frame.columns:
            frame["scenario"] = name


def pareto_table(runs: list[ScenarioRun], epsilon: dict[str, float | None]) -> pd.DataFrame:
    """pareto.csv: each point's emissions and cost, and the abatement cost from the point
    before it that has a plan."""
    rows = []
    before: tuple[float, float] | None = None
    for run in runs:
        name = run.scenario.name
        tonnes = tco2e(run)
        summary = run.tables.get("summary")
        objective = total = abatement = None
        if tonnes is not None and summary is not None:
            objective = float(summary["objective_usd"].iloc[0])
            total = float(summary["total_cost_usd"].iloc[0])
            if before is not None and before[0] - tonnes > SLACK * max(1.0, before[0]):
                abatement = (objective - before[1]) / (before[0] - tonnes)
            before = (tonnes, objective)
        rows.append((name, tonnes, objective, total, abatement, epsilon.get(name), run.status))
    frame = pd.DataFrame(rows, columns=PARETO_COLUMNS)
    return frame.astype({c: float for c in PARETO_COLUMNS[1:-1]})
