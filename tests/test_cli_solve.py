"""Solving through the command line: exit codes 0/3/4, the output folder, --write-model."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import set_cell, valid_sheets, write_book

from optimizer.cli import Exit, main

ROOT = Path(__file__).resolve().parent.parent
HYBRID = ROOT / "data" / "examples" / "hybrid-enterprise.xlsx"


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args])


def solvable(tmp_path: Path) -> Path:
    sheets = valid_sheets()
    set_cell(sheets, "workloads", 4, "allow_edge", "yes")  # qc can run only on an edge box
    return write_book(tmp_path / "plan.xlsx", sheets)


def test_solve_writes_every_table(tmp_path):
    result = run(solvable(tmp_path))
    assert result.exit_code == Exit.OK, result.output
    out = tmp_path / "plan-results"
    assert sorted(p.name for p in out.iterdir()) == [
        "assignments.csv",
        "costs.csv",
        "emissions.csv",
        "racks.csv",
        "report.html",
        "results.xlsx",
        "run.json",
        "sites.csv",
        "summary.csv",
        "workload_costs.csv",
        "workload_emissions.csv",
        "workload_summary.csv",
    ]
    summary = pd.read_csv(out / "summary.csv", encoding="utf-8-sig")
    costs = pd.read_csv(out / "costs.csv", encoding="utf-8-sig")
    assert summary.loc[0, "status"] == "optimal"
    assert costs["discounted_usd"].sum() == pytest.approx(
        summary.loc[0, "objective_usd"], abs=0.005
    )
    info = json.loads((out / "run.json").read_text())
    assert info["status"] == "optimal" and info["input"]["file"] == "plan.xlsx"
    assert len(info["input"]["sha256"]) == 64
    assert "Total cost over 3 years" in result.output
    assert "solver: optimal" in result.output
    assert "Cost per workload over 3 years" in result.output
    by_workload = pd.read_csv(out / "workload_costs.csv", encoding="utf-8-sig")
    assert by_workload["amount_usd"].sum() == pytest.approx(costs["amount_usd"].sum(), abs=0.005)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_rerun_replaces_a_result_folder(tmp_path):
    plan = solvable(tmp_path)
    assert run(plan).exit_code == Exit.OK
    out = tmp_path / "plan-results"
    (out / "summary.csv").write_text("stale")
    assert run(plan).exit_code == Exit.OK
    assert (out / "summary.csv").read_text(encoding="utf-8-sig").startswith("scenario,")


def test_out_folder_of_other_files_is_refused(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.docx").write_text("precious")
    result = run(solvable(tmp_path), "--out", out)
    assert result.exit_code == Exit.INPUT
    assert "is not a result folder" in result.output
    assert [p.name for p in out.iterdir()] == ["thesis.docx"]


def test_invalid_input_leaves_existing_out_as_it_was(tmp_path):
    plan = solvable(tmp_path)
    assert run(plan).exit_code == Exit.OK
    out = tmp_path / "plan-results"
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    sheets = valid_sheets()
    set_cell(sheets, "sites", 2, "pue", "abc")
    write_book(plan, sheets)
    assert run(plan).exit_code == Exit.INPUT
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_infeasible_exits_3_with_the_reason(tmp_path):
    result = run(write_book(tmp_path / "plan.xlsx", valid_sheets()))
    assert result.exit_code == Exit.INFEASIBLE
    assert "workload qc has demand but no allowed option" in result.output
    assert "allow_edge=no" in result.output
    summary = pd.read_csv(tmp_path / "plan-results" / "summary.csv", encoding="utf-8-sig")
    assert summary.loc[0, "status"] == "infeasible"


def test_infeasible_limits_are_explained(tmp_path):
    sheets = valid_sheets()
    set_cell(sheets, "workloads", 4, "allow_edge", "yes")
    for row in (2, 3):
        set_cell(sheets, "workloads", row, "allow_cloud", "no")
        set_cell(sheets, "workloads", row, "allow_api", "no")
    set_cell(sheets, "sites", 2, "power_capacity_kw", 50)  # oslo: one rack at most
    set_cell(sheets, "sites", 3, "power_capacity_kw", 90)  # austin: its two racks
    set_cell(sheets, "workloads", 3, "demand", 200_000)  # training far beyond both
    result = run(write_book(tmp_path / "plan.xlsx", sheets))
    assert result.exit_code == Exit.INFEASIBLE, result.output
    assert "no plan:" in result.output
    assert "less demand" in result.output or "more power" in result.output


def test_time_limit_without_a_plan_exits_4(tmp_path):
    result = run(HYBRID, "--time-limit", "0.0001", "--out", tmp_path / "r")
    assert result.exit_code == Exit.NO_PLAN_IN_TIME, result.output
    assert "the time limit passed before any plan was found" in result.output


def test_time_limit_is_honoured(tmp_path):
    result = run(HYBRID, "--time-limit", "2", "--mip-gap", "0", "--out", tmp_path / "r")
    assert result.exit_code in (Exit.OK, Exit.NO_PLAN_IN_TIME), result.output
    info = json.loads((tmp_path / "r" / "run.json").read_text())
    assert info["options"]["time_limit_s"] == 2
    assert info["timings_seconds"]["solve_seconds"] < 6


@pytest.mark.parametrize("suffix", [".mps", ".lp"])
def test_write_model(tmp_path, suffix):
    target = tmp_path / f"model{suffix}"
    result = run(solvable(tmp_path), "--write-model", target)
    assert result.exit_code == Exit.OK, result.output
    text = target.read_text()
    assert "demand_met" in text


def test_interrupt_leaves_no_partial_folder(tmp_path, monkeypatch):
    import optimizer.outputs as outputs

    calls = []

    def interrupted(frame, path):
        calls.append(path)
        if len(calls) == 2:
            raise KeyboardInterrupt
        path.write_text("x")

    monkeypatch.setattr(outputs, "write_csv", interrupted)
    result = run(solvable(tmp_path))
    assert result.exit_code == Exit.INTERRUPTED
    assert "nothing was written" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.xlsx"]


def test_solver_options_override_the_settings_sheet(tmp_path):
    sheets = valid_sheets()
    set_cell(sheets, "workloads", 4, "allow_edge", "yes")
    sheets["settings"] += [["mip_gap", 0.2], ["threads", 4], ["time_limit_s", 50]]
    path = write_book(tmp_path / "plan.xlsx", sheets)
    result = run(path, "--threads", "1", "--mip-gap", "0.05", "--time-limit", "30")
    assert result.exit_code == Exit.OK, result.output
    info = json.loads((tmp_path / "plan-results" / "run.json").read_text())
    assert info["options"] == {"mip_gap": 0.05, "time_limit_s": 30.0, "threads": 1, "log": False}
    assert info["settings"]["mip_gap"] == 0.2  # the workbook's, as read


def test_quiet_prints_no_summary(tmp_path):
    result = run(solvable(tmp_path), "--quiet")
    assert result.exit_code == Exit.OK
    assert "Total cost" not in result.output and "wrote" not in result.output
    assert (tmp_path / "plan-results" / "summary.csv").exists()
