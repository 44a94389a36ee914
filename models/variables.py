"""Decision variables, and the linear expressions derived from them (racks installed,
sites open and ready, edge devices owned) that several families share."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pyomo.environ as pyo

from optimizer.models.components import index_set
from optimizer.models.sets import ModelData


def add_variables(m: pyo.ConcreteModel, d: ModelData) -> None:
    """Integer decisions (build, buy, commit, edge_buy) and continuous shares."""
    index_set(m, "BUILD", d.build, 2)
    index_set(m, "BUY", d.buy, 3)
    index_set(m, "RESERVED_BLOCKS", d.reserved_blocks, 2)
    index_set(m, "EDGE_BUY", d.edge_buy, 3)
    index_set(m, "ONPREM", d.onprem, 4)
    index_set(m, "CLOUD", d.cloud, 3)
    index_set(m, "API", d.api, 3)
    index_set(m, "EDGE", d.edge, 3)

    m.build = pyo.Var(m.BUILD, domain=pyo.Binary)
    m.buy = pyo.Var(m.BUY, domain=pyo.NonNegativeIntegers)

    def commit_bounds(_m: pyo.ConcreteModel, c: str, _b: int) -> tuple[float, float | None]:
        return (0.0, _commit_cap(d, c))

    m.commit = pyo.Var(m.RESERVED_BLOCKS, domain=pyo.NonNegativeIntegers, bounds=commit_bounds)
    m.edge_buy = pyo.Var(m.EDGE_BUY, domain=pyo.NonNegativeIntegers)
    m.onprem = pyo.Var(m.ONPREM, bounds=(0.0, 1.0))
    m.cloud = pyo.Var(m.CLOUD, bounds=(0.0, 1.0))
    m.api = pyo.Var(m.API, bounds=(0.0, 1.0))
    m.edge = pyo.Var(m.EDGE, bounds=(0.0, 1.0))


def _commit_cap(d: ModelData, c: str) -> float | None:
    """A reserved offer's commitment bound: its max_accelerators (None: no bound)."""
    cap = d.offer[c]["max_accelerators"]
    return None if cap is None or cap != cap else float(cap)  # type: ignore[arg-type]


def declared_bounds(d: ModelData) -> dict[str, tuple[np.ndarray, np.ndarray, bool]]:
    """Each family's lower and upper bounds (inf for none) and whether it is integer, in
    its index order: what add_variables declares, as arrays (the hand-off reads these,
    not each variable; tests/test_column_layout.py checks them against the variables)."""
    inf = np.inf

    def same(n: int, lower: float, upper: float, integer: bool) -> tuple:
        return np.full(n, lower), np.full(n, upper), integer

    caps = [_commit_cap(d, c) for c, _ in d.reserved_blocks]
    n = len(caps)
    return {
        "build": same(len(d.build), 0.0, 1.0, True),
        "buy": same(len(d.buy), 0.0, inf, True),
        "commit": (np.zeros(n), np.array([inf if c is None else c for c in caps]), True),
        "edge_buy": same(len(d.edge_buy), 0.0, inf, True),
        "onprem": same(len(d.onprem), 0.0, 1.0, False),
        "cloud": same(len(d.cloud), 0.0, 1.0, False),
        "api": same(len(d.api), 0.0, 1.0, False),
        "edge": same(len(d.edge), 0.0, 1.0, False),
    }


class Derived:
    """Linear expressions over the decisions, indexed the way constraints ask for them."""

    def __init__(self, m: pyo.ConcreteModel, d: ModelData) -> None:
        self.m, self.d = m, d
        self._arrivals: dict[tuple[str, str], list[tuple[int, tuple[str, str, int]]]] = defaultdict(
            list
        )
        for key, when in d.delivered.items():
            self._arrivals[(key[0], key[1])].append((when, key))
        self._builds: dict[str, list[int]] = defaultdict(list)
        for s, t in d.build:
            self._builds[s].append(t)
        self._edge_buys: dict[tuple[str, str], list[int]] = defaultdict(list)
        for w, e, t in d.edge_buy:
            self._edge_buys[(w, e)].append(t)

    def arrived(self, s: str, k: str, t: int) -> list[tuple[str, str, int]]:
        """The purchases (``buy`` indexes) of rack type k at site s delivered by period t."""
        return [key for when, key in self._arrivals[(s, k)] if when <= t]

    def installed(self, s: str, k: str, t: int) -> pyo.Expression:
        """Racks standing in period t: those in `installed` plus purchases delivered by t."""
        bought = [self.m.buy[key] for key in self.arrived(s, k, t)]
        return self.d.installed0.get((s, k), 0) + pyo.quicksum(bought)

    def is_open(self, s: str, t: int) -> pyo.Expression | float:
        """1 from the period the site is built (or always, for an existing site)."""
        if s not in self._builds and self.d.site[s]["existing"]:
            return 1.0
        return pyo.quicksum(self.m.build[s, u] for u in self._builds[s] if u <= t)

    def ready_builds(self, s: str, t: int) -> list[tuple[str, int]]:
        """The decisions to build a site not existing (``build`` indexes) that make it
        ready by period t (build_lead_periods after the decision)."""
        lead = int(self.d.site[s]["build_lead_periods"])  # type: ignore[arg-type]
        return [(s, u) for u in self._builds[s] if u + lead <= t]

    def is_ready(self, s: str, t: int) -> pyo.Expression | float:
        """1 from build_lead_periods after the decision to build: racks may stand."""
        if self.d.site[s]["existing"]:
            return 1.0
        return pyo.quicksum(self.m.build[key] for key in self.ready_builds(s, t))

    def bought_by(self, w: str, e: str, t: int) -> list[tuple[str, str, int]]:
        """The purchases (``edge_buy`` indexes) of edge devices of type e for workload w up
        to period t."""
        return [(w, e, u) for u in self._edge_buys[(w, e)] if u <= t]

    def owned(self, w: str, e: str, t: int) -> pyo.Expression:
        """Edge devices of type e owned for workload w in period t (bought by t, kept)."""
        return pyo.quicksum(self.m.edge_buy[key] for key in self.bought_by(w, e, t))
