"""The infeasibility diagnosis names what to change, in words."""

from __future__ import annotations

from conftest import write_book

from optimizer import read_plan
from optimizer.run import optimize
from optimizer.solve import SolverOptions


def lead_time_plan(tmp_path):
    """A site that can be ready only from period 2 (build_lead_periods 2) with racks
    delivered a period after purchase, and a workload that may run on racks only:
    periods 0 and 1 cannot be served."""
    return write_book(
        tmp_path / "plan.xlsx",
        {
            "regions": [["region", "jurisdiction", "power_price_usd_per_kwh"], ["r", "EU", 0.1]],
            "sites": [
                [
                    "site",
                    "region",
                    "power_capacity_kw",
                    "cooling_air_kw",
                    "rack_slots",
                    "existing",
                    "build_lead_periods",
                ],
                ["s", "r", 1000, 1000, 10, "no", 2],
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
                    "lead_time_periods",
                ],
                ["k", "H100", 8, 10, "air", 1000, 1],
            ],
            "workloads": [
                ["workload", "kind", "user_region", "demand", "demand_unit", "allow_cloud"],
                ["w", "training", "r", 100, "h100_hours_per_month", "no"],
            ],
        },
    )


def test_lead_times_are_named(tmp_path):
    outcome = optimize(read_plan(lead_time_plan(tmp_path)), SolverOptions())
    assert outcome.solved.status == "infeasible"
    assert outcome.diagnosis == [
        "workload w needs 100% less demand in 2027-Q1 to 2027-Q2 (only racks could serve it, "
        "and none can stand by then: the earliest is k at s in 2027-Q3, after "
        "build_lead_periods 2 and lead_time_periods 1)"
    ]


def test_power_shortfall_is_named_with_its_size(tmp_path):
    """An existing site of 25 kW and racks of 10 kW with 8 H100s each; the workload needs
    3 racks' worth of accelerator-hours (3 x 8 x 2,190 x 0.85 h a quarter) and may not
    rent: 30 kW against 25, so 5 kW short in every period."""
    hours = 3 * 8 * 2190 * 0.85 / 3  # accelerator-hours a month, for 3 racks a quarter
    path = write_book(
        tmp_path / "plan.xlsx",
        {
            "regions": [["region", "jurisdiction", "power_price_usd_per_kwh"], ["r", "EU", 0.1]],
            "sites": [
                ["site", "region", "power_capacity_kw", "cooling_air_kw", "rack_slots", "existing"],
                ["s", "r", 25, 1000, 10, "yes"],
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
                ["k", "H100", 8, 10, "air", 1000],
            ],
            "workloads": [
                ["workload", "kind", "user_region", "demand", "demand_unit", "allow_cloud"],
                ["w", "training", "r", hours, "h100_hours_per_month", "no"],
            ],
        },
    )
    outcome = optimize(read_plan(path), SolverOptions())
    assert outcome.solved.status == "infeasible"
    # relaxing power costs 5/25 = 20 % of the limit, demand 33 %: power is the smaller change
    assert outcome.diagnosis == ["site s needs 5 kW more power in 2027-Q1 to 2029-Q4"]
