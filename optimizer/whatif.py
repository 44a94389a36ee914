"""What-if runs: many scenarios in parallel, their decisions, and each plan's regret.

Every scenario is solved in a worker process of a Dask cluster: by default a
local one with a worker per core, or an existing cluster given by its
scheduler's address, by the same code. Workers receive the plan's data and
build the model themselves (Pyomo models and HiGHS objects do not travel);
HiGHS gets one thread per worker. A scenario whose worker dies is retried once,
then reported as failed while the others finish. An existing cluster is probed
before use (optimizer.scheduler.reach) so that a wrong address fails in bounded time,
and a cluster left with no worker fails the waiting solves instead of hanging.
Failed solves are counted: no least-regret plan is named from incomplete data.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import logging
import math
import os
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import pandas as pd

from optimizer import interrupts, results
from optimizer.columns import names
from optimizer.models.stages import FirstStage, first_stage
from optimizer.plan import Plan
from optimizer.run import optimize, resolve_prices
from optimizer.scenarios import Override, Scenario, apply
from optimizer.scheduler import ClusterError, reach
from optimizer.solve import Solved, SolverOptions
from optimizer.worker import helpers_started

FAILED = "failed"
# a cluster without a worker this long fails the solves still waiting (docs/whatif.md)
NO_WORKER_S = float(os.environ.get("OPTIMIZE_NO_WORKER_SECONDS", "60"))
POLL_S = 1.0


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
        return self.solved.status if self.solved is not None else FAILED

    @property
    def objective(self) -> float | None:
        return self.solved.objective if self.solved is not None else None


def solve_scenario(
    plan: Plan,
    scenario: Scenario,
    options: SolverOptions,
    fixed: FirstStage | None = None,
    reuse: bool = True,
) -> ScenarioRun:
    """Solve one scenario (in a worker); with ``fixed``, under that first-stage plan.

    A scenario that changes only prices reuses the model this worker built for the
    plan, with only its objective changed and the last solution as a start
    (``reuse=False`` rebuilds it, for the benchmark's comparison).
    """
    if fixed is None and reuse and scenario.prices_only:
        outcome = resolve_prices(plan, scenario, options)
        if outcome is not None:
            return ScenarioRun(
                scenario=scenario,
                solved=outcome.solved,
                tables=outcome.tables,
                diagnosis=outcome.diagnosis,
                plan=first_stage(outcome.model) if outcome.solved.has_plan else None,
            )
    outcome = optimize(apply(plan, scenario), options, scenario=scenario.name, fixed=fixed)
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
        with _quiet("distributed"):  # a lost scheduler is reported once, by ClusterError
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
def _quiet(name: str) -> Iterator[None]:
    """Only critical records from the logger ``name`` and those below it for the length of
    the block."""
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


def run_tasks(
    client: object,
    plan: Plan,
    jobs: Sequence[tuple[Scenario, FirstStage | None]],
    options: SolverOptions,
    progress: Progress | None = None,
) -> list[ScenarioRun]:
    """Solve every (scenario, fixed plan) job on the cluster; results in job order."""
    from distributed import wait

    try:
        shared = client.scatter(plan, broadcast=True, hash=False)  # type: ignore[attr-defined]
    except (OSError, TimeoutError) as exc:  # CommClosedError is an OSError
        raise ClusterError(f"the cluster was lost while sending it the plan: {exc}") from None
    futures = [
        client.submit(  # type: ignore[attr-defined]
            solve_scenario, shared, scenario, options, fixed, retries=1, pure=False
        )
        for scenario, fixed in jobs
    ]
    index = {f.key: i for i, f in enumerate(futures)}
    out: list[ScenarioRun | None] = [None] * len(futures)
    failed = done = 0
    if progress:
        progress(0, min(len(futures), _workers(client)), 0)
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
                for future in pending:
                    future.cancel()
                    i = index[future.key]
                    why = f"no worker was left on the cluster for {NO_WORKER_S:g} s"
                    out[i] = ScenarioRun(scenario=jobs[i][0], solved=None, error=why)
                failed += len(pending)
                break
            continue
        idle_since = None
        for future in finished:
            done += 1
            i = index[future.key]
            try:
                out[i] = future.result()
            except (Exception, asyncio.CancelledError) as exc:  # a worker died twice, the
                # solve raised, the plan's data was lost, or the scheduler went away
                failed += 1
                out[i] = ScenarioRun(scenario=jobs[i][0], solved=None, error=_describe(exc))
            if progress:
                progress(done, min(len(futures) - done, _workers(client)), failed)
    return [r for r in out if r is not None]


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


# --- tables of a scenario run ------------------------------------------------------------


def combined(runs: list[ScenarioRun]) -> dict[str, pd.DataFrame]:
    """The output tables of every run, stacked (each has its scenario column)."""
    out: dict[str, pd.DataFrame] = {}
    for name in ("costs", "racks", "assignments", "sites"):
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
    rows = []
    for run in runs:
        if run.plan is None or "racks" not in run.tables:
            continue
        name = run.scenario.name
        sites = run.tables["sites"]
        last = sites["period"].max() if not sites.empty else 0
        at_end = sites[sites["period"] == last].set_index("site")["open"]
        racks = run.tables["racks"]
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
        for (offer, block), n in sorted(run.plan.values.get("commit", {}).items()):
            rows.append((name, None, None, None, None, offer, block, n))
    return pd.DataFrame(rows, columns=DECISIONS_COLUMNS)


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
        unknown = (group["status"] == FAILED) | (
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
        x, y = plan_view(self.run_below), plan_view(self.run_above)
        return [
            (k, x.get(k, 0), y.get(k, 0))
            for k in sorted(set(x) | set(y))
            if x.get(k, 0) != y.get(k, 0)
        ]

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
        return sum(r.status == FAILED for r in self.runs)

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


StageProgress = Callable[[str, int, int, int, int], None]


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
        if progress is None:
            return None
        return lambda done, running, failed: progress(name, total, done, running, failed)

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
        runs = [_renamed(by_key[s.key], s) for s in scenarios]
        jobs: dict[tuple[object, ...], tuple[Scenario, FirstStage]] = {}
        for a in solved if regret_runs else []:
            for b in solved:
                if a.plan is not None and a is not b:
                    jobs.setdefault((a.plan.key(), b.scenario.key), (b.scenario, a.plan))
        cross = (
            run_tasks(client, plan, list(jobs.values()), options, stage("regret", len(jobs)))
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
    if any(r.status == FAILED for r in runs):
        names = []  # "in every scenario" cannot be said when some were never solved
    return WhatIf(
        runs=runs,
        tables=tables,
        least_regret=best,
        worst_regret=worst,
        common=common_decisions(tables["decisions"], names),
        break_even=found,
        regret_solves=len(jobs),
        failed_regret=sum(r.status == FAILED for r in cross),
        regret_skipped=not regret_runs and len(solved) > 1,
    )


def _renamed(run: ScenarioRun, scenario: Scenario) -> ScenarioRun:
    """``run``, the answer to a scenario with the same key, under ``scenario``'s name."""
    if run.scenario == scenario:
        return run
    return dataclasses.replace(
        run,
        scenario=scenario,
        tables={k: t.assign(scenario=scenario.name) for k, t in run.tables.items()},
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
