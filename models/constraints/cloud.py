"""Cloud quotas and reserved commitments."""

from __future__ import annotations

import math

import numpy as np
import pyomo.environ as pyo

from optimizer.models.components import index_set
from optimizer.models.constraints._util import Entries, add_array_family, keyed
from optimizer.models.sets import ModelData


def _quota(d: ModelData, c: str) -> float | None:
    cap = d.offer[c]["max_accelerators"]
    return None if cap is None or math.isnan(cap) else float(cap)  # type: ignore[arg-type]


def add_cloud_limits(m: pyo.ConcreteModel, d: ModelData) -> None:
    """With use[c, t] = Σ_w share[w, c, t] · ah_cap[w, acc(c), t] (accelerator-hours):

    cloud_quota[c, t]:     use[c, t] ≤ max_accelerators[c] · hours   (on-demand and spot
                           offers with a quota)
    reserved_use[c, t]:    use[c, t] ≤ commit[c, block(t)] · hours   (reserved offers; the
                           commitment itself is at most max_accelerators, as a bound)

    Both assembled as arrays.
    """
    layout = m.layout
    keys = [(c, t) for _, c, t in d.cloud]
    uses = list(dict.fromkeys(keys))
    reserved = {c for c, cv in d.offer.items() if cv["pricing"] == "reserved"}
    quota_index = [key for key in uses if key[0] not in reserved and _quota(d, key[0]) is not None]
    reserved_index = [key for key in uses if key[0] in reserved]
    coefs = [d.ah_cap[(w, d.offer[c]["accelerator"], t)] for w, c, t in d.cloud]
    shares = layout.positions("cloud")

    def use(index: list[tuple[str, int]]) -> tuple[Entries, np.ndarray]:
        wanted = set(index)
        mine = [p for p, key in enumerate(keys) if key in wanted]
        _, rows = keyed([keys[p] for p in mine], index)
        entries = Entries()
        entries.add(rows, shares[mine], (coefs[p] for p in mine))
        return entries, rows

    if quota_index:
        index_set(m, "CLOUD_QUOTA", quota_index, 2)
        entries, _ = use(quota_index)
        upper = [_quota(d, c) * d.hours for c, _ in quota_index]  # type: ignore[operator]
        rows = entries.rows(-math.inf, upper, len(quota_index))
        add_array_family(m, "cloud_quota", m.CLOUD_QUOTA, rows)
    if reserved_index:
        index_set(m, "RESERVED_USE", reserved_index, 2)
        entries, _ = use(reserved_index)
        commit = layout.position("commit")
        entries.add(
            range(len(reserved_index)),
            (commit[(c, d.block_of[c][t])] for c, t in reserved_index),
            [-d.hours] * len(reserved_index),
        )
        rows = entries.rows(-math.inf, 0.0, len(reserved_index))
        add_array_family(m, "reserved_use", m.RESERVED_USE, rows)
