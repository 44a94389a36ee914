"""The command line: exit codes, what it prints, what it writes (nothing, for --check)."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import set_cell, valid_sheets, write_book

from optimizer.cli import Exit, main


def run(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_check_valid_plan_prints_inventory(book):
    path = book()
    before = sorted(p.name for p in path.parent.iterdir())
    result = run(path, "--check")
    assert result.exit_code == Exit.OK, result.output
    assert "plan.xlsx is valid (0 warnings)" in result.output
    assert "workloads" in result.output and "chat, train, qc" in result.output
    assert "quarters 2027-Q1 (2027-01-01) to 2029-Q4 (2029-12-31)" in result.output
    assert sorted(p.name for p in path.parent.iterdir()) == before  # nothing written


def test_check_invalid_plan_exits_2_listing_every_problem(tmp_path):
    sheets = valid_sheets()
    set_cell(sheets, "sites", 2, "pue", "abc")
    set_cell(sheets, "hardware", 2, "cooling", "water")
    result = run(write_book(tmp_path / "plan.xlsx", sheets), "--check")
    assert result.exit_code == Exit.INPUT
    assert "error: sheet 'sites', row 2, column 'pue': expected a number >= 1, got 'abc'" in (
        result.output
    )
    assert "error: sheet 'hardware', row 2, column 'cooling'" in result.output
    assert "plan.xlsx: 2 problems; nothing was written" in result.output
    assert "Traceback" not in result.output


def test_warnings_are_printed_with_check(tmp_path):
    sheets = valid_sheets()
    sheets["notes"] = [["hello"]]
    result = run(write_book(tmp_path / "plan.xlsx", sheets), "--check")
    assert result.exit_code == Exit.OK
    assert "warning: sheet 'notes': unknown sheet, ignored" in result.output
    assert "(1 warnings)" in result.output


def test_missing_file_and_garbage_exit_2(tmp_path):
    assert run(tmp_path / "nope.xlsx", "--check").exit_code == Exit.INPUT
    junk = tmp_path / "junk.xlsx"
    junk.write_text("hello")
    result = run(junk, "--check")
    assert result.exit_code == Exit.INPUT
    assert "not a zip archive" in result.output


def test_template_round_trip(tmp_path):
    path = tmp_path / "t.xlsx"
    result = run("--template", path)
    assert result.exit_code == Exit.OK, result.output
    check = run(path, "--check")
    assert check.exit_code == Exit.OK, check.output
    assert "(0 warnings)" in check.output


def test_template_does_not_overwrite(tmp_path):
    path = tmp_path / "t.xlsx"
    path.write_bytes(b"mine")
    result = run("--template", path)
    assert result.exit_code == Exit.INPUT
    assert path.read_bytes() == b"mine"


def test_template_has_notes_dropdowns_and_examples(tmp_path):
    from optimizer.schema import SHEETS

    path = tmp_path / "t.xlsx"
    run("--template", path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == [s.name for s in SHEETS]
    for schema in SHEETS:
        ws = book[schema.name]
        headers = [c.value for c in ws[1]]
        assert headers == list(schema.column_names)
        assert ws.max_row >= 2, schema.name  # at least one example row
        for cell, column in zip(ws[1], schema.columns, strict=True):
            assert column.description in cell.comment.text
            if column.unit:
                assert f"Unit: {column.unit}" in cell.comment.text
        lists = {
            str(dv.sqref).split(":")[0][:-1]: dv.formula1
            for dv in ws.data_validations.dataValidation
        }
        for j, column in enumerate(schema.columns):
            letter = openpyxl.utils.get_column_letter(j + 1)
            if column.allowed:
                assert lists[letter] == '"' + ",".join(column.allowed) + '"'
            else:
                assert letter not in lists
    cooling = [dv for dv in book["hardware"].data_validations.dataValidation]
    assert any(dv.formula1 == '"air,liquid"' for dv in cooling)


def test_no_plan_given():
    result = run()
    assert result.exit_code == Exit.INPUT
    assert "give a PLAN workbook" in result.output


def test_unexpected_error_is_exit_1_without_traceback(book, monkeypatch):
    import optimizer.cli.runs as cli

    def boom(path):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(cli, "read_plan", boom)
    result = run(book(), "--check")
    assert result.exit_code == Exit.INTERNAL
    assert "internal error: RuntimeError: disk on fire" in result.output
    assert "Traceback" not in result.output
    debug = run(book(name="b.xlsx"), "--check", "--debug")
    assert isinstance(debug.exception, RuntimeError)


def test_a_failed_certificate_is_exit_1_and_writes_nothing(book, monkeypatch):
    """A plan that fails its certificate is never written: one red line that says it is a
    bug, exit 1, no traceback, no folder."""
    import optimizer.cli.runs as cli
    from optimizer.certify import CertificateError

    def uncertified(*args: object, **kwargs: object) -> None:
        raise CertificateError("the plan's cost is 5 % off the solver's")

    monkeypatch.setattr(cli, "optimize", uncertified)
    path = book()
    result = run(path)
    assert result.exit_code == Exit.INTERNAL
    assert (
        "error: the plan's cost is 5 % off the solver's; nothing was written (a bug: please "
        "report it)" in result.output
    )
    assert "Traceback" not in result.output
    assert not (path.parent / "plan-results").exists()


def test_template_must_be_xlsx(tmp_path):
    result = run("--template", tmp_path / "t.csv")
    assert result.exit_code == Exit.INPUT
    assert "the template must be an .xlsx file" in result.output
    assert not (tmp_path / "t.csv").exists()


def test_write_model_must_be_mps_or_lp(book, tmp_path):
    result = run(book(), "--write-model", tmp_path / "model.txt")
    assert result.exit_code == Exit.INPUT
    assert "--write-model takes a .mps or .lp file" in result.output


@pytest.mark.parametrize(
    "whatif",
    [["--scenarios"], ["--sweep", "api_price_multiplier=0.5,2"], ["--robust"], ["--pareto"]],
)
def test_write_model_is_refused_with_a_whatif_run(book, tmp_path, whatif):
    """--write-model writes the one model of a plain run; with a what-if run, a robust plan
    or a frontier it would be ignored, so it is refused before anything is read."""
    target = tmp_path / "model.mps"
    result = run(book(), "--write-model", target, *whatif)
    assert result.exit_code == Exit.INPUT
    assert "--write-model writes the model of a plain run" in result.output
    assert not target.exists()


def test_ctrl_c_while_the_command_is_still_importing(book):
    """Ctrl-C while pandas, Pyomo, HiGHS and Dask are still being imported (about 2 s):
    one line and exit 130, no traceback. The signal goes once numpy's compiled part is
    mapped into the process (so the command has started importing its libraries), not
    after a fixed delay that a loaded machine might spend starting Python itself."""
    optimize = shutil.which("optimize") or str(Path(sys.executable).with_name("optimize"))
    process = subprocess.Popen(
        [optimize, str(book()), "--check"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    maps = Path(f"/proc/{process.pid}/maps")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        if "numpy" in maps.read_text(errors="replace"):
            break
        time.sleep(0.01)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, (out, err)
    assert b"Traceback" not in err
    assert err.strip() == b"interrupted: nothing was written; an existing result is as it was"


# What --version and --help must not load: the libraries a run needs (docs/performance.md).
HEAVY = ("pandas", "numpy", "pyomo", "highspy", "dask", "distributed", "openpyxl", "xlsxwriter")
LOADED = """
import sys
sys.argv = ["optimize", *sys.argv[1:]]
from optimizer.cli import run
try:
    run()
except SystemExit as exc:
    code = exc.code
heavy = sorted({m.split(".")[0] for m in sys.modules} & set(HEAVY)) + sorted(
    m for m in sys.modules if m == "rich.table"
)
print("exit", code, "loaded", ",".join(heavy) or "nothing")
"""


def test_version_and_help_load_no_library():
    """The console script answers --version and --help without importing pandas, Pyomo,
    HiGHS, Dask or rich's tables (a run imports them when it starts)."""
    for option, said in (("--version", "version"), ("--help", "Exit codes")):
        code = f"HEAVY = {HEAVY!r}\n{LOADED}"
        done = subprocess.run(
            [sys.executable, "-P", "-c", code, option], capture_output=True, text=True, timeout=120
        )
        assert said in done.stdout, done.stdout + done.stderr
        assert done.stdout.splitlines()[-1] == "exit 0 loaded nothing", done.stdout


def test_a_run_still_loads_them(book):
    """The other side of the test above: a --check run does import the libraries, so that
    test would see them if --version did."""
    code = f"HEAVY = {HEAVY!r}\n{LOADED}"
    done = subprocess.run(
        [sys.executable, "-P", "-c", code, str(book()), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "loaded nothing" not in done.stdout and "pandas" in done.stdout.splitlines()[-1]
