"""The server's side of the worker processes: one worker a browser tab (a *session*).

Every change a tab sends is a job for its own worker, so two tabs never see each
other's figures. A job sent while the worker still works on an older one waits, and
the older one is cancelled (SIGUSR1, see optimizer.calculator.process); a worker that
does not finish a cancelled job within ``CANCEL_GRACE_S`` is killed and replaced. A
worker that dies is replaced too: its tab is told that the solve failed, and the server
goes on. Session state changes only in the event loop's thread; each worker's pipe is
read by a thread of its own, which hands every message to the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from optimizer.calculator import process
from optimizer.calculator.controls import Request
from optimizer.calculator.process import Shared
from optimizer.plan import Plan
from optimizer.solve import SolverOptions

CANCEL_GRACE_S = 30.0  # a model build before HiGHS starts (and stops at once) may take long
MAX_SESSIONS = 3
STARTUP_S = 600.0  # the base case's solve, in the first worker


class WorkerFailed(Exception):
    """The first worker could not solve the base case."""


def _context() -> Any:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["optimizer.calculator.process"])
    return context


class Worker:
    """One worker process and the thread that reads its pipe."""

    def __init__(self, plan: Plan, options: SolverOptions, shared: Shared | None) -> None:
        context = _context()
        self.conn, child = context.Pipe()
        self.process = context.Process(
            target=process.main, args=(child, plan, options, shared), daemon=True
        )
        self.process.start()
        child.close()
        self.running: int | None = None  # the job it works on
        self.waiting: tuple[int, Request] | None = None  # the job to send when it is free
        self.cancelled_at: float | None = None
        self.ready = False
        self.retired = False  # stopped on purpose: its end is no failure

    def wait_ready(self, timeout: float = STARTUP_S) -> Shared:
        """Block until the worker has solved (or been given) the base case."""
        if not self.conn.poll(timeout):
            raise WorkerFailed("the base case was not solved in time")
        try:
            message = self.conn.recv()
        except EOFError:
            raise WorkerFailed("the worker process stopped while solving the base case") from None
        self.ready = True
        return message[1]

    def submit(self, job: int, request: Request) -> None:
        """Run ``job`` now, or after the job in progress, which is cancelled."""
        if not self.ready or self.running is not None:
            self.waiting = (job, request)
            if self.running is not None and self.cancelled_at is None:
                self.cancelled_at = time.monotonic()
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.process.pid, process.CANCEL)  # type: ignore[arg-type]
            return
        self.running, self.cancelled_at = job, None
        self.conn.send(("job", job, request))

    def next(self) -> None:
        """The job in progress ended: send the waiting one."""
        self.running, self.cancelled_at = None, None
        if self.waiting is not None:
            job, request = self.waiting
            self.waiting = None
            self.submit(job, request)

    def stop(self) -> None:
        self.retired = True
        with contextlib.suppress(OSError, ValueError):
            self.conn.send(("stop",))
        self.process.join(timeout=2)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)
        self.conn.close()


@dataclass
class Session:
    """One tab: its worker, its last good request and what the page is shown."""

    id: str
    worker: Worker
    request: Request = field(default_factory=Request)
    seq: int = 0  # the page's number of its latest change
    version: int = 0  # bumped at every change of ``state``
    state: dict[str, Any] = field(default_factory=dict)
    used: float = field(default_factory=time.monotonic)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def update(self, **values: Any) -> None:
        self.state.update(values)
        self.version += 1
        self.state["version"] = self.version
        self.changed.set()
        self.changed = asyncio.Event()


class Pool:
    """Sessions and their workers, for one plan."""

    def __init__(self, plan: Plan, options: SolverOptions) -> None:
        self.plan, self.options = plan, options
        first = Worker(plan, options, None)
        self.shared = first.wait_ready()
        self.base = self.shared[0]
        self._spare: Worker | None = first
        self._starting = False  # a spare is being started
        self._closed = False
        self.sessions: dict[str, Session] = {}
        self.loop: asyncio.AbstractEventLoop | None = None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Begin reading the spare worker's pipe (the loop now runs)."""
        self.loop = loop
        if self._spare is not None:
            self._listen(self._spare)

    def session(self, sid: str) -> Session:
        """The tab's session, made (with a worker) on its first change."""
        found = self.sessions.get(sid)
        if found is None:
            if len(self.sessions) >= MAX_SESSIONS:
                oldest = min(self.sessions.values(), key=lambda s: s.used)
                del self.sessions[oldest.id]
                self._retire(oldest.worker)
            worker, self._spare = self._spare or self._new_worker(), None
            found = self.sessions[sid] = Session(sid, worker)
            found.state = {"version": 0, "seq": 0, "final": self.base[0], "quick": None}
            self._replenish()
        found.used = time.monotonic()
        return found

    def change(self, sid: str, seq: int, request: Request) -> Session:
        session = self.session(sid)
        session.seq, session.request = seq, request
        session.update(seq=seq, solving=True, error=None, quick=None, progress=None)
        session.worker.submit(seq, request)
        return session

    def _retire(self, worker: Worker) -> None:
        """Stop an evicted tab's worker in a thread of the loop's pool: stopping may wait
        up to seconds for the process, which the event loop must not."""
        worker.retired = True
        if self.loop is None:
            worker.stop()
        else:
            self.loop.run_in_executor(None, worker.stop)

    def _replenish(self) -> None:
        """Start a spare worker for the next tab, when there is room and none is starting:
        in a thread of the loop's pool, since starting a process waits until it has read
        the plan (seconds on a large plan), which the event loop must not."""
        if self._spare is not None or self._starting or len(self.sessions) >= MAX_SESSIONS:
            return
        if self.loop is None:
            self._spare = self._new_worker()
            return
        self._starting = True
        started = self.loop.run_in_executor(None, Worker, self.plan, self.options, self.shared)
        started.add_done_callback(self._started)

    def _started(self, started: asyncio.Future[Worker]) -> None:
        """A spare has started (in the loop's thread): keep it, unless a tab took a worker
        of its own meanwhile and there is no room."""
        self._starting = False
        worker = started.result()
        if self._closed or self._spare is not None or len(self.sessions) >= MAX_SESSIONS:
            self._retire(worker)
            return
        self._spare = worker
        self._listen(worker)

    def _new_worker(self) -> Worker:
        worker = Worker(self.plan, self.options, self.shared)
        if self.loop is not None:
            self._listen(worker)
        return worker

    def _listen(self, worker: Worker) -> None:
        loop = self.loop
        assert loop is not None

        def read() -> None:
            while True:
                try:
                    message = worker.conn.recv()
                except (EOFError, OSError):
                    loop.call_soon_threadsafe(self._died, worker)
                    return
                loop.call_soon_threadsafe(self._handle, worker, message)

        threading.Thread(target=read, daemon=True, name="calculator-worker").start()

    def _owner(self, worker: Worker) -> Session | None:
        return next((s for s in self.sessions.values() if s.worker is worker), None)

    def _handle(self, worker: Worker, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "ready":
            worker.ready = True
            worker.next() if worker.running is None else None
            return
        session = self._owner(worker)
        if kind == "end":
            worker.next()
            return
        if session is None or message[1] != session.seq:
            return  # an answer to a change the page has since replaced
        if kind == "quick":
            session.update(quick=message[2])
        elif kind == "progress":
            session.update(progress=message[2])
        elif kind == "final":
            session.update(final=message[2], solving=False, progress=None)
        elif kind == "failed":
            session.update(error=f"the solve failed: {message[2]}", solving=False, progress=None)

    def _died(self, worker: Worker) -> None:
        """A worker's pipe closed: replace it unless it was stopped on purpose."""
        if worker.retired:
            return
        session = self._owner(worker)
        with contextlib.suppress(OSError):
            worker.conn.close()
        if session is None:
            if self._spare is worker:
                self._spare = None
                self._replenish()
            return
        waiting = worker.waiting
        session.worker = self._new_worker()
        if waiting is not None and waiting[0] == session.seq:
            session.worker.submit(*waiting)  # a cancel escalated to a kill: go on
            return
        session.update(
            solving=False,
            progress=None,
            error="the solve failed: its worker process stopped; a new one has started, "
            "change a figure to solve again",
        )

    def watchdog(self) -> None:
        """Kill a worker that has not finished a cancelled job within CANCEL_GRACE_S (its
        pipe then closes and it is replaced, the waiting job sent to the new one)."""
        now = time.monotonic()
        for session in self.sessions.values():
            worker = session.worker
            if worker.cancelled_at is not None and now - worker.cancelled_at > CANCEL_GRACE_S:
                worker.cancelled_at = None
                worker.process.kill()

    def close(self) -> None:
        self._closed = True
        workers = [s.worker for s in self.sessions.values()]
        workers += [self._spare] if self._spare is not None else []
        for worker in workers:
            worker.stop()
        self.sessions.clear()
        self._spare = None
