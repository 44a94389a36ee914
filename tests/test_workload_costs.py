"""Cost and emissions per workload (workload_costs.csv, workload_emissions.csv,
workload_summary.csv) against plans split by hand with the rule of docs/outputs.md.

The shorthands of test_model.py hold: one H100 a rack, 10 kW, 1,000 USD; 730 H100-hours a
month is one H100 all year (8,760 accelerator-hours); max_utilization 1.
"""

from __future__ import annotations

import pandas as pd
from test_model import (
    api,
    approx,
    inference,
    offer,
    plan_sheets,
    rack,
    region,
    site,
    solve,
    training,
)

from optimizer.attribution import IDLE


def by_workload(out, table: str = "workload_costs", column: str = "amount_usd") -> dict:
    return out.tables[table].groupby("workload")[column].sum().to_dict()


def test_shared_costs_follow_accelerator_hours_and_busy_energy_its_user(tmp_path):
    """Two racks (a needs one H100 all year, b half of one: 1.5 racks, whole racks only;
    the cloud at 10 USD/ah would cost b 43,800 USD against the second rack's 7,670).

    Costs: capex 2 × 1,000; opex 2 × 100; energy at 0.1 USD/kWh, half of 10 kW drawn idle:
    2 racks × 5 kW × 8,760 h × 0.1 = 8,760 shared, and 5 kWh per accelerator-hour used:
    a 8,760 ah × 0.5 = 4,380, b 4,380 ah × 0.5 = 2,190, each its own. Racks offer 17,520 ah:
    a holds 1/2, b 1/4, idle 1/4 of the shared 2,000 + 200 + 8,760 = 10,960.
    a: 5,480 + 4,380 = 9,860; b: 2,740 + 2,190 = 4,930; idle: 2,740. Sum 17,530.
    Emissions at 0.5 kg/kWh: shared 87,600 kWh → 43.8 t, busy a 43,800 kWh → 21.9 t,
    b 21,900 kWh → 10.95 t: a 21.9 + 21.9 = 43.8, b 10.95 + 10.95 = 21.9, idle 10.95."""
    out = solve(
        tmp_path,
        plan_sheets(
            [training(730, name="a"), training(365, name="b")],
            regions=[region(price=0.1) | {"carbon_kg_per_kwh": 0.5}],
            sites=[site()],
            hardware=[rack(opex_usd_per_year=100, idle_power_fraction=0.5)],
            cloud=[offer("c", 10.0)],
        ),
    )
    assert out.solved.objective == approx(17530.0)
    costs = by_workload(out)
    assert costs == {"a": approx(9860.0), "b": approx(4930.0), IDLE: approx(2740.0)}
    wc = out.tables["workload_costs"]
    energy = wc[wc["category"] == "energy"].groupby("workload")["amount_usd"].sum()
    assert energy.to_dict() == {"a": approx(8760.0), "b": approx(4380.0), IDLE: approx(2190.0)}
    tonnes = by_workload(out, "workload_emissions", "tco2e")
    assert tonnes == {"a": approx(43.8), "b": approx(21.9), IDLE: approx(10.95)}
    summary = out.tables["workload_summary"].set_index("workload")
    assert list(summary.index) == ["a", "b", IDLE]
    assert summary.loc["a", "volume"] == approx(8760.0)
    assert summary.loc["a", "volume_unit"] == "H100-hours"
    assert summary.loc["a", "unit_cost_usd"] == approx(9860 / 8760)
    assert summary.loc["b", "unit_cost_usd"] == approx(4930 / 4380)
    assert summary.loc["a", "alternative"] == "cloud c"
    assert summary.loc["a", "alternative_unit_cost_usd"] == approx(10.0)
    assert summary.loc["b", "tco2e"] == approx(21.9)
    assert pd.isna(summary.loc[IDLE, "volume"])


def test_one_time_costs_follow_the_horizon_and_period_costs_their_period(tmp_path):
    """Two years of a year each; a needs one H100 both years, b one H100 in year 1 only.
    One rack bought in year 0, one in year 1 (buying both in year 0 would pay a year of
    energy for nothing). Racks offer 8,760 ah in year 0 and 17,520 in year 1, 26,280 in
    all; a holds 17,520 (2/3), b 8,760 (1/3), so each 1,000 USD of capex is a 666.67,
    b 333.33, in the year it is paid. Energy (0.1 USD/kWh, full draw: 8,760 USD a rack-year)
    by its own year: year 0 all a's, year 1 half each. a: 1,333.33 + 8,760 × 2 = 18,853.33;
    b: 666.67 + 8,760 = 9,426.67; nothing idle."""
    out = solve(
        tmp_path,
        plan_sheets(
            [training(730, name="a"), training(730, name="b", start_period=1)],
            settings={"horizon_years": 2},
            regions=[region(price=0.1)],
            sites=[site()],
            hardware=[rack()],
        ),
    )
    assert out.solved.objective == approx(2000 + 3 * 8760.0)
    assert by_workload(out) == {"a": approx(18853.3333), "b": approx(9426.6667)}
    wc = out.tables["workload_costs"]
    capex0 = wc[(wc["category"] == "rack_capex") & (wc["period"] == 0)]
    assert capex0.set_index("workload")["amount_usd"].to_dict() == {
        "a": approx(666.6667),
        "b": approx(333.3333),
    }


def test_direct_costs_and_the_unit_cost_per_million_tokens(tmp_path):
    """chat, 10 million tokens a day (3,650 a year), may use an API at 2.0 USD/Mtok or a
    cloud offer at 3.0 USD/ah (one ah per million tokens, peak_factor 1.2: 3.6 USD/Mtok);
    the API it is: 7,300 USD, 2.0 USD per million tokens, its own cost, nothing idle."""
    out = solve(
        tmp_path,
        plan_sheets(
            [inference(10, peak_factor=1.2)],
            cloud=[offer("c", 3.0)],
            apis=[api("tok", 2.0)],
        ),
    )
    assert out.solved.objective == approx(7300.0)
    summary = out.tables["workload_summary"].set_index("workload")
    assert list(summary.index) == ["chat"]
    assert summary.loc["chat", "volume"] == approx(3650.0)
    assert summary.loc["chat", "volume_unit"] == "million tokens"
    assert summary.loc["chat", "unit_cost_usd"] == approx(2.0)
    assert summary.loc["chat", "alternative"] == "api tok"
    assert summary.loc["chat", "alternative_unit_cost_usd"] == approx(2.0)


def test_an_unused_reserved_commitment_is_idle(tmp_path):
    """chat's 10 Mtok/day is 3,650 ah a year at average load, 5,475 held at peak_factor 1.5.
    A reserved commitment of one accelerator (8,760 ah ≥ 5,475, 1.0 USD/ah: 8,760 USD)
    beats on-demand (5,475 × 2.0 = 10,950). chat holds 5,475 of the 8,760 ah: 5,475 USD,
    idle 3,285."""
    out = solve(
        tmp_path,
        plan_sheets(
            [inference(10, peak_factor=1.5)],
            cloud=[
                offer("res", 1.0, pricing="reserved", term_years=1),
                offer("od", 2.0),
            ],
        ),
    )
    assert out.solved.objective == approx(8760.0)
    assert by_workload(out) == {"chat": approx(5475.0), IDLE: approx(3285.0)}
    summary = out.tables["workload_summary"].set_index("workload")
    assert summary.loc["chat", "alternative"] == "cloud od"  # reserved is not an alternative
    assert summary.loc["chat", "alternative_unit_cost_usd"] == approx(3.0)  # 1.5 ah × 2.0
