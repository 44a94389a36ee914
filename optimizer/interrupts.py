"""Stopping on a signal: SIGINT (Ctrl-C), SIGTERM (timeout, CI, systemd) and SIGHUP (a
closed terminal) alike, and never in the middle of putting a result in place.

``installed`` makes the three signals raise ``Interrupted``, a KeyboardInterrupt,
so every layer that already stops cleanly on Ctrl-C (HiGHS, Dask, the writers)
stops the same way on the others. Inside ``deferred()`` a signal is held and
raised when the block ends: the few renames that put a result folder in place
either all happen or none does, and ``committed`` then says truly what is on disk.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

SIGNALS = tuple(
    s
    for s in (signal.SIGINT, getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None))
    if s is not None
)


class Interrupted(KeyboardInterrupt):
    """A stop asked for by a signal; ``signum`` says which."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class _State:
    depth = 0  # nesting of deferred() blocks
    pending: int | None = None  # a signal held by deferred()
    last: int | None = None  # the last signal received
    committed: Path | None = None  # the result folder this process put in place


def _handler(signum: int, frame: FrameType | None) -> None:
    _State.last = signum
    if _State.depth:
        _State.pending = signum
        return
    raise Interrupted(signum)


@contextlib.contextmanager
def installed() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP raise Interrupted (in the main thread) for the length of
    the block, a new run's record; the handlers before it are put back after it."""
    _State.pending = _State.last = _State.committed = None
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set there
        return
    previous = {s: signal.signal(s, _handler) for s in SIGNALS}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def received() -> int:
    """The signal that stopped the run (SIGINT when none was seen: a KeyboardInterrupt
    raised some other way)."""
    return _State.last or signal.SIGINT


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Hold signals for the length of the block; one that came is raised at its end."""
    _State.depth += 1
    try:
        yield
    finally:
        _State.depth -= 1
        if not _State.depth and _State.pending is not None:
            signum, _State.pending = _State.pending, None
            raise Interrupted(signum)


def commit(path: Path) -> None:
    """Record that a result folder is now in place at ``path`` (call inside deferred())."""
    _State.committed = path


def committed() -> Path | None:
    """The result folder this process put in place, if it did."""
    return _State.committed
