"""The column layout: one order of the decision variables, shared by every part that
assembles rows, costs or emissions as arrays.

A built model (or one scenario's block of the robust model) has its variables in
the families of models/variables.py, in declaration order: build, buy, commit,
edge_buy, onprem, cloud, api, edge; each family in its ModelData index order. A
variable's *position* in its block is its family's offset plus its place in the
index list. A whole model orders its blocks' layouts one after the other (the
model itself when built directly; the robust model's scenarios in their order),
and then any variable that no layout holds (the stable-placement pass's moves),
in the order Pyomo's compiler meets them: that is the order of the columns HiGHS
is given (optimizer/solve.py, compile_model).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo

from optimizer.models.components import members
from optimizer.models.sets import ModelData
from optimizer.models.variables import declared_bounds

# family (the Var's name in the model) -> its index list in ModelData
FAMILIES: dict[str, str] = {
    "build": "build",
    "buy": "buy",
    "commit": "reserved_blocks",
    "edge_buy": "edge_buy",
    "onprem": "onprem",
    "cloud": "cloud",
    "api": "api",
    "edge": "edge",
}


@dataclass(frozen=True)
class Layout:
    """The positions of one block's variables: family ``f``'s variables are positions
    ``offset[f]`` to ``offset[f] + size[f]``, in ``ModelData``'s index order."""

    offset: dict[str, int]
    size: dict[str, int]
    keys: dict[str, list[tuple]]  # family -> its index list (ModelData's, not a copy)
    variables: list[pyo.Var]  # VarData by position (none in a layout of the data alone)
    lower: np.ndarray  # by position: the bounds add_variables declares (inf for none) ...
    upper: np.ndarray
    integer: np.ndarray  # ... and whether the variable is integer (a fixed one is read apart)

    @property
    def n(self) -> int:
        return sum(self.size.values())

    def span(self, family: str) -> slice:
        start = self.offset[family]
        return slice(start, start + self.size[family])

    def positions(self, family: str) -> np.ndarray:
        """Every position of ``family``, in its index order."""
        return np.arange(self.offset[family], self.offset[family] + self.size[family])

    @functools.cached_property
    def _lookup(self) -> dict[str, dict[tuple, int]]:
        return {}  # family -> index -> position, made for a family when first asked

    def position(self, family: str) -> dict[tuple, int]:
        """Index -> position, for ``family``."""
        found = self._lookup.get(family)
        if found is None:
            start = self.offset[family]
            found = {key: start + i for i, key in enumerate(self.keys[family])}
            self._lookup[family] = found
        return found

    def values(self) -> np.ndarray:
        """The variables' values by position (0 where a variable has none)."""
        return np.array([v.value or 0.0 for v in self.variables], dtype=float)

    def owners(self) -> list[str | None]:
        """The workload each position belongs to (its variable is a share of that
        workload's demand, or an edge device bought for it), None for the locations'
        decisions (sites, racks, reserved commitments)."""
        out: list[str | None] = [None] * self.n
        for family in ("edge_buy", "onprem", "cloud", "api", "edge"):
            out[self.span(family)] = [key[0] for key in self.keys[family]]
        return out

    def at(self, family: str, keys: list[tuple]) -> np.ndarray:
        """The positions of ``keys`` of ``family``."""
        lookup = self.position(family)
        return np.fromiter((lookup[k] for k in keys), dtype=np.int64, count=len(keys))


def layout(d: ModelData, m: pyo.Block | None = None) -> Layout:
    """The layout of the variables add_variables puts in a model for ``d`` (with the
    VarData of ``m`` when given: the ledgers need only the positions)."""
    offset, size, keys, variables = {}, {}, {}, []
    start = 0
    for family, field in FAMILIES.items():
        index: list[tuple] = getattr(d, field)
        offset[family], size[family], keys[family] = start, len(index), index
        start += len(index)
        if m is not None:
            # a Var over an ordered Set holds its VarData in the Set's order, the index list's
            var = getattr(m, family)
            if len(var) != len(index):
                raise ValueError(f"{family} has {len(var)} variables for {len(index)} indexes")
            variables.extend(members(var))
    bounds = declared_bounds(d)
    lower = np.concatenate([bounds[f][0] for f in FAMILIES]).astype(float)
    upper = np.concatenate([bounds[f][1] for f in FAMILIES]).astype(float)
    integer = np.concatenate([np.full(size[f], bounds[f][2]) for f in FAMILIES]).astype(bool)
    return Layout(offset, size, keys, variables, lower, upper, integer)


def blocks(m: pyo.Block) -> list[pyo.Block]:
    """The built models within ``m`` in their order: ``m`` itself, or the robust model's
    scenario blocks."""
    if hasattr(m, "layout"):
        return [m]
    return [
        b
        for b in m.component_data_objects(pyo.Block, active=True, descend_into=True, sort=False)
        if isinstance(getattr(b, "layout", None), Layout)
    ]


@dataclass(frozen=True)
class Columns:
    """A whole model's columns: each built block's layout from its ``start``, then the
    variables no layout holds, Var component by Var component."""

    starts: list[tuple[pyo.Block, int]]  # built block, its first column
    variables: list[pyo.Var]  # every column's VarData, in order
    others: list[tuple[pyo.Var, int]] = dataclasses.field(default_factory=list)  # Var, its first

    @property
    def laid_out(self) -> int:
        """Columns held by the blocks' layouts (the others follow them)."""
        if not self.starts:
            return 0
        last, start = self.starts[-1]
        return start + last.layout.n


def columns(m: pyo.Block, others: Sequence[pyo.Var] = ()) -> Columns:
    """The column order of ``m``: its blocks' layouts one after another, then ``others``
    (the Var components that no layout holds, in the order given), each in its index
    order."""
    starts, variables, placed = [], [], []
    for b in blocks(m):
        starts.append((b, len(variables)))
        variables.extend(b.layout.variables)
    for var in others:
        placed.append((var, len(variables)))
        variables.extend(var.values())
    return Columns(starts, variables, placed)
