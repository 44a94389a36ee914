"""Changes of demand, site power capacity and max_utilization as changes of numbers in
the kept LPs, found by probing the model rather than by knowing its formulation.

Each such parameter (a *knob*) sets a number per entity: a workload's demand, a site's
power capacity, the plan's max_utilization. Where the model uses it, a coefficient or
a bound of the compiled model is affine in it: ``value = base + (factor - 1) * slope``
with ``factor`` the entity's number over the workbook's. :func:`probe` builds and
compiles the model twice with every entity's number scaled by a factor of its own
(so an entry that followed another entity's number, or followed it other than
affinely, shows), reads each entry's entity from its column's (or row's) index, and
keeps a knob only when the second build confirms every entry the first one moved and
neither changed the model's rows and columns. :meth:`Linear.factors` then says whether
a request can be answered by new numbers in the kept LPs: every override a cost or a
kept knob, and the model's sets (build_data's index lists) those of the workbook.
Anything else (an emissions cap, a change that adds or removes a row) rebuilds.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np

from optimizer.calculator.controls import Request, applied
from optimizer.models import build_data, build_model
from optimizer.models.sets import ModelData
from optimizer.plan import Plan
from optimizer.scenarios import Override
from optimizer.solve import Compiled, SolverOptions, compile_model

VECTORS = ("a", "row_lower", "row_upper", "col_lower", "col_upper")
PROBES = ((1.1, 0.1), (0.8, -0.1))  # factor of entity i of n: start + step * i / n
SAME = 1e-9  # relative agreement of the second probe with the first's slope


def _demand(plan: Plan) -> dict[str, float]:
    return dict(zip(plan.workloads["workload"], plan.workloads["demand"], strict=True))


def _capacity(plan: Plan) -> dict[str, float]:
    return dict(zip(plan.sites["site"], plan.sites["power_capacity_kw"], strict=True))


def _utilization(plan: Plan) -> dict[str, float]:
    return {"*": plan.settings.max_utilization}


# knob (the request's parameter) -> each entity's number in a plan, the target kind
KNOBS: dict[str, tuple[Callable[[Plan], dict[str, float]], str]] = {
    "demand_multiplier": (_demand, "workload"),
    "power_capacity_multiplier": (_capacity, "site"),
    "max_utilization": (_utilization, "*"),
}


@dataclass(frozen=True)
class Rule:
    """The entries of one of the model's vectors that follow a knob."""

    at: np.ndarray  # positions in the vector
    base: np.ndarray
    slope: np.ndarray
    entity: np.ndarray  # index into the knob's entities

    def values(self, factors: np.ndarray) -> np.ndarray:
        return self.base + (factors[self.entity] - 1.0) * self.slope


@dataclass(frozen=True)
class Knob:
    entities: list[str]
    rules: dict[str, Rule]  # vector -> its entries that follow this knob

    def factors(self, plan: Plan, changed: Plan, name: str) -> np.ndarray:
        before, after = KNOBS[name][0](plan), KNOBS[name][0](changed)
        out = np.ones(len(self.entities))
        for i, entity in enumerate(self.entities):
            a, b = float(before[entity]), float(after[entity])
            if np.isfinite(a) and a != 0:
                out[i] = b / a
        return out


@dataclass
class Linear:
    """The knobs the kept LPs take as new numbers, the model's sets they hold for, and the
    numbers the kept LPs now hold (the matrix's and the bounds', to send only changes)."""

    knobs: dict[str, Knob]
    structure: dict[str, object]
    rows: np.ndarray  # row of each matrix entry (in the matrix's column-wise order)
    columns: np.ndarray  # column of each matrix entry
    now: dict[str, np.ndarray]  # vector -> its values in the kept LPs

    def factors(self, plan: Plan, request: Request, data: ModelData) -> dict[str, np.ndarray]:
        """Each knob's factors for the request (the workbook's plan to the request's), or
        KeyError when the kept LPs cannot take the request as new numbers."""
        if request.scenario.prices_only:
            return {}
        for o in request.overrides:
            if o.parameter not in self.knobs and not o.is_price:
                raise KeyError(o.parameter)
        if structure(data) != self.structure:
            raise KeyError("sets")
        changed = applied(plan, request)
        return {name: knob.factors(plan, changed, name) for name, knob in self.knobs.items()}

    def apply(self, highs: list[highspy.Highs], factors: dict[str, np.ndarray]) -> None:
        """Set the kept LPs' numbers to the factors' (the workbook's where none is given),
        sending only those that differ from what the LPs hold."""
        moved: dict[str, set[int]] = {vector: set() for vector in VECTORS}
        for name, knob in self.knobs.items():
            chosen = factors.get(name, np.ones(len(knob.entities)))
            for vector, rule in knob.rules.items():
                values = rule.values(chosen)
                differ = self.now[vector][rule.at] != values
                self.now[vector][rule.at[differ]] = values[differ]
                moved[vector].update(rule.at[differ].tolist())
        for h in highs:
            for p in sorted(moved["a"]):
                h.changeCoeff(int(self.rows[p]), int(self.columns[p]), float(self.now["a"][p]))
            for kind, change in (("row", h.changeRowsBounds), ("col", h.changeColsBounds)):
                at = np.array(
                    sorted(moved[f"{kind}_lower"] | moved[f"{kind}_upper"]), dtype=np.int32
                )
                if len(at):
                    change(
                        len(at), at, self.now[f"{kind}_lower"][at], self.now[f"{kind}_upper"][at]
                    )


def structure(d: ModelData) -> dict[str, object]:
    """build_data's index lists and integer maps: what decides the model's rows and
    columns (its float coefficients and lookups left out)."""
    out = {}
    for f in dataclasses.fields(d):
        value = getattr(d, f.name)
        if isinstance(value, list) or (
            isinstance(value, dict)
            and all(isinstance(v, int | list | tuple) for v in value.values())
        ):
            out[f.name] = value
    return out


Shape = tuple[list[tuple[str, object]], list[tuple[str, object, int]]]  # columns, rows


def _compiled(plan: Plan, options: SolverOptions) -> tuple[Shape, dict[str, np.ndarray]]:
    """The plan's model compiled: its columns and rows by name and index, and its numbers."""
    m = build_model(plan, build_data(plan))  # alive while its columns are read
    return _numbers(compile_model(m, options))


def _numbers(compiled: Compiled) -> tuple[Shape, dict[str, np.ndarray]]:
    lp = compiled.highs.getLp()
    columns = [(v.parent_component().local_name, v.index()) for v in compiled.columns]
    rows = compiled.rows.described()
    vectors = {
        "a": np.asarray(lp.a_matrix_.value_, dtype=float),
        "start": np.asarray(lp.a_matrix_.start_),
        "index": np.asarray(lp.a_matrix_.index_),
        "row_lower": np.asarray(lp.row_lower_, dtype=float),
        "row_upper": np.asarray(lp.row_upper_, dtype=float),
        "col_lower": np.asarray(lp.col_lower_, dtype=float),
        "col_upper": np.asarray(lp.col_upper_, dtype=float),
    }
    return (columns, rows), vectors


def _scaled(plan: Plan, name: str, kind: str, entities: list[str], factors: np.ndarray) -> Plan:
    """``plan`` with each entity's number of the knob ``name`` times its factor, by the
    same code that applies a request."""
    if kind == "*":
        value = float(_utilization(plan)["*"] * factors[0])
        return applied(plan, Request((Override(name, "*", "*", value),)))
    overrides = tuple(
        Override(name, e, kind, float(f)) for e, f in zip(entities, factors, strict=True)
    )
    return applied(plan, Request(overrides))


def _first(index: object) -> str:
    return str(index[0] if isinstance(index, tuple) else index)


def _knob(
    kind: str,
    entities: list[str],
    found: list[tuple[np.ndarray, dict[str, np.ndarray]]],
    base: dict[str, np.ndarray],
    shape: Shape,
    entry_rows: np.ndarray,
    entry_columns: np.ndarray,
) -> Knob | None:
    """The knob's rules from its two probes, or None when an entry moved that cannot be
    told as base + (its entity's factor - 1) * slope."""
    columns, rows = shape
    position = {e: i for i, e in enumerate(entities)}
    (f1, v1), (f2, v2) = found
    rules = {}
    for vector in VECTORS:
        moved = np.flatnonzero(v1[vector] != base[vector])
        if not np.array_equal(np.flatnonzero(v2[vector] != base[vector]), moved):
            return None
        if not len(moved):
            continue
        entity = np.zeros(len(moved), dtype=np.int64)
        for j, p in enumerate(moved.tolist()):
            if kind == "*":
                continue
            if vector == "a":
                ids = (_first(columns[entry_columns[p]][1]), _first(rows[entry_rows[p]][1]))
            else:
                ids = (_first((rows if vector.startswith("row") else columns)[p][1]),)
            found_at = next((position[i] for i in ids if i in position), None)
            if found_at is None:
                return None
            entity[j] = found_at
        slope = (v1[vector][moved] - base[vector][moved]) / (f1[entity] - 1.0)
        rule = Rule(moved, base[vector][moved], slope, entity)
        second = rule.values(f2)
        if not np.all(np.isfinite(second)) or np.any(
            np.abs(second - v2[vector][moved]) > SAME * np.maximum(1.0, np.abs(v2[vector][moved]))
        ):
            return None
        rules[vector] = rule
    return Knob(entities, rules)


def probe(plan: Plan, options: SolverOptions, kept: Compiled) -> Linear:
    """The knobs of ``plan``'s model (``kept``: compiled as the kept LPs hold it), found by
    building it scaled (see the module's text)."""
    shape, base = _numbers(kept)
    entry_rows = base["index"]
    entry_columns = np.repeat(np.arange(len(shape[0])), np.diff(base["start"]))
    knobs: dict[str, Knob] = {}
    for name, (values, kind) in KNOBS.items():
        entities = [str(e) for e in values(plan)]
        if not entities or len(set(entities)) != len(entities):
            continue
        found = []
        for start, step in PROBES:
            factors = start + step * np.arange(len(entities)) / len(entities)
            scaled, vectors = _compiled(_scaled(plan, name, kind, entities, factors), options)
            if scaled != shape or not all(
                np.array_equal(vectors[k], base[k]) for k in ("start", "index")
            ):
                break
            found.append((factors, vectors))
        else:
            knob = _knob(kind, entities, found, base, shape, entry_rows, entry_columns)
            if knob is not None and not _overlaps(knob, knobs.values()):
                knobs[name] = knob
    now = {vector: base[vector].copy() for vector in VECTORS}
    return Linear(knobs, structure(build_data(plan)), entry_rows, entry_columns, now)


def _overlaps(knob: Knob, others: Any) -> bool:
    """True when ``knob`` moves an entry another knob moves (their effects would not add)."""
    return any(
        np.intersect1d(rule.at, other.rules[vector].at).size
        for other in others
        for vector, rule in knob.rules.items()
        if vector in other.rules
    )
