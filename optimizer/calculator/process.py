"""The worker process: one session's Engine, fed jobs over a pipe.

Messages to the worker: ``("job", id, Request)`` and ``("stop",)``. From it:
``("ready", (base, linear))`` once (the base case's answer and the changes the kept LPs
take as new numbers, which the server hands to the next workers), then for each job
``("quick", id, answer)``; while the full solve runs,
``("progress", id, {"incumbent_usd", "bound_usd", "seconds"})`` (the best plan HiGHS
has found so far and its bound: never certified, never final); then
``("final", id, answer)``, ``("failed", id, message)`` or ``("cancelled", id)``, and
always ``("end", id)`` last.

A newer change cancels the job in progress: the server sends SIGUSR1. While HiGHS
solves, the signal interrupts it (highspy cancels the solve, HiGHS's own interrupt,
and optimizer.solve.run_highs raises KeyboardInterrupt). The full solve stops anywhere
(Engine.final: nothing kept changes there); while the answer at once is made, the
signal is noted and the job stops at the next safe point, so the kept LPs are never left
half changed. The worker ignores SIGINT: Ctrl-C in the terminal belongs to the server,
which stops it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator
from multiprocessing.connection import Connection
from types import FrameType
from typing import Any

from optimizer.calculator.engine import Base, Engine
from optimizer.calculator.linear import Linear
from optimizer.plan import Plan
from optimizer.solve import SolverOptions, watching

CANCEL = signal.SIGUSR1
Shared = tuple[Base, Linear]  # what the first worker finds and every later one is given


class _State:
    busy = False  # a job is running
    cancel = False  # a cancel came for it
    anywhere = False  # the job may stop anywhere (it builds a model of its own)


def _in_highs(frame: FrameType | None) -> bool:
    """True when the interrupted code is highspy waiting for its solver thread."""
    while frame is not None:
        code = frame.f_code
        if code.co_name == "joinSolve" and "highspy" in code.co_filename:
            return True
        frame = frame.f_back
    return False


def _on_cancel(signum: int, frame: FrameType | None) -> None:
    if not _State.busy:
        return
    _State.cancel = True
    if _State.anywhere or _in_highs(frame):
        raise KeyboardInterrupt


@contextlib.contextmanager
def _anywhere() -> Iterator[None]:
    """Within the block a cancel stops the job at once, wherever it is."""
    _State.anywhere = True
    try:
        _checkpoint()
        yield
    finally:
        _State.anywhere = False


def _checkpoint() -> None:
    if _State.cancel:
        raise KeyboardInterrupt


def main(conn: Connection, plan: Plan, options: SolverOptions, shared: Shared | None) -> None:
    """The worker's life: build the engine (solving the base case unless given), then
    answer jobs until told to stop or the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(CANCEL, _on_cancel)
    with open(os.devnull, "wb") as null:  # highspy prints when a solve is interrupted
        os.dup2(null.fileno(), 1)
    engine = Engine(plan, options, *(shared or (None, None)))
    conn.send(("ready", (engine.base_state, engine.linear)))
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        if message[0] != "job":
            return
        _, job, request = message
        _run(conn, engine, job, request)


def _progress(conn: Connection, job: int) -> Any:
    """What the full solve reports as it goes, sent to the server (from HiGHS's thread,
    while this one waits for the solve)."""
    started = time.perf_counter()
    lock = threading.Lock()

    def send(incumbent: float | None, bound: float | None) -> bool:
        """Report; True (stop the solve) when a cancel came outside HiGHS's wait, e.g.
        while the model was being built."""
        if _State.cancel:
            return True
        seconds = time.perf_counter() - started
        with lock:
            conn.send(
                (
                    "progress",
                    job,
                    {"incumbent_usd": incumbent, "bound_usd": bound} | {"seconds": seconds},
                )
            )
        return False

    return send


def _run(conn: Connection, engine: Engine, job: int, request: Any) -> None:
    _State.cancel, _State.busy = False, True
    reply: tuple[object, ...] | None = None
    try:
        cpu = time.process_time()
        quick = engine.quick(request)
        quick["cpu_seconds"] = time.process_time() - cpu  # this process's own: the benchmark's
        _checkpoint()
        conn.send(("quick", job, quick))
        _checkpoint()
        cpu = time.process_time()
        with watching(_progress(conn, job)):
            final = engine.final(request, _anywhere)
        final["cpu_seconds"] = time.process_time() - cpu
        _checkpoint()
        reply = ("final", job, final)
    except KeyboardInterrupt:
        reply = ("cancelled", job)
    except Exception as exc:
        reply = ("failed", job, f"{type(exc).__name__}: {exc}")
    finally:
        _State.busy = False
    conn.send(reply)
    conn.send(("end", job))
