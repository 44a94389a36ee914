"""Shared helpers: small workbooks written with openpyxl, as a user's Excel would."""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

Sheets = dict[str, list[list[object]]]

# A small valid plan: every sheet, a few rows each. Tests copy and spoil it.
VALID: Sheets = {
    "settings": [["key", "value"], ["horizon_years", 3], ["period", "quarter"]],
    "regions": [
        ["region", "jurisdiction", "power_price_usd_per_kwh"],
        ["no-south", "NO", 0.04],
        ["us-texas", "US", 0.08],
        ["eu-west", "EU", 0.2],
    ],
    "latency": [
        ["from_region", "to_region", "rtt_ms"],
        ["no-south", "eu-west", 25],
        ["us-texas", "eu-west", 110],
    ],
    "sites": [
        [
            "site",
            "region",
            "power_capacity_kw",
            "cooling_air_kw",
            "cooling_liquid_kw",
            "rack_slots",
            "pue",
            "existing",
            "build_cost_usd",
            "max_air_rack_kw",
        ],
        ["oslo", "no-south", 2000, 1000, 1000, 40, 1.1, "no", 5e6, 45],
        ["austin", "us-texas", 1000, 1000, 0, 20, 1.4, "yes", None, 45],
    ],
    "accelerators": [["accelerator", "training_speed"], ["H100", 1], ["L4", None]],
    "performance": [
        ["accelerator", "model", "tokens_per_second"],
        ["H100", "llama-70b", 460],
        ["L4", "vision", 2000],
    ],
    "hardware": [
        [
            "rack_type",
            "accelerator",
            "accelerators_per_rack",
            "it_power_kw",
            "cooling",
            "capex_usd",
        ],
        ["h100-air", "H100", 32, 40.8, "air", 1.2e6],
    ],
    "installed": [["site", "rack_type", "racks"], ["austin", "h100-air", 2]],
    "cloud": [
        [
            "offer",
            "provider",
            "region",
            "accelerator",
            "pricing",
            "price_usd_per_accelerator_hour",
            "term_years",
        ],
        ["aws-od", "aws", "us-texas", "H100", "on_demand", 6.9, None],
        ["lambda-res", "lambda", "us-texas", "H100", "reserved", 1.85, 1],
    ],
    "apis": [
        ["api", "provider", "region", "model", "price_usd_per_mtok", "retains_data"],
        ["tok", "tokenco", "eu-west", "llama-70b", 2.5, "no"],
    ],
    "edge": [
        ["device", "accelerator", "accelerators_per_device", "capex_usd", "power_kw"],
        ["box", "L4", 1, 8000, 0.2],
    ],
    "workloads": [
        [
            "workload",
            "kind",
            "model",
            "user_region",
            "demand",
            "demand_unit",
            "growth_per_year",
            "residency",
        ],
        ["chat", "inference", "llama-70b", "eu-west", 50, "mtok_per_day", 0.5, "any"],
        ["train", "training", None, "us-texas", 20000, "h100_hours_per_month", 0, "any"],
        ["qc", "inference", "vision", "no-south", 1, "mtok_per_day", 0, "region"],
    ],
    "scenarios": [
        ["scenario", "parameter", "target", "value", "probability"],
        ["dear-power", "power_price_multiplier", "us-texas", 2, 0.5],
        ["cheap-cloud", "cloud_price_multiplier", "aws", 0.7, 0.5],
    ],
}


def write_book(path: Path, sheets: Sheets) -> Path:
    """Write ``sheets`` (name -> rows, header first) as an .xlsx file."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        for row in rows:
            ws.append(row)
    book.save(path)
    return path


def valid_sheets() -> Sheets:
    return copy.deepcopy(VALID)


def set_cell(sheets: Sheets, sheet: str, row: int, column: str, value: object) -> None:
    """Set the cell at Excel row ``row`` of the column named ``column``."""
    header = sheets[sheet][0]
    if column not in header:
        header.append(column)
        for r in sheets[sheet][1:]:
            r.append(None)
    sheets[sheet][row - 1][header.index(column)] = value


@pytest.fixture
def book(tmp_path: Path) -> Callable[..., Path]:
    """book(sheets=None, name='plan.xlsx') -> path of a written workbook."""

    def make(sheets: Sheets | None = None, name: str = "plan.xlsx") -> Path:
        return write_book(tmp_path / name, valid_sheets() if sheets is None else sheets)

    return make


@pytest.fixture(scope="module")
def cluster_address():
    """One Dask cluster of two worker processes on loopback, for the whole module."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        host="127.0.0.1",
        silence_logs=logging.ERROR,
    ) as cluster:
        yield cluster.scheduler_address


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many tests were skipped, even when none were (CI reads this line)."""
    skipped = len(terminalreporter.stats.get("skipped", []))
    terminalreporter.write_line(f"skipped tests: {skipped}")
