"""Writing the result folder: whole or not at all.

Everything is written into a hidden temporary folder beside the target and
renamed into place at the end, so a time limit, a crash or Ctrl-C leaves
either the previous folder or the new one, never half of one. An existing
folder is replaced only when it is a result folder (it holds run.json and
nothing but result files), so a mistyped --out never deletes a user's files.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from optimizer.reports import write_reports

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
RESULT_FILES = {
    "summary.csv",
    "costs.csv",
    "emissions.csv",
    "racks.csv",
    "assignments.csv",
    "sites.csv",
    "decisions.csv",
    "regret.csv",
    "breakeven.csv",
    "results.xlsx",
    "report.html",
    "run.json",
}


class OutputError(Exception):
    """The output folder cannot be used; the message says why."""


def default_out(plan_path: Path) -> Path:
    """``<plan name>-results/`` beside the plan."""
    return plan_path.with_name(plan_path.stem + "-results")


def check_out(out: Path) -> None:
    """Refuse, before any work, a target that is a file or a folder of other things."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out} is a file, not a folder")
    if out.is_dir():
        names = {p.name for p in out.iterdir()}
        if names and ("run.json" not in names or not names <= RESULT_FILES):
            raise OutputError(
                f"--out {out} exists and is not a result folder of this tool; choose a new or "
                "empty folder"
            )
    parent = out.parent if out.parent != Path("") else Path(".")
    if not parent.is_dir():
        raise OutputError(f"the folder {parent} does not exist")


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet would read as a formula get a leading apostrophe."""
    out = frame.copy()
    for name in out.columns:
        if out[name].dtype == object or pd.api.types.is_string_dtype(out[name]):
            out[name] = [
                "'" + v if isinstance(v, str) and v.startswith(FORMULA_STARTS) else v
                for v in out[name]
            ]
    return out


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """UTF-8 with BOM, comma, '.' decimals, ISO dates, no index."""
    neutralise(frame).to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")


def write_folder(out: Path, tables: dict[str, pd.DataFrame], run_info: dict[str, object]) -> None:
    """Write every table as CSV, run.json, results.xlsx and report.html into ``out``,
    atomically."""
    check_out(out)
    parent = out.parent if out.parent != Path("") else Path(".")
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=parent))
    try:
        for name, frame in tables.items():
            write_csv(frame, tmp / f"{name}.csv")
        (tmp / "run.json").write_text(
            json.dumps(run_info, indent=2, default=str) + "\n", encoding="utf-8"
        )
        write_reports(tmp, tables, run_info)
        _swap_in(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _swap_in(tmp: Path, out: Path) -> None:
    if not out.exists():
        os.rename(tmp, out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=tmp.parent))
    os.rename(out, old / out.name)
    try:
        os.rename(tmp, out)
    except BaseException:
        os.rename(old / out.name, out)
        raise
    shutil.rmtree(old, ignore_errors=True)
