"""The certificate of a solve: the plan checked against the model before it is believed.

Whatever path produced a solution (a fresh solve, a re-solve with new prices, a
run with the first stage fixed, the robust model, a worker on a cluster), it is
checked here, from the values the user will get (integers rounded, the solver's
leftovers below 1e-9 made zero), against the compiled model's own rows and
bounds in the model's own units, and its cost is recomputed from the cost
ledger. ``optimal`` is said only when HiGHS says so and every check holds.

The checks and their tolerances (docs/whatif.md, "Certified answers"):

- every row: violation at most ``ROW_TOLERANCE`` times the row's magnitude
  (the sum of |coefficient x value| over the row, at least 1);
- every column within its bounds, by the same relative measure;
- every integer column within ``INTEGRALITY_TOLERANCE`` of an integer in the
  solver's answer;
- the objective: the ledger's discounted total, the cost vector times the
  plan, and the solver's reported objective agree within
  ``OBJECTIVE_TOLERANCE`` (relative);
- the bound: the solver's best bound is not above the plan's cost, and for an
  ``optimal`` answer the gap recomputed from the plan's cost is within the
  gap asked for.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import asdict, dataclass

import numpy as np
import scipy.sparse as sp

from optimizer.solve import Compiled, Solved, Values
from optimizer.status import Status

ROW_TOLERANCE = 1e-6
INTEGRALITY_TOLERANCE = 1e-5
OBJECTIVE_TOLERANCE = 1e-5
GAP_SLACK = 1e-6  # the recomputed gap may exceed the gap asked for by this much


class CertificateError(Exception):
    """A solution failed its certificate on a path with nothing to fall back to."""


@dataclass(frozen=True)
class Certificate:
    """What was checked, with the largest deviation of each kind."""

    holds: bool
    failed: tuple[str, ...]
    max_row_violation: float  # relative to the row's magnitude
    max_bound_violation: float  # relative to the column's magnitude
    max_integrality_violation: float  # in the solver's answer, before rounding
    objective_reported_usd: float  # what HiGHS said
    objective_recomputed_usd: float  # the cost ledger's discounted total at the plan
    objective_matrix_usd: float  # the compiled cost vector times the plan
    best_bound_usd: float | None
    gap_recomputed: float | None
    seconds: float

    def as_dict(self) -> dict[str, object]:
        return asdict(self) | {"failed": list(self.failed)}


def _relative(a: float, b: float) -> float:
    return abs(a - b) / max(1.0, abs(a), abs(b))


def certified(
    compiled: Compiled,
    solved: Solved,
    values: Values,
    ledger_total: float,
    mip_gap: float,
) -> Solved:
    """``solved`` with its certificate, and the plan's own cost (the ledger's) as its
    objective. Raises CertificateError, naming the failed checks, when one fails."""
    certificate = certify(compiled, solved, values, ledger_total, mip_gap)
    if not certificate.holds:
        raise CertificateError(
            "the solver's plan failed its check: " + "; ".join(certificate.failed)
        )
    return dataclasses.replace(solved, objective=ledger_total, certificate=certificate)


def certify(
    compiled: Compiled,
    solved: Solved,
    values: Values,
    ledger_total: float,
    mip_gap: float,
) -> Certificate:
    """Check the plan (``values.plan``, as loaded into the model) against ``compiled``,
    and the ledger total computed from the model at the plan against the solver's word."""
    raw, plan = values.raw, values.plan
    started = time.perf_counter()
    lp = compiled.highs.getLp()
    n, k = lp.num_col_, lp.num_row_
    matrix = lp.a_matrix_
    a = sp.csc_matrix(
        (np.asarray(matrix.value_), np.asarray(matrix.index_), np.asarray(matrix.start_)),
        shape=(k, n),
    )
    activity = a @ plan
    magnitude = np.maximum(1.0, abs(a) @ np.abs(plan))
    row_lower, row_upper = np.asarray(lp.row_lower_), np.asarray(lp.row_upper_)
    row_violation = np.maximum(row_lower - activity, activity - row_upper)
    max_row = float(np.max(np.maximum(row_violation, 0.0) / magnitude)) if k else 0.0
    col_lower, col_upper = np.asarray(lp.col_lower_), np.asarray(lp.col_upper_)
    col_violation = np.maximum(col_lower - plan, plan - col_upper)
    max_col = (
        float(np.max(np.maximum(col_violation, 0.0) / np.maximum(1.0, np.abs(plan)))) if n else 0.0
    )
    integer = compiled.integer
    max_int = float(np.max(np.abs(raw[integer] - np.round(raw[integer])))) if integer.any() else 0.0
    scale = compiled.objective_scale
    by_matrix = (float(np.dot(np.asarray(lp.col_cost_), plan)) + float(lp.offset_)) / scale
    reported = float(solved.objective) if solved.objective is not None else math.nan
    bound = solved.best_bound
    gap = (ledger_total - bound) / max(1.0, abs(ledger_total)) if bound is not None else None
    failed = []
    if max_row > ROW_TOLERANCE:
        failed.append(f"a row of the model is violated by {max_row:.2g} of its size")
    if max_col > ROW_TOLERANCE:
        failed.append(f"a variable is outside its bounds by {max_col:.2g} of its size")
    if max_int > INTEGRALITY_TOLERANCE:
        failed.append(f"an integer decision is {max_int:.2g} away from a whole number")
    if _relative(ledger_total, by_matrix) > OBJECTIVE_TOLERANCE:
        failed.append(
            f"the cost ledger gives {ledger_total:,.2f} USD where the model's costs give "
            f"{by_matrix:,.2f}"
        )
    if not math.isfinite(reported) or _relative(ledger_total, reported) > OBJECTIVE_TOLERANCE:
        failed.append(
            f"the plan costs {ledger_total:,.2f} USD, not {reported:,.2f} as the solver reported"
        )
    if gap is not None and gap < -OBJECTIVE_TOLERANCE:
        failed.append(
            f"the solver's bound {bound:,.2f} USD is above the plan's cost {ledger_total:,.2f}"
        )
    if solved.status == Status.OPTIMAL and gap is not None and gap > mip_gap + GAP_SLACK:
        failed.append(
            f"the plan is {gap:.3%} above the solver's bound, more than the gap of "
            f"{mip_gap:.3%} asked for"
        )
    return Certificate(
        holds=not failed,
        failed=tuple(failed),
        max_row_violation=max_row,
        max_bound_violation=max_col,
        max_integrality_violation=max_int,
        objective_reported_usd=reported,
        objective_recomputed_usd=ledger_total,
        objective_matrix_usd=by_matrix,
        best_bound_usd=bound,
        gap_recomputed=gap,
        seconds=time.perf_counter() - started,
    )
