"""--robust: one shared plan over scenarios, derived by hand.

One year in one period (8,760 h), one training workload of 730 H100-hours a month
(8,760 accelerator-hours in the year: one accelerator all year). A rack of one H100
costs 1,000 USD (no power price, no opex); cloud on-demand costs 0.20 USD an hour,
so renting for the year costs 8,760 x 0.20 = 1,752 USD.

Scenario `busy` keeps the demand (x1); scenario `idle` has none (x0).
- Alone, `busy` buys the rack (1,000 < 1,752); `idle` buys nothing (0).
- Shared, with P(busy) = 0.8: the rack costs 1,000 in every scenario (expected
  1,000); renting costs 0.8 x 1,752 = 1,401.60 expected: buy the rack.
- Shared, with P(busy) = 0.5: renting costs 0.5 x 1,752 = 876 < 1,000: buy nothing.

What the shared plan is worth (docs/whatif.md):
- Wait and see: each scenario with its own plan, busy 1,000 and idle 0: expected
  0.8 x 1,000 = 800 (P = 0.8) or 500 (P = 0.5). EVPI = robust − that: 200 or 376.
- The base case (demand x1, as busy) buys the rack; operated under busy and idle it
  costs 1,000 in both: expected 1,000. VSS = 1,000 − robust: 0 (P = 0.8: the robust
  plan is the base plan) or 1,000 − 876 = 124 (P = 0.5).
"""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import write_book

from optimizer import read_plan
from optimizer.cli import Exit, main
from optimizer.robust import solve_robust
from optimizer.scenarios import BASE, Scenario, from_sheet
from optimizer.solve import SolverOptions


def plan_sheets(p_busy: float | None) -> dict[str, list[list[object]]]:
    p_idle = None if p_busy is None else round(1 - p_busy, 10)
    return {
        "settings": [
            ["key", "value"],
            ["horizon_years", 1],
            ["period", "year"],
            ["max_utilization", 1],
            ["mip_gap", 0],
        ],
        "regions": [["region", "jurisdiction", "power_price_usd_per_kwh"], ["r", "EU", 0]],
        "sites": [
            ["site", "region", "power_capacity_kw", "cooling_air_kw", "rack_slots", "existing"],
            ["s", "r", 100, 100, 10, "yes"],
        ],
        "accelerators": [["accelerator", "training_speed"], ["H100", 1]],
        "hardware": [
            [
                "rack_type",
                "accelerator",
                "accelerators_per_rack",
                "it_power_kw",
                "cooling",
                "capex_usd",
            ],
            ["one", "H100", 1, 1, "air", 1000],
        ],
        "cloud": [
            [
                "offer",
                "provider",
                "region",
                "accelerator",
                "pricing",
                "price_usd_per_accelerator_hour",
            ],
            ["od", "c", "r", "H100", "on_demand", 0.2],
        ],
        "workloads": [
            ["workload", "kind", "user_region", "demand", "demand_unit"],
            ["train", "training", "r", 730, "h100_hours_per_month"],
        ],
        "scenarios": [
            ["scenario", "parameter", "target", "value", "probability"],
            ["busy", "demand_multiplier", "*", 1, p_busy],
            ["idle", "demand_multiplier", "*", 0, p_idle],
        ],
    }


@pytest.mark.parametrize(
    ("p_busy", "racks", "expected", "evpi", "vss"),
    [(0.8, 1, 1000.0, 200.0, 0.0), (0.5, 0, 876.0, 376.0, 124.0)],
)
def test_shared_plan_minimises_expected_cost(tmp_path, p_busy, racks, expected, evpi, vss):
    plan = read_plan(write_book(tmp_path / "plan.xlsx", plan_sheets(p_busy)))
    scenarios = [Scenario(BASE), *from_sheet(plan)]
    result = solve_robust(plan, scenarios, SolverOptions(mip_gap=0.0))
    assert result.solved.status == "optimal"
    assert result.probabilities == {"busy": p_busy, "idle": pytest.approx(1 - p_busy)}
    assert result.solved.objective == pytest.approx(expected)
    bought = result.plan.values["buy"]
    assert sum(bought.values()) == racks
    summary = result.tables["summary"].set_index("scenario")
    # each scenario operated under the shared plan
    busy, idle = (1000.0, 1000.0) if racks else (1752.0, 0.0)
    assert summary.loc["busy", "objective_usd"] == pytest.approx(busy)
    assert summary.loc["idle", "objective_usd"] == pytest.approx(idle)
    assert (summary["probability"] * summary["objective_usd"]).sum() == pytest.approx(expected)
    value = result.value
    assert value.wait_and_see_usd == pytest.approx(p_busy * 1000.0)
    assert value.evpi_usd == pytest.approx(evpi)
    assert value.base_plan_usd == pytest.approx(1000.0)
    assert value.vss_usd == pytest.approx(vss, abs=1e-6)


def test_equal_probabilities_when_none_are_given(tmp_path):
    """Without probabilities every scenario, the base case too, weighs the same:
    base (demand x1) and busy need the year of compute, idle none. Rack: 1,000 for
    sure; renting: 2/3 x 1,752 = 1,168 expected. Buy the rack."""
    plan = read_plan(write_book(tmp_path / "plan.xlsx", plan_sheets(None)))
    result = solve_robust(plan, [Scenario(BASE), *from_sheet(plan)], SolverOptions(mip_gap=0.0))
    assert result.probabilities == pytest.approx({"base": 1 / 3, "busy": 1 / 3, "idle": 1 / 3})
    assert result.solved.objective == pytest.approx(1000.0)
    # wait and see: (1,000 + 1,000 + 0) / 3; the base plan is the robust plan
    assert result.value.evpi_usd == pytest.approx(1000.0 - 2000.0 / 3)
    assert result.value.vss_usd == pytest.approx(0.0, abs=1e-6)


def test_robust_through_the_command_line(tmp_path):
    path = write_book(tmp_path / "plan.xlsx", plan_sheets(0.8))
    result = CliRunner().invoke(main, [str(path), "--robust"])
    assert result.exit_code == Exit.OK, result.output
    assert "Expected cost of the robust plan: 1,000 USD" in result.output
    assert "Value of perfect information: 200 USD" in result.output
    assert "Value of the stochastic solution: 0 USD" in result.output
    out = tmp_path / "plan-results"
    decisions = pd.read_csv(out / "decisions.csv", encoding="utf-8-sig")
    row = decisions.iloc[0]
    assert len(decisions) == 1
    assert (row["scenario"], row["site"], row["open"], row["rack_type"], row["racks_at_end"]) == (
        "robust",
        "s",
        1,
        "one",
        1,
    )
    summary = pd.read_csv(out / "summary.csv", encoding="utf-8-sig")
    assert summary["scenario"].tolist() == ["busy", "idle"]
    assert summary["probability"].tolist() == [0.8, 0.2]


def test_report_shows_the_shared_plan_and_what_it_is_worth(tmp_path):
    """P(busy) = 0.5: the robust plan rents, expected 876 (module docstring); the page's
    headline and per-period figures are that expectation, not one scenario's 1,752, and
    the page gives EVPI 376 and VSS 124."""
    import openpyxl

    path = write_book(tmp_path / "plan.xlsx", plan_sheets(0.5))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, [str(path), "--robust", "--out", str(out)])
    assert result.exit_code == Exit.OK, result.output
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Headline: the robust plan, expected over the scenarios" in page
    head = page[page.index("Headline") : page.index("Costs (")]
    assert ">876<" in head and "1,752" not in head
    costs = page[page.index("Costs (") : page.index("Scenarios</h2>")]
    assert "1,752" not in costs and ">876<" in costs
    assert "Value of perfect information: 376 USD" in page
    assert "Value of the stochastic solution: 124 USD" in page
    book = openpyxl.load_workbook(out / "results.xlsx", read_only=True)
    charts = [row[0] for row in book["charts"].iter_rows(max_row=1, values_only=True)]
    assert charts == ["Charts of the robust plan (each figure expected over the scenarios)"]
