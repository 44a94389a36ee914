"""How the tool scales: seconds and peak memory per step on generated plans of growing size.

    python benchmarks/model_size.py [WORKLOADS ...]   (default: 30 300 3000)

For each size a plan is generated (seeded, so reruns are comparable) and run in a
fresh process through the same steps as `optimize`: read the workbook, build the
sets and the Pyomo model, hand it to HiGHS (the matrices + passModel), solve,
build the result tables, write the CSV folder. Each step's seconds and the
process's peak RSS after it are reported, and the CPU seconds of build, hand-off,
load and results (the figures to compare on a shared machine). Then HiGHS alone reads the same model
from an MPS file and solves it in another fresh process, for its own peak RSS.

The figures to watch, per size: overhead = everything but HiGHS's solve, as a share
of the solve; the certificate's seconds as a share of the solve (at most 5 %);
memory = our peak RSS over HiGHS-alone's peak RSS.
"""

from __future__ import annotations

import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import openpyxl

PERIODS_YEARS = 3
TIME_LIMIT_S = 900


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(
    path: Path,
    workloads: int,
    seed: int = 7,
    *,
    n_sites: int = 8,
    n_regions: int = 8,
    horizon_years: int = PERIODS_YEARS,
    period: str = "quarter",
    existing_every: int = 5,
    build_leads: tuple[int, ...] = (0, 2),
    rack_lead: int = 0,
) -> None:
    """A plan with ``workloads`` workloads and a fixed world of sites, offers and APIs, so
    that the model grows in proportion to the workloads (about 330 columns each).

    The keywords shape the world (benchmarks/formulation.py draws plans of several
    shapes): site i exists when i % existing_every == 0 (1: every site exists), the
    others take a build_lead_periods from build_leads; rack_lead is every rack type's
    lead_time_periods. The defaults give the plans model_size.py has always measured.
    """
    rng = random.Random(seed)
    n_offers = 16
    regions = [f"r{i}" for i in range(n_regions)]
    juris = {r: ("EU", "US", "NO", "SG")[i % 4] for i, r in enumerate(regions)}
    sheets: dict[str, list[list[object]]] = {
        "settings": [
            ["key", "value"],
            ["horizon_years", horizon_years],
            ["period", period],
            ["mip_gap", 0.01],
            ["time_limit_s", TIME_LIMIT_S],
        ],
        "regions": [["region", "jurisdiction", "power_price_usd_per_kwh"]]
        + [[r, juris[r], round(rng.uniform(0.03, 0.2), 3)] for r in regions],
        "latency": [["from_region", "to_region", "rtt_ms"]]
        + [[a, b, rng.randint(10, 200)] for i, a in enumerate(regions) for b in regions[i + 1 :]],
        "accelerators": [
            ["accelerator", "training_speed"],
            ["H100", 1.0],
            ["B200", 2.2],
            ["L4", None],
        ],
        "performance": [["accelerator", "model", "tokens_per_second"]]
        + [
            [a, f"m{j}", tps * (1 + j / 10)]
            for j in range(5)
            for a, tps in (("H100", 460), ("B200", 1000), ("L4", 60))
        ],
        "hardware": [
            [
                "rack_type",
                "accelerator",
                "accelerators_per_rack",
                "it_power_kw",
                "cooling",
                "capex_usd",
                "opex_usd_per_year",
                "idle_power_fraction",
                "lead_time_periods",
            ],
            ["h100-air", "H100", 32, 40.8, "air", 1.6e6, 1.2e5, 0.4, rack_lead],
            ["h100-half", "H100", 16, 20.4, "air", 8.2e5, 6e4, 0.4, rack_lead],
            ["b200-liq", "B200", 32, 60, "liquid", 3.5e6, 2.5e5, 0.3, rack_lead],
            ["l4-air", "L4", 64, 12, "air", 4e5, 2e4, 0.5, rack_lead],
        ],
        "sites": [
            [
                "site",
                "region",
                "power_capacity_kw",
                "cooling_air_kw",
                "cooling_liquid_kw",
                "rack_slots",
                "max_air_rack_kw",
                "pue",
                "existing",
                "build_cost_usd",
                "build_lead_periods",
                "fixed_opex_usd_per_year",
            ]
        ]
        + [
            [
                f"s{i}",
                regions[i % n_regions],
                rng.choice([2000, 5000, 10000]),
                3000,
                6000,
                150,
                45,
                round(rng.uniform(1.1, 1.5), 2),
                "yes" if i % existing_every == 0 else "no",
                rng.choice([5e6, 2e7]),
                rng.choice(build_leads),
                5e5,
            ]
            for i in range(n_sites)
        ],
        "cloud": [
            [
                "offer",
                "provider",
                "region",
                "accelerator",
                "pricing",
                "price_usd_per_accelerator_hour",
                "max_accelerators",
                "term_years",
            ]
        ],
        "apis": [["api", "provider", "region", "model", "price_usd_per_mtok", "retains_data"]]
        + [[f"api{j}", "tok", regions[j % n_regions], f"m{j}", 2.5 + j, "no"] for j in range(5)],
        "workloads": [
            [
                "workload",
                "kind",
                "model",
                "user_region",
                "demand",
                "demand_unit",
                "growth_per_year",
                "peak_factor",
                "max_latency_ms",
                "residency",
            ]
        ],
    }
    for i in range(n_offers):
        pricing = ("on_demand", "spot", "reserved")[i % 3]
        acc = ("H100", "B200", "L4")[i % 3 if i % 7 else 0]
        base = {"H100": 2.5, "B200": 5.0, "L4": 0.8}[acc]
        factor = {"on_demand": 1.0, "spot": 0.6, "reserved": 0.75}[pricing]
        sheets["cloud"].append(
            [
                f"c{i}",
                f"p{i % 5}",
                regions[i % n_regions],
                acc,
                pricing,
                round(base * factor * rng.uniform(0.9, 1.4), 2),
                rng.choice([None, 512, 2048]),
                1 if pricing == "reserved" else None,
            ]
        )
    for i in range(workloads):
        training = i % 6 == 0
        sheets["workloads"].append(
            [
                f"w{i}",
                "training" if training else "inference",
                None if training else f"m{i % 5}",
                regions[i % n_regions],
                rng.choice([200, 2000, 20000]) if training else rng.choice([1, 5, 20, 80]),
                "h100_hours_per_month" if training else "mtok_per_day",
                rng.choice([0.0, 0.3, 0.8]),
                1.0 if training else rng.choice([1.2, 1.5, 2.0]),
                None if training or i % 3 else rng.choice([50, 100, 150]),
                rng.choice(["any", "any", "jurisdiction"]),
            ]
        )
    book = openpyxl.Workbook(write_only=True)
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        for row in rows:
            ws.append(row)
    book.save(path)


def measure(workloads: int, folder: Path) -> dict[str, float]:
    """Run every step once in this process; seconds and peak RSS after each."""
    from optimizer import collector
    from optimizer.certify import certified
    from optimizer.inputs import read_plan
    from optimizer.models import build_data, build_model
    from optimizer.outputs import write_folder
    from optimizer.results import costs
    from optimizer.run import power_shadow_prices, tables
    from optimizer.solve import SolverOptions, compile_model, load_values, run_highs

    plan_path = folder / "plan.xlsx"
    generate(plan_path, workloads)
    out: dict[str, float] = {"workloads": workloads}
    t = time.perf_counter()
    plan = read_plan(plan_path)
    out["read_s"], out["read_rss_mb"] = time.perf_counter() - t, _rss_mb()
    options = SolverOptions(mip_gap=plan.settings.mip_gap, time_limit_s=TIME_LIMIT_S)
    with collector.paused():  # as optimize builds and hands off
        t, cpu = time.perf_counter(), time.process_time()
        m = build_model(plan, build_data(plan))
        out["build_s"], out["build_rss_mb"] = time.perf_counter() - t, _rss_mb()
        out["build_cpu_s"] = time.process_time() - cpu
        t, cpu = time.perf_counter(), time.process_time()
        compiled = compile_model(m, options)
    h = compiled.highs
    out["handoff_s"], out["handoff_rss_mb"] = time.perf_counter() - t, _rss_mb()
    out["handoff_cpu_s"] = time.process_time() - cpu
    out["columns"], out["rows"] = h.getNumCol(), h.getNumRow()
    out["integers"] = int(compiled.integer.sum())
    h.writeModel(str(folder / "model.mps"))
    solved, values, _ = run_highs(h, compiled, 0.0, time.perf_counter())
    out["solve_s"], out["solve_rss_mb"] = solved.seconds, _rss_mb()
    out["status"] = solved.status  # type: ignore[assignment]
    if values is None:
        return out
    t, cpu = time.perf_counter(), time.process_time()
    loaded = load_values(compiled, values)
    out["load_s"], out["load_cpu_s"] = time.perf_counter() - t, time.process_time() - cpu
    t = time.perf_counter()
    cost_table = costs(plan, m, "base")
    out["costs_s"] = time.perf_counter() - t
    t = time.perf_counter()
    solved = certified(
        compiled, solved, loaded, float(cost_table["discounted_usd"].sum()), options.mip_gap
    )
    out["certificate_s"], out["certificate_rss_mb"] = time.perf_counter() - t, _rss_mb()
    out["max_row_violation"] = solved.certificate.max_row_violation
    t = time.perf_counter()
    shadow = power_shadow_prices(compiled, options, {"base": (m, 1.0)})["base"]
    out["shadow_lp_s"] = time.perf_counter() - t
    t, cpu = time.perf_counter(), time.process_time()
    result = tables(plan, m, solved, shadow, "base", cost_table)
    out["results_s"], out["results_rss_mb"] = time.perf_counter() - t, _rss_mb()
    out["results_cpu_s"] = time.process_time() - cpu
    t = time.perf_counter()
    write_folder(folder / "out", result, {"benchmark": True})
    out["write_s"], out["write_rss_mb"] = time.perf_counter() - t, _rss_mb()
    return out


def highs_alone(mps: Path) -> dict[str, float]:
    """HiGHS reading the MPS file and solving it, in this (fresh) process."""
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 0.01)
    h.setOptionValue("time_limit", float(TIME_LIMIT_S))
    h.readModel(str(mps))
    t = time.perf_counter()
    h.run()
    return {"highs_alone_solve_s": time.perf_counter() - t, "highs_alone_rss_mb": _rss_mb()}


def main(sizes: list[int]) -> None:
    rows = []
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            ours = subprocess.run(
                [sys.executable, __file__, "--measure", str(n), str(folder)],
                check=True,
                capture_output=True,
                text=True,
            )
            row = json.loads(ours.stdout.strip().splitlines()[-1])
            alone = subprocess.run(
                [sys.executable, __file__, "--highs", str(folder / "model.mps")],
                check=True,
                capture_output=True,
                text=True,
            )
            row |= json.loads(alone.stdout.strip().splitlines()[-1])
        overhead = sum(
            row.get(k, 0.0)
            for k in ("read_s", "build_s", "handoff_s", "costs_s", "results_s", "write_s")
        )
        row["certificate_over_solve"] = row.get("certificate_s", 0.0) / row["solve_s"]
        row["overhead_over_solve"] = overhead / row["solve_s"] if row["solve_s"] else float("nan")
        peak = max(v for k, v in row.items() if k.endswith("_rss_mb") and k != "highs_alone_rss_mb")
        row["peak_rss_mb"] = peak
        row["memory_over_highs"] = peak / row["highs_alone_rss_mb"]
        rows.append(row)
        print(json.dumps(row), flush=True)
    print()
    print(
        "| workloads | columns | rows | integers | read s | build s | hand-off s | solve s | "
        "results s | write s | overhead / solve | certificate s | certificate / solve | "
        "largest row violation | peak MB | HiGHS alone MB | memory ratio | build CPU s | "
        "hand-off CPU s | load CPU s | results CPU s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['workloads']} | {r['columns']:,} | {r['rows']:,} | {r['integers']:,} | "
            f"{r['read_s']:.1f} | {r['build_s']:.1f} | {r['handoff_s']:.1f} | "
            f"{r['solve_s']:.1f} | {r.get('results_s', 0):.1f} | {r.get('write_s', 0):.1f} | "
            f"{r['overhead_over_solve']:.2f} | {r.get('certificate_s', 0):.3f} | "
            f"{r['certificate_over_solve']:.3f} | {r.get('max_row_violation', 0):.1e} | "
            f"{r['peak_rss_mb']:.0f} | "
            f"{r['highs_alone_rss_mb']:.0f} | {r['memory_over_highs']:.2f} | "
            f"{r['build_cpu_s']:.2f} | {r['handoff_cpu_s']:.2f} | {r.get('load_cpu_s', 0):.2f} | "
            f"{r.get('results_cpu_s', 0):.2f} |"
        )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--measure"]:
        print(json.dumps(measure(int(sys.argv[2]), Path(sys.argv[3]))))
    elif sys.argv[1:2] == ["--highs"]:
        print(json.dumps(highs_alone(Path(sys.argv[2]))))
    else:
        main([int(a) for a in sys.argv[1:]] or [30, 300, 3000])
