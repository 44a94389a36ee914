"""Pyomo components made for less: index sets filled from index lists without Pyomo
checking each index again, and objectives whose expression is made when read.

``pyo.Set(initialize=keys, dimen=k, ordered=True)`` passes every index through
Pyomo's normalisation and dimension check, one generator step each: at 115,000
columns most of the time Pyomo spends on the model's sets (docs/performance.md,
"Everything but the solve"). The index lists of models/sets.py are flat tuples of
strings and integers (or such numbers and strings), distinct, in the order wanted,
so ``index_set`` declares the same ordered Set and fills its members in one step:
what Pyomo's own insertion would leave (each member a key of the set's dict, in
order). This reads Pyomo's insertion-ordered set (``InsertionOrderSetData``'s
``_values``); tests/test_components.py compares such a set, and a Var over it, with
the ones Pyomo makes itself (members, order, positions, dimension, membership, the
variables' names and bounds).

An objective whose costs the hand-off takes as arrays (the cost ledger's
``cost_vector``, stable placement's ``ArrayObjective``) needs its Pyomo expression
only when something reads it (a written model, a test, the robust model's expected
cost): ``DeferredObjective`` makes it then, through the public ways Pyomo reads an
objective (``expr``, ``args``, its value, the writers).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pyomo.environ as pyo
from pyomo.core.base.objective import ScalarObjective


def index_set(m: pyo.Block, name: str, keys: Sequence[object], dimen: int) -> pyo.Set:
    """``m.<name>``: the ordered Set of ``keys`` (flat tuples of ``dimen`` numbers and
    strings, or such scalars when ``dimen`` is 1), as ``pyo.Set(initialize=keys,
    dimen=dimen, ordered=True)`` declares it."""
    s = pyo.Set(dimen=dimen, ordered=True)
    m.add_component(name, s)
    s._values = dict.fromkeys(keys)
    s._ordered_values = None
    return s


def members(var: pyo.Var) -> list[pyo.Var]:
    """The VarData of ``var`` in its index order, as ``list(var.values())`` gives them:
    a Var declared over an ordered Set creates every member at once, in the Set's order,
    and holds them in its dict in that order (Pyomo's ``_data``)."""
    return list(var._data.values())


class DeferredObjective(ScalarObjective):
    """A scalar Objective whose expression is ``make(block)``, made when first read
    (``expr``, ``args``, its value, Pyomo's writers) and again when read after
    ``pending()``; setting an expression (``expr = ...``) replaces it as for any
    Objective."""

    def __init__(self, make: Callable[[pyo.Block], object], sense: int = pyo.minimize) -> None:
        super().__init__(expr=0.0, sense=sense)
        self._make = make
        self._made = False

    def construct(self, data: object = None) -> None:
        if self._constructed:
            return
        super().construct(data)  # with a placeholder, so that Pyomo sees one objective
        self._made = False

    def pending(self) -> None:
        """Make the expression again when next read (what it reads has changed)."""
        self._made = False

    @property
    def args(self) -> tuple[object, ...]:
        if not self._made:
            self.set_value(self._make(self.parent_block()))
        return self._args_

    def set_value(self, expr: object) -> None:
        self._made = True
        super().set_value(expr)
