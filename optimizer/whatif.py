"""Running what-if scenarios: in parallel, on a Dask cluster.

Every scenario is solved in a worker process of a Dask cluster: by default a
local one with a worker per core, or an existing cluster given by its
scheduler's address, by the same code. Workers receive the plan's data and
build the model themselves (Pyomo models and HiGHS objects do not travel);
HiGHS gets one thread per solve. A scenario whose worker dies is retried once,
then reported as failed while the others finish. An existing cluster is probed
before use (optimizer.scheduler.reach) so that a wrong address fails in bounded time,
and a cluster left with no worker fails the waiting solves instead of hanging.
What the runs say together (decisions, regret, break-even) is optimizer.compare's.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import math
import os
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from optimizer import interrupts
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
from optimizer.scheduler import ClusterError, reach
from optimizer.solve import SolverOptions
from optimizer.status import Status
from optimizer.worker import helpers_started

# a cluster without a worker this long fails the solves still waiting (docs/whatif.md)
NO_WORKER_S = float(os.environ.get("OPTIMIZE_NO_WORKER_SECONDS", "60"))


POLL_S = 1.0


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


Progress = Callable[[int, int, int], None]  # done, running, failed


@contextlib.contextmanager
def cluster(scheduler: str | None, tasks: int, workers: int | None = None) -> Iterator[object]:
    """A Dask client: on an existing cluster, or on a local one made for this run (with
    ``workers`` processes, by default one per core, at most one per task)."""
    import dask
    from distributed import Client, LocalCluster

    if scheduler:
        reach(scheduler)
        with quiet_logs("distributed"):  # a lost scheduler is reported once, by ClusterError
            try:
                client = Client(scheduler, timeout="30s")
            except (OSError, TimeoutError) as exc:
                raise ClusterError(f"cannot connect to the scheduler {scheduler}: {exc}") from None
            with client:
                yield client
        return
    workers = max(1, min(workers or os.cpu_count() or 1, tasks))
    settings = {
        "distributed.scheduler.allowed-failures": 1,
        "distributed.worker.multiprocessing-method": "forkserver",  # see optimizer.worker
    }
    with dask.config.set(settings), helpers_started(), contextlib.ExitStack() as stack:
        # a signal while the cluster starts is raised once it has (stopping it halfway
        # leaves Dask to close it at exit, with a traceback per worker)
        with interrupts.deferred():
            local = stack.enter_context(
                LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",  # None still starts one, on 8787, warning when taken
                    silence_logs=logging.CRITICAL,
                    preload=["optimizer.worker"],  # workers leave Ctrl-C to this process
                )
            )
            client = stack.enter_context(Client(local))
        yield client


@contextlib.contextmanager
def quiet_logs(name: str) -> Iterator[None]:
    """Only critical records from the logger ``name`` and those below it for the length of
    the block (asyncio's "Task exception was never retrieved" from a cluster torn down by
    a signal, say)."""
    manager = logging.Logger.manager
    names = [name, *(n for n in manager.loggerDict if n.startswith(name + "."))]
    loggers = [logging.getLogger(n) for n in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


Task = Callable[[Plan, Any, SolverOptions, Any], Any]


def run_tasks(
    client: object,
    plan: Plan,
    jobs: Sequence[tuple[Scenario, Any]],
    options: SolverOptions,
    progress: Progress | None = None,
    task: Task = solve_scenario,
) -> list[ScenarioRun]:
    """Solve every (scenario, extra) job on the cluster as ``task(plan, scenario, options,
    extra)`` (by default a scenario under a fixed plan or none); results in job order."""
    answers = _gather(client, plan, [(task, s, extra, 1) for s, extra in jobs], options, progress)
    return [
        ScenarioRun(scenario=scenario, solved=None, error=error) if error else answer
        for (scenario, _), (answer, error) in zip(jobs, answers, strict=True)
    ]


BATCHES_PER_WORKER = 2  # regret batches: enough to keep every worker busy to the end


def run_regret(
    client: object,
    plan: Plan,
    jobs: Sequence[tuple[Scenario, FirstStage]],
    options: SolverOptions,
    progress: Progress | None = None,
) -> list[ScenarioRun]:
    """Each first-stage plan operated under its scenario (regret runs), results in job
    order: under scenarios that change only prices in batches (run_operated), the
    others one by one. A batch is a group of those scenarios with a group of the plans
    to operate under them: about BATCHES_PER_WORKER a worker, the scenarios and plans
    split so that each batch prices few scenarios and starts few plans (each batch
    prices each of its scenarios once and solves each of its plans once to start its
    runs). A run's answer does not depend on its batch (operate_batch)."""
    priced = list(dict.fromkeys(s.key for s, _ in jobs if s.prices_only))
    plans = list(dict.fromkeys(f.key() for s, f in jobs if s.prices_only))
    wanted = BATCHES_PER_WORKER * _workers(client)
    by_plans = max(1, min(len(plans), round(math.sqrt(wanted * len(plans) / max(1, len(priced))))))
    by_scenarios = max(1, min(len(priced), math.ceil(wanted / by_plans)))
    group = {key: i % by_scenarios for i, key in enumerate(priced)}
    subgroup = {key: i % by_plans for i, key in enumerate(plans)}
    batches: dict[tuple[int, int], list[int]] = {}
    members: list[list[int]] = []
    calls: list[tuple[Task, Any, Any, int]] = []
    for i, (scenario, fixed) in enumerate(jobs):
        if scenario.key in group:
            batch = (group[scenario.key], subgroup[fixed.key()])
            batches.setdefault(batch, []).append(i)
        else:
            members.append([i])
            calls.append((solve_scenario, scenario, fixed, 1))
    for indices in batches.values():
        members.append(indices)
        pairs = [(jobs[i][1], jobs[i][0]) for i in indices]
        calls.append((run_operated, pairs, None, len(indices)))
    out: list[ScenarioRun | None] = [None] * len(jobs)
    answers = _gather(client, plan, calls, options, progress)
    for indices, (answer, error) in zip(members, answers, strict=True):
        runs = answer if isinstance(answer, list) else [answer]
        for n, i in enumerate(indices):
            failed = ScenarioRun(scenario=jobs[i][0], solved=None, error=error)
            out[i] = failed if error else runs[n]
    return [r for r in out if r is not None]


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


def _gather(
    client: object,
    plan: Plan,
    calls: Sequence[tuple[Task, Any, Any, int]],
    options: SolverOptions,
    progress: Progress | None = None,
) -> list[tuple[Any, str | None]]:
    """Run every ``(task, first, extra, solves)`` call on the cluster as ``task(plan, first,
    options, extra)``: each one's answer or, when it failed, why; in call order.
    ``progress`` counts solves (a call makes ``solves`` of them)."""
    from distributed import wait

    try:
        shared = client.scatter(plan, broadcast=True, hash=False)  # type: ignore[attr-defined]
    except (OSError, TimeoutError) as exc:  # CommClosedError is an OSError
        raise ClusterError(f"the cluster was lost while sending it the plan: {exc}") from None
    futures = [
        client.submit(  # type: ignore[attr-defined]
            task, shared, first, options, extra, retries=1, pure=False
        )
        for task, first, extra, _ in calls
    ]
    index = {f.key: i for i, f in enumerate(futures)}
    out: list[tuple[Any, str | None]] = [(None, None)] * len(futures)
    total = sum(solves for *_, solves in calls)
    failed = done = 0
    if progress:
        progress(0, min(total, _workers(client)), 0)
    pending = set(futures)
    idle_since: float | None = None
    while pending:
        try:
            finished, pending = wait(pending, timeout=POLL_S, return_when="FIRST_COMPLETED")
        except TimeoutError:  # nothing finished in POLL_S
            finished = set()
        except Exception:  # some were cancelled: the plan's data was lost with its workers
            finished = {f for f in pending if f.done() or f.cancelled()}
            pending -= finished
        if not finished:
            idle_since = _no_worker_since(client, idle_since)
            if idle_since is not None and time.monotonic() - idle_since > NO_WORKER_S:
                why = f"no worker was left on the cluster for {NO_WORKER_S:g} s"
                for future in pending:
                    future.cancel()
                    out[index[future.key]] = (None, why)
                    failed += calls[index[future.key]][3]
                break
            continue
        idle_since = None
        for future in finished:
            i = index[future.key]
            done += calls[i][3]
            try:
                out[i] = (future.result(), None)
            except (Exception, asyncio.CancelledError) as exc:  # a worker died twice, the
                # solve raised, the plan's data was lost, or the scheduler went away
                failed += calls[i][3]
                out[i] = (None, _describe(exc))
            if progress:
                progress(done, min(total - done, _workers(client)), failed)
    return out


def _no_worker_since(client: object, since: float | None) -> float | None:
    """When the cluster was last seen without a worker (None: it has one)."""
    try:
        workers = len(client.scheduler_info()["workers"])  # type: ignore[attr-defined]
    except Exception:
        workers = 0
    if workers:
        return None
    return since if since is not None else time.monotonic()


def _workers(client: object) -> int:
    try:
        return max(1, len(client.scheduler_info()["workers"]))  # type: ignore[attr-defined]
    except Exception:
        return 1


def _describe(exc: BaseException) -> str:
    name = type(exc).__name__
    if name == "KilledWorker":
        return "its worker died twice"
    if isinstance(exc, asyncio.CancelledError):
        return "cancelled by the cluster (its workers and the plan's data were lost)"
    return f"{name}: {exc}" if str(exc) else "".join(traceback.format_exception_only(exc)).strip()


StageProgress = Callable[[str, int, int, int, int], None]


def staged(progress: StageProgress | None, name: str, total: int) -> Progress | None:
    """``progress`` for one stage of ``total`` solves (None without one)."""
    if progress is None:
        return None
    return lambda done, running, failed: progress(name, total, done, running, failed)


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
    """Solve every scenario, then (unless ``regret_runs`` is false) each one's plan under
    every other (regret), and for one swept parameter find where the plan changes.

    Scenarios that change the same things (a multiplier of 1 changes nothing) are
    solved once and reported under each name. ``break_even_tolerance``: the width,
    as a fraction of the sweep's step, to which each break-even bracket is narrowed
    by bisection (None: the sweep's own values only). ``progress(stage, total, done,
    running, failed)`` is called as work finishes.
    """

    def stage(name: str, total: int) -> Progress | None:
        return staged(progress, name, total)

    distinct: dict[tuple[object, ...], Scenario] = {}
    for s in scenarios:
        distinct.setdefault(s.key, s)
    swept = {label for s in scenarios for label in s.values}
    with cluster(scheduler, len(distinct), workers) as client:
        solved = run_tasks(
            client,
            plan,
            [(s, None) for s in distinct.values()],
            options,
            stage("scenarios", len(distinct)),
        )
        by_key = {run.scenario.key: run for run in solved}
        runs = [renamed(by_key[s.key], s) for s in scenarios]
        jobs: dict[tuple[object, ...], tuple[Scenario, FirstStage]] = {}
        for a in solved if regret_runs else []:
            for b in solved:
                if a.plan is not None and a is not b:
                    jobs.setdefault((a.plan.key(), b.scenario.key), (b.scenario, a.plan))
        cross = (
            run_regret(client, plan, list(jobs.values()), options, stage("regret", len(jobs)))
            if jobs
            else []
        )
        crossed = dict(zip(jobs, cross, strict=True))
        found: list[BreakEven] = []
        if len(swept) == 1:
            found = bisect(
                client, plan, runs, next(iter(swept)), options, break_even_tolerance, stage
            )

    def operated(plan_run: ScenarioRun, under: ScenarioRun) -> ScenarioRun | None:
        assert plan_run.plan is not None
        return crossed.get((plan_run.plan.key(), under.scenario.key))

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
        regret_solves=len(jobs),
        failed_regret=sum(r.status == Status.FAILED for r in cross),
        regret_skipped=not regret_runs and len(solved) > 1,
    )


def _offset(progress: Progress | None, done: int, failed: int) -> Progress | None:
    """``progress`` counting on from ``done`` and ``failed`` (one bar over many rounds)."""
    if progress is None:
        return None
    return lambda d, running, f: progress(done + d, running, failed + f)


def bisect(
    client: object,
    plan: Plan,
    runs: list[ScenarioRun],
    parameter: str,
    options: SolverOptions,
    tolerance: float | None,
    stage: Callable[[str, int], Progress | None],
) -> list[BreakEven]:
    """Each value of ``parameter`` where the plan changes, between neighbouring solved
    values: narrowed by solving the middle of each bracket (all brackets of a round at
    once) until it is at most ``tolerance`` times its first width. A middle whose plan
    is neither end's holds a change on each side; both are followed."""
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
    solved = failed = 0
    while work:
        narrow = [w for w in work if tolerance is None or w[2] - w[0] <= w[4]]
        found += [BreakEven(parameter, v0, v1, a, b) for v0, a, v1, b, _ in narrow]
        wide = [w for w in work if w not in narrow]
        if not wide:
            break
        middles = [(v0 + v1) / 2 for v0, _, v1, _, _ in wide]
        probes = run_tasks(
            client,
            plan,
            [(probe(template, v), None) for v in middles],
            options,
            _offset(stage("break-even", solved + len(wide)), solved, failed),
        )
        solved += len(wide)
        failed += sum(p.solved is None for p in probes)
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
    return sorted(found, key=lambda b: b.below)
