"""Faults, misuse and long runs (issue 14): never hang, never lose a finished result, never
lie in the exit code.

Each test names the probe it answers (P1 to P33, the order of the issue). Real parts:
signals sent to real processes, a real ``dask scheduler``/``dask worker`` and plain TCP
and HTTP servers on 127.0.0.1, and (as root, as CI runs) a small tmpfs and read-only bind
mounts; elsewhere those tests skip with the reason.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import set_cell, valid_sheets, write_book

import optimizer.cli.runs as cli
from optimizer import outputs, scheduler
from optimizer.cli import Exit, main
from optimizer.safety import MAX_REGRET_SOLVES, machine_threads, visible

HERE = Path(__file__).resolve().parent
OPTIMIZE = str(Path(sys.executable).with_name("optimize"))
DASK = str(Path(sys.executable).with_name("dask"))


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args])


def solvable(folder: Path, name: str = "plan.xlsx", **cells: object) -> Path:
    """The conftest plan, solvable (qc may use an edge box); ``cells`` set workloads row 2."""
    sheets = valid_sheets()
    set_cell(sheets, "workloads", 4, "allow_edge", "yes")
    for column, value in cells.items():
        set_cell(sheets, "workloads", 2, column, value)
    return write_book(folder / name, sheets)


def strict(text: str) -> object:
    """json.loads as a strict parser: NaN and Infinity are errors."""

    def refuse(name: str) -> object:
        raise ValueError(f"not JSON: {name}")

    return json.loads(text, parse_constant=refuse)


def no_traceback(output: str) -> None:
    assert "Traceback" not in output and "Exception ignored" not in output, output


# --- the result folder: crash-safe replacement (P4-P7, P25, P32, P33) ----------------------


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the step harness forks")
def test_killed_or_signalled_at_every_step_of_the_write(tmp_path):
    """P4 (kill between the renames), P5 (the message after Ctrl-C), P6 (SIGTERM leaves
    leftovers), P7 (no later run cleans up), P25 (SIGINT while results.xlsx is written).

    tests/fault_steps.py sends a signal to `optimize` just before each step of the write,
    with the atomic exchange and with the two-rename fallback. After every case: a
    complete result is at --out (the previous or the new one) unless the signal came
    between the fallback's two renames, and then the next run's recovery puts the
    previous one back; a handled signal leaves no leftover and says truly whether the new
    result was written; recovery leaves none either."""
    plan = solvable(tmp_path)
    modes = {"exchange": ("SIGKILL", "SIGTERM"), "fallback": ("SIGKILL", "SIGINT")}
    procs = {}
    for mode, signals in modes.items():
        folder = tmp_path / mode
        folder.mkdir()
        procs[mode] = subprocess.Popen(
            [sys.executable, str(HERE / "fault_steps.py"), plan, folder / "res", mode, *signals],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    for mode, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 0, stderr
        records = [json.loads(line) for line in stdout.splitlines()]
        for signame in modes[mode]:
            cases = [r for r in records if r["signal"] == signame]
            assert len(cases) >= 7, (mode, signame)  # every step, and one past the last
            assert cases[-1]["exit"] == 0 and cases[-1]["after_recovery"]["holds"] == "new"
            assert {r["before_recovery"]["holds"] for r in cases} >= {"old", "new"}
        for r in records:
            where = (mode, r["signal"], r["step"])
            after = r["after_recovery"]
            assert after["holds"] in ("old", "new") and not after["leftovers"], where
            before = r["before_recovery"]
            if r["signal"] == "SIGKILL":
                if before["holds"] is None:  # only between the fallback's two renames
                    assert mode == "fallback" and after["holds"] == "old", where
                    assert "put back" in " ".join(r["recovered"]), where
                continue
            assert before == after and not r["recovered"], where
            if r["exit"] == 0:
                continue
            assert r["exit"] == 128 + signal.Signals[r["signal"]], where
            no_traceback(r["stderr"])
            if before["holds"] == "new":
                assert "interrupted: after the result was written to" in r["stderr"], where
            else:
                assert "interrupted: nothing was written" in r["stderr"], where


def test_the_next_run_recovers_what_a_killed_run_left(tmp_path):
    """P7: a result set aside (.res.old-PID-...) by a run killed between two renames is put
    back when --out is missing; an unfinished folder and a probe file are removed; a run
    still going (its process alive) is left alone."""
    plan = solvable(tmp_path)
    out = tmp_path / "res"
    assert run(plan, "--out", out, "--time-limit", 100).exit_code == Exit.OK
    dead = _dead_pid()
    previous = tmp_path / f".res.old-{dead}-aa"
    out.rename(previous)
    partial = tmp_path / f".res.partial-{dead}-bb"
    partial.mkdir()
    (partial / "costs.csv").write_text("half")
    (tmp_path / f".res.probe-{dead}-cc").write_text("probe")
    alive = tmp_path / f".res.partial-{os.getppid()}-dd"
    alive.mkdir()
    result = run(plan, "--out", out, "--check")  # --check writes nothing, recovers nothing
    assert result.exit_code == Exit.OK and not out.exists()
    result = run(plan, "--out", out, "--time-limit", 200)
    assert result.exit_code == Exit.OK, result.output
    assert "warning: put back the result folder" in result.output
    assert "warning: removed 2 leftover(s)" in result.output
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == [alive.name]
    assert json.loads((out / "run.json").read_text())["options"]["time_limit_s"] == 200


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.mark.parametrize("litter", [".DS_Store", "~$results.xlsx", "Thumbs.db", "._report.html"])
def test_litter_from_finder_explorer_or_excel_does_not_block_replacing(tmp_path, litter):
    """P33."""
    plan = solvable(tmp_path)
    out = tmp_path / "plan-results"
    assert run(plan).exit_code == Exit.OK
    (out / litter).write_bytes(b"\x00\x01")
    result = run(plan)
    assert result.exit_code == Exit.OK, result.output
    assert not (out / litter).exists()


@pytest.mark.parametrize("umask, mode", [(0o022, 0o755), (0o027, 0o750), (0o077, 0o700)])
def test_result_folder_follows_the_umask(tmp_path, umask, mode):
    """P32: not 0700 whatever the umask."""
    old = os.umask(umask)
    try:
        assert run(solvable(tmp_path)).exit_code == Exit.OK
    finally:
        os.umask(old)
    out = tmp_path / "plan-results"
    assert out.stat().st_mode & 0o777 == mode
    assert (out / "summary.csv").stat().st_mode & 0o777 == mode & 0o666


# --- preflight and environment failures (P10-P12, P14, P15, P24) ---------------------------


@contextlib.contextmanager
def mounted(target: Path, *options: str) -> Iterator[Path]:
    """Mount (as root): ``tmpfs SIZE`` or ``ro SOURCE`` (a read-only bind of SOURCE)."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("needs root to mount a tmpfs or a read-only bind (CI runs as root)")
    target.mkdir(exist_ok=True)
    if options[0] == "tmpfs":
        commands = [["mount", "-t", "tmpfs", "-o", f"size={options[1]}", "tmpfs", str(target)]]
    else:
        commands = [
            ["mount", "--bind", options[1], str(target)],
            ["mount", "-o", "remount,bind,ro", str(target)],
        ]
    for command in commands:
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode:
            subprocess.run(["umount", str(target)], capture_output=True)
            pytest.skip(f"cannot mount here: {done.stderr.strip()}")
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], check=True)


@pytest.fixture
def no_solve(monkeypatch):
    """Fail the test if the command solves (preflight must stop it before)."""

    def refuse(*args, **kwargs):
        raise AssertionError("solved although the output location was known to be unusable")

    monkeypatch.setattr(cli, "optimize", refuse)


def test_read_only_result_folder_is_refused_before_solving(tmp_path, no_solve):
    """P10: exit 6 (environment), before any solve; the folder as it was."""
    plan = solvable(tmp_path)
    source = tmp_path / "source"
    source.mkdir()
    (source / "run.json").write_text("{}")
    with mounted(tmp_path / "res", "ro", str(source)) as out:
        result = run(plan, "--out", out)
        assert result.exit_code == Exit.ENVIRONMENT, result.output
        assert f"error: cannot write in {out}: Read-only file system" in result.output
        assert sorted(p.name for p in out.iterdir()) == ["run.json"]
    no_traceback(result.output)


def test_unwritable_parent_is_refused_before_solving(tmp_path, no_solve):
    """P11."""
    plan = solvable(tmp_path)
    source = tmp_path / "source"
    source.mkdir()
    with mounted(tmp_path / "ro", "ro", str(source)) as parent:
        result = run(plan, "--out", parent / "res")
    assert result.exit_code == Exit.ENVIRONMENT, result.output
    assert f"error: cannot write in {parent}: Read-only file system" in result.output
    no_traceback(result.output)


def test_full_disk_is_refused_before_solving(tmp_path, no_solve):
    """P12: the room needed is estimated from the model's size."""
    plan = solvable(tmp_path)
    with mounted(tmp_path / "small", "tmpfs", "64k") as small:
        result = run(plan, "--out", small / "res")
        assert list(small.iterdir()) == []
    assert result.exit_code == Exit.ENVIRONMENT, result.output
    assert "MiB free; the result needs about" in result.output
    no_traceback(result.output)


def test_disk_full_while_writing_keeps_the_finished_result(tmp_path, monkeypatch):
    """P12, P15, P24: the estimate passed but the disk filled while results.xlsx was written:
    exit 6, no traceback nor openpyxl's "Exception ignored", and the finished result kept
    complete in the temporary folder, named in the message."""
    keep = tmp_path / "tmp"
    keep.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(keep))
    monkeypatch.setattr(cli, "estimate_bytes", lambda plan, n: 1)
    plan = solvable(tmp_path)
    with mounted(tmp_path / "small", "tmpfs", "48k") as small:
        result = run(plan, "--out", small / "res")
        assert not (small / "res").exists() and not outputs.leftovers(small / "res")
    assert result.exit_code == Exit.ENVIRONMENT, result.output
    assert "No space left on device; the finished result is kept in" in result.output
    [kept] = keep.iterdir()
    assert str(kept) in result.output
    assert {"summary.csv", "costs.csv", "run.json", "results.xlsx"} <= {
        p.name for p in kept.iterdir()
    }
    assert strict((kept / "run.json").read_text())["status"] == "optimal"
    no_traceback(result.output)


def test_failure_at_the_swap_keeps_the_finished_folder_beside(tmp_path, monkeypatch):
    """P15: a finished result whose swap fails (the folder made read-only meanwhile) is
    renamed to a visible name beside --out, never thrown away as an internal error."""
    plan = solvable(tmp_path)

    def refuse(ready: Path, out: Path) -> None:
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(outputs, "_put_in_place", refuse)
    result = run(plan)
    assert result.exit_code == Exit.ENVIRONMENT, result.output
    [kept] = [p for p in tmp_path.iterdir() if ".unsaved-" in p.name]
    assert kept.name.startswith("plan-results.unsaved-") and str(kept) in result.output
    assert (kept / "run.json").is_file() and not (tmp_path / "plan-results").exists()


def test_write_model_into_the_result_folder_is_refused_before_solving(tmp_path, no_solve):
    """P14: it would be deleted with the folder it sits in."""
    plan = solvable(tmp_path)
    out = tmp_path / "plan-results"
    out.mkdir()
    result = run(plan, "--write-model", out / "model.lp")
    assert result.exit_code == Exit.INPUT
    assert "is inside the result folder" in result.output


def test_write_model_into_a_missing_folder_is_refused(tmp_path, no_solve):
    """P30: it said "wrote" and wrote nothing."""
    result = run(solvable(tmp_path), "--write-model", tmp_path / "nodir" / "model.lp")
    assert result.exit_code == Exit.INPUT
    assert "the folder" in result.output and "nodir does not exist" in result.output
    assert not (tmp_path / "plan-results").exists()


def test_write_model_does_not_overwrite_without_force(tmp_path):
    """P31."""
    plan = solvable(tmp_path)
    model = tmp_path / "model.lp"
    model.write_text("mine")
    result = run(plan, "--write-model", model)
    assert result.exit_code == Exit.INPUT and "pass --force" in result.output
    assert model.read_text() == "mine"
    result = run(plan, "--write-model", model, "--force")
    assert result.exit_code == Exit.OK, result.output
    assert model.read_text().startswith("\\") or "Minimize" in model.read_text()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".model")]


# --- provenance and options (P13, P19, P20, P27-P29) ---------------------------------------


@pytest.mark.parametrize("change", ["renamed", "replaced"])
def test_plan_changed_during_the_solve(tmp_path, monkeypatch, change):
    """P13 (the plan renamed during the solve: it was exit 1, the result lost), P29 (replaced:
    run.json had the new file's sha256): the bytes hashed are the bytes read."""
    plan = solvable(tmp_path)
    read = hashlib.sha256(plan.read_bytes()).hexdigest()
    real = cli.optimize

    def meanwhile(*args, **kwargs):
        if change == "renamed":
            plan.rename(tmp_path / "elsewhere.xlsx")
        else:
            solvable(tmp_path, demand=99)
        return real(*args, **kwargs)

    monkeypatch.setattr(cli, "optimize", meanwhile)
    result = run(plan)
    assert result.exit_code == Exit.OK, result.output
    info = strict((tmp_path / "plan-results" / "run.json").read_text())
    assert info["input"]["sha256"] == read


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_or_sighup_during_the_solve(tmp_path, monkeypatch, signum):
    """P6: SIGTERM (timeout, CI, systemd) and SIGHUP stop a run like Ctrl-C: exit 128 + N,
    one line, nothing written; the handlers before the run are put back after it."""
    plan = solvable(tmp_path)
    real = cli.optimize

    def signalled(*args, **kwargs):
        os.kill(os.getpid(), signum)
        return real(*args, **kwargs)

    monkeypatch.setattr(cli, "optimize", signalled)
    before = signal.getsignal(signum)
    result = run(plan)
    assert result.exit_code == 128 + signum, result.output
    assert "interrupted: nothing was written" in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["plan.xlsx"]
    assert signal.getsignal(signum) is before
    no_traceback(result.output)


@pytest.mark.parametrize(
    "option, value",
    [("--time-limit", "inf"), ("--time-limit", "nan"), ("--mip-gap", "nan"), ("--mip-gap", "-inf")],
)
def test_non_finite_options_are_refused(tmp_path, option, value):
    """P27 (--time-limit inf), P28 (--mip-gap nan): exit 2, nothing written."""
    result = run(solvable(tmp_path), option, value)
    assert result.exit_code == Exit.INPUT, result.output
    assert option in result.output
    assert not (tmp_path / "plan-results").exists()


def test_run_json_is_strict_json(tmp_path):
    """P8 (run.json): non-finite figures are null, never NaN or Infinity."""
    text = outputs.run_json({"a": math.inf, "b": [math.nan, 1.5], "c": {"d": -math.inf}})
    assert strict(text) == {"a": None, "b": [None, 1.5], "c": {"d": None}}


@pytest.mark.parametrize("threads", [100_000, 20_000])
def test_threads_beyond_the_cores_are_refused(tmp_path, threads, no_solve):
    """P19 (--threads 100000 aborted HiGHS after 258 s), P20 (20000 took 283 s)."""
    result = run(solvable(tmp_path), "--threads", threads)
    assert result.exit_code == Exit.INPUT
    assert f"--threads {threads}: at most {machine_threads()}" in result.output


def test_threads_of_the_settings_sheet_are_capped_with_a_warning(tmp_path, monkeypatch):
    sheets = valid_sheets()
    set_cell(sheets, "workloads", 4, "allow_edge", "yes")
    sheets["settings"].append(["threads", 5000])
    seen = []
    real = cli.optimize
    monkeypatch.setattr(cli, "optimize", lambda p, o, *a: seen.append(o) or real(p, o, *a))
    result = run(write_book(tmp_path / "plan.xlsx", sheets))
    assert result.exit_code == Exit.OK, result.output
    assert f"threads 5000 is more than this machine's {machine_threads()} cores" in result.output
    assert seen[0].threads == machine_threads()


# --- terminal hygiene (P16-P18) --------------------------------------------------------------

CLEAR = "\x1b[2J\x1b[3J\x1b[H"
FAKE = CLEAR + "SOLVER OK - total cost 1 USD\n\u202e"
LINK = "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\"


def excel_escaped(text: str) -> str:
    """``text`` as Excel stores control characters in a cell (ESC as _x001B_); a reader
    turns it back into the characters."""
    return "".join(f"_x{ord(c):04X}_" if ord(c) < 32 and c != "\n" else c for c in text)


def test_escape_sequences_in_ids_are_shown_not_obeyed(tmp_path):
    """P16 (a workload id clearing the screen and scrollback and faking a line, stored in
    the xlsx as _x001B_), P17 (an OSC-8 hyperlink in a site id): spelled out in the summary
    and by --check, never sent raw; the outputs keep the ids exactly."""
    sheets = valid_sheets()
    set_cell(sheets, "workloads", 4, "allow_edge", "yes")
    set_cell(sheets, "workloads", 2, "workload", excel_escaped(FAKE))
    set_cell(sheets, "sites", 2, "site", excel_escaped(LINK))
    plan = write_book(tmp_path / "plan.xlsx", sheets)
    assert b"_x001B_" in _sheet_bytes(plan)
    shown = "\\x1b[2J\\x1b[3J\\x1b[HSOLVER OK - total cost 1 USD\\n\\u202e"
    for args in ([plan], [plan, "--check"]):
        result = run(*args)
        assert result.exit_code == Exit.OK, result.output
        assert "\x1b" not in result.output and "\u202e" not in result.output
        assert shown in result.output
    assert "\\x1b]8;;https://evil.example\\x1b\\click" in result.output
    table = pd.read_csv(tmp_path / "plan-results" / "assignments.csv", encoding="utf-8-sig")
    assert FAKE in set(table["workload"])


def _sheet_bytes(path: Path) -> bytes:
    import zipfile

    with zipfile.ZipFile(path) as z:
        return b"".join(z.read(n) for n in z.namelist() if n.endswith(".xml"))


def test_check_errors_do_not_echo_control_bytes(tmp_path):
    """P18: --check's error message quoted the cell's bytes."""
    sheets = valid_sheets()
    set_cell(sheets, "sites", 2, "pue", excel_escaped(CLEAR + "abc"))
    result = run(write_book(tmp_path / "plan.xlsx", sheets), "--check")
    assert result.exit_code == Exit.INPUT
    assert "\x1b" not in result.output
    assert "got '\\x1b[2J\\x1b[3J\\x1b[Habc'" in result.output


def test_visible_spells_out_controls_only():
    assert visible("a\tb\x00c\x7f\x9bd\u2066é€") == "a\\tb\\x00c\\x7f\\x9bd\\u2066é€"


# --- what-if: limits (P21, P22) --------------------------------------------------------------


def test_regret_solves_are_capped_and_counted_by_check(tmp_path):
    """P21: regret grows as n²; 20 scenarios spent 37 of 40 minutes on 380 regret solves.
    --check tells the count; above --max-regret-solves the run is refused before any solve;
    --no-regret skips them."""
    plan = solvable(tmp_path)
    sweep = "--sweep", "demand_multiplier=1:60:1"  # 61 scenarios with the base case
    result = run(plan, *sweep, "--check")
    assert result.exit_code == Exit.INPUT
    assert "61 scenarios need up to 3,660 regret solves" in result.output
    assert f"more than --max-regret-solves {MAX_REGRET_SOLVES:,}" in result.output
    result = run(plan, *sweep, "--check", "--no-regret")
    assert result.exit_code == Exit.OK, result.output
    assert "what-if run: 61 scenarios, regret skipped, at most 61 solves" in result.output
    result = run(plan, "--sweep", "demand_multiplier=1,2", "--check")
    assert "what-if run: 3 scenarios, at most 6 regret solves, at most 9 solves" in result.output
    result = run(plan, "--sweep", "demand_multiplier=1,2", "--max-regret-solves", 5)
    assert result.exit_code == Exit.INPUT and "more than --max-regret-solves 5" in result.output


def test_a_million_scenarios_are_refused_at_check(tmp_path):
    """P22: two 1,000-value sweeps passed --check."""
    a = "--sweep", "demand_multiplier=0.001:1:0.001"
    b = "--sweep", "power_price_multiplier=0.001:1:0.001"
    started = time.monotonic()
    result = run(solvable(tmp_path), *a, *b, "--check")
    assert result.exit_code == Exit.INPUT
    assert "1,000,000 scenarios in the product; at most 10,000 a run" in result.output
    assert time.monotonic() - started < 10


# --- what-if: the scheduler, failures, interrupts (P1-P3, P8, P9, P23, P26) ---------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def quick_probe(monkeypatch):
    monkeypatch.setattr(scheduler, "ANSWER_S", 0.5)


def test_scheduler_address_where_an_http_server_answers(tmp_path, quick_probe):
    """P1: `python -m http.server` at --scheduler waited forever."""
    server = http.server.HTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        result = _whatif_at(tmp_path, f"tcp://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
    assert "an HTTP server answered" in result.output and "SimpleHTTP" in result.output


def test_scheduler_address_where_a_silent_server_listens(tmp_path, quick_probe):
    """P3: a TCP server that accepts and never replies."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        result = _whatif_at(tmp_path, f"127.0.0.1:{listener.getsockname()[1]}")
    assert "accepted the connection but sent nothing in 0.5 s" in result.output


def test_scheduler_address_where_another_protocol_answers(tmp_path, quick_probe):
    """A server that speaks first, but not Dask (an SSH server, say): named by its bytes."""
    with socket.create_server(("127.0.0.1", 0)) as listener:

        def greet() -> None:
            conn, _ = listener.accept()
            with conn:
                conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")
                time.sleep(1)

        threading.Thread(target=greet, daemon=True).start()
        result = _whatif_at(tmp_path, f"tcp://127.0.0.1:{listener.getsockname()[1]}")
    assert "answered, but not as a Dask scheduler does (it sent SSH-2.0-OpenSSH_9.6\\r\\n" in (
        result.output
    )


def test_scheduler_address_where_nothing_listens(tmp_path, quick_probe):
    result = _whatif_at(tmp_path, f"tcp://127.0.0.1:{free_port()}")
    assert "nothing answered at 127.0.0.1:" in result.output


def _whatif_at(tmp_path: Path, address: str):
    started = time.monotonic()
    result = run(solvable(tmp_path), "--sweep", "demand_multiplier=1,2", "--scheduler", address)
    took = time.monotonic() - started
    assert result.exit_code == Exit.ENVIRONMENT, result.output
    assert took < scheduler.CONNECT_S + 2 * scheduler.ANSWER_S + 10
    assert not (tmp_path / "plan-results").exists()
    no_traceback(result.output)
    return result


@contextlib.contextmanager
def dask_cluster(
    workers: int, log: Path | None = None
) -> Iterator[tuple[str, str, list[subprocess.Popen]]]:
    """`dask scheduler` (with its dashboard; its log to ``log``) and `dask worker` processes
    on loopback: (scheduler address, dashboard address, [scheduler, worker process group])."""
    from distributed import Client

    port, dash = free_port(), free_port()
    address = f"tcp://127.0.0.1:{port}"
    dashboard = ["--dashboard-address", f"127.0.0.1:{dash}", "--no-show"]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "start_new_session": True}
    procs = [
        subprocess.Popen(
            [DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port), *dashboard],
            **quiet | ({"stderr": log.open("w")} if log else {}),
        )
    ]
    try:
        local = ["--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard"]
        if workers:
            procs.append(
                subprocess.Popen(
                    [DASK, "worker", address, "--nworkers", str(workers), *local],
                    **quiet,
                )
            )
        with Client(address, timeout="30s") as client:
            if workers:
                client.wait_for_workers(workers, timeout=60)
        yield address, f"tcp://127.0.0.1:{dash}", procs
    finally:
        for proc in procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="module")
def cluster():
    with dask_cluster(2) as found:
        yield found


def test_scheduler_address_of_a_dask_dashboard(tmp_path, cluster, quick_probe):
    """P2: the dashboard port of a real scheduler (HTTP) instead of its own port."""
    result = _whatif_at(tmp_path, cluster[1])
    assert "an HTTP server answered" in result.output and "Dask dashboard" in result.output


def test_every_scenario_failing_is_not_success(tmp_path, cluster):
    """P9: a sweep whose every scenario fails (OverflowError) exited 0: now 5, the failures
    counted, no least-regret plan, `failed` where inf (infeasible) used to be."""
    plan = solvable(tmp_path)
    result = run(plan, "--sweep", "power_price_multiplier=1e308,1e307", "--scheduler", cluster[0])
    assert result.exit_code == Exit.PARTIAL, result.output
    assert "warning: 2 of 3 scenarios failed" in result.output
    assert "warning: 2 of 2 regret solves failed" in result.output
    assert "Least worst-case regret" not in result.output
    assert "Decisions that hold in every scenario" not in result.output
    out = tmp_path / "plan-results"
    summary = pd.read_csv(out / "summary.csv", encoding="utf-8-sig")
    assert list(summary["status"]) == ["optimal", "failed", "failed"]
    assert summary["worst_regret_usd"].isna().all() and not summary["least_regret"].any()
    info = strict((out / "run.json").read_text())
    assert info["failed_scenarios"] == 2 and info["failed_regret_solves"] == 2
    assert not info["least_regret"]
    no_traceback(result.output)


def test_external_cluster_losing_its_workers_then_its_scheduler(tmp_path):
    """P8: every worker of an external cluster killed mid-sweep gave exit 0 with 252 of 272
    regret solves failed and a least-regret plan named: now exit 5, the failures counted,
    the solves still waiting failed once the cluster has had no worker for
    OPTIMIZE_NO_WORKER_SECONDS. P26: then, the scheduler (left without workers) killed
    while a second run sends it the plan: exit 6, one line, no traceback."""
    from distributed import Client

    def slow_down() -> None:  # in each worker process
        import time as _time

        import optimizer.whatif as w

        original = w.solve_scenario

        def slowed(*args, **kwargs):
            _time.sleep(1.0)
            return original(*args, **kwargs)

        w.solve_scenario = slowed

    plan = solvable(tmp_path)
    log = tmp_path / "scheduler.log"
    sweep = [OPTIMIZE, str(plan), "--sweep", "demand_multiplier=1:4:1", "--scheduler"]
    with dask_cluster(2, log) as (address, _, procs):
        with Client(address) as watcher:
            watcher.run(slow_down)
            proc = subprocess.Popen(
                [*sweep, address],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=os.environ | {"OPTIMIZE_NO_WORKER_SECONDS": "2"},
            )
            wait_for(lambda: any(watcher.processing().values()))
            os.killpg(procs[1].pid, signal.SIGKILL)
            stdout, stderr = proc.communicate(timeout=90)
        assert proc.returncode == Exit.PARTIAL, stdout + stderr
        assert "of 5 scenarios failed" in stderr
        assert "Least worst-case regret" not in stdout
        summary = pd.read_csv(tmp_path / "plan-results" / "summary.csv", encoding="utf-8-sig")
        assert "failed" in set(summary["status"])
        assert not summary.get("worst_regret_usd", pd.Series()).isin([math.inf]).any()
        no_traceback(stdout + stderr)

        clients = log.read_text().count("Receive client connection")
        proc = subprocess.Popen(
            [*sweep, address, "--out", tmp_path / "second"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        # with no worker the scatter waits (30 s at most): kill the scheduler meanwhile
        wait_for(lambda: log.read_text().count("Receive client connection") > clients)
        time.sleep(0.5)
        procs[0].kill()
        stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == Exit.ENVIRONMENT, stdout + stderr
    assert "error: the cluster was lost while sending it the plan" in stderr
    no_traceback(stdout + stderr)


def wait_for(condition: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def descendants(pid: int) -> list[int]:
    """The processes started by ``pid``, and by them (from /proc)."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError):
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        frontier = [child for child, parent in parents.items() if parent in frontier]
        found += frontier
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc (Linux)")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGHUP])
def test_ctrl_c_or_hangup_of_a_local_sweep(tmp_path, signum):
    """P23 (Ctrl-C of a sweep took 56 s and printed 31 tracebacks; here sent to the whole
    process group, as a terminal does) and a closed terminal's SIGHUP: a prompt stop, one
    line, no traceback, nothing left behind."""
    plan = solvable(tmp_path)
    proc = subprocess.Popen(
        [OPTIMIZE, str(plan), "--sweep", "demand_multiplier=1:20:1", "--no-regret"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if len(descendants(proc.pid)) >= 4:  # resource tracker, fork server, two workers
            break
        time.sleep(0.1)
    time.sleep(1)
    assert proc.poll() is None, "the sweep ended before the signal"
    os.killpg(proc.pid, signum)
    sent = time.monotonic()
    stdout, stderr = proc.communicate(timeout=60)
    assert time.monotonic() - sent < 20
    assert proc.returncode == 128 + signum, stderr
    assert "interrupted: nothing was written" in stderr
    no_traceback(stdout + stderr)
    assert [p.name for p in tmp_path.iterdir()] == ["plan.xlsx"]
