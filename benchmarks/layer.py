"""The modelling layer against linopy's: CPU seconds to build a model, hand it to HiGHS
and load a solution back, on generated plans of growing size.

    python benchmarks/layer.py [--repeat N] [--before PYTHON] [WORKLOADS ...]
                                        (default: 3 runs; 300 1000)

Each size is a plan of benchmarks/model_size.py (seeded). *Ours* is what `optimize`
does (collector paused): the sparse sets (build_data), the Pyomo model (build_model),
the hand-off (compile_model: the matrices and passModel) and loading a solution into
the Pyomo variables (load_values). *linopy* builds, from the same sets, a capacity
model of about the same size in linopy's vectorised API (the share variables, rack
purchases and site builds; demand_met, rack_capacity and share_ready as rows, a cost
per column), hands it to HiGHS (``linopy.io.to_highspy``) and sets each variable's
solution from a vector, as its own solve does. No solve: the vector is zeros (loading
costs the same for any values). Each measurement runs in a fresh process; ours and
linopy's alternate, and the median CPU seconds (``time.process_time``) of the runs is
reported, with the model's size. ``--before PYTHON`` also measures the optimizer
installed for another interpreter (an earlier version), in the same interleaving.
linopy is not a dependency of the tool: install it for this script
(``pip install linopy``, or the ``bench`` extra).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from model_size import generate


def ours(path: Path) -> dict[str, float]:
    import numpy as np

    from optimizer import collector
    from optimizer.inputs import read_plan
    from optimizer.models import build_data, build_model
    from optimizer.solve import SolverOptions, compile_model, load_values

    plan = read_plan(path)
    out: dict[str, float] = {}
    clock = time.process_time
    with collector.paused():
        t = clock()
        d = build_data(plan)
        out["sets_s"] = clock() - t
        t = clock()
        m = build_model(plan, d)
        out["build_s"] = clock() - t
        t = clock()
        compiled = compile_model(m, SolverOptions())
        out["handoff_s"] = clock() - t
    lp = compiled.highs.getLp()
    t = clock()
    load_values(compiled, np.zeros(lp.num_col_))
    out["load_s"] = clock() - t
    out |= {"columns": lp.num_col_, "rows": lp.num_row_, "nonzeros": len(lp.a_matrix_.value_)}
    return out


def linopy_layer(path: Path) -> dict[str, float]:
    import linopy
    import numpy as np
    import pandas as pd
    import xarray as xr

    from optimizer.inputs import read_plan
    from optimizer.models import build_data

    d = build_data(read_plan(path))
    out: dict[str, float] = {}
    clock = time.process_time
    started = clock()
    m = linopy.Model()
    shares = d.onprem + d.cloud + d.api + d.edge
    n_on = len(d.onprem)
    share = m.add_variables(0, 1, coords=[pd.RangeIndex(len(shares), name="s")], name="share")
    buy = m.add_variables(0, coords=[pd.RangeIndex(len(d.buy), name="b")], integer=True, name="buy")
    build = m.add_variables(
        coords=[pd.RangeIndex(len(d.build), name="n")], binary=True, name="build"
    )
    demand_rows = pd.factorize(pd.Series([(k[0], k[-1]) for k in shares]))[0]
    demand = share.groupby(xr.DataArray(demand_rows, dims="s", name="demand")).sum()
    m.add_constraints(demand == 1, name="demand_met")
    onprem = share.isel(s=slice(0, n_on))
    acc = {k: v["accelerator"] for k, v in d.rack.items()}
    rows, index = pd.factorize(pd.Series([(s, k, t) for _, s, k, t in d.onprem]))
    coef = xr.DataArray([d.ah_cap[(w, acc[k], t)] for w, _, k, t in d.onprem], dims="s")
    used = (coef * onprem).groupby(xr.DataArray(rows, dims="s", name="rack")).sum()
    arrivals: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for j, key in enumerate(d.buy):
        arrivals.setdefault(key[:2], []).append((d.delivered[key], j))
    at, col, per = [], [], []
    for i, (s, k, t) in enumerate(index):
        rack = float(d.rack[k]["accelerators_per_rack"]) * d.hours * d.max_utilization
        for when, j in arrivals.get((s, k), []):
            if when <= t:
                at.append(i)
                col.append(j)
                per.append(rack)
    bought = buy.isel(b=xr.DataArray(col, dims="e")) * xr.DataArray(per, dims="e")
    installed = bought.groupby(xr.DataArray(at, dims="e", name="rack")).sum()
    m.add_constraints(used - installed <= 0, name="rack_capacity")
    new = set(d.new_sites)
    on_new = np.array([i for i, key in enumerate(d.onprem) if key[1] in new], dtype=int)
    ready_rows, ready_index = pd.factorize(
        pd.Series([(d.onprem[i][0], d.onprem[i][1], d.onprem[i][3]) for i in on_new])
    )
    placed = (1.0 * share.isel(s=on_new)).groupby(xr.DataArray(ready_rows, dims="s", name="ready"))
    builds: dict[str, list[tuple[int, int]]] = {}
    for j, (s, u) in enumerate(d.build):
        builds.setdefault(s, []).append((u + int(d.site[s]["build_lead_periods"]), j))  # type: ignore[call-overload]
    at, col = [], []
    for i, (_, s, t) in enumerate(ready_index):
        for when, j in builds.get(s, []):
            if when <= t:
                at.append(i)
                col.append(j)
    ones = xr.DataArray(np.ones(len(col)), dims="q")
    ready = (ones * build.isel(n=xr.DataArray(col, dims="q"))).groupby(
        xr.DataArray(at, dims="q", name="ready")
    )
    m.add_constraints(placed.sum() - ready.sum() <= 0, name="share_ready")
    cost = xr.DataArray(np.linspace(1.0, 2.0, len(shares)), dims="s")
    m.add_objective((cost * share).sum() + (1e6 * buy).sum() + (1e7 * build).sum())
    out["build_s"] = clock() - started
    started = clock()
    h = linopy.io.to_highspy(m)
    out["handoff_s"] = clock() - started
    values = np.zeros(h.getNumCol())
    started = clock()
    for var in m.variables.data.values():
        labels = var.labels
        var.solution = xr.DataArray(values[labels.values], coords=labels.coords)
    out["load_s"] = clock() - started
    lp = h.getLp()
    out |= {"columns": lp.num_col_, "rows": lp.num_row_, "nonzeros": len(lp.a_matrix_.value_)}
    return out


def _fresh(python: str, kind: str, path: Path) -> dict[str, float]:
    run = subprocess.run(
        [python, __file__, f"--{kind}", str(path)], check=True, capture_output=True, text=True
    )
    return json.loads(run.stdout.strip().splitlines()[-1])


def _layer(r: dict[str, float]) -> float:
    return r.get("sets_s", 0.0) + r["build_s"] + r["handoff_s"] + r["load_s"]


def main(sizes: list[int], repeat: int, before: str | None) -> None:
    """``before``: another Python whose installed optimizer is measured too (an earlier
    version), interleaved with this one's runs."""
    print(
        "| workloads | layer | columns | rows | nonzeros | sets CPU s | build | hand-off | "
        "load | layer CPU s | over linopy |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    pythons = {"ours": sys.executable, "linopy": sys.executable}
    if before:
        pythons = {"before": before, **pythons}
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "plan.xlsx"
            generate(path, n)
            runs: dict[str, list[dict[str, float]]] = {name: [] for name in pythons}
            for _ in range(repeat):
                for name, python in pythons.items():
                    kind = "linopy" if name == "linopy" else "ours"
                    runs[name].append(_fresh(python, kind, path))
        med = {
            name: {key: statistics.median(r[key] for r in rs) for key in rs[0]}
            for name, rs in runs.items()
        }
        print(json.dumps({"workloads": n, **med}), file=sys.stderr)
        for name, r in med.items():
            print(
                f"| {n} | {name} | {r['columns']:,.0f} | {r['rows']:,.0f} | "
                f"{r['nonzeros']:,.0f} | {r.get('sets_s', 0.0):.2f} | {r['build_s']:.2f} | "
                f"{r['handoff_s']:.2f} | {r['load_s']:.2f} | {_layer(r):.2f} | "
                f"{_layer(r) / _layer(med['linopy']):.2f} |",
                flush=True,
            )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--ours"]:
        print(json.dumps(ours(Path(sys.argv[2]))))
    elif sys.argv[1:2] == ["--linopy"]:
        print(json.dumps(linopy_layer(Path(sys.argv[2]))))
    else:
        args = sys.argv[1:]
        repeat, before = 3, None
        while args[:1] in (["--repeat"], ["--before"]):
            if args[0] == "--repeat":
                repeat = int(args[1])
            else:
                before = args[1]
            args = args[2:]
        main([int(a) for a in args] or [300, 1000], repeat, before)
