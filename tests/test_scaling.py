"""The model's numbers stay near those of the inputs, so HiGHS has nothing to warn about on
a plain realistic plan; when it still warns, the terminal says in one line what it means."""

from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path

import numpy as np

from optimizer import read_plan
from optimizer.certify import Certificate
from optimizer.cli.summary import scaling_line
from optimizer.models import build_data, build_model
from optimizer.run import optimize
from optimizer.solve import Solved, SolverOptions, compile_model

ROOT = Path(__file__).resolve().parents[1]


def _generated(tmp_path: Path, workloads: int) -> Path:
    """A plan of benchmarks/model_size.py: 8 sites up to 10,000 kW, cloud quotas up to
    2,048 accelerators, quarters of 2,190 hours."""
    spec = importlib.util.spec_from_file_location(
        "model_size", ROOT / "benchmarks" / "model_size.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path = tmp_path / "plan.xlsx"
    module.generate(path, workloads)
    return path


def test_capacity_rows_are_in_accelerators_not_accelerator_hours(tmp_path):
    """The largest limit in the compiled rows is the largest limit in the workbook (a site's
    power_capacity_kw of 10,000), not a quota times the hours of a quarter (2,048 x 2,190
    = 4,485,120, which made HiGHS warn of excessively large bounds); every coefficient is
    within 1e5 of 1."""
    plan = read_plan(_generated(tmp_path, 30))
    compiled = compile_model(build_model(plan, build_data(plan)), SolverOptions())
    lp = compiled.highs.getLp()
    bounds = np.concatenate([np.asarray(lp.row_lower_), np.asarray(lp.row_upper_)])
    finite = np.abs(bounds[np.isfinite(bounds) & (np.abs(bounds) < 1e20)])
    inputs = max(plan.sites["power_capacity_kw"].max(), plan.cloud["max_accelerators"].max())
    assert inputs == 10_000
    assert finite.max() == inputs
    coefficients = np.abs(np.asarray(lp.a_matrix_.value_))
    assert coefficients[coefficients > 0].min() > 1e-5 and coefficients.max() < 1e5


def test_a_generated_plan_solves_without_a_highs_warning(tmp_path):
    solved = optimize(read_plan(_generated(tmp_path, 30)), SolverOptions()).solved
    assert solved.status == "optimal"
    assert solved.warnings == ()


def test_a_warning_is_one_line_saying_what_it_means():
    solved = Solved(
        "optimal", "Optimal", 1.0, 1.0, 0.0, 0.1, 0.0, warnings=("WARNING: a", "WARNING: b")
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
