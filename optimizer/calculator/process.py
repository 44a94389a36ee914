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
solves, the signal interrupts it (the solve is cancelled, HiGHS's own interrupt, and
optimizer.solve.run_highs raises KeyboardInterrupt). The full solve stops anywhere
(Engine.final: nothing kept changes there) but inside highspy's Python wrapper, whose
class-wide locks an exception raised there can leave held (every later solve of the
process would then wait forever): there the signal cancels the solve and is tried again
RETRY_S later, until it lands outside. While the answer at once is made, the signal is
noted and the job stops at the next safe point, so the kept LPs are never left half
changed. The worker ignores SIGINT: Ctrl-C in the terminal belongs to the server,
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

import highspy

from optimizer.calculator.engine import Base, Engine
from optimizer.calculator.linear import Linear
from optimizer.plan import Plan
from optimizer.solve import SolverOptions, watching

CANCEL = signal.SIGUSR1
RETRY = signal.SIGALRM  # a cancel that landed inside highspy, tried again
RETRY_S = 0.02
Shared = tuple[Base, Linear]  # what the first worker finds and every later one is given


class _State:
    busy = False  # a job is running
    cancel = False  # a cancel came for it
    anywhere = False  # the job may stop anywhere (it builds a model of its own)


def _in_highs(frame: FrameType | None) -> tuple[bool, highspy.Highs | None]:
    """Whether the interrupted code is in highspy's Python wrapper, and the HiGHS
    instance it works for (when a frame of it has one)."""
    inside = False
    while frame is not None:
        if "highspy" in frame.f_code.co_filename:
            inside = True
            h = frame.f_locals.get("self")
            if isinstance(h, highspy.Highs):
                return True, h
        frame = frame.f_back
    return inside, None


def _stop(frame: FrameType | None) -> None:
    """Stop the cancelled job where it is safe: outside highspy, at once when it may stop
    anywhere; inside, by cancelling the solve (HiGHS stops at its next check and
    run_highs raises) and trying again once the wrapper has been left."""
    inside, h = _in_highs(frame)
    if inside:
        if h is not None:
            h.cancelSolve()
        signal.setitimer(signal.ITIMER_REAL, RETRY_S)
    elif _State.anywhere:
        raise KeyboardInterrupt


def _on_cancel(signum: int, frame: FrameType | None) -> None:
    if not _State.busy:
        return
    _State.cancel = True
    _stop(frame)


def _on_retry(signum: int, frame: FrameType | None) -> None:
    if _State.busy and _State.cancel:  # a retry left from an ended job does nothing
        _stop(frame)


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
    signal.signal(RETRY, _on_retry)
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
