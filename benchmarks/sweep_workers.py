"""Wall time of a sweep with 1 and with 2 Dask workers.

    python benchmarks/sweep_workers.py [PLAN.xlsx] [SWEEP]
        default: data/examples/hybrid-enterprise.xlsx power_price_multiplier=0.5:2.0:0.25

Starts a local Dask cluster of N single-threaded workers and runs `optimize PLAN
--sweep SWEEP --scheduler ADDRESS` against it, as a user with a cluster would,
for N = 1 and 2; prints the wall time of each (scenarios and regret runs).
"""

from __future__ import annotations

import logging
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from distributed import LocalCluster

ROOT = Path(__file__).resolve().parent.parent


def main(plan: Path, sweep: str) -> None:
    print("| workers | wall s |")
    print("|---|---|")
    for workers in (1, 2):
        with (
            LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                dashboard_address=":0",
                silence_logs=logging.CRITICAL,
            ) as cluster,
            tempfile.TemporaryDirectory() as tmp,
        ):
            t0 = time.perf_counter()
            subprocess.run(
                [
                    "optimize",
                    str(plan),
                    "--sweep",
                    sweep,
                    "--scheduler",
                    cluster.scheduler_address,
                    "--out",
                    str(Path(tmp) / "out"),
                    "--quiet",
                ],
                check=True,
            )
            print(f"| {workers} | {time.perf_counter() - t0:.0f} |", flush=True)


if __name__ == "__main__":
    args = sys.argv[1:]
    main(
        Path(args[0]) if args else ROOT / "data" / "examples" / "hybrid-enterprise.xlsx",
        args[1] if len(args) > 1 else "power_price_multiplier=0.5:2.0:0.25",
    )
