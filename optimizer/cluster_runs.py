"""Running solves on a Dask cluster: a local one, or an existing one given by address.

Every call runs in a worker process of a Dask cluster: by default a local one
with a worker per core, or an existing cluster given by its scheduler's address,
by the same code. Workers receive the plan's data and build the model themselves
(Pyomo models and HiGHS objects do not travel); HiGHS gets one thread per solve.
A call whose worker dies is retried once, then reported as failed while the others
finish. An existing cluster is probed before use (optimizer.scheduler.reach) so that
a wrong address fails in bounded time, and a cluster left with no worker fails the
waiting calls instead of hanging.

One loop (``run_calls``) runs the calls of every stage of a run: a call's answer
may make new calls (a solved scenario, its plan's regret runs; a round of
bisection, the next), and ``idle`` is asked for more when a worker would have
nothing to do. Each call has the priority of its stage: Dask runs the
higher first, so work made early never delays more urgent work made later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from optimizer import interrupts
from optimizer.plan import Plan
from optimizer.scheduler import ClusterError, reach
from optimizer.solve import SolverOptions
from optimizer.worker import helpers_started

# a cluster without a worker this long fails the solves still waiting (docs/whatif.md)
NO_WORKER_S = float(os.environ.get("OPTIMIZE_NO_WORKER_SECONDS", "60"))


POLL_S = 1.0


@contextlib.contextmanager
def cluster(scheduler: str | None, tasks: int, workers: int | None = None) -> Iterator[object]:
    """A Dask client: on an existing cluster, or on a local one made for this run (with
    ``workers`` processes, by default one per core, at most one per task)."""
    import dask
    from distributed import Client, LocalCluster

    if scheduler:
        reach(scheduler)
        with quiet_logs("distributed"):  # a lost scheduler is reported once, by ClusterError
            try:
                client = Client(scheduler, timeout="30s")
            except (OSError, TimeoutError) as exc:
                raise ClusterError(f"cannot connect to the scheduler {scheduler}: {exc}") from None
            with client:
                yield client
        return
    workers = max(1, min(workers or os.cpu_count() or 1, tasks))
    settings = {
        "distributed.scheduler.allowed-failures": 1,
        "distributed.worker.multiprocessing-method": "forkserver",  # see optimizer.worker
    }
    with dask.config.set(settings), helpers_started(), contextlib.ExitStack() as stack:
        # a signal while the cluster starts is raised once it has (stopping it halfway
        # leaves Dask to close it at exit, with a traceback per worker)
        with interrupts.deferred():
            local = stack.enter_context(
                LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",  # None still starts one, on 8787, warning when taken
                    silence_logs=logging.CRITICAL,
                    preload=["optimizer.worker"],  # workers leave Ctrl-C to this process
                )
            )
            client = stack.enter_context(Client(local))
        yield client


@contextlib.contextmanager
def quiet_logs(name: str) -> Iterator[None]:
    """Only critical records from the logger ``name`` and those below it for the length of
    the block (asyncio's "Task exception was never retrieved" from a cluster torn down by
    a signal, say)."""
    manager = logging.Logger.manager
    names = [name, *(n for n in manager.loggerDict if n.startswith(name + "."))]
    loggers = [logging.getLogger(n) for n in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


Task = Callable[[Plan, Any, SolverOptions, Any], Any]
StageProgress = Callable[[str, int, int, int, int], None]  # stage, total, done, running, failed


@dataclass
class Call:
    """One task for the cluster, ``task(plan, first, options, extra)``: ``solves`` solves of
    the stage ``stage``, run before the calls of lower ``priority``. ``done(answer,
    error)`` takes its answer (``error``: why it failed, else None) and returns the calls
    that answer makes possible."""

    stage: str
    task: Task
    first: Any
    extra: Any
    solves: int
    done: Callable[[Any, str | None], list[Call]]
    priority: int = 0


def run_calls(
    client: object,
    plan: Plan,
    options: SolverOptions,
    calls: list[Call],
    progress: StageProgress | None = None,
    idle: Callable[[int], list[Call]] | None = None,
) -> None:
    """Run ``calls`` on the cluster, and every call their answers make, until none is left.
    ``idle(workers)`` is asked for more calls whenever fewer calls than workers are
    unfinished (a worker would have nothing to do), and once more at the end.
    ``progress(stage, total, done, running, failed)`` counts each stage's solves."""
    from distributed import wait

    try:
        shared = client.scatter(plan, broadcast=True, hash=False)  # type: ignore[attr-defined]
    except (OSError, TimeoutError) as exc:  # CommClosedError is an OSError
        raise ClusterError(f"the cluster was lost while sending it the plan: {exc}") from None
    board = _Board(progress)
    submitted: dict[Any, Call] = {}
    lost: str | None = None  # why every call still to run fails

    def add(new: Iterable[Call]) -> None:
        for call in new:
            board.made(call)
            if lost is not None:
                finish(call, None, lost)
                continue
            future = client.submit(  # type: ignore[attr-defined]
                call.task,
                shared,
                call.first,
                options,
                call.extra,
                key=f"{call.stage}-{uuid.uuid4().hex}",
                priority=call.priority,
                retries=1,
            )
            submitted[future] = call

    def finish(call: Call, answer: Any, error: str | None) -> None:
        board.finished(call, error)
        add(call.done(answer, error))

    add(calls)
    idle_since: float | None = None
    while True:
        workers = _workers(client)
        if idle is not None and len(submitted) < workers:
            add(idle(workers))
        board.show(submitted.values(), workers)
        if not submitted:
            return
        try:
            finished, _ = wait(list(submitted), timeout=POLL_S, return_when="FIRST_COMPLETED")
        except TimeoutError:  # nothing finished in POLL_S
            finished = set()
        except Exception:  # some were cancelled: the plan's data was lost with its workers
            finished = {f for f in submitted if f.done() or f.cancelled()}
        if not finished:
            idle_since = _no_worker_since(client, idle_since)
            if idle_since is not None and time.monotonic() - idle_since > NO_WORKER_S:
                lost = f"no worker was left on the cluster for {NO_WORKER_S:g} s"
                for future in list(submitted):
                    future.cancel()
                    finish(submitted.pop(future), None, lost)
            continue
        idle_since = None
        for future in finished:
            call = submitted.pop(future)
            try:
                answer, error = future.result(), None
            except (Exception, asyncio.CancelledError) as exc:  # a worker died twice, the
                # task raised, the plan's data was lost, or the scheduler went away
                answer, error = None, _describe(exc)
            finish(call, answer, error)


class _Board:
    """Each stage's solves made, done and failed, for ``progress``; the solves running
    estimated from the unfinished calls, the workers given to the higher priorities
    first (as Dask gives them)."""

    def __init__(self, progress: StageProgress | None) -> None:
        self.progress = progress
        self.counts: dict[str, list[int]] = {}  # stage: total, done, failed, priority

    def made(self, call: Call) -> None:
        self.counts.setdefault(call.stage, [0, 0, 0, call.priority])[0] += call.solves

    def finished(self, call: Call, error: str | None) -> None:
        counts = self.counts[call.stage]
        counts[1] += call.solves
        counts[2] += call.solves if error else 0

    def show(self, unfinished: Iterable[Call], workers: int) -> None:
        if self.progress is None:
            return
        calls: dict[str, int] = {}
        for call in unfinished:
            calls[call.stage] = calls.get(call.stage, 0) + 1
        free, running = workers, {}
        for stage in sorted(self.counts, key=lambda s: -self.counts[s][3]):
            running[stage] = min(calls.get(stage, 0), free)
            free -= running[stage]
        for stage, (total, done, failed, _) in self.counts.items():
            self.progress(stage, total, done, running[stage], failed)


def _no_worker_since(client: object, since: float | None) -> float | None:
    """When the cluster was last seen without a worker (None: it has one)."""
    try:
        workers = len(client.scheduler_info()["workers"])  # type: ignore[attr-defined]
    except Exception:
        workers = 0
    if workers:
        return None
    return since if since is not None else time.monotonic()


def _workers(client: object) -> int:
    try:
        return max(1, len(client.scheduler_info()["workers"]))  # type: ignore[attr-defined]
    except Exception:
        return 1


def _describe(exc: BaseException) -> str:
    name = type(exc).__name__
    if name == "KilledWorker":
        return "its worker died twice"
    if isinstance(exc, asyncio.CancelledError):
        return "cancelled by the cluster (its workers and the plan's data were lost)"
    return f"{name}: {exc}" if str(exc) else "".join(traceback.format_exception_only(exc)).strip()
