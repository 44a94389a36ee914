"""The column layout (models/layout.py): one order of the decision variables, the order
of the columns HiGHS is given."""

from __future__ import annotations

from math import inf
from pathlib import Path

import highspy
import pyomo.environ as pyo

from optimizer import read_plan
from optimizer.models import build_data, build_model
from optimizer.models.layout import FAMILIES, columns
from optimizer.solve import SolverOptions, compile_model

SEED = Path(__file__).resolve().parent.parent / "data" / "examples" / "seed-article.xlsx"


def test_families_follow_each_other_in_their_index_order():
    plan = read_plan(SEED)
    d = build_data(plan)
    m = build_model(plan, d)
    lay = m.layout
    start = 0
    for family, field in FAMILIES.items():
        keys = getattr(d, field)
        assert lay.offset[family] == start and lay.size[family] == len(keys)
        var = getattr(m, family)
        for i, key in enumerate(keys):
            assert lay.variables[start + i] is var[key]
            assert lay.position(family)[key] == start + i
        assert list(lay.at(family, keys)) == list(lay.positions(family))
        start += len(keys)
    # every decision variable of the model, each once
    assert start == lay.n == len(list(m.component_data_objects(pyo.Var)))


def test_compiled_columns_are_the_layout_then_the_rest():
    plan = read_plan(SEED)
    m = build_model(plan)
    compiled = compile_model(m, SolverOptions())
    assert compiled.columns == m.layout.variables
    assert compiled.highs.getLp().num_col_ == m.layout.n


def test_blocks_are_laid_out_one_after_another():
    plan = read_plan(SEED)
    m = pyo.ConcreteModel()
    m.S = pyo.Set(initialize=["a", "b"], ordered=True)
    m.scenario = pyo.Block(m.S)
    for name in m.S:
        build_model(plan, block=m.scenario[name])
    m.extra = pyo.Var(bounds=(0, 1))
    m.more = pyo.Var(["x", "y"])
    order = columns(m, [m.extra, m.more])
    a, b = m.scenario["a"].layout, m.scenario["b"].layout
    assert order.starts == [(m.scenario["a"], 0), (m.scenario["b"], a.n)]
    assert order.variables == [*a.variables, *b.variables, m.extra, m.more["x"], m.more["y"]]
    assert order.others == [(m.extra, a.n + b.n), (m.more, a.n + b.n + 1)]
    assert order.laid_out == a.n + b.n


def test_declared_bounds_are_the_variables(book):
    """The layout's bounds and integrality, which the hand-off reads instead of each
    variable, are those of the variables add_variables makes (a reserved offer's cap, a
    binary, unbounded integers, shares), and a fixed variable is a continuous column at
    its value."""
    from conftest import set_cell, valid_sheets, write_book

    sheets = valid_sheets()
    set_cell(sheets, "workloads", 4, "allow_edge", "yes")
    set_cell(sheets, "cloud", 3, "max_accelerators", 16)
    capped = read_plan(write_book(book().parent / "capped.xlsx", sheets))
    for plan in (read_plan(SEED), capped):
        m = build_model(plan)
        lay = m.layout
        lower = [-inf if v.lb is None else v.lb for v in lay.variables]
        upper = [inf if v.ub is None else v.ub for v in lay.variables]
        assert lay.lower.tolist() == lower and lay.upper.tolist() == upper
        assert lay.integer.tolist() == [v.is_integer() for v in lay.variables]
        assert {f for f in FAMILIES if lay.size[f]} >= {"build", "buy", "commit", "onprem"}
    assert 16.0 in lay.upper[lay.span("commit")].tolist()
    held = m.commit[next(iter(m.commit))]
    held.fix(3)
    lp = compile_model(m, SolverOptions()).highs.getLp()
    j = next(j for j, v in enumerate(lay.variables) if v is held)
    assert (lp.col_lower_[j], lp.col_upper_[j]) == (3.0, 3.0)
    assert lp.integrality_[j] == highspy.HighsVarType.kContinuous
    assert lp.integrality_[j + 1] == highspy.HighsVarType.kInteger


def test_declared_bounds_of_the_moves_are_the_variables():
    """Stable placement's moves, columns no layout holds, have declared bounds and
    integrality (read instead of each variable): those of the variables."""
    from optimizer.models.constraints import add_stability

    m = build_model(read_plan(SEED))
    add_stability(m, m.data, 100.0, 110.0, 1.0)
    lp = compile_model(m, SolverOptions()).highs.getLp()
    moves = list(m.move.values())
    at = slice(m.layout.n, m.layout.n + len(moves))
    assert lp.num_col_ == m.layout.n + len(moves) > m.layout.n
    assert list(lp.col_lower_[at]) == [v.lb for v in moves]
    assert list(lp.col_upper_[at]) == [v.ub for v in moves]
    assert list(lp.integrality_[at]) == [highspy.HighsVarType.kContinuous] * len(moves)
    assert not any(v.is_integer() for v in moves)
