"""What a solve found and why it stopped, in one place (as linopy's ``constants.py``).

``Status`` is the project's word for a solve, written as it is to run.json's and
summary.csv's ``status`` (a documented contract, docs/outputs.md); ``is_ok`` says a
plan exists. ``Termination`` is why the solver stopped, in HiGHS's own words (run.json's
``termination``), plus the two reasons found before any solve; ``status`` maps each to
its Status. Both are string enums: they compare, print and serialise as their words.
"""

from __future__ import annotations

import enum


class Status(enum.StrEnum):
    """What a solve found."""

    OPTIMAL = "optimal"  # a plan, proven within the gap
    TIME_LIMIT = "time_limit"  # stopped by a limit with a plan
    NO_PLAN = "no_plan"  # stopped by a limit without one
    INFEASIBLE = "infeasible"  # no plan meets the constraints
    ERROR = "error"  # the solver failed
    FAILED = "failed"  # a what-if scenario or regret solve whose run raised: no answer

    @property
    def is_ok(self) -> bool:
        """True when a plan exists (optimal, or the best one found when a limit stopped the
        solve)."""
        return self in (Status.OPTIMAL, Status.TIME_LIMIT)


class Termination(enum.StrEnum):
    """Why the solve stopped: each HiGHS model status (member name = HighsModelStatus's
    without the ``k``, value = ``Highs.modelStatusToString``), and two found before
    solving."""

    NOTSET = "Not Set"
    LOAD_ERROR = "Load error"
    MODEL_ERROR = "Model error"
    PRESOLVE_ERROR = "Presolve error"
    SOLVE_ERROR = "Solve error"
    POSTSOLVE_ERROR = "Postsolve error"
    MODEL_EMPTY = "Empty"
    OPTIMAL = "Optimal"
    INFEASIBLE = "Infeasible"
    UNBOUNDED_OR_INFEASIBLE = "Primal infeasible or unbounded"
    UNBOUNDED = "Unbounded"
    OBJECTIVE_BOUND = "Bound on objective reached"
    OBJECTIVE_TARGET = "Target for objective reached"
    TIME_LIMIT = "Time limit reached"
    ITERATION_LIMIT = "Iteration limit reached"
    UNKNOWN = "Unknown"
    SOLUTION_LIMIT = "Solution limit reached"
    INTERRUPT = "Interrupted by user"
    MEMORY_LIMIT = "Memory limit reached"
    HIGHS_INTERRUPT = "Interrupted by HiGHS"
    # found before solving
    NO_OPTION = "no allowed option (found before solving)"
    PURCHASES_DO_NOT_FIT = "the plan's purchases do not fit here"

    @classmethod
    def from_highs(cls, name: str) -> Termination:
        """The termination of a HighsModelStatus member's name (e.g. ``kTimeLimit``)."""
        snake = "".join(f"_{c}" if c.isupper() else c for c in name.removeprefix("k"))
        return cls[snake.strip("_").upper()]

    def status(self, has_solution: bool) -> Status:
        """The Status this stop means (a limit: a plan when a solution was found)."""
        if self in (Termination.OPTIMAL, Termination.MODEL_EMPTY):
            return Status.OPTIMAL
        if self in _INFEASIBLE:
            return Status.INFEASIBLE
        if self in _LIMITS:
            return Status.TIME_LIMIT if has_solution else Status.NO_PLAN
        return Status.ERROR


_INFEASIBLE = (
    Termination.INFEASIBLE,
    Termination.UNBOUNDED_OR_INFEASIBLE,
    Termination.NO_OPTION,
    Termination.PURCHASES_DO_NOT_FIT,
)
_LIMITS = (Termination.TIME_LIMIT, Termination.ITERATION_LIMIT, Termination.SOLUTION_LIMIT)
