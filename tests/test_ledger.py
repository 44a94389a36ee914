"""The cost and emissions ledgers as arrays (models/ledger.py) at a plan set by hand, against
figures worked out by hand, and the objective's cost vector against the ledger.

The shorthands of test_model.py hold: one H100 a rack, 10 kW, 1,000 USD; 730 H100-hours a
month is one H100 all year (8,760 accelerator-hours).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from conftest import write_book
from test_model import approx, offer, plan_sheets, rack, region, site, training

from optimizer import read_plan
from optimizer.models import build_model
from optimizer.models.objective import discounted, reprice
from optimizer.models.sets import build_data
from optimizer.scenarios import SCENARIO_PARAMETERS, Override, Scenario, apply
from optimizer.solve import SolverOptions, compile_model

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "examples" / "seed-article.xlsx"


def _model(tmp_path):
    """Two years in two periods, discount 10 % a year; one rack installed at site dc and
    racks for sale (opex 100 a year, half of 10 kW drawn idle, power 0.1 USD/kWh, 0.5 kg
    CO2e/kWh, carbon 100 USD/t); a cloud offer at 10 USD/ah in a region with no intensity."""
    sheets = plan_sheets(
        [training(730, name="a"), training(365, name="b")],
        settings={"horizon_years": 2, "period": "year", "discount_rate": 0.1},
        regions=[
            region(price=0.1) | {"carbon_kg_per_kwh": 0.5, "carbon_price_usd_per_t": 100},
            region("far", price=0.1),
        ],
        sites=[site()],
        hardware=[rack(opex_usd_per_year=100, idle_power_fraction=0.5)],
        installed=[{"site": "dc", "rack_type": "r1", "racks": 1}],
        cloud=[offer("c", 10.0, region="far")],
    )
    plan = read_plan(write_book(tmp_path / "plan.xlsx", sheets))
    return plan, build_model(plan)


def _hand_plan(m) -> np.ndarray:
    """One rack bought in period 0; a on racks in both periods; b half on racks and half
    in the cloud in period 0, all in the cloud in period 1."""
    values = {
        ("buy", ("dc", "r1", 0)): 1.0,
        ("onprem", ("a", "dc", "r1", 0)): 1.0,
        ("onprem", ("a", "dc", "r1", 1)): 1.0,
        ("onprem", ("b", "dc", "r1", 0)): 0.5,
        ("cloud", ("b", "c", 0)): 0.5,
        ("cloud", ("b", "c", 1)): 1.0,
    }
    x = np.zeros(m.layout.n)
    for (family, key), value in values.items():
        x[m.layout.position(family)[key]] = value
    return x


def test_the_ledgers_at_a_plan_set_by_hand(tmp_path):
    """Racks: 2 standing (1 installed + 1 bought) in both periods.
    rack_capex p0 1,000; rack_opex 2 x 100 = 200 a period.
    energy idle: 2 racks x 5 kW x 8,760 h x 0.1 = 8,760 a period; busy: 5 kWh per ah at
    0.1 = 0.5 USD/ah: p0 a 8,760 ah + b 2,190 ah = 5,475, p1 a 8,760 ah = 4,380.
    cloud p0 10 x 4,380 x 0.5 = 21,900, p1 43,800.
    emissions (energy at 0.5 kg/kWh): p0 (87,600 + 54,750) kWh = 71.175 t, p1 (87,600 +
    43,800) kWh = 65.7 t; carbon at 100 USD/t 7,117.5 and 6,570."""
    _, m = _model(tmp_path)
    x = _hand_plan(m)
    costs = dict(zip(m.costs.keys, m.costs.values(x).tolist(), strict=True))
    emissions = dict(zip(m.emissions.keys, m.emissions.values(x).tolist(), strict=True))
    dc, far = ("dc", "home"), ("c", "far")
    expected = {
        (0, "onprem", "rack_capex", *dc): 1000.0,
        (0, "onprem", "rack_opex", *dc): 200.0,
        (1, "onprem", "rack_opex", *dc): 200.0,
        (0, "onprem", "energy", *dc): 8760.0 + 5475.0,
        (1, "onprem", "energy", *dc): 8760.0 + 4380.0,
        (0, "cloud", "cloud_on_demand", *far): 21900.0,
        (1, "cloud", "cloud_on_demand", *far): 43800.0,
        (0, "onprem", "carbon", *dc): 7117.5,
        (1, "onprem", "carbon", *dc): 6570.0,
    }
    assert {k: v for k, v in costs.items() if v} == {k: approx(v) for k, v in expected.items()}
    assert {k: v for k, v in emissions.items() if v} == {
        (0, "onprem", "energy", *dc): approx(71.175),
        (1, "onprem", "energy", *dc): approx(65.7),
    }
    # the objective: the same entries discounted (period 1 by 1 / 1.1)
    cost, offset = discounted(m)
    by_period = [sum(v for k, v in expected.items() if k[0] == t) for t in (0, 1)]
    assert float(cost @ x) + offset == approx(by_period[0] + by_period[1] / 1.1)
    # and HiGHS is handed exactly that vector
    compiled = compile_model(m, SolverOptions())
    lp = compiled.highs.getLp()
    assert np.array_equal(np.asarray(lp.col_cost_) / compiled.objective_scale, cost)


def test_a_price_change_reprices_the_ledgers_and_the_objective(tmp_path):
    """Cloud at twice the price: the cloud entries double, nothing else moves, and
    total_cost (the Pyomo objective a written model shows) follows the new ledger."""
    plan, m = _model(tmp_path)
    x = _hand_plan(m)
    before = dict(zip(m.costs.keys, m.costs.values(x).tolist(), strict=True))
    scenario = Scenario("dear", (Override("cloud_price_multiplier", "*", "*", 2.0),))
    reprice(m, build_data(apply(plan, scenario)))
    after = dict(zip(m.costs.keys, m.costs.values(x).tolist(), strict=True))
    for key, value in before.items():
        assert after[key] == approx(2 * value if key[1] == "cloud" else value)
    for var, value in zip(m.layout.variables, x.tolist(), strict=True):
        var.set_value(value)
    cost, offset = discounted(m)
    assert m.total_cost.expr() == approx(float(cost @ x) + offset)


PRICE_CHANGES = [  # every scenario parameter that changes costs only, at a value of its range
    Override("power_price_multiplier", "*", "*", 1.7),
    Override("power_price_usd_per_kwh", "*", "*", 0.21),
    Override("cloud_price_multiplier", "*", "*", 0.6),
    Override("api_price_multiplier", "*", "*", 2.5),
    Override("carbon_price_usd_per_t", "*", "*", 140.0),
    Override("discount_rate", "*", "*", 0.2),
    Override("residual_value", "*", "*", 0.0),
]


def test_every_price_parameter_is_listed_and_reaches_no_emission():
    """reprice(prices_only=True) keeps the emissions ledger and the hours each share uses:
    true only if no price parameter reaches them. Each one, on the seed example (which has
    emission figures, so an emission that followed a price would show)."""
    prices = {p for p in SCENARIO_PARAMETERS if Override(p, "*", "*", 1.0).is_price}
    assert prices == {o.parameter for o in PRICE_CHANGES}
    plan = read_plan(EXAMPLE)
    m = build_model(plan, build_data(plan))
    x = np.linspace(0.0, 3.0, m.layout.n)
    emitted = m.emissions.values(x)
    for override in PRICE_CHANGES:
        changed = build_data(apply(plan, Scenario("p", (override,))))
        kept = build_model(plan, build_data(plan))
        reprice(kept, changed, prices_only=True)
        fresh = build_model(plan, build_data(plan))
        reprice(fresh, changed)
        assert fresh.emissions.keys == kept.emissions.keys == m.emissions.keys
        np.testing.assert_array_equal(fresh.emissions.values(x), emitted, err_msg=str(override))
        assert fresh.costs.keys == kept.costs.keys
        np.testing.assert_array_equal(kept.costs.values(x), fresh.costs.values(x))
        np.testing.assert_array_equal(discounted(kept)[0], discounted(fresh)[0])
