"""The calculator's answer at once, timed in the worker without the browser.

    python benchmarks/calculator_quick.py [PLAN.xlsx] [CHANGES] [SEED]
        default: data/examples/hybrid-enterprise.xlsx 20 0

Builds the calculator's engine for the plan (the base case solved, the held-plan LP and
the relaxation kept), then answers CHANGES random price changes (power, cloud and API
price multipliers on random targets of the plan, seeded) with Engine.quick, the held
plan operated under the new prices and the LP bound; prints the process CPU seconds of
each answer and their median and 95th percentile. CPU seconds, not wall: the machine is
shared. benchmarks/calculator.py times the same answer through the page.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

from optimizer import read_plan
from optimizer.calculator.controls import Request
from optimizer.calculator.engine import Engine
from optimizer.scenarios import Override
from optimizer.solve import SolverOptions

ROOT = Path(__file__).resolve().parent.parent


def changes(plan, n: int, seed: int) -> list[Request]:
    rng = random.Random(seed)
    regions = sorted(plan.regions["region"])
    providers = sorted(set(plan.cloud["provider"])) if len(plan.cloud) else []
    out = []
    for _ in range(n):
        kind = rng.choice(["power", "cloud", "api"] if providers else ["power", "api"])
        value = round(rng.uniform(0.5, 2.0), 2)
        if kind == "power":
            o = Override("power_price_multiplier", rng.choice(regions), "region", value)
        elif kind == "cloud":
            o = Override("cloud_price_multiplier", rng.choice(providers), "provider", value)
        else:
            o = Override("api_price_multiplier", "*", "*", value)
        out.append(Request((o,)))
    return out


def main(path: Path, n: int, seed: int) -> None:
    plan = read_plan(path)
    engine = Engine(plan, SolverOptions(threads=1))
    seconds = []
    for request in changes(plan, n, seed):
        t0 = time.process_time()
        answer = engine.quick(request)
        seconds.append(time.process_time() - t0)
        print(f"{request.scenario.name:50s} {seconds[-1]:.3f} CPU s  {answer.get('status')}")
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    print(
        f"{path.name}: {n} answers at once, "
        f"CPU s p50 {statistics.median(seconds):.3f}, p95 {p95:.3f}"
    )


if __name__ == "__main__":
    args = sys.argv[1:]
    main(
        Path(args[0]) if args else ROOT / "data/examples/hybrid-enterprise.xlsx",
        int(args[1]) if len(args) > 1 else 20,
        int(args[2]) if len(args) > 2 else 0,
    )
