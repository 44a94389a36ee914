"""A sweep with its regret runs: wall and CPU seconds on 1 and 2 Dask workers, for this
installation and, side by side, for others (an earlier version, say).

    python benchmarks/sweep_regret.py [--generated N | PLAN.xlsx] [--sweep SWEEP]
        [--versus PYTHON ...] [--repeat R]
        default: --generated 300 --sweep power_price_multiplier=0.5,1,1.5,2 --repeat 1

Each measurement is a fresh process of the installation's Python running
``run_scenarios`` (scenarios, then each plan operated under every other scenario;
no break-even bisection) against a local Dask cluster of N single-threaded
workers that it starts. CPU seconds are the process's own plus each worker's
(read from the workers before the cluster closes), for the whole run and for
its regret stage, so they do not depend on how
busy the shared machine is; wall seconds do. Installations and worker counts are
interleaved. The regret table is compared between installations: each plan's
cost under each scenario and its tolerance, the largest difference.
``--generated N`` uses benchmarks/model_size.py's plan of N workloads (300: about
115,000 columns, mostly continuous).
"""

from __future__ import annotations

import json
import logging
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SECONDS = ("wall_s", "cpu_s", "regret_wall_s", "regret_cpu_s")


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(path: Path, sweep: str, workers: int) -> dict[str, object]:
    """One sweep in this process on a cluster of ``workers`` workers."""
    from distributed import Client, LocalCluster

    from optimizer import read_plan
    from optimizer.scenarios import BASE, Scenario, from_sweeps
    from optimizer.solve import SolverOptions
    from optimizer.whatif import run_scenarios

    plan = read_plan(path)
    scenarios = [Scenario(BASE), *from_sweeps(plan, [sweep])]
    options = SolverOptions(mip_gap=plan.settings.mip_gap, time_limit_s=900)
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            dashboard_address=":0",
            silence_logs=logging.CRITICAL,
        ) as cluster,
        Client(cluster) as client,
    ):

        def total() -> float:
            return _cpu() + sum(client.run(_cpu).values())

        marks: dict[str, tuple[float, float]] = {}

        def progress(stage: str, *_: int) -> None:
            marks.setdefault(stage, (time.perf_counter(), total()))

        start = (time.perf_counter(), total())
        result = run_scenarios(
            plan,
            scenarios,
            options,
            scheduler=cluster.scheduler_address,
            progress=progress,
            break_even_tolerance=None,
        )
        end = (time.perf_counter(), total())
    regret_start = marks.get("regret", end)
    regret = result.tables["regret"]
    return {
        "wall_s": end[0] - start[0],
        "cpu_s": end[1] - start[1],
        "regret_wall_s": end[0] - regret_start[0],
        "regret_cpu_s": end[1] - regret_start[1],
        "scenarios": len(scenarios),
        "regret_solves": result.regret_solves,
        "regret": [
            [r.scenario, r.operated_under, r.status, r.cost_usd, r.tolerance_usd]
            for r in regret.itertuples(index=False)
        ],
    }


def _differences(a: list[list[object]], b: list[list[object]]) -> str:
    """How the regret tables of two installations differ."""
    first = {(r[0], r[1]): r[2:] for r in a}
    second = {(r[0], r[1]): r[2:] for r in b}
    if first.keys() != second.keys():
        return "different rows"
    cost = max((abs(first[k][1] - second[k][1]) for k in first), default=0.0)
    tolerance = max((abs(first[k][2] - second[k][2]) for k in first), default=0.0)
    if all(first[k] == second[k] for k in first):
        return "identical"
    return f"cost up to {cost:.3g} USD apart, tolerance up to {tolerance:.3g} USD"


def main(path: Path, sweep: str, pythons: list[str], repeat: int) -> None:
    runs: dict[tuple[str, int], list[dict[str, object]]] = {}
    for _ in range(repeat):
        for workers in (1, 2):
            for python in pythons:
                done = subprocess.run(
                    [python, __file__, "--measure", str(path), sweep, str(workers)],
                    check=True,
                    capture_output=True,
                    text=True,
                )
                row = json.loads(done.stdout.strip().splitlines()[-1])
                runs.setdefault((python, workers), []).append(row)
                print(json.dumps({"python": python, "workers": workers} | row)[:300], flush=True)
    print()
    print(
        "| installation | workers | scenarios | regret solves | wall s | CPU s | "
        "regret stage wall s | regret stage CPU s | regret table |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    reference = runs[(pythons[0], 1)][0]["regret"]
    for (python, workers), rows in runs.items():
        least = {k: min(float(r[k]) for r in rows) for k in SECONDS}
        r = rows[0]
        print(
            f"| {python} | {workers} | {r['scenarios']} | {r['regret_solves']} | "
            + " | ".join(f"{least[k]:.1f}" for k in SECONDS)
            + f" | {_differences(reference, r['regret'])} |"
        )


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--measure"]:
        print(json.dumps(measure(Path(args[1]), args[2], int(args[3]))))
        sys.exit()
    generated, plan_path, sweep, pythons, repeat = 300, None, "", [sys.executable], 1
    sweep = "power_price_multiplier=0.5,1,1.5,2"
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
        else:
            plan_path = Path(flag)
    with tempfile.TemporaryDirectory() as tmp:
        if plan_path is None:
            from model_size import generate

            plan_path = Path(tmp) / "plan.xlsx"
            generate(plan_path, generated)
        main(plan_path, sweep, pythons, repeat)
