"""What-if runs: many scenarios in parallel, their decisions, and each plan's regret.

Every scenario is solved in a worker process of a Dask cluster: by default a
local one with a worker per core, or an existing cluster given by its
scheduler's address, by the same code. Workers receive the plan's data and
build the model themselves (Pyomo models and HiGHS objects do not travel);
HiGHS gets one thread per worker. A scenario whose worker dies is retried once,
then reported as failed while the others finish.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import logging
import os
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import pandas as pd

from optimizer import results
from optimizer.columns import names
from optimizer.models.stages import FirstStage, first_stage
from optimizer.plan import Plan
from optimizer.run import optimize, resolve_prices
from optimizer.scenarios import Scenario, apply
from optimizer.solve import Solved, SolverOptions

FAILED = "failed"


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
def cluster(scheduler: str | None, tasks: int) -> Iterator[object]:
    """A Dask client: on an existing cluster, or on a local one made for this run."""
    import dask
    from distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler, timeout="30s") as client:
            yield client
        return
    workers = max(1, min(os.cpu_count() or 1, tasks))
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 1}),
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # None still starts one, on 8787, warning when taken
            silence_logs=logging.CRITICAL,
        ) as local,
        Client(local) as client,
    ):
        yield client


def run_tasks(
    client: object,
    plan: Plan,
    jobs: Sequence[tuple[Scenario, FirstStage | None]],
    options: SolverOptions,
    progress: Progress | None = None,
) -> list[ScenarioRun]:
    """Solve every (scenario, fixed plan) job on the cluster; results in job order."""
    from distributed import as_completed

    worker_options = dataclasses.replace(options, threads=options.threads or 1)
    shared = client.scatter(plan, broadcast=True, hash=False)  # type: ignore[attr-defined]
    futures = [
        client.submit(  # type: ignore[attr-defined]
            solve_scenario, shared, scenario, worker_options, fixed, retries=1, pure=False
        )
        for scenario, fixed in jobs
    ]
    index = {f.key: i for i, f in enumerate(futures)}
    out: list[ScenarioRun | None] = [None] * len(futures)
    failed = 0
    if progress:
        progress(0, min(len(futures), _workers(client)), 0)
    for done, future in enumerate(as_completed(futures), start=1):
        i = index[future.key]
        try:
            out[i] = future.result()
        except Exception as exc:  # a worker died twice, or the solve raised
            failed += 1
            out[i] = ScenarioRun(scenario=jobs[i][0], solved=None, error=_describe(exc))
        if progress:
            progress(done, min(len(futures) - done, _workers(client)), failed)
    return [r for r in out if r is not None]


def _workers(client: object) -> int:
    try:
        return max(1, len(client.scheduler_info()["workers"]))  # type: ignore[attr-defined]
    except Exception:
        return 1


def _describe(exc: BaseException) -> str:
    name = type(exc).__name__
    if name == "KilledWorker":
        return "its worker died twice"
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


def regret(runs: list[ScenarioRun], crossed: dict[tuple[str, str], ScenarioRun]) -> pd.DataFrame:
    """Each scenario's plan operated under every scenario: its discounted cost there, that
    scenario's own optimum, and the difference (the regret)."""
    own = {r.scenario.name: r.objective for r in runs}
    rows = []
    for plan_run in runs:
        if plan_run.plan is None:
            continue
        for under in runs:
            if under.scenario.name == plan_run.scenario.name:
                run = plan_run
            else:
                run = crossed.get((plan_run.scenario.name, under.scenario.name))
            if run is None:
                continue
            cost, best = run.objective, own[under.scenario.name]
            gap = cost - best if cost is not None and best is not None else None
            rows.append((plan_run.scenario.name, under.scenario.name, run.status, cost, best, gap))
    return pd.DataFrame(rows, columns=REGRET_COLUMNS)


def least_regret(table: pd.DataFrame) -> tuple[str | None, dict[str, float]]:
    """The plan whose worst-case regret is least, and every plan's worst-case regret
    (infinite when it cannot be operated under some scenario)."""
    worst: dict[str, float] = {}
    for name, group in table.groupby("scenario", sort=False):
        values = group["regret_usd"].astype(float)
        worst[str(name)] = float("inf") if values.isna().any() else float(values.max())
    if not worst:
        return None, worst
    return min(worst, key=lambda k: worst[k]), worst


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


def break_even(runs: list[ScenarioRun], table: pd.DataFrame, parameter: str) -> list[str]:
    """For one swept parameter: between which values the first-stage plan changes, and how.

    The base case counts as the value 1 of a multiplier (unless the sweep has it)."""
    points = sorted(
        (r.scenario.values[parameter], r.scenario.name)
        for r in runs
        if parameter in r.scenario.values and r.plan is not None
    )
    base = next((r for r in runs if not r.scenario.overrides and r.plan is not None), None)
    if base is not None and "multiplier" in parameter and all(v != 1 for v, _ in points):
        points = sorted([*points, (1.0, base.scenario.name)])
    plans = {
        name: set(map(str, group.drop(columns="scenario").itertuples(index=False)))
        for name, group in table.groupby("scenario")
    }
    out = []
    for (v0, a), (v1, b) in itertools.pairwise(points):
        before, after = plans.get(a, set()), plans.get(b, set())
        if before != after:
            changes = _describe_change(table, a, b)
            out.append(f"between {parameter} {v0:g} and {v1:g}: {changes}")
    return out


def _describe_change(table: pd.DataFrame, a: str, b: str) -> str:
    def view(name: str) -> dict[str, float]:
        rows = table[table["scenario"] == name]
        out: dict[str, float] = {}
        for r in rows.itertuples(index=False):
            if isinstance(r.offer, str):
                out[f"reserved {r.offer} block {int(r.reserved_block)}"] = r.reserved_accelerators
                continue
            out[f"site {r.site} open"] = 1
            if isinstance(r.rack_type, str):
                out[f"{r.rack_type} racks at {r.site}"] = r.racks_at_end
        return out

    x, y = view(a), view(b)
    parts = []
    for key in sorted(set(x) | set(y)):
        if x.get(key, 0) != y.get(key, 0):
            parts.append(f"{key} {x.get(key, 0):g} -> {y.get(key, 0):g}")
    return "; ".join(parts[:6]) + (f"; and {len(parts) - 6} more" if len(parts) > 6 else "")


@dataclass
class WhatIf:
    """A scenario run's answers: every scenario's run, the output tables, and what they
    say together."""

    runs: list[ScenarioRun]
    tables: dict[str, pd.DataFrame]
    least_regret: str | None
    worst_regret: dict[str, float]
    common: list[str]
    break_even: list[str]


def run_scenarios(
    plan: Plan,
    scenarios: list[Scenario],
    options: SolverOptions,
    scheduler: str | None = None,
    progress: Callable[[str, int, int, int, int], None] | None = None,
) -> WhatIf:
    """Solve every scenario, then each one's plan under every other (regret).

    ``progress(stage, total, done, running, failed)`` is called as work finishes.
    """

    def stage(name: str, total: int) -> Progress | None:
        if progress is None:
            return None
        return lambda done, running, failed: progress(name, total, done, running, failed)

    with cluster(scheduler, len(scenarios)) as client:
        runs = run_tasks(
            client,
            plan,
            [(s, None) for s in scenarios],
            options,
            stage("scenarios", len(scenarios)),
        )
        pairs = (
            [(a, b) for a in runs for b in runs if a is not b and a.plan is not None]
            if len(runs) > 1
            else []
        )
        cross = (
            run_tasks(
                client,
                plan,
                [(b.scenario, a.plan) for a, b in pairs],
                options,
                stage("regret", len(pairs)),
            )
            if pairs
            else []
        )
    crossed = {
        (a.scenario.name, b.scenario.name): run for (a, b), run in zip(pairs, cross, strict=True)
    }
    tables = combined(runs)
    tables["decisions"] = decisions(runs)
    tables["regret"] = regret(runs, crossed)
    best, worst = least_regret(tables["regret"])
    if worst:
        tables["summary"]["worst_regret_usd"] = tables["summary"]["scenario"].map(worst)
        tables["summary"]["least_regret"] = tables["summary"]["scenario"] == best
    swept = {label for s in scenarios for label in s.values}
    lines = []
    if len(swept) == 1:
        lines = break_even(runs, tables["decisions"], swept.pop())
    names = [r.scenario.name for r in runs if r.plan is not None]
    return WhatIf(
        runs=runs,
        tables=tables,
        least_regret=best,
        worst_regret=worst,
        common=common_decisions(tables["decisions"], names),
        break_even=lines,
    )
