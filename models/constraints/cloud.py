"""Cloud quotas and reserved commitments."""

from __future__ import annotations

import math
from collections import defaultdict

import pyomo.environ as pyo

from optimizer.models.sets import ModelData


def add_cloud_limits(m: pyo.ConcreteModel, d: ModelData) -> None:
    """With use[c, t] = Σ_w share[w, c, t] · ah_cap[w, acc(c), t] / hours (accelerators
    held on average in the period; in accelerators rather than accelerator-hours so that
    the rows' numbers stay near those of the quota, not in the millions):

    cloud_quota[c, t]:     use[c, t] ≤ max_accelerators[c]   (on-demand and spot offers
                           with a quota)
    reserved_use[c, t]:    use[c, t] ≤ commit[c, block(t)]   (reserved offers; the
                           commitment itself is at most max_accelerators, as a bound)
    """
    use: dict[tuple[str, int], list[object]] = defaultdict(list)
    for w, c, t in d.cloud:
        acc = d.offer[c]["accelerator"]
        use[(c, t)].append(d.ah_cap[(w, acc, t)] / d.hours * m.cloud[w, c, t])

    def quota(c: str) -> float | None:
        cap = d.offer[c]["max_accelerators"]
        return None if cap is None or math.isnan(cap) else float(cap)  # type: ignore[arg-type]

    quota_index = [
        key for key in use if d.offer[key[0]]["pricing"] != "reserved" and quota(key[0]) is not None
    ]
    if quota_index:
        m.CLOUD_QUOTA = pyo.Set(initialize=quota_index, dimen=2, ordered=True)
        m.cloud_quota = pyo.Constraint(
            m.CLOUD_QUOTA,
            rule=lambda m, c, t: pyo.quicksum(use[(c, t)]) <= quota(c),
        )
    reserved_index = [key for key in use if d.offer[key[0]]["pricing"] == "reserved"]
    if reserved_index:
        m.RESERVED_USE = pyo.Set(initialize=reserved_index, dimen=2, ordered=True)
        m.reserved_use = pyo.Constraint(
            m.RESERVED_USE,
            rule=lambda m, c, t: pyo.quicksum(use[(c, t)]) <= m.commit[c, d.block_of[c][t]],
        )
