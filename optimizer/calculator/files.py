"""What the calculator writes: a new workbook holding the current overrides as a scenario,
and a zip of the result folder `optimize` writes for them. The input workbook is only
ever read."""

from __future__ import annotations

import io
import math
import os
import re
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl

from optimizer.calculator.controls import Request
from optimizer.errors import InputError
from optimizer.inputs import read_plan
from optimizer.plan import Plan
from optimizer.scenarios import BASE, Scenario, from_sheet
from optimizer.schema import SHEETS

FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._()+-]{0,100}\.xlsx$")
SCENARIO_NAME = re.compile(r"^[^\x00-\x1f\x7f]{1,60}$")
SCENARIO_COLUMNS = [c.name for c in next(s for s in SHEETS if s.name == "scenarios").columns]


# (plan with the settings applied, scenario, folder): writes what `optimize` writes there
ResultsWriter = Callable[[Plan, Scenario, Path], None]


class SaveError(Exception):
    """Why a scenario could not be saved, and the form field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def save_scenario(
    plan: Plan, request: Request, name: object, file: object, probability: object = None
) -> Path:
    """Write a copy of the plan's workbook, beside it, named ``file``, with the request's
    overrides as rows of scenario ``name`` in its scenarios sheet; the copy is read back
    as `optimize --check` reads it before it is put in place (never over a file).

    When the workbook's scenarios have probabilities (they sum to 1), the new scenario
    takes ``probability`` (more than 0, less than 1) and every other scenario's is scaled
    by 1 - ``probability``, so they still sum to 1; otherwise ``probability`` is empty."""
    if not isinstance(name, str) or not SCENARIO_NAME.match(name.strip()):
        raise SaveError("name", "give the scenario a name (at most 60 characters)")
    name = name.strip()
    if name == BASE or name in {s.name for s in from_sheet(plan)}:
        raise SaveError("name", f"the workbook already has a scenario {name!r}")
    if not isinstance(file, str) or not FILE_NAME.match(file):
        raise SaveError(
            "file", "give a file name ending in .xlsx (letters, digits, spaces, . _ - + ( ))"
        )
    target = plan.source.parent / file
    if target.exists() or target.resolve() == plan.source.resolve():
        raise SaveError("file", f"{file} exists; choose a new name (nothing is overwritten)")
    if not request.overrides:
        raise SaveError("name", "nothing is changed from the workbook: no scenario to save")
    rows = list(request.overrides)
    chance = _probability(plan, probability)
    book = openpyxl.load_workbook(plan.source)
    sheet = book["scenarios"] if "scenarios" in book.sheetnames else None
    if sheet is None:
        sheet = book.create_sheet("scenarios")
        sheet.append(SCENARIO_COLUMNS)
    header = [str(c.value).strip() if c.value is not None else "" for c in sheet[1]]
    if chance is not None:
        column = header.index("probability") + 1
        for row in range(2, sheet.max_row + 1):
            cell = sheet.cell(row, column)
            if isinstance(cell.value, int | float):
                cell.value = cell.value * (1 - chance)
    for o in rows:
        values = {"scenario": name, "parameter": o.parameter, "target": o.target, "value": o.value}
        values["probability"] = chance
        sheet.append([values.get(column) for column in header])
    handle, tmp_name = tempfile.mkstemp(suffix=".xlsx", prefix=".saving-", dir=target.parent)
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        book.save(tmp)
        read_plan(tmp)
        os.link(tmp, target)  # fails, rather than replaces, if the name was taken meanwhile
    except InputError as exc:
        raise SaveError("name", f"the saved workbook would not pass --check: {exc}") from None
    except FileExistsError:
        raise SaveError("file", f"{file} exists; choose a new name") from None
    finally:
        tmp.unlink(missing_ok=True)
    return target


def _probability(plan: Plan, given: object) -> float | None:
    """The saved scenario's probability: required, in (0, 1), when the workbook's
    scenarios have probabilities; refused when they have none."""
    empty = given is None or (isinstance(given, str) and not given.strip())
    if all(s.probability is None for s in from_sheet(plan)):
        if not empty:
            raise SaveError(
                "probability", "the workbook's scenarios have no probabilities; leave it empty"
            )
        return None
    try:
        chance = float(given) if not empty and not isinstance(given, bool) else math.nan
    except (TypeError, ValueError):
        chance = math.nan
    if not 0 < chance < 1:
        raise SaveError(
            "probability",
            "the workbook's scenarios have probabilities: give this one's, more than 0 and "
            "less than 1 (the others are scaled down to make room)",
        )
    return chance


def zipped_results(plan: Plan, request: Request, write: ResultsWriter) -> tuple[bytes, str]:
    """The folder `optimize` writes for the request's overrides (the base case and the
    request's scenario, as with --sweep), zipped; and the zip's name."""
    base, scenario = plan, request.scenario
    name = f"{plan.source.stem}-results"
    with tempfile.TemporaryDirectory(prefix="calculator-") as folder:
        out = Path(folder) / name
        write(base, scenario, out)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(out.rglob("*")):
                if path.is_file():
                    archive.write(path, f"{name}/{path.relative_to(out)}")
    return buffer.getvalue(), f"{name}.zip"
