"""A ledger as arrays: entries keyed (period, environment, category, location, region),
each a sum of terms, each term a coefficient times a linear form of the columns.

    entry[e] = Σ_{terms i of e, in order}  outer[i] · (Σ_j inner[i, j] · x[j] + constant[i])

over the columns of the model's layout (models/layout.py). The cost ledger
(models/objective.py) and the emissions ledger (models/emissions.py) are built this
way from ModelData alone, with no Pyomo expression; the objective's costs, costs.csv,
emissions.csv, the per-workload split and the certificate's ledger total all read
them. Sums run in the terms' order, one after another (sparse matrix-vector products
and ``np.add.at``), so an entry's value and a column's cost are the same floating-point
numbers whichever part asks for them.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pyomo.environ as pyo
import scipy.sparse as sp
from pyomo.core.expr import LinearExpression, MonomialTermExpression

from optimizer.models.layout import Layout
from optimizer.models.sets import ModelData

Key = tuple[int, str, str, str, str]  # period, environment, category, location, region


@dataclass(frozen=True)
class Ledger:
    """Entries (``keys``), terms (``entry``: the entry of each term, ``outer``, ``constant``)
    and the terms' linear forms (``inner``: terms x columns, in the terms' own order)."""

    keys: list[Key]
    entry: np.ndarray  # per term: its entry
    outer: np.ndarray  # per term
    constant: np.ndarray  # per term, added after the term's columns
    inner: sp.csr_matrix  # terms x columns
    nested: Nested | None = None  # entries priced from another ledger's (carbon)
    own: int = -1  # entries of this ledger's own terms (the rest are ``nested``'s)

    @property
    def n(self) -> int:
        return self.inner.shape[1]

    @functools.cached_property
    def _by_entry(self) -> sp.csr_matrix:
        """entries x terms, each entry's terms in order, holding ``outer``."""
        own = len(self.keys) if self.own < 0 else self.own
        order = np.argsort(self.entry, kind="stable")
        indptr = np.concatenate(([0], np.cumsum(np.bincount(self.entry, minlength=own))))
        return sp.csr_matrix((self.outer[order], order, indptr), shape=(own, len(self.entry)))

    def values(self, x: np.ndarray) -> np.ndarray:
        """Each entry's value at the columns' values ``x``."""
        own = self._by_entry @ (self.inner @ x + self.constant)
        if self.nested is None:
            return own
        return np.concatenate((own, self.nested.values(x)))

    def coefficients(self, weight: np.ndarray) -> tuple[np.ndarray, float]:
        """Σ_e weight[e] · entry[e] as a cost per column and a constant: each term's
        coefficients times (weight · outer), added up within an entry, then over the
        entries in their order."""
        own = len(self.keys) if self.own < 0 else self.own
        parts = [self._flat(weight[:own])]
        if self.nested is not None:
            parts.append(self.nested.flat(weight[own:]))
        entry, column, coef, const_entry, const = (
            np.concatenate(p) for p in zip(*parts, strict=False)
        )
        return _accumulate(entry, column, coef, self.n), _total(const_entry, const)

    def row(self, weight: np.ndarray) -> tuple[np.ndarray, float]:
        """Σ_e weight[e] · entry[e] per column and its constant, added up the way Pyomo's
        linear compiler adds the tree of products and sums the ledger stands for (a
        product's coefficient carried to the nearest sum above it, an entry or a carbon
        entry of one term being no sum), for rows that bound the cost."""
        own = len(self.keys) if self.own < 0 else self.own
        group, column, v, m = _items(self, self.n)
        group, column, v, m = _sum_nodes(group, column, v, m, _live(self, own))
        m = m * weight[group]
        entries = [(group, column, v, m)]
        if self.nested is not None:
            nest = self.nested
            src = nest.source
            sgroup, scolumn, sv, sm = _items(src, self.n)
            sgroup, scolumn, sv, sm = _sum_nodes(sgroup, scolumn, sv, sm, _live(src, len(src.keys)))
            term_of = np.full(len(src.keys), -1, dtype=np.int64)
            term_of[nest.pick] = np.arange(len(nest.pick))
            k = term_of[sgroup]
            keep = k >= 0
            k, scolumn, sv, sm = k[keep], scolumn[keep], sv[keep], sm[keep] * nest.price[k[keep]]
            order = np.argsort(k, kind="stable")
            k, scolumn, sv, sm = k[order], scolumn[order], sv[order], sm[order]
            carbon = nest.entry[k]
            terms = np.bincount(nest.entry - nest.first, minlength=len(self.keys) - own)
            carbon, scolumn, sv, sm = _sum_nodes(carbon, scolumn, sv, sm, terms, nest.first)
            entries.append((carbon, scolumn, sv, sm * weight[carbon]))
        group, column, v, m = (np.concatenate([e[i] for e in entries]) for i in range(4))
        order = np.argsort(group, kind="stable")
        out = np.zeros(self.n + 1)
        np.add.at(out, column[order], (m * v)[order])
        return out[:-1], float(out[-1])

    def by_entry(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(entry, column, coefficient): each entry's coefficient per column, the entries in
        order and within one its columns in the order its terms first name them."""
        own = len(self.keys) if self.own < 0 else self.own
        parts = [self._flat(np.ones(own))]
        if self.nested is not None:
            parts.append(self.nested.flat(np.ones(len(self.keys) - own)))
        entry, column, coef = (np.concatenate([p[i] for p in parts]) for i in range(3))
        order = np.argsort(entry, kind="stable")
        pair = entry[order].astype(np.int64) * self.n + column[order]
        unique, first, inverse = np.unique(pair, return_index=True, return_inverse=True)
        within = np.zeros(len(unique))
        np.add.at(within, inverse, coef[order])
        walk = np.argsort(first, kind="stable")
        return unique[walk] // self.n, unique[walk] % self.n, within[walk]

    def _flat(self, weight: np.ndarray) -> tuple[np.ndarray, ...]:
        """(entry, column, coefficient) per non-zero and (entry, constant) per term, in the
        terms' order, for the weighted sum ``weight`` of the entries."""
        scaled = weight[self.entry] * self.outer
        counts = np.diff(self.inner.indptr)
        term = np.repeat(np.arange(len(self.entry)), counts)
        coef = scaled[term] * self.inner.data
        return self.entry[term], self.inner.indices, coef, self.entry, scaled * self.constant


@dataclass(frozen=True)
class Nested:
    """Entries each a sum of ``price`` x an entry of ``source`` (the carbon price on the
    emissions ledger): ``pick[i]`` is the source entry of term i, ``entry[i]`` its entry
    here (numbered after the ledger's own entries), in order."""

    source: Ledger
    entry: np.ndarray
    pick: np.ndarray
    price: np.ndarray
    first: int  # the first entry number of these entries

    @functools.cached_property
    def _matrix(self) -> sp.csr_matrix:
        count = int(self.entry.max()) + 1 - self.first if len(self.entry) else 0
        local = self.entry - self.first
        order = np.argsort(local, kind="stable")
        indptr = np.concatenate(([0], np.cumsum(np.bincount(local, minlength=count))))
        shape = (count, len(self.source.keys))
        return sp.csr_matrix((self.price[order], self.pick[order], indptr), shape=shape)

    def values(self, x: np.ndarray) -> np.ndarray:
        return self._matrix @ self.source.values(x)

    def flat(self, weight: np.ndarray) -> tuple[np.ndarray, ...]:
        """As Ledger._flat: each term's weight x price carried into its source entry's
        terms, in the order of the terms here, then the source's."""
        src = self.source
        per_source = weight[self.entry - self.first] * self.price
        term_of = np.full(len(src.keys), -1, dtype=np.int64)  # source entry -> term here
        term_of[self.pick] = np.arange(len(self.pick))
        mine = term_of[src.entry]
        terms = np.flatnonzero(mine >= 0)
        terms = terms[np.argsort(mine[terms], kind="stable")]
        k = mine[terms]
        scaled = per_source[k] * src.outer[terms]
        starts, counts = src.inner.indptr[terms], np.diff(src.inner.indptr)[terms]
        nz = np.repeat(starts - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
        nz = nz + np.arange(int(counts.sum()))
        per_nz = np.repeat(np.arange(len(terms)), counts)
        return (
            self.entry[k][per_nz],
            src.inner.indices[nz],
            scaled[per_nz] * src.inner.data[nz],
            self.entry[k],
            scaled * src.constant[terms],
        )


def _items(ledger: Ledger, n: int) -> tuple[np.ndarray, ...]:
    """(entry, column, value, multiplier) of each coefficient and constant of the ledger's
    own terms, in the terms' order: a coefficient under its term's outer multiplier, a
    constant too (column ``n``), a term of constants only as the number it is."""
    counts = np.diff(ledger.inner.indptr)
    term = np.repeat(np.arange(len(ledger.entry)), counts)
    pure = counts == 0
    has = ~pure & (ledger.constant != 0)
    at = np.concatenate((term, np.flatnonzero(has | pure)))
    order = np.argsort(at, kind="stable")
    const_terms = np.flatnonzero(has | pure)
    value = np.where(pure, ledger.outer * ledger.constant, ledger.constant)[const_terms]
    mult = np.where(pure, 1.0, ledger.outer)[const_terms]
    column = np.concatenate((ledger.inner.indices, np.full(len(const_terms), n)))
    v = np.concatenate((ledger.inner.data, value))
    m = np.concatenate((ledger.outer[term], mult))
    return ledger.entry[at][order], column[order], v[order], m[order]


def _live(ledger: Ledger, entries: int) -> np.ndarray:
    """Per entry, its terms that are not the number 0 (those vanish from Pyomo's sums)."""
    counts = np.diff(ledger.inner.indptr)
    live = (counts > 0) | (ledger.outer * ledger.constant != 0)
    return np.bincount(ledger.entry[live], minlength=entries)


def _sum_nodes(
    group: np.ndarray,
    column: np.ndarray,
    v: np.ndarray,
    m: np.ndarray,
    terms: np.ndarray,
    first: int = 0,
) -> tuple[np.ndarray, ...]:
    """Items (group, column, value, multiplier) after the groups with two terms or more
    (a sum node): each (group, column)'s m · v added up in order, multiplier 1; the
    groups of one term pass through. Ordered by group, stably."""
    summed = terms[group - first] >= 2
    order = np.argsort(group, kind="stable")
    group, column, v, m, summed = group[order], column[order], v[order], m[order], summed[order]
    width = int(column.max()) + 1 if len(column) else 1
    pair = group[summed].astype(np.int64) * width + column[summed]
    unique, first_at, inverse = np.unique(pair, return_index=True, return_inverse=True)
    sums = np.zeros(len(unique))
    np.add.at(sums, inverse, (m * v)[summed])
    walk = np.argsort(first_at, kind="stable")
    g = np.concatenate((unique[walk] // width, group[~summed]))
    c = np.concatenate((unique[walk] % width, column[~summed]))
    vv = np.concatenate((sums[walk], v[~summed]))
    mm = np.concatenate((np.ones(len(unique)), m[~summed]))
    order = np.argsort(g, kind="stable")
    return g[order], c[order], vv[order], mm[order]


def _accumulate(entry: np.ndarray, column: np.ndarray, coef: np.ndarray, n: int) -> np.ndarray:
    """Per column: the coefficients added up within each entry in order, then those sums
    over the entries in order (the order Pyomo's repn adds them, for the same numbers)."""
    order = np.argsort(entry, kind="stable")
    pair = entry[order].astype(np.int64) * n + column[order]
    unique, inverse = np.unique(pair, return_inverse=True)
    within = np.zeros(len(unique))
    np.add.at(within, inverse, coef[order])
    out = np.zeros(n)
    np.add.at(out, unique % n, within)
    return out


def _total(entry: np.ndarray, value: np.ndarray) -> float:
    """The constants added up within each entry, then over the entries, in order."""
    order = np.argsort(entry, kind="stable")
    unique, inverse = np.unique(entry[order], return_inverse=True)
    within = np.zeros(len(unique))
    np.add.at(within, inverse, value[order])
    return float(sum(within.tolist()))


@dataclass
class Terms:
    """A ledger's terms, collected in order: one at a time, or many with one column each."""

    n: int
    index: dict[Key, int] = field(default_factory=dict)
    chunks: list[tuple[np.ndarray, ...]] = field(default_factory=list)
    _one: list[tuple[int, float, float, Sequence[int], Sequence[float]]] = field(
        default_factory=list
    )

    def add(
        self,
        key: Key,
        outer: float,
        columns: Sequence[int] = (),
        coefs: Sequence[float] | None = None,
        constant: float = 0.0,
    ) -> None:
        """outer · (Σ coefs · x[columns] + constant), to entry ``key``."""
        e = self.index.setdefault(key, len(self.index))
        coefs = coefs or [1.0] * len(columns)
        if len(columns) == 1 and not constant:  # o · (a · x) is Pyomo's monomial (o · a) · x
            outer, coefs = outer * coefs[0], [1.0]
        self._one.append((e, outer, constant, columns, coefs))

    def many(self, keys: list[Key], outer: np.ndarray, columns: np.ndarray) -> None:
        """outer[i] · x[columns[i]] to entry keys[i], for each i in order."""
        self._flush()
        entry = np.fromiter(
            (self.index.setdefault(k, len(self.index)) for k in keys), dtype=np.int64
        )
        ones = np.ones(len(keys))
        counts = np.ones(len(keys), dtype=np.int64)
        self.chunks.append(
            (entry, np.asarray(outer, float), np.zeros(len(keys)), ones, columns, counts)
        )

    def _flush(self) -> None:
        if not self._one:
            return
        entry = np.array([t[0] for t in self._one], dtype=np.int64)
        outer = np.array([t[1] for t in self._one], dtype=float)
        constant = np.array([t[2] for t in self._one], dtype=float)
        coefs = np.array([c for t in self._one for c in t[4]], dtype=float)
        columns = np.array([c for t in self._one for c in t[3]], dtype=np.int64)
        counts = np.array([len(t[3]) for t in self._one], dtype=np.int64)
        self.chunks.append((entry, outer, constant, coefs, columns, counts))
        self._one = []

    def ledger(
        self, nested: tuple[list[Key], Ledger, list[int], list[float]] | None = None
    ) -> Ledger:
        """The ledger of the terms (and, with ``nested``, entries keys[i] priced at
        price[i] x the source ledger's entry pick[i], after the own entries)."""
        self._flush()
        own = len(self.index)
        parts = list(zip(*self.chunks, strict=False)) if self.chunks else [[np.zeros(0)]] * 6
        entry, outer, constant, coefs, columns, counts = (np.concatenate(p) for p in parts)
        indptr = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
        inner = sp.csr_matrix((coefs, columns.astype(np.int64), indptr), shape=(len(entry), self.n))
        keys = list(self.index)
        link = None
        if nested is not None:
            more, source, pick, price = nested
            ids = np.fromiter(
                (self.index.setdefault(k, len(self.index)) for k in more), dtype=np.int64
            )
            keys = list(self.index)
            link = Nested(source, ids, np.asarray(pick, np.int64), np.asarray(price, float), own)
        return Ledger(keys, entry.astype(np.int64), outer, constant, inner, link, own)


Used = dict[tuple[str, str, int], tuple[list[int], list[float]]]


def used_hours(d: ModelData, lay: Layout) -> Used:
    """(site, rack type, t) -> the on-prem share columns there and the accelerator-hours
    each uses at average load (the busy draw of energy; capacity is held for peak)."""
    out: Used = {}
    ah_avg = d.ah_avg
    accelerator = {k: rv["accelerator"] for k, rv in d.rack.items()}
    for j, (w, s, k, t) in enumerate(d.onprem, lay.offset["onprem"]):
        found = out.get((s, k, t))
        if found is None:
            found = out[(s, k, t)] = ([], [])
        found[0].append(j)
        found[1].append(ah_avg[(w, accelerator[k], t)])
    return out


def edge_purchases(d: ModelData, lay: Layout) -> dict[tuple[str, str], list[tuple[int, int]]]:
    """(workload, device) -> (period bought, column) of each edge purchase, in order."""
    out: dict[tuple[str, str], list[tuple[int, int]]] = {}
    start = lay.offset["edge_buy"]
    for i, (w, e, t) in enumerate(d.edge_buy):
        out.setdefault((w, e), []).append((t, start + i))
    return out


def expression(coef: np.ndarray, constant: float, variables: list[pyo.Var]) -> LinearExpression:
    """constant + Σ coef[j] · variables[j] over the non-zero coefficients, as one Pyomo
    linear expression (no walk of a tree of terms)."""
    at = np.flatnonzero(coef).tolist()
    values = coef[at].tolist()
    terms = [MonomialTermExpression((c, variables[j])) for c, j in zip(values, at, strict=True)]
    return LinearExpression([constant, *terms] if constant else terms)
