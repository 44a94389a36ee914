"""How strong the formulation is, and what HiGHS does with it, per formulation and option choice.

    python benchmarks/formulation.py [--quick] [--check] [--variants NAME,...] [--json FILE]

For each plan (the two examples and generated plans of several shapes, seeded) and
each variant (a choice of constraint families and HiGHS options), a fresh process
builds the model with the project's code (read_plan, build_model, compile_model),
then drives highspy with one thread:

- the LP relaxation (integrality dropped on a getLp copy): its bound;
- the MIP solved to each gap of GAPS (with --check also to CHECK_GAP), each in
  its own HiGHS instance: nodes, simplex iterations, CPU seconds, objective and
  dual bound. The bound after the root is the best dual bound HiGHS reported
  before its first node (read with the MIP interrupt callback) in the run to the
  tightest gap.

The optimum of a plan is the best objective of any variant at the tightest gap;
the gaps of the LP and of the root are measured against it. With --check every
variant's objective at 1e-4 must agree with it within 1e-4 (a tightening that
cuts off the optimum shows as DIFFERS). Node and iteration counts are
deterministic and are the figures to compare; CPU seconds are noisy on a shared
machine. No MIP start is given to HiGHS.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from model_size import generate  # benchmarks/ is on the path when run as a script

ROOT = Path(__file__).resolve().parent.parent

GAPS = (1e-2, 5e-3, 1e-3)
CHECK_GAP = 1e-4
TIME_LIMIT_S = 120.0

# name -> the workbook, or generate()'s keywords for a generated plan
PLANS: dict[str, Path | dict[str, object]] = {
    "hybrid": ROOT / "data" / "examples" / "hybrid-enterprise.xlsx",
    "seed": ROOT / "data" / "examples" / "seed-article.xlsx",
    "base-30": {"workloads": 30},
    "seed11-60": {"workloads": 60, "seed": 11},
    "many-sites": {"workloads": 12, "n_sites": 24},
    "many-sites-leads": {"workloads": 20, "n_sites": 16, "build_leads": (1, 3), "rack_lead": 1},
    "many-workloads": {"workloads": 200, "seed": 3},
    "months": {"workloads": 30, "period": "month", "seed": 5},
    "months-5y": {"workloads": 16, "period": "month", "horizon_years": 5, "seed": 9},
    "no-builds": {"workloads": 60, "existing_every": 1, "seed": 13},
    "all-builds": {"workloads": 40, "existing_every": 100, "build_leads": (1, 2, 3), "seed": 17},
    "leads": {"workloads": 40, "build_leads": (2, 4), "rack_lead": 2, "seed": 19},
    "years-10": {"workloads": 30, "period": "year", "horizon_years": 10, "seed": 23},
}
QUICK = ("hybrid", "seed", "base-30", "many-sites", "months")


@dataclass(frozen=True)
class Variant:
    """A formulation and option choice: constraint families left out of the model, and
    HiGHS options set over the project's defaults (None: HiGHS's own default)."""

    without: tuple[str, ...] = ()
    highs: dict[str, object | None] = field(default_factory=dict)


VARIANTS: dict[str, Variant] = {
    "before": Variant(without=("share_ready",), highs={"*": None}),
    "share_ready": Variant(highs={"*": None}),
    "options": Variant(without=("share_ready",)),
    "now": Variant(),
    "pscost8": Variant(highs={"mip_pscost_minreliable": None}),
    "rootpresolve": Variant(highs={"mip_root_presolve_only": True}),
}


def measure(plan_path: Path, variant: Variant, gaps: tuple[float, ...]) -> dict[str, object]:
    """Every figure for one plan and variant, in this (fresh) process."""
    import highspy

    from optimizer.inputs import read_plan
    from optimizer.models import build_data, build_model
    from optimizer.solve import HIGHS_DEFAULTS, SolverOptions, compile_model, new_highs

    plan = read_plan(plan_path)
    m = build_model(plan, build_data(plan))
    for name in variant.without:
        component = m.component(name)
        if component is not None:
            component.deactivate()
    compiled = compile_model(m, SolverOptions(time_limit_s=TIME_LIMIT_S, threads=1))
    scale = compiled.objective_scale
    lp = compiled.highs.getLp()
    out: dict[str, object] = {
        "columns": lp.num_col_,
        "rows": lp.num_row_,
        "integers": int(compiled.integer.sum()),
    }
    highs_own = highspy.Highs()
    chosen: dict[str, object] = {}
    for key, value in variant.highs.items():
        for k in list(HIGHS_DEFAULTS) if key == "*" else [key]:
            own = highs_own.getOptionValue(k)  # (status, value) in highspy 1.16
            chosen[k] = (own[1] if isinstance(own, tuple) else own) if value is None else value

    def fresh(gap: float, integral: bool) -> highspy.Highs:
        h = new_highs(SolverOptions(mip_gap=gap, time_limit_s=TIME_LIMIT_S, threads=1))
        for k, v in chosen.items():
            h.setOptionValue(k, v)
        copy = compiled.highs.getLp()
        if not integral:
            copy.integrality_ = []
        h.passModel(copy)
        return h

    h = fresh(gaps[0], integral=False)
    h.solve()
    out["lp_bound"] = h.getInfo().objective_function_value / scale
    runs = {}
    root_bound = -float("inf")
    for gap in gaps:
        h = fresh(gap, integral=True)
        if gap == gaps[-1]:

            def at_root(event: object) -> None:
                nonlocal root_bound
                data = event.data_out  # type: ignore[attr-defined]
                if data.mip_node_count == 0:
                    root_bound = max(root_bound, data.mip_dual_bound)

            h.cbMipInterrupt.subscribe(at_root)
        started = time.process_time()
        h.solve()
        seconds = time.process_time() - started
        info = h.getInfo()
        runs[str(gap)] = {
            "status": h.modelStatusToString(h.getModelStatus()),
            "nodes": info.mip_node_count,
            "iterations": info.simplex_iteration_count,
            "seconds": seconds,
            "objective": info.objective_function_value / scale,
            "bound": info.mip_dual_bound / scale,
        }
    tightest = runs[str(gaps[-1])]
    out["root_bound"] = (
        tightest["bound"]  # solved at the root
        if tightest["nodes"] <= 1 or root_bound == -float("inf")
        else root_bound / scale
    )
    out["runs"] = runs
    return out


def _pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f}"


def table(results: dict[str, dict[str, dict]], variants: list[str]) -> str:
    """The per-plan table, the variants side by side, then the totals per variant.

    Nodes and iterations are those of the run to 1e-3; the objective that of the
    tightest run; work is iterations over the first variant's.
    """
    gaps = [str(g) for g in GAPS]
    checked = all(str(CHECK_GAP) in r["runs"] for p in results.values() for r in p.values())
    tight = str(CHECK_GAP) if checked else gaps[-1]
    lines = [
        "| plan | variant | LP gap % | root gap % | nodes | iterations | "
        + " | ".join(f"s to {g}" for g in gaps)
        + f" | objective | work vs {variants[0]} |",
        "|---|---|---|---|---|---|" + "---|" * len(gaps) + "---|---|",
    ]
    zero = {"nodes": 0, "iterations": 0, **dict.fromkeys(gaps, 0.0)}
    totals = {v: dict(zero) for v in variants}
    worst = dict.fromkeys(variants, 0.0)
    for plan, by_variant in results.items():
        best = min(r["runs"][tight]["objective"] for r in by_variant.values())
        base = by_variant[variants[0]]["runs"][gaps[-1]]["iterations"]
        for v in variants:
            r = by_variant[v]
            run = r["runs"][gaps[-1]]
            ratio = run["iterations"] / base if base else 1.0
            worst[v] = max(worst[v], ratio)
            objective = r["runs"][tight]["objective"]
            differs = checked and abs(objective - best) > CHECK_GAP * abs(best)
            lines.append(
                f"| {plan} | {v} | {_pct(best - r['lp_bound'], best)} | "
                f"{_pct(best - r['root_bound'], best)} | {run['nodes']:,} | "
                f"{run['iterations']:,} | "
                + " | ".join(f"{r['runs'][g]['seconds']:.1f}" for g in gaps)
                + f" | {objective:,.0f}{' DIFFERS' if differs else ''} | {ratio:.2f} |"
            )
            totals[v]["nodes"] += run["nodes"]
            totals[v]["iterations"] += run["iterations"]
            for g in gaps:
                totals[v][g] += r["runs"][g]["seconds"]
    lines += [
        "",
        "| variant | nodes | iterations | "
        + " | ".join(f"s to {g}" for g in gaps)
        + " | worst plan's work |",
        "|---|---|---|" + "---|" * len(gaps) + "---|",
    ]
    for v in variants:
        t = totals[v]
        lines.append(
            f"| {v} | {t['nodes']:,} | {t['iterations']:,} | "
            + " | ".join(f"{t[g]:.1f}" for g in gaps)
            + f" | {worst[v]:.2f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="five plans instead of all")
    parser.add_argument("--check", action="store_true", help=f"also solve to {CHECK_GAP:g}")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated")
    parser.add_argument("--plans", default="", help="comma-separated (default: all, or quick)")
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    args = parser.parse_args()
    variants = args.variants.split(",")
    names = args.plans.split(",") if args.plans else list(QUICK if args.quick else PLANS)
    gaps = ",".join(str(g) for g in GAPS + ((CHECK_GAP,) if args.check else ()))
    results: dict[str, dict[str, dict]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            spec = PLANS[name]
            if isinstance(spec, Path):
                path = spec
            else:
                path = Path(tmp) / f"{name}.xlsx"
                generate(path, **spec)  # type: ignore[arg-type]
            results[name] = {}
            for v in variants:
                done = subprocess.run(
                    [sys.executable, __file__, "--measure", str(path), v, gaps],
                    check=True,
                    capture_output=True,
                    text=True,
                )
                results[name][v] = json.loads(done.stdout.strip().splitlines()[-1])
                print(name, v, json.dumps(results[name][v]), file=sys.stderr, flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(table(results, variants))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--measure"]:
        gaps = tuple(float(g) for g in sys.argv[4].split(","))
        print(json.dumps(measure(Path(sys.argv[2]), VARIANTS[sys.argv[3]], gaps)))
    else:
        main()
