"""The column layout (models/layout.py): one order of the decision variables, the order
of the columns HiGHS is given."""

from __future__ import annotations

from pathlib import Path

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
    order = columns(m, [m.extra, m.scenario["a"].buy[next(iter(m.scenario["a"].buy))]])
    a, b = m.scenario["a"].layout, m.scenario["b"].layout
    assert order.starts == [(m.scenario["a"], 0), (m.scenario["b"], a.n)]
    assert order.variables == [*a.variables, *b.variables, m.extra]
    assert order.laid_out == a.n + b.n
