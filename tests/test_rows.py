"""The families assembled as arrays give the rows a straightforward Pyomo construction of
the same inequalities gives, through Pyomo's own standard-form compiler: the same rows in
the same order, by name, with the same coefficients and bounds (an independent route)."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyomo.environ as pyo
import pytest
from conftest import set_cell, valid_sheets, write_book
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

from optimizer import read_plan
from optimizer.models import ModelData, build_data, build_model
from optimizer.models.variables import Derived
from optimizer.plan import Plan
from optimizer.solve import SolverOptions, _file_names, compile_model

ARRAY_FAMILIES = (
    "demand_met",
    "rack_capacity",
    "share_ready",
    "cloud_quota",
    "reserved_use",
    "api_limit",
    "edge_capacity",
)


def _distinct(keys: list[tuple]) -> list[tuple]:
    return list(dict.fromkeys(keys))


def _reference_families(m: pyo.Block, d: ModelData, which: str) -> None:
    """The array families of the ``which`` add_* function written as Pyomo constraints
    term by term from the sets (the inequalities as docs/formulation.md states them),
    under the same names and over the same index sets."""
    x = Derived(m, d)
    shares = {"onprem": m.onprem, "cloud": m.cloud, "api": m.api, "edge": m.edge}

    def demand(m: pyo.Block, w: str, t: int) -> object:
        return (
            pyo.quicksum(
                var
                for variables in shares.values()
                for index, var in variables.items()
                if index[0] == w and index[-1] == t
            )
            == 1
        )

    def rack(m: pyo.Block, s: str, k: str, t: int) -> object:
        acc = d.rack[k]["accelerator"]
        used = pyo.quicksum(
            d.ah_cap[(w, acc, t)] * m.onprem[w, s2, k2, t2]
            for w, s2, k2, t2 in d.onprem
            if (s2, k2, t2) == (s, k, t)
        )
        per_rack = float(d.rack[k]["accelerators_per_rack"]) * d.hours * d.max_utilization
        return used <= per_rack * x.installed(s, k, t)

    def ready(m: pyo.Block, w: str, s: str, t: int) -> object:
        placed = pyo.quicksum(
            m.onprem[key] for key in d.onprem if (key[0], key[1], key[3]) == (w, s, t)
        )
        return placed <= x.is_ready(s, t)

    def cloud_use(c: str, t: int) -> object:
        acc = d.offer[c]["accelerator"]
        return pyo.quicksum(
            d.ah_cap[(w, acc, t)] * m.cloud[w, c2, t2]
            for w, c2, t2 in d.cloud
            if (c2, t2) == (c, t)
        )

    def quota(m: pyo.Block, c: str, t: int) -> object:
        return cloud_use(c, t) <= float(d.offer[c]["max_accelerators"]) * d.hours

    def reserved(m: pyo.Block, c: str, t: int) -> object:
        return cloud_use(c, t) <= d.hours * m.commit[c, d.block_of[c][t]]

    def api(m: pyo.Block, a: str, t: int) -> object:
        served = pyo.quicksum(
            d.demand[(w, t)] * m.api[w, a2, t2] for w, a2, t2 in d.api if (a2, t2) == (a, t)
        )
        return served <= float(d.api_offer[a]["max_mtok_per_day"])

    def edge(m: pyo.Block, w: str, e: str, t: int) -> object:
        acc = d.device[e]["accelerator"]
        per_device = float(d.device[e]["accelerators_per_device"]) * d.hours
        return d.ah_cap[(w, acc, t)] * m.edge[w, e, t] <= per_device * x.owned(w, e, t)

    def add_demand() -> None:
        served = {(key[0], key[-1]) for variables in shares.values() for key in variables}
        m.DEMAND = pyo.Set(initialize=[key for key in d.active if key in served], dimen=2)
        m.demand_met = pyo.Constraint(m.DEMAND, rule=demand)

    def add_rack_capacity() -> None:
        used = _distinct([(s, k, t) for _, s, k, t in d.onprem])
        m.RACK_USE = pyo.Set(initialize=used, dimen=3)
        m.rack_capacity = pyo.Constraint(m.RACK_USE, rule=rack)

    def add_share_ready() -> None:
        new = set(d.new_sites)
        on_new = [(w, s, t) for w, s, _, t in d.onprem if s in new]
        m.SHARE_READY = pyo.Set(initialize=_distinct(on_new), dimen=3)
        m.share_ready = pyo.Constraint(m.SHARE_READY, rule=ready)

    def add_cloud_limits() -> None:
        uses = _distinct([(c, t) for _, c, t in d.cloud])
        pricing = {c: cv["pricing"] for c, cv in d.offer.items()}
        capped = {c for c, cv in d.offer.items() if not pd.isna(cv["max_accelerators"])}
        m.CLOUD_QUOTA = pyo.Set(
            initialize=[k for k in uses if pricing[k[0]] != "reserved" and k[0] in capped],
            dimen=2,
        )
        m.cloud_quota = pyo.Constraint(m.CLOUD_QUOTA, rule=quota)
        m.RESERVED_USE = pyo.Set(
            initialize=[k for k in uses if pricing[k[0]] == "reserved"], dimen=2
        )
        m.reserved_use = pyo.Constraint(m.RESERVED_USE, rule=reserved)

    def add_api_limits() -> None:
        limited = {a for a, av in d.api_offer.items() if not pd.isna(av["max_mtok_per_day"])}
        keys = _distinct([(a, t) for _, a, t in d.api if a in limited])
        m.API_LIMITED = pyo.Set(initialize=keys, dimen=2)
        m.api_limit = pyo.Constraint(m.API_LIMITED, rule=api)

    def add_edge_capacity() -> None:
        m.edge_capacity = pyo.Constraint(m.EDGE, rule=edge)

    locals()[which]()


def _reference_model(monkeypatch: pytest.MonkeyPatch, build: Callable[[], pyo.Block]) -> pyo.Block:
    """``build()`` with the array families built by ``_reference_families`` instead, in
    the same place of the model (so the rows come in the same order)."""
    import optimizer.models as models

    for name in ("add_demand", "add_cloud_limits", "add_api_limits"):
        monkeypatch.setattr(models, name, lambda m, d, name=name: _reference_families(m, d, name))
    for name in ("add_rack_capacity", "add_share_ready", "add_edge_capacity"):
        monkeypatch.setattr(
            models, name, lambda m, d, x, name=name: _reference_families(m, d, name)
        )
    try:
        return build()
    finally:
        monkeypatch.undo()


def _rows_by_compiler(m: pyo.Block) -> tuple[list[str], list[dict[str, float]], np.ndarray]:
    """Row names, each row's coefficients by column name, and (lower, upper) per row, from
    Pyomo's standard-form compiler."""
    repn = LinearStandardFormCompiler().write(m, mixed_form=True)
    names = _file_names(con.name for con, _ in repn.rows)
    columns = _file_names(v.name for v in repn.columns)
    a = repn.A.tocsr()
    rows = [
        {columns[j]: float(v) for j, v in zip(a.indices[a.indptr[i] : a.indptr[i + 1]],
                                              a.data[a.indptr[i] : a.indptr[i + 1]], strict=True)}
        for i in range(a.shape[0])
    ]  # fmt: skip
    rhs = np.asarray(repn.rhs, dtype=float)
    sense = np.array([s for _, s in repn.rows])
    bounds = np.column_stack(
        [np.where(sense == 1, -math.inf, rhs), np.where(sense == -1, math.inf, rhs)]
    )
    return names, rows, bounds


def _rows_compiled(m: pyo.Block) -> tuple[list[str], list[dict[str, float]], np.ndarray]:
    """The same from compile_model (the arrays stacked with the Pyomo-held rows)."""
    lp = compile_model(m, SolverOptions(), names=True).highs.getLp()
    columns = list(lp.col_names_)
    start, index, value = (np.asarray(v) for v in (lp.a_matrix_.start_, lp.a_matrix_.index_,
                                                   lp.a_matrix_.value_))  # fmt: skip
    rows: list[dict[str, float]] = [{} for _ in range(lp.num_row_)]
    for j in range(lp.num_col_):
        for p in range(start[j], start[j + 1]):
            rows[index[p]][columns[j]] = float(value[p])
    bounds = np.column_stack([np.asarray(lp.row_lower_), np.asarray(lp.row_upper_)])
    return list(lp.row_names_), rows, bounds


@pytest.fixture
def full_plan(book):
    """A plan with every family: a new site with racks, a reserved and a quota'd offer, an
    API with a limit and an edge device."""
    sheets = valid_sheets()
    set_cell(sheets, "workloads", 4, "allow_edge", "yes")
    sheets["cloud"].append(["spot", "aws", "us-texas", "H100", "spot", 2.0, None])
    set_cell(sheets, "cloud", 2, "max_accelerators", 8)
    set_cell(sheets, "apis", 2, "max_mtok_per_day", 10)
    set_cell(sheets, "sites", 2, "build_lead_periods", 1)
    return read_plan(write_book(book().parent / "full.xlsx", sheets))


def _assert_same_rows(ours: pyo.Block, reference: pyo.Block) -> None:
    names, rows, bounds = _rows_compiled(ours)
    ref_names, ref_rows, ref_bounds = _rows_by_compiler(reference)
    assert names == ref_names
    assert rows == ref_rows
    assert np.array_equal(bounds, ref_bounds)


def test_array_families_equal_pyomo_rows(full_plan, monkeypatch):
    def build() -> pyo.Block:
        return build_model(full_plan, build_data(full_plan))

    m = build()
    present = [name for name in ARRAY_FAMILIES if hasattr(m.component(name), "arrays")]
    assert present == list(ARRAY_FAMILIES)
    reference = _reference_model(monkeypatch, build)
    assert not any(hasattr(reference.component(name), "arrays") for name in ARRAY_FAMILIES)
    _assert_same_rows(m, reference)


def test_fixed_columns_move_to_the_bounds(full_plan, monkeypatch):
    """Purchases, builds and commitments fixed (as the stable-placement pass holds the
    integers): their terms leave the rows and their values the right-hand sides, as
    Pyomo moves them."""

    def build() -> pyo.Block:
        return build_model(full_plan, build_data(full_plan))

    models = [build(), _reference_model(monkeypatch, build)]
    for m in models:
        for i, var in enumerate([*m.buy.values(), *m.commit.values()]):
            var.fix(i % 3)
        for i, var in enumerate(m.build.values()):
            var.fix(int(i == 1))  # built once, in the second period
    _assert_same_rows(*models)


def test_blocks_stack_in_pyomo_order(full_plan, monkeypatch):
    """Two scenario blocks (as the robust model has): each block's arrays on its own
    columns, the rows in the order Pyomo walks the blocks."""

    def build() -> pyo.Block:
        m = pyo.ConcreteModel()
        m.scenario = pyo.Block(["a", "b"])
        for name in ("a", "b"):
            build_model(full_plan, build_data(full_plan), block=m.scenario[name])
            m.scenario[name].total_cost.deactivate()
        m.total = pyo.Objective(expr=m.scenario["a"].total_cost.expr)
        return m

    _assert_same_rows(build(), _reference_model(monkeypatch, build))


def test_a_deactivated_family_has_no_rows(full_plan):
    m = build_model(full_plan, build_data(full_plan))
    before = compile_model(m, SolverOptions()).rows
    m.share_ready.deactivate()
    after = compile_model(m, SolverOptions()).rows
    assert [f.name for f in before.of("share_ready")] == ["share_ready"]
    assert list(after.of("share_ready")) == []
    assert len(before) - len(after) == len(m.SHARE_READY)


def test_stability_rows_equal_pyomo_rows(full_plan):
    """The stable-placement pass's move_up and move_down rows (arrays, with the moves as
    columns no layout holds) against the same inequalities written term by term from the
    shares, through Pyomo's compiler; the integers fixed, as the pass holds them."""
    from collections import defaultdict

    from optimizer.models.constraints import add_stability

    def build() -> pyo.Block:
        m = build_model(full_plan, build_data(full_plan))
        for var in [*m.buy.values(), *m.commit.values(), *m.build.values()]:
            var.fix(0)
        add_stability(m, m.data, 100.0, 110.0, 0.01)
        return m

    ours, reference = build(), build()
    assert hasattr(ours.move_up, "arrays") and len(ours.MOVES) > 10
    shares: dict[tuple, list[pyo.Var]] = defaultdict(list)
    for (w, s, _k, t), var in reference.onprem.items():
        shares[(w, "onprem", s, t)].append(var)
    for env in ("cloud", "api", "edge"):
        for (w, o, t), var in getattr(reference, env).items():
            shares[(w, env, o, t)].append(var)

    def level(w: str, env: str, o: str, t: int) -> object:
        return pyo.quicksum(shares.get((w, env, o, t), []))

    for name in ("move_up", "move_down"):
        reference.del_component(name)
    reference.move_up = pyo.Constraint(
        reference.MOVES,
        rule=lambda r, w, env, o, t: (
            r.move[w, env, o, t] >= level(w, env, o, t) - level(w, env, o, t - 1)
        ),
    )
    reference.move_down = pyo.Constraint(
        reference.MOVES,
        rule=lambda r, w, env, o, t: (
            r.move[w, env, o, t] >= level(w, env, o, t - 1) - level(w, env, o, t)
        ),
    )
    names, rows, bounds = _rows_compiled(ours)
    ref_names, ref_rows, ref_bounds = _rows_by_compiler(reference)
    # the reference's array families hold no rows for Pyomo's compiler: compare the rest
    mine = {n: (r, tuple(b)) for n, r, b in zip(names, rows, bounds.tolist(), strict=True)}
    theirs = {
        n: (r, tuple(b)) for n, r, b in zip(ref_names, ref_rows, ref_bounds.tolist(), strict=True)
    }
    assert sum(n.startswith("move_") for n in theirs) == 2 * len(ours.MOVES)
    assert {n: mine[n] for n in theirs} == theirs


def _held(plan: Plan) -> pyo.Block:
    """The model of ``plan`` with its integers fixed and its cost objective off, as the
    stable-placement pass holds them."""
    m = build_model(plan, build_data(plan))
    for i, var in enumerate([*m.buy.values(), *m.commit.values(), *m.edge_buy.values()]):
        var.fix(i % 3)
    for i, var in enumerate(m.build.values()):
        var.fix(int(i == 1))
    m.total_cost.deactivate()
    return m


def _lp(m: pyo.Block) -> dict[str, np.ndarray]:
    lp = compile_model(m, SolverOptions()).highs.getLp()
    a = lp.a_matrix_
    fields = ("col_cost_", "col_lower_", "col_upper_", "row_lower_", "row_upper_")
    out = {f: np.asarray(getattr(lp, f), dtype=float) for f in fields}
    out |= {"start": np.asarray(a.start_), "index": np.asarray(a.index_)}
    return out | {"value": np.asarray(a.value_), "offset": np.array([lp.offset_])}


def test_stability_cost_row_and_objective_as_pyomo_reads_them(full_plan):
    """The pass's cost_limit row and least_moves objective, assembled as arrays, are to
    the bit what Pyomo's expression walker and standard repn give for the same ledger
    numbers written as Pyomo expressions (the integers fixed, as the pass holds them):
    so the pass's LP is the one it was when Pyomo read them."""
    from optimizer.models.constraints import add_stability
    from optimizer.models.ledger import expression
    from optimizer.models.objective import scaled_cost

    ours, theirs = _held(full_plan), _held(full_plan)
    for m in (ours, theirs):
        add_stability(m, m.data, 1000.0, 1500.0, 0.01)
    assert hasattr(ours.cost_limit, "arrays") and hasattr(ours.least_moves, "arrays")
    theirs.del_component("cost_limit")
    cost, constant = scaled_cost(theirs, 0.01, row=True)
    body = expression(cost, constant, theirs.layout.variables)
    theirs.cost_limit = pyo.Constraint(expr=body <= 1500.0 * 0.01)
    theirs.del_component("least_moves")
    weight = 1 / (1.0 * 500.0) * 0.001
    cost, constant = scaled_cost(theirs, weight, row=False)
    tie = expression(cost, constant, theirs.layout.variables) - weight * 1000.0
    moves = 0.5 * pyo.quicksum(theirs.move.values())
    theirs.least_moves = pyo.Objective(expr=moves + tie)
    a, b = _lp(ours), _lp(theirs)
    assert b["offset"][0] != 0.0 and (b["col_cost_"] != 0).sum() > len(ours.MOVES)
    for key in a:
        assert np.array_equal(a[key], b[key]), key


def test_stability_cost_row_and_objective_equal_the_cost_model(full_plan):
    """The same row and objective against the inequality and the objective written from
    the cost model's own total_cost expression through Pyomo (an independent route):
    total_cost · s ≤ L · s and ½ Σ move + 0.001 · (total_cost − C) / (L − C), equal to
    1e-12 (a flipped sign or a lost term fails); and least_moves' own Pyomo expression
    is the same objective."""
    from optimizer.models.constraints import add_stability

    ours, theirs = _held(full_plan), _held(full_plan)
    for m in (ours, theirs):
        add_stability(m, m.data, 1000.0, 1500.0, 0.01)
    total = theirs.total_cost.expr
    theirs.del_component("cost_limit")
    theirs.cost_limit = pyo.Constraint(expr=0.01 * total <= 1500.0 * 0.01)
    theirs.del_component("least_moves")
    moves = 0.5 * pyo.quicksum(theirs.move.values())
    theirs.least_moves = pyo.Objective(expr=moves + 0.001 * (total - 1000.0) / 500.0)
    a, b = _lp(ours), _lp(theirs)
    del ours.least_moves.arrays  # the model's own Pyomo expression of its objective
    c = _lp(ours)
    assert np.array_equal(a["index"], b["index"]) and np.array_equal(a["start"], b["start"])
    for key in a:
        assert np.allclose(a[key], b[key], rtol=1e-12, atol=1e-12), key
        assert np.allclose(a[key], c[key], rtol=1e-12, atol=1e-12), key


def test_moves_at_equal_the_shares_added_up(full_plan):
    """moves_at (the levels as a matrix) against the levels added up from the share
    variables one by one: every (w, t) with w active in t − 1 and t, every place of w."""
    from collections import defaultdict

    from optimizer.models.constraints.stability import moves_at, total_moves

    m = build_model(full_plan, build_data(full_plan))
    d = m.data
    shares = [*m.onprem.items(), *m.cloud.items(), *m.api.items(), *m.edge.items()]
    for i, (_, var) in enumerate(shares):
        var.set_value((i * 7 % 11) / 10)
    level: dict[tuple, float] = defaultdict(float)
    for (w, *where), var in shares:
        env = var.parent_component().local_name
        level[(w, (env, where[0]), where[-1])] += var.value
    places = defaultdict(set)
    for w, p, _ in level:
        places[w].add(p)
    expected = {}
    for w, t in d.active:
        if (w, t - 1) in d.active:
            change = {p: level[(w, p, t)] - level[(w, p, t - 1)] for p in sorted(places[w])}
            if change := {p: x for p, x in change.items() if abs(x) > 1e-9}:
                expected[(w, t)] = change
    got = moves_at(m, d)
    assert len(expected) > 3 and list(got) == list(expected)
    assert got == {k: pytest.approx(v, rel=1e-12) for k, v in expected.items()}
    assert total_moves(m, d) == pytest.approx(
        sum(0.5 * sum(abs(x) for x in c.values()) for c in expected.values()), rel=1e-12
    )
