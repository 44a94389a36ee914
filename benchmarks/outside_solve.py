"""Everything but the solve, against linopy's modelling layer: CPU seconds of a whole run
of `optimize` on a generated plan, less what HiGHS spends solving, by part.

    python benchmarks/outside_solve.py [--repeat N] [WORKLOADS ...]   (default: 3 runs; 300)

Each size is a plan of benchmarks/model_size.py (seeded). *Ours* reads the workbook and
runs ``optimize`` and ``write_run`` as the command does (the stable-placement pass, the
certificate, the power shadow prices, the tables, the CSVs, run.json, results.xlsx and
report.html), in a fresh process, one thread. HiGHS's solves (``Highs.solve``: the
plan, the stable-placement pass, the shadow-price LP) are timed apart and left out;
the rest is *everything but the solve*. Named steps are timed where the run calls
them, each net of the steps it calls (so the parts add up); *other* is the rest.
*linopy* is benchmarks/layer.py's: linopy builds a capacity model of the same size
from the same sets, hands it to HiGHS and loads a solution (no files). Runs
alternate; the median CPU seconds (``time.process_time``) of each part is reported.
"""

from __future__ import annotations

import functools
import importlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import layer
from model_size import generate

# the steps timed: (module, name it is called by there, part)
STEPS = [
    ("optimizer.run", "build_data", "sets"),
    ("optimizer.run", "no_option_reasons", "sets"),
    ("optimizer.run", "installed_over_limits", "sets"),
    ("optimizer.run", "build_model", "build"),
    ("optimizer.solve", "compile_model", "hand-off"),
    ("optimizer.stable", "compile_model", "hand-off"),
    ("optimizer.solve", "load_values", "load"),
    ("optimizer.stable", "load_values", "load"),
    ("optimizer.results", "costs", "costs table"),
    ("optimizer.run", "certified", "certificate"),
    ("optimizer.stable", "certify", "certificate"),
    ("optimizer.run", "stabilise", "stable placement"),
    ("optimizer.run", "power_shadow_prices", "shadow prices"),
    ("optimizer.results", "emissions", "emissions table"),
    ("optimizer.attribution", "workload_costs", "workload_costs table"),
    ("optimizer.attribution", "workload_emissions", "workload_emissions table"),
    ("optimizer.attribution", "workload_summary", "workload_summary table"),
    ("optimizer.results", "assignments", "assignments table"),
    ("optimizer.results", "racks", "racks table"),
    ("optimizer.results", "sites", "sites table"),
    ("optimizer.results", "summary", "summary table"),
    ("optimizer.outputs", "write_csv", "CSVs"),
    ("optimizer.record", "run_info", "run.json"),
    ("optimizer.outputs", "run_json", "run.json"),
    ("optimizer.outputs", "write_reports", "report view"),
    ("optimizer.report", "write_workbook", "results.xlsx"),
    ("optimizer.report", "render_page", "report.html"),
]


def ours(path: Path) -> dict[str, float]:
    import highspy

    from optimizer.inputs import read_plan
    from optimizer.record import write_run
    from optimizer.run import optimize
    from optimizer.solve import SolverOptions

    clock = time.process_time
    spent: dict[str, float] = defaultdict(float)
    inner: list[float] = []  # per open step: the seconds of the steps it called

    def timed(part: str, f: Callable[..., object]) -> Callable[..., object]:
        @functools.wraps(f)
        def step(*args: object, **kwargs: object) -> object:
            started = clock()
            inner.append(0.0)
            try:
                return f(*args, **kwargs)
            finally:
                took = clock() - started
                spent[part] += took - inner.pop()
                if inner:
                    inner[-1] += took

        return step

    for module, name, part in STEPS:
        where = importlib.import_module(module)
        setattr(where, name, timed(part, getattr(where, name)))
    highspy.Highs.solve = timed("solve (HiGHS)", highspy.Highs.solve)  # type: ignore[method-assign]

    started = clock()
    plan = read_plan(path)
    spent["read"] = clock() - started
    options = SolverOptions(mip_gap=plan.settings.mip_gap, time_limit_s=plan.settings.time_limit_s)
    with tempfile.TemporaryDirectory() as tmp:
        outcome = optimize(plan, options)
        write_run(Path(tmp) / "out", path, plan, options, outcome)
    total = clock() - started
    out = dict(spent)
    out["other"] = total - sum(spent.values())
    out["everything but the solve"] = total - spent["solve (HiGHS)"]
    out["status"] = str(outcome.solved.status)  # type: ignore[assignment]
    return out


def _fresh(path: Path) -> dict[str, float]:
    run = subprocess.run(
        [sys.executable, __file__, "--ours", str(path)], check=True, capture_output=True, text=True
    )
    return json.loads(run.stdout.strip().splitlines()[-1])


def main(sizes: list[int], repeat: int) -> None:
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "plan.xlsx"
            generate(path, n)
            runs, linopy = [], []
            for _ in range(repeat):
                runs.append(_fresh(path))
                linopy.append(layer._fresh(sys.executable, "linopy", path))
        parts = [k for k in runs[0] if k != "status"]
        med = {k: statistics.median(r.get(k, 0.0) for r in runs) for k in parts}
        theirs = statistics.median(layer._layer(r) for r in linopy)
        print(json.dumps({"workloads": n, "ours": med, "linopy_layer": theirs}), file=sys.stderr)
        print(f"\n{n} workloads ({runs[0]['status']}), median CPU s of {repeat} runs\n")
        print("| part | CPU s | share of everything but the solve |")
        print("|---|---|---|")
        outside = med["everything but the solve"]
        for k in sorted(parts, key=lambda k: -med[k]):
            if k not in ("everything but the solve", "solve (HiGHS)"):
                print(f"| {k} | {med[k]:.2f} | {med[k] / outside:.0%} |")
        print(f"| **everything but the solve** | {outside:.2f} | |")
        print(f"| solve (HiGHS, left out) | {med['solve (HiGHS)']:.2f} | |")
        print(f"| linopy's layer (build + hand-off + load) | {theirs:.2f} | |")
        print(f"| **ratio** | {outside / theirs:.2f} | |", flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--ours"]:
        print(json.dumps(ours(Path(sys.argv[2]))))
    else:
        args = sys.argv[1:]
        repeat = 3
        if args[:1] == ["--repeat"]:
            repeat, args = int(args[1]), args[2:]
        main([int(a) for a in args] or [300], repeat)
