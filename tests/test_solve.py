"""The hand-off to HiGHS and back, on small Pyomo models whose answer is known."""

from __future__ import annotations

import highspy
import pyomo.environ as pyo
import pytest

from optimizer.solve import SolverOptions, solve
from optimizer.status import Status, Termination

OPTIMAL, INFEASIBLE = Status.OPTIMAL, Status.INFEASIBLE


def small_model() -> pyo.ConcreteModel:
    """min 3x + 2y + 5 s.t. x + y >= 3.5, x - y <= 1, y = 2x - 1, x integer:
    y = 2x - 1 and x + y >= 3.5 give x >= 1.5, so x = 2, y = 3, objective 17."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(domain=pyo.NonNegativeIntegers)
    m.y = pyo.Var(bounds=(0, 10))
    m.c1 = pyo.Constraint(expr=m.x + m.y >= 3.5)
    m.c2 = pyo.Constraint(expr=m.x - m.y <= 1)
    m.c3 = pyo.Constraint(expr=m.y == 2 * m.x - 1)
    m.o = pyo.Objective(expr=3 * m.x + 2 * m.y + 5)
    return m


def test_mixed_senses_and_integers():
    m = small_model()
    solved, _, _ = solve(m, SolverOptions())
    assert solved.status == OPTIMAL and solved.has_plan
    assert solved.objective == pytest.approx(17.0)
    assert (m.x.value, m.y.value) == (2, pytest.approx(3.0))


def test_infeasible():
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 1))
    m.c = pyo.Constraint(expr=m.x >= 2)
    m.o = pyo.Objective(expr=m.x)
    solved, _, _ = solve(m, SolverOptions())
    assert solved.status == INFEASIBLE and not solved.has_plan and solved.objective is None


def test_badly_scaled_numbers_are_reported():
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 1e12))
    m.y = pyo.Var(bounds=(0, 10))
    m.c = pyo.Constraint(expr=1e-8 * m.x + 1e8 * m.y >= 1)
    m.o = pyo.Objective(expr=1e-9 * m.x + 1e9 * m.y)
    solved, _, _ = solve(m, SolverOptions())
    assert any("badly scaled" in w for w in solved.warnings)


def test_no_banner_on_stdout(capfd):
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 1))
    m.o = pyo.Objective(expr=m.x)
    solve(m, SolverOptions())
    assert "HiGHS" not in capfd.readouterr().out


def test_terminations_are_highs_words():
    """Every HiGHS model status has its Termination, worded as HiGHS words it (run.json's
    termination), and maps to the Status the solve path gives it."""
    h = highspy.Highs()
    statuses = highspy.HighsModelStatus.__members__.values()
    for model_status in statuses:
        termination = Termination.from_highs(model_status.name)
        assert termination == h.modelStatusToString(model_status)
    expected = {
        "kOptimal": (Status.OPTIMAL, Status.OPTIMAL),
        "kModelEmpty": (Status.OPTIMAL, Status.OPTIMAL),
        "kInfeasible": (Status.INFEASIBLE, Status.INFEASIBLE),
        "kUnboundedOrInfeasible": (Status.INFEASIBLE, Status.INFEASIBLE),
        "kTimeLimit": (Status.TIME_LIMIT, Status.NO_PLAN),
        "kIterationLimit": (Status.TIME_LIMIT, Status.NO_PLAN),
        "kSolutionLimit": (Status.TIME_LIMIT, Status.NO_PLAN),
        "kUnbounded": (Status.ERROR, Status.ERROR),
        "kSolveError": (Status.ERROR, Status.ERROR),
    }
    for name, (with_plan, without) in expected.items():
        termination = Termination.from_highs(name)
        assert (termination.status(True), termination.status(False)) == (with_plan, without)
    assert [s for s in Status if s.is_ok] == [Status.OPTIMAL, Status.TIME_LIMIT]
    assert Termination.NO_OPTION.status(False) == "infeasible"
