"""The local Dask worker processes a what-if run starts: signals belong to the command.

Ctrl-C in a terminal, or a closed terminal's SIGHUP, reaches every process of
its group: without this, each worker would print its own KeyboardInterrupt
traceback (even while still importing), and multiprocessing's resource tracker
would die and be relaunched with a traceback per semaphore, while the command
stops them all anyway. Workers are forked from multiprocessing's fork server,
started with SIGINT and SIGHUP ignored, so they ignore both from their first
instruction; a worker ignores them again when Dask sets it up (a preload).
SIGTERM still ends them: their nanny stops them with it.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from multiprocessing import forkserver, resource_tracker

HELD = tuple(s for s in (signal.SIGINT, getattr(signal, "SIGHUP", None)) if s is not None)


def dask_setup(worker: object) -> None:
    """Called by Dask in each worker process as it starts."""
    for s in HELD:
        signal.signal(s, signal.SIG_IGN)


@contextlib.contextmanager
def helpers_started() -> Iterator[None]:
    """Start multiprocessing's resource tracker and fork server with SIGINT and SIGHUP
    ignored: an ignored signal stays ignored across exec, and every worker forked from the
    server inherits it, from its first instruction. This process blocks both meanwhile,
    so that one that comes is delivered to its handler afterwards, not lost. In the main
    thread only (elsewhere the helpers start as they are)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "pthread_sigmask"
    ):
        yield
        return
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, HELD)
    handlers = {s: signal.signal(s, signal.SIG_IGN) for s in HELD}
    try:
        resource_tracker.ensure_running()
        forkserver.ensure_running()
    finally:
        for s, handler in handlers.items():
            signal.signal(s, handler)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    yield
