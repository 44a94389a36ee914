"""HiGHS's scaling warnings reach the terminal as one line that says what they mean for
the plan; run.json keeps HiGHS's own words. (Rows rescaled to silence the warning were
measured and not kept: docs/performance.md, "Tried and not kept".)"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
from pathlib import Path

from click.testing import CliRunner

from optimizer.certify import Certificate
from optimizer.cli import main
from optimizer.cli.summary import scaling_line
from optimizer.solve import Solved
from optimizer.status import Status, Termination

ROOT = Path(__file__).resolve().parents[1]


def _generated(tmp_path: Path, workloads: int) -> Path:
    """A plan of benchmarks/model_size.py: cloud quotas up to 2,048 accelerators over
    quarters of 2,190 hours, so rows of 4,485,120 accelerator-hours, on which HiGHS warns
    of excessively large bounds."""
    spec = importlib.util.spec_from_file_location(
        "model_size", ROOT / "benchmarks" / "model_size.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path = tmp_path / "plan.xlsx"
    module.generate(path, workloads)
    return path


def test_a_warning_is_one_line_saying_what_it_means():
    solved = Solved(
        Status.OPTIMAL,
        Termination.OPTIMAL,
        1.0,
        1.0,
        0.0,
        0.1,
        0.0,
        warnings=("WARNING: a", "WARNING: b"),
    )
    assert scaling_line(solved) == (
        "HiGHS warned that the model's numbers are badly scaled (2 warning(s), in run.json "
        "under solver_warnings): no certified plan came of it"
    )
    holds = Certificate(True, (), 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0)
    line = scaling_line(dataclasses.replace(solved, certificate=holds))
    assert line.endswith(
        "the plan was checked against every limit and its cost recomputed (the certificate "
        "holds), so its figures stand; only the solve may have been slower"
    )


def test_the_terminal_shows_highs_warnings_as_one_line(tmp_path):
    """A generated plan on which HiGHS warns: the terminal has the one line (and none of
    HiGHS's own), run.json has HiGHS's words and a certificate that holds."""
    out = tmp_path / "out"
    result = CliRunner().invoke(main, [str(_generated(tmp_path, 30)), "--out", str(out)])
    assert result.exit_code == 0, result.output
    record = json.loads((out / "run.json").read_text())
    assert record["solver_warnings"], "the plan no longer makes HiGHS warn: pick another"
    assert record["certificate"]["holds"]
    lines = [line for line in result.output.splitlines() if "HiGHS" in line and "warn" in line]
    assert len(lines) == 1 and lines[0].startswith("HiGHS warned that the model's numbers")
    assert "so its figures stand" in result.output.replace("\n", " ")
    assert "HiGHS: WARNING" not in result.output
