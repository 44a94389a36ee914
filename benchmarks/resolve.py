"""Price-only scenarios: reusing the worker's model against a rebuild per scenario.

    python benchmarks/resolve.py [PLAN.xlsx] [SWEEP]
        default: data/examples/hybrid-enterprise.xlsx power_price_multiplier=0.5:2.0:0.5

Solves each scenario of the sweep in this process, one HiGHS thread, first with a
rebuild per scenario and then reusing the model built for the plan; prints the
seconds per scenario and the objectives (which agree within the optimality gap).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

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
    for reuse in (False, True):
        for scenario in scenarios:
            t0 = time.perf_counter()
            run = solve_scenario(plan, scenario, options, reuse=reuse)
            seconds[reuse].append(time.perf_counter() - t0)
            objectives[reuse].append(run.objective)
    print("| scenario | rebuild s | reuse s | rebuild objective | reuse objective |")
    print("|---|---|---|---|---|")
    for i, scenario in enumerate(scenarios):
        print(
            f"| {scenario.name} | {seconds[False][i]:.1f} | {seconds[True][i]:.1f} | "
            f"{objectives[False][i]:,.0f} | {objectives[True][i]:,.0f} |"
        )
    print(f"| total | {sum(seconds[False]):.1f} | {sum(seconds[True]):.1f} | | |")


if __name__ == "__main__":
    args = sys.argv[1:]
    main(
        Path(args[0]) if args else ROOT / "data" / "examples" / "hybrid-enterprise.xlsx",
        args[1] if len(args) > 1 else "power_price_multiplier=0.5:2.0:0.5",
    )
