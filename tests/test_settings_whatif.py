"""Settings as what-if parameters (discount_rate, residual_value, max_utilization), and the
notes on the cash, against plans worked out by hand (shorthands of test_model.py: one H100
a rack, 10 kW, 1,000 USD, power free, 730 H100-hours a month is one rack all year)."""

from __future__ import annotations

import pytest
from conftest import write_book
from test_model import approx, offer, plan_sheets, rack, rows, site, training

from optimizer import read_plan
from optimizer.errors import InputError
from optimizer.notes import cash_notes
from optimizer.run import optimize
from optimizer.scenarios import Scenario, apply, from_sheet, from_sweeps
from optimizer.solve import SolverOptions
from optimizer.whatif import solve_scenario

OPTIONS = SolverOptions(mip_gap=0.0, time_limit_s=60.0)


def _plan(tmp_path, sheets, name="plan.xlsx"):
    return read_plan(write_book(tmp_path / name, sheets))


def _both_paths(plan, scenario: Scenario) -> float:
    """The scenario's certified optimum, by the worker's path (a price-only scenario reuses
    the model) and by a fresh build: they must agree."""
    reused = solve_scenario(plan, scenario, OPTIONS)
    fresh = optimize(apply(plan, scenario), OPTIONS, scenario=scenario.name)
    assert reused.solved.certificate.holds and fresh.solved.certificate.holds
    assert reused.objective == approx(fresh.solved.objective)
    return reused.objective


def test_discount_rate_sweep(tmp_path):
    """Two years of cloud at 1 USD/ah, 8,760 ah a year: 17,520 undiscounted; at 10 % a year
    8,760 + 8,760 / 1.1 = 16,723.64."""
    plan = _plan(
        tmp_path,
        plan_sheets([training(730)], settings={"horizon_years": 2}, cloud=[offer("c", 1.0)]),
    )
    scenarios = from_sweeps(plan, ["discount_rate=0:0.1:0.1"])
    assert [s.name for s in scenarios] == ["discount_rate=0", "discount_rate=0.1"]
    assert all(s.prices_only for s in scenarios)
    assert [_both_paths(plan, s) for s in scenarios] == [approx(17520.0), approx(16723.6364)]


def test_residual_value_flips_buy_against_rent(tmp_path):
    """A rack of 1,000 USD with a 2-year life, one year's horizon: straight-line value left
    is half, a 500 USD credit, so the rack nets 500 against the cloud's 8,760 ah × 0.1 =
    876 USD; with no credit the rack's 1,000 loses to the cloud's 876."""
    plan = _plan(
        tmp_path,
        plan_sheets(
            [training(730)],
            sites=[site()],
            hardware=[rack(lifetime_years=2)],
            cloud=[offer("c", 0.1)],
        ),
    )
    none, straight = from_sweeps(plan, ["residual_value=0,1"])
    assert _both_paths(plan, none) == approx(876.0)
    assert _both_paths(plan, straight) == approx(500.0)
    run = solve_scenario(plan, straight, OPTIONS)
    notes = cash_notes(run.tables["costs"])
    # credit 500 of capex 1,000: 50 %, and nothing discounted
    assert len(notes) == 1 and "500 USD, 50% of the rack capex (1,000 USD)" in notes[0]


def test_max_utilization_from_the_scenarios_sheet(tmp_path):
    """One H100 all year needs one rack at max_utilization 1 (1,000 USD) and two at 0.5
    (2,000 USD; no other option)."""
    sheets = plan_sheets([training(730)], sites=[site()], hardware=[rack()])
    sheets["scenarios"] = rows(
        {"scenario": "tight", "parameter": "max_utilization", "target": "*", "value": 0.5},
        {"scenario": "loose", "parameter": "max_utilization", "target": "*", "value": 1},
    )
    plan = _plan(tmp_path, sheets)
    tight, loose = from_sheet(plan)
    assert not tight.prices_only
    assert solve_scenario(plan, tight, OPTIONS).objective == approx(2000.0)
    assert solve_scenario(plan, loose, OPTIONS).objective == approx(1000.0)


def test_discounted_total_above_undiscounted_is_explained(tmp_path):
    """Two years, a rack bought in year 0 for 1,000 (life 4 years: 2 years left, credit 500
    in year 1). At 25 % a year the credit is discounted to 400: discounted 1,000 − 400 = 600
    above the undiscounted 1,000 − 500 = 500."""
    plan = _plan(
        tmp_path,
        plan_sheets(
            [training(730)],
            settings={"horizon_years": 2, "discount_rate": 0.25, "residual_value": "straight_line"},
            sites=[site()],
            hardware=[rack(lifetime_years=4)],
        ),
    )
    out = optimize(plan, OPTIONS)
    assert out.solved.objective == approx(600.0)
    notes = cash_notes(out.tables["costs"])
    assert any("(600 USD) is above the undiscounted one (500 USD)" in n for n in notes)
    assert any("500 USD of negative cash" in n and "discounted to 400 USD" in n for n in notes)


@pytest.mark.parametrize(
    ("sweep", "words"),
    [
        ("residual_value=0.5", "residual_value takes 0 (none) or 1 (straight_line)"),
        ("max_utilization=0:1:0.5", "max_utilization 0 is out of range"),
        ("discount_rate=2", "discount_rate 2 is out of range"),
        ("discount_rate@home=0.1", "applies to the whole plan: type * as the target"),
    ],
)
def test_bad_setting_sweeps_name_the_option(tmp_path, sweep, words):
    plan = _plan(tmp_path, plan_sheets([training(730)], cloud=[offer("c", 1.0)]))
    with pytest.raises(InputError) as err:
        from_sweeps(plan, [sweep])
    assert f"--sweep {sweep}" in str(err.value) and words in str(err.value)


def test_bad_setting_in_the_scenarios_sheet_names_the_cell(tmp_path):
    sheets = plan_sheets([training(730)], cloud=[offer("c", 1.0)])
    sheets["scenarios"] = rows(
        {"scenario": "x", "parameter": "residual_value", "target": "*", "value": 2},
        {"scenario": "y", "parameter": "max_utilization", "target": "*", "value": 1.5},
    )
    with pytest.raises(InputError) as err:
        _plan(tmp_path, sheets)
    text = str(err.value)
    assert "residual_value takes 0 (none) or 1 (straight_line)" in text
    assert "max_utilization 1.5 is out of range" in text
    assert "scenarios" in text


def test_setting_scenarios_have_stable_keys(tmp_path):
    plan = _plan(tmp_path, plan_sheets([training(730)], cloud=[offer("c", 1.0)]))
    a = from_sweeps(plan, ["discount_rate=0.05", "max_utilization=0.9"])[0]
    b = from_sweeps(plan, ["max_utilization=0.9", "discount_rate=0.05"])[0]
    assert a.key == b.key == (("discount_rate", "*", 0.05), ("max_utilization", "*", 0.9))
