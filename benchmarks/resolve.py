"""Price-only scenarios: the re-solve on the worker's kept model against a rebuild.

    python benchmarks/resolve.py [PLAN.xlsx | --generated WORKLOADS] [SWEEP]
        default: data/examples/hybrid-enterprise.xlsx power_price_multiplier=0.5:2.0:0.5

Solves each scenario of the sweep in this process, one HiGHS thread (so CPU seconds
are the process's own, less noisy than wall time on a shared machine), first with a
rebuild per scenario (sets, Pyomo model, compile, solve) and then on the model
kept for the plan (only the cost ledger and objective rebuilt, a new HiGHS
instance given the kept matrices with the new costs); prints seconds per scenario,
the objectives (identical: both paths hand HiGHS the same numbers) and simplex
iterations and nodes as the deterministic measure of the solver's work.
``--generated N`` uses benchmarks/model_size.py's generated plan of N workloads
(300: about 115,000 columns).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from model_size import generate

from optimizer import read_plan
from optimizer.scenarios import from_sweeps
from optimizer.solve import SolverOptions
from optimizer.whatif import solve_scenario

ROOT = Path(__file__).resolve().parent.parent


def main(path: Path, sweep: str) -> None:
    plan = read_plan(path)
    scenarios = from_sweeps(plan, [sweep])
    options = SolverOptions(
        mip_gap=plan.settings.mip_gap, threads=1, time_limit_s=plan.settings.time_limit_s
    )
    seconds: dict[bool, list[float]] = {False: [], True: []}
    objectives: dict[bool, list[float | None]] = {False: [], True: []}
    work: dict[bool, list[str]] = {False: [], True: []}
    for reuse in (False, True):
        for scenario in scenarios:
            t0 = time.process_time()
            run = solve_scenario(plan, scenario, options, reuse=reuse)
            seconds[reuse].append(time.process_time() - t0)
            objectives[reuse].append(run.objective)
            assert run.solved is not None and run.solved.certificate is not None
            work[reuse].append(f"{run.solved.nodes} / {run.solved.iterations:,}")
    print(f"{path.name}: {sweep}, one thread, mip_gap {options.mip_gap}, CPU seconds")
    print(
        "| scenario | rebuild CPU s | reuse CPU s | rebuild objective | reuse objective | same | "
        "nodes / iterations |"
    )
    print("|---|---|---|---|---|---|---|")
    for i, scenario in enumerate(scenarios):
        a, b = objectives[False][i], objectives[True][i]
        print(
            f"| {scenario.name} | {seconds[False][i]:.1f} | {seconds[True][i]:.1f} | "
            f"{a:,.2f} | {b:,.2f} | {'yes' if a == b else 'NO'} | {work[True][i]} |"
        )
    print(f"| total | {sum(seconds[False]):.1f} | {sum(seconds[True]):.1f} | | | | |")


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--generated"]:
        folder = Path(tempfile.mkdtemp())
        plan_path = folder / f"generated-{args[1]}.xlsx"
        generate(plan_path, int(args[1]))
        args = [str(plan_path), *args[2:]]
    main(
        Path(args[0]) if args else ROOT / "data" / "examples" / "hybrid-enterprise.xlsx",
        args[1] if len(args) > 1 else "power_price_multiplier=0.5:2.0:0.5",
    )
