"""models/components.py fills Pyomo's ordered sets from index lists without Pyomo's
per-index checks, and makes an objective's expression when read: the sets, the Vars
over them and the objectives must be the ones Pyomo makes."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pyomo.environ as pyo
import pytest
from pyomo.repn.standard_repn import generate_standard_repn

from optimizer import read_plan
from optimizer.models import build_model
from optimizer.models.components import DeferredObjective, index_set, members
from optimizer.models.ledger import expression

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "examples" / "seed-article.xlsx"

KEYS = {
    2: [("s1", 0), ("s1", 1), ("s 2", 0), ("x[y]", 3)],
    3: [("w", "o", 1), ("w", "o", 0), ("v", "é", 2)],
    4: [("chat", "site-a", "h100", 0), ("chat", "site-a", "h100", 1), ("train", "b", "r", 7)],
}


@pytest.mark.parametrize("dimen", sorted(KEYS))
def test_index_set_is_pyomos_own(dimen: int) -> None:
    keys = KEYS[dimen]
    ours, theirs = pyo.ConcreteModel(), pyo.ConcreteModel()
    index_set(ours, "S", keys, dimen)
    theirs.S = pyo.Set(initialize=keys, dimen=dimen, ordered=True)
    a, b = ours.S, theirs.S
    assert type(a) is type(b)
    assert (a.dimen, a.isordered(), len(a), a.name) == (b.dimen, b.isordered(), len(b), b.name)
    assert list(a) == list(b) == keys
    assert list(reversed(a)) == list(reversed(b))
    for i, key in enumerate(keys, start=1):
        assert a.ord(key) == b.ord(key) == i
        assert a.at(i) == b.at(i) == key
        assert key in a
    assert a.first() == b.first() and a.last() == b.last()
    assert a.next(keys[0]) == b.next(keys[0])
    missing = ("nowhere",) * dimen
    assert missing not in a and missing not in b
    assert a.data() == b.data()
    shown_a, shown_b = io.StringIO(), io.StringIO()
    a.pprint(ostream=shown_a)
    b.pprint(ostream=shown_b)
    assert shown_a.getvalue() == shown_b.getvalue()

    ours.x = pyo.Var(ours.S, bounds=(0.0, 1.0))
    theirs.x = pyo.Var(theirs.S, bounds=(0.0, 1.0))
    ours.n = pyo.Var(ours.S, domain=pyo.NonNegativeIntegers)
    theirs.n = pyo.Var(theirs.S, domain=pyo.NonNegativeIntegers)
    for name in ("x", "n"):
        mine, other = members(ours.component(name)), list(theirs.component(name).values())
        assert [v.name for v in mine] == [v.name for v in other]
        assert [v.index() for v in mine] == keys
        assert [(v.bounds, v.is_integer()) for v in mine] == [
            (v.bounds, v.is_integer()) for v in other
        ]
        assert mine == list(ours.component(name).values())
    assert ours.x[keys[-1]] is members(ours.x)[-1]


def test_index_set_keeps_the_first_of_a_repeated_key() -> None:
    """As Pyomo's insertion does (a repeated key is one member, where it first came)."""
    keys = [("a", 1), ("b", 2), ("a", 1)]
    ours, theirs = pyo.ConcreteModel(), pyo.ConcreteModel()
    index_set(ours, "S", keys, 2)
    theirs.S = pyo.Set(initialize=keys, dimen=2, ordered=True)
    assert list(ours.S) == list(theirs.S) == [("a", 1), ("b", 2)]
    assert ours.S.ord(("b", 2)) == theirs.S.ord(("b", 2)) == 2


def test_a_set_grows_as_pyomos_own() -> None:
    """Members added later go after the ones given, with their positions."""
    ours = pyo.ConcreteModel()
    index_set(ours, "S", [("a", 1)], 2)
    assert ours.S.ord(("a", 1)) == 1
    ours.S.add(("b", 2))
    assert list(ours.S) == [("a", 1), ("b", 2)] and ours.S.ord(("b", 2)) == 2


def test_a_deferred_objective_is_made_when_read(tmp_path: Path) -> None:
    """Made once, when first read; again after pending(); an expression set replaces it;
    Pyomo sees one active objective and writes what it writes for the plain one."""
    made = []

    def make(b: pyo.Block) -> object:
        made.append(b)
        return 2 * b.x + 3 * b.y + 1

    ours, theirs = pyo.ConcreteModel(), pyo.ConcreteModel()
    for m in (ours, theirs):
        m.x = pyo.Var(bounds=(0, 4))
        m.y = pyo.Var(bounds=(0, 4))
        m.row = pyo.Constraint(expr=m.x + m.y >= 1)
    ours.cost = DeferredObjective(make)
    theirs.cost = pyo.Objective(expr=2 * theirs.x + 3 * theirs.y + 1, sense=pyo.minimize)
    assert made == []
    assert [o.name for o in ours.component_data_objects(pyo.Objective, active=True)] == ["cost"]
    assert ours.cost.ctype is pyo.Objective and ours.cost.is_minimizing()
    assert str(ours.cost.expr) == str(theirs.cost.expr) == "2*x + 3*y + 1"
    assert made == [ours]
    ours.x.value, ours.y.value = 1.0, 2.0
    assert pyo.value(ours.cost) == 9.0 and made == [ours]
    ours.cost.pending()
    assert ours.cost() == 9.0 and made == [ours, ours]
    ours.cost.pending()
    written = {}
    for name, m in (("ours", ours), ("theirs", theirs)):
        path = tmp_path / f"{name}.lp"
        m.write(str(path), io_options={"symbolic_solver_labels": True})
        written[name] = path.read_text()
    assert written["ours"] == written["theirs"] and len(made) == 3
    ours.cost.expr = ours.x
    assert str(ours.cost.expr) == "x" and len(made) == 3


def test_total_cost_is_the_ledgers_expression_when_read(tmp_path: Path) -> None:
    """The built model's total_cost, read, is the expression of its cost vector (the
    arrays the hand-off takes): the same Pyomo LP file as an objective declared with it."""
    plan = read_plan(EXAMPLE)
    ours = build_model(plan)
    theirs = build_model(plan)
    cost, offset = theirs.cost_vector
    theirs.del_component("total_cost")
    theirs.total_cost = pyo.Objective(expr=expression(cost, offset, theirs.layout.variables))
    repn = generate_standard_repn(ours.total_cost.expr, compute_values=False)
    column = {id(v): j for j, v in enumerate(ours.layout.variables)}
    assert [column[id(v)] for v in repn.linear_vars] == np.flatnonzero(cost).tolist()
    assert list(repn.linear_coefs) == cost[cost != 0].tolist()
    files = []
    for name, m in (("ours", ours), ("theirs", theirs)):
        path = tmp_path / f"{name}.lp"
        m.write(str(path), io_options={"symbolic_solver_labels": True})
        files.append(path.read_bytes())
    assert files[0] == files[1]
