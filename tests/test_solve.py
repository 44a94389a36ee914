"""The hand-off to HiGHS and back, on small Pyomo models whose answer is known."""

from __future__ import annotations

import pyomo.environ as pyo
import pytest

from optimizer.solve import INFEASIBLE, OPTIMAL, SolverOptions, solve


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
