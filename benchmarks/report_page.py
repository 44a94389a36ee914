"""CPU seconds of making report.html for many workloads, for this installation and, side by
side, for others (an earlier version, say), with a digest of the page each made.

    python benchmarks/report_page.py [--versus PYTHON ...] [--repeat R] [WORKLOADS ...]
        default: 1000 2000 3000, --repeat 3

A generated plan of 30 workloads (benchmarks/model_size.py) is solved once by
`optimize`; its result folder's tables (the CSVs, as the report reads them) and
run.json are then scaled to each size by repeating every workload's rows of
assignments.csv under new names (w0, w0~1, w0~2, ...), which is what the page's
workload grid grows with. Each measurement is a fresh process of the
installation's Python that makes the view and renders the page; the median CPU
seconds of R runs and the SHA-256 of the page are reported (equal digests: the
same bytes).
"""

from __future__ import annotations

import hashlib
import json
import math
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def measure(tables_file: Path, workloads: int) -> dict[str, object]:
    import pandas as pd

    from optimizer.report.page import render_page
    from optimizer.report.view import View

    tables, info = pickle.loads(tables_file.read_bytes())
    rows = tables["assignments"]
    names = list(dict.fromkeys(rows["workload"]))
    copies = math.ceil(workloads / len(names))
    frames = []
    for k in range(copies):
        frame = rows.copy()
        frame["workload"] = [f"{w}~{k}" if k else w for w in frame["workload"]]
        frames.append(frame)
    grown = pd.concat(frames, ignore_index=True)
    keep = set(list(dict.fromkeys(grown["workload"]))[:workloads])
    tables["assignments"] = grown[grown["workload"].isin(keep)].reset_index(drop=True)
    t = time.process_time()
    page = render_page(View.of(tables, info)).encode("utf-8", "replace")
    return {
        "cpu_s": time.process_time() - t,
        "workloads": len(keep),
        "rows": len(tables["assignments"]),
        "bytes": len(page),
        "sha256": hashlib.sha256(page).hexdigest(),
    }


def solved_tables(folder: Path) -> Path:
    """The tables and run.json of the 30-workload plan's result folder, pickled."""
    import pandas as pd
    from model_size import generate

    plan = folder / "plan.xlsx"
    generate(plan, 30)
    out = folder / "out"
    optimize = str(Path(sys.executable).with_name("optimize"))
    subprocess.run([optimize, str(plan), "--out", str(out), "--quiet"], check=True)
    tables = {
        p.stem: pd.read_csv(p, encoding="utf-8-sig", keep_default_na=False, na_values=[""])
        for p in sorted(out.glob("*.csv"))
    }
    info = json.loads((out / "run.json").read_text(encoding="utf-8"))
    path = folder / "tables.pickle"
    path.write_bytes(pickle.dumps((tables, info)))
    return path


def main(sizes: list[int], pythons: list[str], repeat: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tables = solved_tables(Path(tmp))
        runs: dict[tuple[int, str], list[dict[str, object]]] = {}
        for n in sizes:
            for _ in range(repeat):
                for python in pythons:
                    done = subprocess.run(
                        [python, __file__, "--measure", str(tables), str(n)],
                        check=True,
                        capture_output=True,
                        text=True,
                    )
                    row = json.loads(done.stdout.strip().splitlines()[-1])
                    runs.setdefault((n, python), []).append(row)
                    print(json.dumps({"python": python} | row), flush=True)
    print()
    print("| workloads | assignment rows | installation | CPU s (median) | page bytes | SHA-256 |")
    print("|---|---|---|---|---|---|")
    for (_, python), rows in runs.items():
        cpu = statistics.median(float(r["cpu_s"]) for r in rows)
        r = rows[0]
        print(
            f"| {r['workloads']:,} | {r['rows']:,} | {python} | {cpu:.2f} | {r['bytes']:,} | "
            f"{str(r['sha256'])[:12]} |"
        )


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--measure"]:
        print(json.dumps(measure(Path(args[1]), int(args[2]))))
        sys.exit()
    pythons, repeat, sizes = [sys.executable], 3, []
    while args:
        flag = args.pop(0)
        if flag == "--versus":
            pythons.append(args.pop(0))
        elif flag == "--repeat":
            repeat = int(args.pop(0))
        else:
            sizes.append(int(flag))
    main(sizes or [1000, 2000, 3000], pythons, repeat)
