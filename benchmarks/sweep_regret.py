"""A sweep with its regret runs: wall and CPU seconds on 1 and 2 Dask workers, for this
installation and, side by side, for others (an earlier version, say).

    python benchmarks/sweep_regret.py [--generated N | PLAN.xlsx] [--sweep SWEEP]
        [--versus PYTHON ...] [--repeat R] [--workers 1,2]
        [--regret-only RUNS.pickle [--sample K]] [--save RUNS.pickle]
        default: --generated 300 --sweep power_price_multiplier=0.5,1,1.5,2 --repeat 1

The hybrid example's 50-scenario sweep (issue 9's goal):

    python benchmarks/sweep_regret.py data/examples/hybrid-enterprise.xlsx \
        --sweep power_price_multiplier=0.5:2.95:0.05 --workers 2 --save runs.pickle
    python benchmarks/sweep_regret.py data/examples/hybrid-enterprise.xlsx \
        --regret-only runs.pickle --versus /path/to/main/venv/bin/python

Each measurement is a fresh process of the installation's Python running
``run_scenarios`` (scenarios and each plan operated under every other scenario;
no break-even bisection) against a local Dask cluster of N single-threaded
workers that it starts. CPU seconds are the process's own plus each worker's
(read from the workers before the cluster closes), so they do not depend on how
busy the shared machine is; wall seconds do. From Dask's task stream: each
stage's busy seconds (the workers computing its calls, by the calls' key
prefix), and the workers' idle seconds between the first call's start and the
last call's end (N x that span, less the busy seconds: the waits at stage ends,
and the scheduling between calls) with the utilisation, busy / (N x span).
``scenarios_done_s``: when the last scenario was solved. Installations and
worker counts are interleaved. The regret table is compared between
installations: each plan's cost under each scenario and its tolerance, the
largest difference.
``--generated N`` uses benchmarks/model_size.py's plan of N workloads (300: about
115,000 columns, mostly continuous).

``--save`` keeps the scenarios' answers of the first measurement (this installation);
``--regret-only`` times the regret stage alone from such a file (the scenarios of a
mixed-integer sweep take minutes and are the same in every installation): the same
regret runs, each plan under every other scenario, every ``--sample``-th of them.
Each reports the regret runs' simplex iterations summed (the solver's work, the same
on every run) and CPU seconds per regret run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

SECONDS = ("wall_s", "cpu_s", "scenarios_done_s", "busy_s", "idle_s")


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@contextlib.contextmanager
def _cluster(workers: int) -> Iterator[tuple[Any, Any, Callable[[], float]]]:
    """A local cluster of ``workers`` single-threaded workers, its client, and the CPU
    seconds of this process and every worker so far."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            dashboard_address=":0",
            silence_logs=logging.CRITICAL,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield cluster, client, lambda: _cpu() + sum(client.run(_cpu).values())


def measure(path: Path, sweep: str, workers: int, save: str) -> dict[str, object]:
    """One sweep in this process on a cluster of ``workers`` workers (its scenarios'
    answers pickled to ``save`` unless it is empty)."""
    from optimizer import read_plan
    from optimizer.scenarios import BASE, Scenario, from_sweeps
    from optimizer.solve import SolverOptions
    from optimizer.whatif import run_scenarios

    plan = read_plan(path)
    scenarios = [Scenario(BASE), *from_sweeps(plan, [sweep])]
    options = SolverOptions(mip_gap=plan.settings.mip_gap, time_limit_s=900)
    with _cluster(workers) as (cluster, client, total):
        from distributed import get_task_stream

        done_at: list[float] = []

        def progress(stage: str, total_solves: int, done: int, *_: int) -> None:
            if stage == "scenarios" and done == total_solves and not done_at:
                done_at.append(time.perf_counter())

        start = (time.perf_counter(), total())
        with get_task_stream(client) as stream:
            result = run_scenarios(
                plan,
                scenarios,
                options,
                scheduler=cluster.scheduler_address,
                progress=progress,
                break_even_tolerance=None,
            )
        end = (time.perf_counter(), total())
    regret = result.tables["regret"]
    if save:
        with open(save, "wb") as f:
            pickle.dump([dataclasses.replace(r, tables={}) for r in result.runs], f)
    return {
        "wall_s": end[0] - start[0],
        "cpu_s": end[1] - start[1],
        "scenarios_done_s": (done_at or [end[0]])[0] - start[0],
        **_busy(stream.data, workers),
        "scenarios": len(scenarios),
        "regret_solves": result.regret_solves,
        "regret": [
            [r.scenario, r.operated_under, r.status, r.cost_usd, r.tolerance_usd]
            for r in regret.itertuples(index=False)
        ],
    }


def _busy(tasks: list[dict[str, Any]], workers: int) -> dict[str, Any]:
    """The workers' busy seconds by stage (a call's key prefix), in all, and idle between
    the first call's start and the last call's end; the utilisation."""
    from dask.utils import key_split

    spans = [
        (key_split(task["key"]), s["start"], s["stop"])
        for task in tasks
        for s in task["startstops"]
        if s["action"] == "compute"
    ]
    by_stage: dict[str, float] = {}
    for stage, start, stop in spans:
        by_stage[stage] = by_stage.get(stage, 0.0) + stop - start
    busy = sum(by_stage.values())
    span = max(stop for *_, stop in spans) - min(start for _, start, _ in spans)
    return {
        "busy_s": busy,
        "idle_s": workers * span - busy,
        "utilisation": busy / (workers * span),
        "busy_by_stage": {k: round(v, 1) for k, v in by_stage.items()},
    }


def measure_regret(path: Path, saved: str, workers: int, sample: int) -> dict[str, object]:
    """The regret stage alone, from the scenarios' answers in ``saved``: every ``sample``-th
    regret run of the sweep, on a cluster of ``workers`` workers."""
    import optimizer.whatif as whatif
    from optimizer import read_plan
    from optimizer.solve import SolverOptions

    plan = read_plan(path)
    options = SolverOptions(mip_gap=plan.settings.mip_gap, time_limit_s=900)
    with open(saved, "rb") as f:
        runs = pickle.load(f)
    solved = list({r.scenario.key: r for r in runs}.values())
    jobs = {}
    for a in solved:  # as run_scenarios makes them
        for b in solved:
            if a.plan is not None and a is not b:
                jobs.setdefault((a.plan.key(), b.scenario.key), (b.scenario, a.plan, a.scenario))
    chosen = list(jobs.values())[::sample]
    work = [(scenario, fixed) for scenario, fixed, _ in chosen]
    with _cluster(workers) as (_, client, total):
        start = (time.perf_counter(), total())
        if hasattr(whatif, "RegretRuns"):  # made as plans arrive (this release on)
            cross = _regret_runs(whatif, client, plan, work, options)
        elif hasattr(whatif, "run_regret"):  # batched
            cross = whatif.run_regret(client, plan, work, options)
        else:
            cross = whatif.run_tasks(client, plan, work, options)
        end = (time.perf_counter(), total())
    return {
        "regret_wall_s": end[0] - start[0],
        "regret_cpu_s": end[1] - start[1],
        "regret_solves": len(work),
        "cpu_per_run_s": (end[1] - start[1]) / max(1, len(work)),
        "iterations": sum(r.solved.iterations for r in cross if r.solved is not None),
        "failed": sum(r.solved is None for r in cross),
        "regret": [
            [owner.name, scenario.name, r.status, r.objective, r.solved and r.solved.best_bound]
            for (scenario, _, owner), r in zip(chosen, cross, strict=True)
        ],
    }


def _regret_runs(whatif: Any, client: Any, plan: Any, work: list, options: Any) -> list[Any]:
    """The regret runs ``work`` ((scenario, plan) pairs) as run_scenarios batches them."""
    from optimizer.cluster_runs import run_calls

    runs = whatif.RegretRuns([])
    pairs = [(fixed.key(), scenario.key) for scenario, fixed in work]
    runs.jobs = dict(zip(pairs, work, strict=True))
    runs.waiting = list(runs.jobs)
    run_calls(client, plan, options, [], None, runs.idle)
    return [runs.answers[pair] for pair in pairs]


def _differences(a: list[list[object]], b: list[list[object]], second: str) -> str:
    """How the regret tables of two installations differ: the cost, and ``second`` (the
    tolerance, or the best bound)."""
    first = {(r[0], r[1]): r[2:] for r in a}
    other = {(r[0], r[1]): r[2:] for r in b}
    if first.keys() != other.keys():
        return "different rows"
    if all(first[k] == other[k] for k in first):
        return "identical"

    def apart(i: int) -> float:
        pairs = [(first[k][i], other[k][i]) for k in first]
        return max((abs(x - y) for x, y in pairs if x is not None and y is not None), default=0)

    return f"cost up to {apart(1):.3g} USD apart, {second} up to {apart(2):.3g} USD"


def main(
    path: Path,
    sweep: str,
    pythons: list[str],
    repeat: int,
    workers: list[int],
    saved: tuple[str, str, int],
) -> None:
    """``saved``: (file to save the scenarios to, file to time the regret stage from,
    sample); empty names for neither."""
    save, regret_only, sample = saved
    seconds = ("regret_wall_s", "regret_cpu_s", "cpu_per_run_s") if regret_only else SECONDS
    runs: dict[tuple[str, int], list[dict[str, object]]] = {}
    for _ in range(repeat):
        for n in workers:
            for python in pythons:
                if regret_only:
                    command = ["--regret", str(path), regret_only, str(n), str(sample)]
                else:
                    command = ["--measure", str(path), sweep, str(n), save]
                    save = ""  # the first measurement's answers only
                done = subprocess.run(
                    [python, __file__, *command], check=True, capture_output=True, text=True
                )
                row = json.loads(done.stdout.strip().splitlines()[-1])
                runs.setdefault((python, n), []).append(row)
                print(json.dumps({"python": python, "workers": n} | row)[:300], flush=True)
    print()
    counts = ("regret_solves", "iterations") if regret_only else ("scenarios", "regret_solves")
    shares = () if regret_only else ("utilisation",)
    print(f"| installation | workers | {' | '.join(counts + seconds + shares)} | regret table |")
    print("|---|---|" + "---|" * (len(counts) + len(seconds) + len(shares)) + "---|")
    reference = runs[(pythons[0], workers[0])][0]["regret"]
    second = "bound" if regret_only else "tolerance"
    for (python, n), rows in runs.items():
        least = {k: min(float(r[k]) for r in rows) for k in seconds}
        r = rows[0]
        print(
            f"| {python} | {n} | "
            + " | ".join(str(r[k]) for k in counts)
            + " | "
            + " | ".join(f"{least[k]:.3g}" for k in seconds)
            + "".join(f" | {max(float(row[k]) for row in rows):.2f}" for k in shares)
            + f" | {_differences(reference, r['regret'], second)} |"
        )


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--measure"]:
        print(json.dumps(measure(Path(args[1]), args[2], int(args[3]), args[4])))
        sys.exit()
    if args[:1] == ["--regret"]:
        print(json.dumps(measure_regret(Path(args[1]), args[2], int(args[3]), int(args[4]))))
        sys.exit()
    generated, plan_path, pythons, repeat, workers = 300, None, [sys.executable], 1, [1, 2]
    sweep, save, regret_only, sample = "power_price_multiplier=0.5,1,1.5,2", "", "", 1
    while args:
        flag = args.pop(0)
        if flag == "--generated":
            generated = int(args.pop(0))
        elif flag == "--sweep":
            sweep = args.pop(0)
        elif flag == "--versus":
            pythons.append(args.pop(0))
        elif flag == "--repeat":
            repeat = int(args.pop(0))
        elif flag == "--workers":
            workers = [int(n) for n in args.pop(0).split(",")]
        elif flag == "--save":
            save = str(Path(args.pop(0)).resolve())
        elif flag == "--regret-only":
            regret_only = str(Path(args.pop(0)).resolve())
        elif flag == "--sample":
            sample = int(args.pop(0))
        else:
            plan_path = Path(flag)
    with tempfile.TemporaryDirectory() as tmp:
        if plan_path is None:
            from model_size import generate

            plan_path = Path(tmp) / "plan.xlsx"
            generate(plan_path, generated)
        main(plan_path, sweep, pythons, repeat, workers, (save, regret_only, sample))
