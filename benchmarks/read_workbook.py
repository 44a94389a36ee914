"""Read time of a large workbook: read_plan against a plain openpyxl read of the same file.

    python benchmarks/read_workbook.py [ROWS]      (default 50,000 workload rows)

Writes a valid plan whose workloads sheet has ROWS rows into a temporary folder,
then times (best of three) openpyxl's read-only reader alone, calamine alone, and
read_plan (pre-scan, calamine, validation, cross-checks, typed tables).
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import openpyxl
import python_calamine

from optimizer import read_plan


def write_plan(path: Path, rows: int) -> None:
    book = openpyxl.Workbook(write_only=True)
    sheets = {
        "regions": [["region", "jurisdiction", "power_price_usd_per_kwh"]]
        + [[f"r{i}", "EU" if i % 2 else "US", 0.05 + i / 100] for i in range(10)],
        "accelerators": [["accelerator", "training_speed"], ["H100", 1.0]],
        "performance": [["accelerator", "model", "tokens_per_second"], ["H100", "llama-70b", 460]],
        "cloud": [
            [
                "offer",
                "provider",
                "region",
                "accelerator",
                "pricing",
                "price_usd_per_accelerator_hour",
            ],
            ["od", "neo", "r0", "H100", "on_demand", 2.99],
        ],
    }
    for name, table in sheets.items():
        ws = book.create_sheet(name)
        for row in table:
            ws.append(row)
    ws = book.create_sheet("workloads")
    ws.append(
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
            "allow_cloud",
            "allow_api",
            "allow_edge",
            "sensitive",
            "interruptible",
            "start_period",
            "end_period",
        ]
    )
    for i in range(rows):
        training = i % 5 == 0
        ws.append(
            [
                f"w{i:06d}",
                "training" if training else "inference",
                None if training else "llama-70b",
                f"r{i % 10}",
                1 + i % 97,
                "h100_hours_per_month" if training else "mtok_per_day",
                0.3,
                1.5,
                None if i % 3 else 150,
                "any",
                "yes",
                "yes",
                "no",
                "no",
                None,
                0,
                11,
            ]
        )
    book.save(path)


def best_of(n: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main(rows: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "large.xlsx"
        write_plan(path, rows)
        size = path.stat().st_size / 2**20

        def with_openpyxl() -> None:
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
            for ws in book.worksheets:
                for _ in ws.iter_rows(values_only=True):
                    pass
            book.close()

        def with_calamine() -> None:
            book = python_calamine.CalamineWorkbook.from_path(str(path))
            for name in book.sheet_names:
                book.get_sheet_by_name(name).to_python()

        plan_seconds = best_of(3, lambda: read_plan(path))
        calamine_seconds = best_of(3, with_calamine)
        openpyxl_seconds = best_of(1, with_openpyxl)
        print(f"{rows:,} workload rows, {size:.1f} MiB file")
        print(f"openpyxl read-only, values only: {openpyxl_seconds:6.2f} s")
        print(f"calamine, values only:           {calamine_seconds:6.2f} s")
        print(f"read_plan (checked, typed):      {plan_seconds:6.2f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000)
