"""Every way the command ends, as one table of exit codes (docs/cli.md): a plan or not,
a bad input, an environment failure, an internal error, a signal.

Light to import (the command's --version and --help load it): the library's error
classes are imported when a failure is mapped.
"""

from __future__ import annotations

import enum
import errno
from typing import TYPE_CHECKING

from optimizer import interrupts
from optimizer.cli.terminal import say, stderr_console
from optimizer.scheduler import ClusterError
from optimizer.status import Status

if TYPE_CHECKING:
    from optimizer.solve import Solved


class Exit(enum.IntEnum):
    """Exit codes of `optimize` (SPEC: 0 plan, 1 internal, 2 input, 3 infeasible, 4 no plan)."""

    OK = 0
    INTERNAL = 1
    INPUT = 2
    INFEASIBLE = 3
    NO_PLAN_IN_TIME = 4
    PARTIAL = 5  # a what-if run wrote its result, but some scenarios or regret solves failed
    ENVIRONMENT = 6  # output not writable, disk full, cluster unreachable or lost
    INTERRUPTED = 130  # SIGINT; SIGTERM 143, SIGHUP 129: 128 + the signal's number


# errors of the machine, not of the input or the program
ENVIRONMENT_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT, errno.EIO}


def failed(exc: Exception) -> Exit:
    """An environment failure (exit 6) or, for anything else, an internal error (exit 1):
    a failed certificate says nothing was written and that it is a bug."""
    from optimizer.certify import CertificateError
    from optimizer.outputs import WriteError

    if isinstance(exc, CertificateError):
        say(
            stderr_console(),
            "error:",
            "red",
            f" {exc}; nothing was written (a bug: please report it)",
        )
        return Exit.INTERNAL
    environment = isinstance(exc, WriteError | ClusterError) or (
        isinstance(exc, OSError) and exc.errno in ENVIRONMENT_ERRNOS
    )
    if environment:
        say(stderr_console(), "error:", "red", f" {exc}")
        return Exit.ENVIRONMENT
    say(
        stderr_console(),
        "internal error:",
        "red",
        f" {type(exc).__name__}: {exc} (run with --debug for the traceback)",
    )
    return Exit.INTERNAL


def interrupted() -> int:
    """The message after a signal, true whichever step it stopped: a result folder was put
    in place, or nothing was (and a folder already there is as it was)."""
    signum = interrupts.received()
    done = interrupts.committed()
    if done is not None:
        say(stderr_console(), "interrupted:", "red", f" after the result was written to {done}/")
    else:
        say(
            stderr_console(),
            "interrupted:",
            "red",
            " nothing was written; an existing result is as it was",
        )
    return 128 + signum


def exit_for(solved: Solved) -> Exit:
    if solved.has_plan:
        return Exit.OK
    if solved.status == Status.INFEASIBLE:
        return Exit.INFEASIBLE
    if solved.status == Status.NO_PLAN:
        say(
            stderr_console(),
            "the time limit passed before any plan was found",
            "red",
            "; raise --time-limit",
        )
        return Exit.NO_PLAN_IN_TIME
    return Exit.INTERNAL
