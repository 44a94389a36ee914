"""The cost of stable placement: each example solved with the setting on and off.

Prints, per example, the first (cost) pass's HiGHS seconds and the second pass's, their
ratio, the moves before and after (shares of a workload's demand, summed) and the cost
added (within the gap). Run: python benchmarks/stable_placement.py [PLAN.xlsx ...]
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

from optimizer import read_plan
from optimizer.run import optimize
from optimizer.solve import SolverOptions

ROOT = Path(__file__).resolve().parent.parent


def main(paths: list[Path]) -> None:
    print("plan | cost pass s | stable pass s | ratio | moves before | after | cost added USD")
    for path in paths:
        plan = read_plan(path)
        options = SolverOptions(mip_gap=plan.settings.mip_gap, time_limit_s=300)
        on = optimize(plan, options)
        off_plan = dataclasses.replace(
            plan, settings=dataclasses.replace(plan.settings, stable_placement=False)
        )
        off = optimize(off_plan, options)
        stable = on.stable
        assert stable is not None
        first = off.timings["solve_seconds"]
        print(
            f"{path.name} | {first:.2f} | {stable.seconds:.2f} | {stable.seconds / first:.3f} | "
            f"{stable.moves_before:.2f} | {stable.moves_after:.2f} | "
            f"{on.solved.objective - off.solved.objective:,.0f}"
        )


if __name__ == "__main__":
    args = [Path(a) for a in sys.argv[1:]] or sorted((ROOT / "data" / "examples").glob("*.xlsx"))
    main(args)
