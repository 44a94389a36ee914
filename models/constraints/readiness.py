"""Shares placed on a site that is to be built only once it is ready."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pyomo.environ as pyo

from optimizer.models.components import index_set
from optimizer.models.constraints._util import Entries, add_array_family, keyed
from optimizer.models.sets import ModelData
from optimizer.models.variables import Derived


def add_share_ready(m: pyo.ConcreteModel, d: ModelData, x: Derived) -> None:
    """share_ready[w, s, t]:  Σ_k share[w, s, k, t] ≤ ready[s, t]   (sites not existing).

    Valid: it never cuts off an integer plan. Where ready[s, t] = 0, site_slots
    leaves no rack standing at s, so rack_capacity admits no share there (every
    share has ah_cap > 0); where it is 1, the row is the sum of shares of one
    workload's demand, at most 1 by demand_met. It removes only fractional
    points, the ones the LP relaxation likes: a sliver of a site built
    (build = 0.3) with 30 % of each of many workloads on it, 30 % of the build
    cost paid for it. One row per workload, not per site: the strong linking of
    facility location (the hybrid example's relaxation goes from 22 % to 4.9 %
    below the optimum; docs/performance.md). Assembled as arrays.
    """
    new_sites = set(d.new_sites)
    onprem = d.onprem
    on_new = [p for p, key in enumerate(onprem) if key[1] in new_sites]
    if not on_new:
        return
    keys = [(w, s, t) for w, s, _, t in map(onprem.__getitem__, on_new)]
    layout = m.layout
    index, rows = keyed(keys)
    index_set(m, "SHARE_READY", index, 3)
    entries = Entries()
    entries.add(rows, layout.positions("onprem")[on_new], [1.0] * len(rows))
    build = layout.position("build")
    builds: dict[tuple[str, int], list[int]] = {}  # (site, t) -> its ready columns
    for s, t in {(s, t) for _, s, t in index}:
        builds[(s, t)] = [build[key] for key in x.ready_builds(s, t)]
    ready = [builds[(s, t)] for _, s, t in index]  # each row's ready columns
    counts = np.fromiter(map(len, ready), np.int64, len(ready))
    total = int(counts.sum())
    columns = np.fromiter(itertools.chain.from_iterable(ready), np.int64, total)
    entries.add(np.repeat(np.arange(len(index)), counts), columns, np.full(total, -1.0))
    add_array_family(m, "share_ready", m.SHARE_READY, entries.rows(-math.inf, 0.0, len(index)))
