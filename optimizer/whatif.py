"""Running what-if scenarios on a Dask cluster (optimizer.cluster_runs): every scenario,
each plan operated under every other scenario (regret), and for one swept parameter
the values where the plan changes (break-even).

The three stages overlap in one loop: a scenario's regret runs are made as soon as
its plan is known, and run whenever a worker would otherwise wait (the scenarios
first, by priority); the bisection starts once every scenario is solved, its rounds
before any regret run still queued. What the runs say together (decisions, regret,
break-even) is optimizer.compare's.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Generator, Sequence
from typing import Any

from optimizer.cluster_runs import Call, StageProgress, Task, cluster, run_calls
from optimizer.compare import (
    BreakEven,
    ScenarioRun,
    WhatIf,
    breakeven_table,
    combined,
    common_decisions,
    decisions,
    least_regret,
    plan_view,
    probe,
    regret,
    renamed,
    swept_points,
)
from optimizer.models.stages import FirstStage, first_stage
from optimizer.plan import Plan
from optimizer.run import Outcome, operate_batch, operate_prices, optimize, resolve_prices
from optimizer.scenarios import Scenario, apply
from optimizer.solve import SolverOptions
from optimizer.status import Status

# Dask runs the higher first: the scenarios, then a bisection's rounds (each waits for
# the one before), then the regret runs
PRIORITY = {"scenarios": 2, "break-even": 1, "regret": 0}


def solve_scenario(
    plan: Plan,
    scenario: Scenario,
    options: SolverOptions,
    fixed: FirstStage | None = None,
    reuse: bool = True,
) -> ScenarioRun:
    """Solve one scenario (in a worker); with ``fixed``, under that first-stage plan.

    A plan operated under a scenario that changes only prices, its first stage fixed,
    reuses the model this worker built for the plan too (``reuse=False`` rebuilds it)."""
    if fixed is not None and reuse and scenario.prices_only:
        operated = operate_prices(plan, scenario, fixed, options)
        if operated is not None:
            return ScenarioRun(scenario=scenario, solved=operated)
    return as_run(scenario, scenario_outcome(plan, scenario, options, fixed, reuse), fixed)


def scenario_outcome(
    plan: Plan,
    scenario: Scenario,
    options: SolverOptions,
    fixed: FirstStage | None = None,
    reuse: bool = True,
) -> Outcome:
    """The run of one scenario, as every what-if path solves it (the local calculator too).

    A scenario that changes only prices reuses the model this process built for the
    plan, with only its objective changed, in a new HiGHS instance (``reuse=False``
    rebuilds it, for the benchmark's comparison).
    """
    if fixed is None and reuse and scenario.prices_only:
        outcome = resolve_prices(plan, scenario, options)
        if outcome is not None:
            return outcome
    return optimize(apply(plan, scenario), options, scenario=scenario.name, fixed=fixed)


def as_run(scenario: Scenario, outcome: Outcome, fixed: FirstStage | None = None) -> ScenarioRun:
    """A scenario's outcome as the what-if tables take it (its first-stage plan when it
    has one and was free to choose it)."""
    keep = outcome.model is not None and outcome.solved.has_plan and fixed is None
    return ScenarioRun(
        scenario=scenario,
        solved=outcome.solved,
        tables=outcome.tables if fixed is None else {},
        diagnosis=outcome.diagnosis,
        plan=first_stage(outcome.model) if keep else None,
    )


def failed(scenario: Scenario, error: str | None) -> ScenarioRun:
    """A run that never came back: ``error`` says why."""
    return ScenarioRun(scenario=scenario, solved=None, error=error)


def run_tasks(
    client: object,
    plan: Plan,
    jobs: Sequence[tuple[Scenario, Any]],
    options: SolverOptions,
    progress: StageProgress | None = None,
    stage: str = "scenarios",
    task: Task = solve_scenario,
) -> list[ScenarioRun]:
    """Solve every (scenario, extra) job on the cluster as ``task(plan, scenario, options,
    extra)`` (by default a scenario under a fixed plan or none); results in job order."""
    out: list[ScenarioRun] = [failed(s, None) for s, _ in jobs]

    def keep(i: int, answer: Any, error: str | None) -> list[Call]:
        out[i] = failed(jobs[i][0], error) if error else answer
        return []

    calls = [
        Call(stage, task, s, extra, 1, functools.partial(keep, i))
        for i, (s, extra) in enumerate(jobs)
    ]
    run_calls(client, plan, options, calls, progress)
    return out


BATCHES_PER_WORKER = 2  # regret batches at least: enough to keep every worker busy to the end
BATCH_RUNS = 200  # regret runs a batch at most: about 15 CPU s on the hybrid example

Pair = tuple[tuple[object, ...], tuple[object, ...]]  # a plan's key, a scenario's key


class RegretRuns:
    """The regret runs of a sweep, made as its scenarios' plans arrive: each plan under
    every other scenario, once per (plan, scenario) pair. They wait until a worker
    would have nothing else to do (``idle``), then go in batches; their answers by pair."""

    def __init__(self, scenarios: list[Scenario]) -> None:
        self.scenarios = scenarios
        self.jobs: dict[Pair, tuple[Scenario, FirstStage]] = {}
        self.answers: dict[Pair, ScenarioRun] = {}
        self.waiting: list[Pair] = []

    def solved(self, run: ScenarioRun) -> None:
        """The runs of ``run``'s plan (if it has one) under every other scenario."""
        if run.plan is None:
            return
        for b in self.scenarios:
            pair = (run.plan.key(), b.key)
            if b.key != run.scenario.key and pair not in self.jobs:
                self.jobs[pair] = (b, run.plan)
                self.waiting.append(pair)

    def idle(self, workers: int) -> list[Call]:
        """The calls of every run still waiting: under scenarios that change only prices
        in batches (run_operated), the others one by one."""
        pairs, self.waiting = self.waiting, []
        calls = []
        for batch in batches([self.jobs[p] for p in pairs], workers) if pairs else []:
            chosen = [pairs[i] for i in batch]
            scenario, fixed = self.jobs[chosen[0]]
            done = functools.partial(self._done, chosen)
            operated = [(self.jobs[p][1], self.jobs[p][0]) for p in chosen]
            task = (
                (run_operated, operated, None)
                if scenario.prices_only
                else (solve_scenario, scenario, fixed)
            )
            calls.append(Call("regret", *task, len(batch), done, PRIORITY["regret"]))
        return calls

    def _done(self, chosen: list[Pair], answer: Any, error: str | None) -> list[Call]:
        runs = answer if isinstance(answer, list) else [answer]
        for n, pair in enumerate(chosen):
            self.answers[pair] = failed(self.jobs[pair][0], error) if error else runs[n]
        return []


def batches(jobs: list[tuple[Scenario, FirstStage]], workers: int) -> list[list[int]]:
    """``jobs`` (regret runs) by call: those under scenarios that change only prices in
    batches, the others alone. A batch is a group of those scenarios with a group of
    the plans to operate under them: at least BATCHES_PER_WORKER a worker and at most
    about BATCH_RUNS runs each, the scenarios and plans split so that each batch prices
    few scenarios and starts few plans (each batch prices each of its scenarios once and
    solves each of its plans once to start its runs). A run's answer does not depend on
    its batch (operate_batch)."""
    priced = list(dict.fromkeys(s.key for s, _ in jobs if s.prices_only))
    plans = list(dict.fromkeys(f.key() for s, f in jobs if s.prices_only))
    runs = sum(s.prices_only for s, _ in jobs)
    wanted = max(BATCHES_PER_WORKER * workers, math.ceil(runs / BATCH_RUNS))
    by_plans = max(1, min(len(plans), round(math.sqrt(wanted * len(plans) / max(1, len(priced))))))
    by_scenarios = max(1, min(len(priced), math.ceil(wanted / by_plans)))
    group = {key: i % by_scenarios for i, key in enumerate(priced)}
    subgroup = {key: i % by_plans for i, key in enumerate(plans)}
    grouped: dict[tuple[int, int], list[int]] = {}
    alone: list[list[int]] = []
    for i, (scenario, fixed) in enumerate(jobs):
        if scenario.key in group:
            grouped.setdefault((group[scenario.key], subgroup[fixed.key()]), []).append(i)
        else:
            alone.append([i])
    return alone + list(grouped.values())


def run_operated(
    plan: Plan, pairs: list[tuple[FirstStage, Scenario]], options: SolverOptions, _: object
) -> list[ScenarioRun]:
    """A batch of regret runs under scenarios that change only prices, in a worker
    (operate_batch); a run the batch could not make is run alone (solve_scenario)."""
    answers = operate_batch(plan, pairs, options)
    return [
        ScenarioRun(scenario=s, solved=a) if a is not None else solve_scenario(plan, s, options, f)
        for (f, s), a in zip(pairs, answers, strict=True)
    ]


def run_scenarios(
    plan: Plan,
    scenarios: list[Scenario],
    options: SolverOptions,
    scheduler: str | None = None,
    progress: StageProgress | None = None,
    workers: int | None = None,
    break_even_tolerance: float | None = 0.01,
    regret_runs: bool = True,
) -> WhatIf:
    """Solve every scenario, (unless ``regret_runs`` is false) each one's plan under every
    other (regret), and for one swept parameter find where the plan changes: in one loop
    on the cluster, the stages overlapping (module docstring).

    Scenarios that change the same things (a multiplier of 1 changes nothing) are
    solved once and reported under each name. ``break_even_tolerance``: the width,
    as a fraction of the sweep's step, to which each break-even bracket is narrowed
    by bisection (None: the sweep's own values only). ``progress(stage, total, done,
    running, failed)`` is called as work finishes.
    """
    distinct: dict[tuple[object, ...], Scenario] = {}
    for s in scenarios:
        distinct.setdefault(s.key, s)
    swept = {label for s in scenarios for label in s.values}
    solved: dict[tuple[object, ...], ScenarioRun] = {}
    cross = RegretRuns(list(distinct.values()))
    found: list[BreakEven] = []

    def done(scenario: Scenario, answer: Any, error: str | None) -> list[Call]:
        solved[scenario.key] = failed(scenario, error) if error else answer
        if regret_runs:
            cross.solved(solved[scenario.key])
        if len(solved) < len(distinct) or len(swept) != 1:
            return []
        runs = [renamed(solved[s.key], s) for s in scenarios]
        rounds = bisect(runs, next(iter(swept)), break_even_tolerance)
        return in_rounds("break-even", rounds, found.extend)

    first = [
        Call(
            "scenarios",
            solve_scenario,
            s,
            None,
            1,
            functools.partial(done, s),
            PRIORITY["scenarios"],
        )
        for s in distinct.values()
    ]
    with cluster(scheduler, len(distinct), workers) as client:
        run_calls(client, plan, options, first, progress, cross.idle)
    runs = [renamed(solved[s.key], s) for s in scenarios]
    found.sort(key=lambda b: b.below)

    def operated(plan_run: ScenarioRun, under: ScenarioRun) -> ScenarioRun | None:
        assert plan_run.plan is not None
        return cross.answers.get((plan_run.plan.key(), under.scenario.key))

    tables = combined(runs)
    tables["decisions"] = decisions(runs)
    tables["regret"] = regret(runs, operated)
    tables["breakeven"] = breakeven_table(found)
    best, worst = least_regret(tables["regret"])
    if worst:
        tables["summary"]["worst_regret_usd"] = tables["summary"]["scenario"].map(worst)
        tables["summary"]["least_regret"] = tables["summary"]["scenario"].isin(best)
    names = [r.scenario.name for r in runs if r.plan is not None]
    if any(r.status == Status.FAILED for r in runs):
        names = []  # "in every scenario" cannot be said when some were never solved
    return WhatIf(
        runs=runs,
        tables=tables,
        least_regret=best,
        worst_regret=worst,
        common=common_decisions(tables["decisions"], names),
        break_even=found,
        regret_solves=len(cross.jobs),
        failed_regret=sum(r.status == Status.FAILED for r in cross.answers.values()),
        regret_skipped=not regret_runs and len(distinct) > 1,
    )


def in_rounds(
    stage: str,
    rounds: Generator[list[Scenario], list[ScenarioRun], list[BreakEven]],
    finish: Callable[[list[BreakEven]], None],
    answers: list[ScenarioRun] | None = None,
) -> list[Call]:
    """The calls of the next round of ``rounds`` (the scenarios it asks for, given
    ``answers``, the last round's runs): when all are answered, the round after; what
    ``rounds`` returns at the end goes to ``finish``."""
    try:
        asked = rounds.send(answers)  # type: ignore[arg-type]  # None starts it
    except StopIteration as end:
        finish(end.value)
        return []
    out: list[ScenarioRun | None] = [None] * len(asked)

    def done(i: int, answer: Any, error: str | None) -> list[Call]:
        out[i] = failed(asked[i], error) if error else answer
        if any(r is None for r in out):
            return []
        return in_rounds(stage, rounds, finish, [r for r in out if r is not None])

    return [
        Call(stage, solve_scenario, s, None, 1, functools.partial(done, i), PRIORITY[stage])
        for i, s in enumerate(asked)
    ]


def bisect(
    runs: list[ScenarioRun], parameter: str, tolerance: float | None
) -> Generator[list[Scenario], list[ScenarioRun], list[BreakEven]]:
    """Each value of ``parameter`` where the plan changes, between neighbouring solved
    values: narrowed by solving the middle of each bracket (all brackets of a round at
    once: yielded, their runs sent back) until it is at most ``tolerance`` times its
    first width. A middle whose plan is neither end's holds a change on each side; both
    are followed."""
    points = swept_points(runs, parameter)
    template = next(o for r in runs for o in r.scenario.overrides if o.label == parameter)
    if template.parameter == "residual_value":  # 0 or 1: nothing lies between to probe
        tolerance = None
    work = [
        (v0, a, v1, b, (v1 - v0) * (tolerance or 0.0))
        for (v0, a), (v1, b) in itertools.pairwise(points)
        if plan_view(a) != plan_view(b)
    ]
    found: list[BreakEven] = []
    while work:
        narrow = [w for w in work if tolerance is None or w[2] - w[0] <= w[4]]
        found += [BreakEven(parameter, v0, v1, a, b) for v0, a, v1, b, _ in narrow]
        wide = [w for w in work if w not in narrow]
        if not wide:
            break
        middles = [(v0 + v1) / 2 for v0, _, v1, _, _ in wide]
        probes = yield [probe(template, v) for v in middles]
        work = []
        for (v0, a, v1, b, tol), v, mid in zip(wide, middles, probes, strict=True):
            if mid.plan is None:  # the middle has no plan: report the bracket as it stands
                found.append(BreakEven(parameter, v0, v1, a, b))
                continue
            view = plan_view(mid)
            if view != plan_view(a):
                work.append((v0, a, v, mid, tol))
            if view != plan_view(b):
                work.append((v, mid, v1, b, tol))
    return found
