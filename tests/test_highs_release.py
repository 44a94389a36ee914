"""The installed HiGHS against small models that releases of it got wrong while calling
the answer optimal (the reason for the version range of highspy in pyproject.toml).

Each optimum is derived by hand in its test. highspy 1.14.0 answers all three wrongly
(15, 29 and 76), with status Optimal and a bound equal to its answer, which no
certificate can tell from a right one; 1.13.1, 1.15.0 and 1.16.0 answer them rightly.
"""

from __future__ import annotations

import highspy
import numpy as np
import pytest

from optimizer.solve import SolverOptions, new_highs

INF = highspy.kHighsInf


def optimum(
    cost: list[float],
    bounds: list[tuple[float, float]],
    rows: list[tuple[list[float], float, float]],
    integer: list[bool],
) -> tuple[str, float]:
    """HiGHS's status and objective for min cost·x over rows (coefficients, lower, upper),
    with the project's own options and a gap of zero."""
    h = new_highs(SolverOptions(mip_gap=0.0, threads=1))
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = len(cost), len(rows)
    lp.col_cost_ = np.array(cost)
    lp.col_lower_ = np.array([lo for lo, _ in bounds])
    lp.col_upper_ = np.array([up for _, up in bounds])
    lp.row_lower_ = np.array([lo for _, lo, _ in rows])
    lp.row_upper_ = np.array([up for _, _, up in rows])
    dense = np.array([coefficients for coefficients, _, _ in rows])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.concatenate([[0], np.cumsum((dense != 0).sum(axis=1))]).astype(
        np.int32
    )
    lp.a_matrix_.index_ = np.nonzero(dense)[1].astype(np.int32)
    lp.a_matrix_.value_ = dense[dense != 0]
    lp.integrality_ = [
        highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous for i in integer
    ]
    h.passModel(lp)
    h.solve()  # as optimizer.solve.run_highs does
    return h.modelStatusToString(h.getModelStatus()), h.getInfo().objective_function_value


def test_a_column_that_presolve_must_not_stuff():
    """min 2x + 3z, x + z ≥ 4.5, 0 ≤ x, z ≤ 10, z whole (HiGHS #2961, highs-js #53): x = 4.5,
    z = 0 costs 9; any z > 0 costs more, as 3 > 2."""
    status, value = optimum([2, 3], [(0, 10), (0, 10)], [([1, 1], 4.5, INF)], [False, True])
    assert status == "Optimal" and value == pytest.approx(9.0, rel=1e-6)


def test_a_fractional_remainder_on_the_continuous_column():
    """min x + 2y, x + y ≥ 20.1, x whole in [0, 20], y in [8, 20] (HiGHS #2957): y costs
    twice x, so y takes only what x cannot: x = 12, y = 8.1 costs 28.2 (x = 13, y = 8:
    29)."""
    status, value = optimum([1, 2], [(0, 20), (8, 20)], [([1, 1], 20.1, INF)], [True, False])
    assert status == "Optimal" and value == pytest.approx(28.2, rel=1e-6)


def test_an_equality_with_a_whole_column():
    """min x + 4y + 9z, x in [0, 4], y in [-1, 1], z whole ≥ 0, x + y ≤ 5, x + z ≥ 10,
    z − y = 7.5 (HiGHS #3002): z = 7.5 + y whole leaves y = −0.5 (z = 7, x ≥ 3: cost
    3 − 2 + 63 = 64) or y = 0.5 (z = 8, x ≥ 2: 2 + 2 + 72 = 76); the optimum is 64."""
    status, value = optimum(
        [1, 4, 9],
        [(0, 4), (-1, 1), (0, INF)],
        [([1, 1, 0], -INF, 5), ([1, 0, 1], 10, INF), ([0, -1, 1], 7.5, 7.5)],
        [False, False, True],
    )
    assert status == "Optimal" and value == pytest.approx(64.0, rel=1e-6)
