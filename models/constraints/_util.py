"""What the constraint families share: the rule for constant rows, and the arrays that
hold the rows of the families that grow with the workloads."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo
from pyomo.core.expr.numvalue import is_constant


def at_most(lhs: object, rhs: object) -> object:
    """``lhs <= rhs``, or Constraint.Skip when neither side has a variable.

    A constant row that is violated (racks already installed over a limit) is
    found and named by the infeasibility diagnosis before the model is built.
    """
    if is_constant(lhs) and is_constant(rhs):
        return pyo.Constraint.Skip
    return lhs <= rhs


@dataclass(frozen=True)
class ArrayRows:
    """One family's rows as arrays over its block's column layout (models/layout.py):
    entry p puts ``coef[p]`` in row ``row[p]`` (the p-th key of the family's index),
    column ``column[p]`` (a position of the layout); row i reads
    ``lower[i] ≤ Σ coef · column + constant[i] ≤ upper[i]`` (±inf for no bound; no
    ``constant``: 0). A column −1 − j is the j-th variable (in index order) of ``others``,
    a Var component no layout holds (the stable-placement pass's moves)."""

    row: np.ndarray
    column: np.ndarray
    coef: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    others: pyo.Var | None = None
    constant: np.ndarray | None = None  # per row (stable placement's cost_limit)

    def __len__(self) -> int:
        return len(self.lower)


@dataclass(frozen=True)
class ArrayObjective:
    """An objective as arrays over its block's column layout: Σ coef[p] · column[p] +
    ``constant`` (a column −1 − j is the j-th variable of ``others``, as in ArrayRows). Compiled as
    Pyomo's standard repn reads a linear objective (optimizer/rows.py, array_costs): a
    fixed column's coef · value is added to the constant, in the entries' order, and
    its cost is 0."""

    column: np.ndarray
    coef: np.ndarray
    constant: float
    others: pyo.Var | None = None


def _array(values: Iterable[float], dtype: type) -> np.ndarray:
    if isinstance(values, np.ndarray | list | range):
        return np.asarray(values, dtype=dtype)
    return np.fromiter(values, dtype=dtype)


class Entries:
    """Collects a family's entries (row, layout position, coefficient), in runs."""

    def __init__(self) -> None:
        self._runs: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def add(self, rows: Iterable[int], columns: Iterable[int], coefs: Iterable[float]) -> None:
        self._runs.append((_array(rows, np.int64), _array(columns, np.int64), _array(coefs, float)))

    def rows(
        self,
        lower: Sequence[float] | float,
        upper: Sequence[float] | float,
        n: int,
        others: pyo.Var | None = None,
    ) -> ArrayRows:
        """The family of ``n`` rows with these entries and bounds (a number: every row's);
        ``others``: the variables of the columns −1, −2, ... (see ArrayRows)."""
        parts = self._runs or [(np.zeros(0, np.int64),) * 2 + (np.zeros(0),)]
        return ArrayRows(
            row=np.concatenate([p[0] for p in parts]),
            column=np.concatenate([p[1] for p in parts]),
            coef=np.concatenate([p[2] for p in parts]),
            lower=np.broadcast_to(np.asarray(lower, dtype=float), (n,)).copy(),
            upper=np.broadcast_to(np.asarray(upper, dtype=float), (n,)).copy(),
            others=others,
        )


def keyed(
    keys: Sequence[tuple[object, ...]], index: Sequence[tuple[object, ...]] | None = None
) -> tuple[list[tuple[object, ...]], np.ndarray]:
    """The rows of entries keyed ``keys``: the rows' keys (``index``, else the distinct
    keys in the order they first appear) and each entry's row."""
    if index is None:
        row_of: dict[tuple[object, ...], int] = {}
        for key in keys:
            if key not in row_of:
                row_of[key] = len(row_of)
        rows = list(row_of)
    else:
        rows = list(index)
        row_of = {key: i for i, key in enumerate(rows)}
    return rows, np.fromiter(map(row_of.__getitem__, keys), dtype=np.int64, count=len(keys))


def add_array_family(
    m: pyo.Block, name: str, index: pyo.Set | None, rows: ArrayRows
) -> pyo.Constraint:
    """Declare family ``name`` over ``index`` (its rows' keys, in order; None: one row,
    a scalar constraint) as a Pyomo Constraint that holds no rows of its own: its rows
    are ``rows``, kept as the component's ``arrays`` and stacked with the other
    families' by optimizer/rows.py. The component names the family like any other: it
    can be deactivated, and its rows carry its name and index (``demand_met[chat,0]``)."""
    con = pyo.Constraint() if index is None else pyo.Constraint(index)
    m.add_component(name, con)
    con.arrays = rows
    return con
