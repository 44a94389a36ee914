"""Stop `optimize` at every step of writing its result folder, and report what is on disk.

A test helper, run as a script: ``python fault_steps.py PLAN OUT MODE SIGNAL...``. It imports
the command once, then for each signal and each step forks a child that runs
``optimize PLAN --out OUT`` with the signal sent to itself just before that step
(creating the hidden folder, each file, the renames, the swap, the clean-up). The
parent then records, as one JSON line per case: the exit, the message, whether OUT
holds the previous result (time limit 100) or the new one (200), the leftovers, and
the same after ``recover`` (what the next run does first). MODE ``fallback`` makes the
atomic exchange unavailable, as on macOS or a file system without it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
from pathlib import Path

import optimizer.cli.runs as cli
import optimizer.outputs as outputs
from optimizer.cli import main

# writing each CSV is a step like writing the reports (the unfinished folder exists): only
# the latter is one
STEPS = ("_fresh", "write_reports", "_put_in_place", "_exchange")


def run(plan: Path, out: Path, time_limit: int) -> int:
    try:
        main.main([str(plan), "--out", str(out), "--quiet", "--time-limit", str(time_limit)])
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def state(out: Path) -> dict[str, object]:
    holds = None
    if (out / "run.json").is_file():
        holds = {100: "old", 200: "new"}.get(
            json.loads((out / "run.json").read_text())["options"]["time_limit_s"]
        )
    return {"holds": holds, "leftovers": sorted(p.name for p in outputs.leftovers(out))}


def fault(signum: int, at: int) -> None:
    """Send ``signum`` to this process just before the ``at``-th step."""
    count = [0]

    def hooked(fn):  # type: ignore[no-untyped-def]
        def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
            count[0] += 1
            if count[0] == at:
                os.kill(os.getpid(), signum)
            return fn(*args, **kwargs)

        return wrapper

    for name in STEPS:
        setattr(outputs, name, hooked(getattr(outputs, name)))
    os.rename = hooked(os.rename)
    shutil.rmtree = hooked(shutil.rmtree)


def main_(plan: Path, out: Path, mode: str, signals: list[str]) -> None:
    if mode == "fallback":
        outputs._exchange = lambda a, b: False
    solved: list[object] = []
    real = cli.optimize

    def once(*args, **kwargs):  # type: ignore[no-untyped-def]
        if not solved:  # solve once: only the writing is under test
            solved.append(real(*args, **kwargs))
        return solved[0]

    cli.optimize = once
    read = cli.read_plan(plan)
    cli.read_plan = lambda path: read

    def reports(folder: Path, tables: object, info: object) -> None:  # quick stand-ins
        (folder / "results.xlsx").write_bytes(b"xlsx")
        (folder / "report.html").write_bytes(b"html")

    outputs.write_reports = reports
    old = out.with_name("old-copy")
    assert run(plan, old, 100) == 0
    for signum in (signal.Signals[name] for name in signals):
        at = 1
        while True:
            shutil.rmtree(out, ignore_errors=True)
            for p in outputs.leftovers(out):
                shutil.rmtree(p, ignore_errors=True)
            shutil.copytree(old, out)
            err = out.parent / "stderr.txt"
            pid = os.fork()
            if pid == 0:
                with open(err, "w") as fh:
                    os.dup2(fh.fileno(), 2)
                fault(signum, at)
                os._exit(run(plan, out, 200))
            _, status = os.waitpid(pid, 0)
            killed = os.WIFSIGNALED(status)
            record = {
                "signal": signal.Signals(signum).name,
                "step": at,
                "exit": -os.WTERMSIG(status) if killed else os.WEXITSTATUS(status),
                "stderr": err.read_text(),
                "before_recovery": state(out),
            }
            record["recovered"] = outputs.recover(out)
            record["after_recovery"] = state(out)
            print(json.dumps(record), flush=True)
            if record["exit"] == 0:  # the step count passed the last step
                break
            at += 1


if __name__ == "__main__":
    main_(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4:])
