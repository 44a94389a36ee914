"""The infeasibility diagnosis names what to change, in words."""

from __future__ import annotations

import pytest
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


def power_plan(tmp_path, power_kw: float, racks_needed: int):
    """An existing site of ``power_kw`` and racks of 10 kW with 8 H100s each; a training
    workload that needs ``racks_needed`` racks' accelerator-hours and may not rent."""
    hours = racks_needed * 8 * 2190 * 0.85 / 3  # accelerator-hours a month
    return write_book(
        tmp_path / "plan.xlsx",
        {
            "regions": [["region", "jurisdiction", "power_price_usd_per_kwh"], ["r", "EU", 0.1]],
            "sites": [
                ["site", "region", "power_capacity_kw", "cooling_air_kw", "rack_slots", "existing"],
                ["s", "r", power_kw, 1000, 10, "yes"],
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


def test_less_demand_comes_with_the_limit_that_binds(tmp_path):
    """The same with 10 kW of power and 3 racks needed: 20 kW short is 200 % of the limit,
    while serving one rack's worth leaves 2/3 = 67 % of the demand: the smallest change takes
    demand away, and the second line names the power that binds and the 20 kW that would
    serve it all."""
    outcome = optimize(read_plan(power_plan(tmp_path, 10, 3)), SolverOptions())
    assert outcome.diagnosis == [
        "workload w needs 67% less demand in 2027-Q1 to 2029-Q4",
        "or, serving all demand: site s needs 20 kW more power than its power_capacity_kw of "
        "10 in 2027-Q1 to 2029-Q4",
    ]


def latency_plan(tmp_path, limit_ms: float, edge: bool):
    """An inference workload in r with max_latency_ms ``limit_ms``: a cloud offer in r
    (in-region round trip 5 ms, the default), one in r2 (40 ms) and, with ``edge``, an edge
    device (edge_rtt_ms 1 ms, the default); every option serves the model."""
    book = {
        "regions": [
            ["region", "jurisdiction", "power_price_usd_per_kwh"],
            ["r", "EU", 0.1],
            ["r2", "EU", 0.1],
        ],
        "latency": [["from_region", "to_region", "rtt_ms"], ["r", "r2", 40]],
        "accelerators": [["accelerator", "training_speed"], ["H100", 1]],
        "performance": [["accelerator", "model", "tokens_per_second"], ["H100", "m", 460]],
        "cloud": [
            ["offer", "provider", "region", "accelerator", "pricing",
             "price_usd_per_accelerator_hour"],
            ["near", "p", "r", "H100", "on_demand", 3],
            ["far", "p", "r2", "H100", "on_demand", 2],
        ],
        "edge": [
            ["device", "accelerator", "accelerators_per_device", "capex_usd", "power_kw"],
            ["box", "H100", 1, 30000, 1],
        ],
        "workloads": [
            ["workload", "kind", "model", "user_region", "demand", "demand_unit",
             "max_latency_ms", "allow_edge"],
            ["w", "inference", "m", "r", 10, "mtok_per_day", limit_ms, "yes" if edge else "no"],
        ],
    }  # fmt: skip
    return write_book(tmp_path / "plan.xlsx", book)


@pytest.mark.parametrize(
    "limit_ms, edge, ruled_out",
    [
        # the cases: 2 ms against the in-region 5 ms; 0.5 ms with edge devices
        # allowed, which edge_rtt_ms 1 rules out
        (2, False, "max_latency_ms 2 from r rules out the in-region round trip "
         "(intra_region_rtt_ms 5 ms), r - r2 (rtt_ms 40 in sheet 'latency'); allow_edge=no"),
        (0.5, True, "max_latency_ms 0.5 from r rules out the in-region round trip "
         "(intra_region_rtt_ms 5 ms), r - r2 (rtt_ms 40 in sheet 'latency'), edge devices "
         "(edge_rtt_ms 1 ms)"),
    ],
)  # fmt: skip
def test_a_latency_limit_names_the_round_trips_it_rules_out(tmp_path, limit_ms, edge, ruled_out):
    outcome = optimize(read_plan(latency_plan(tmp_path, limit_ms, edge)), SolverOptions())
    assert outcome.diagnosis == [f"workload w has demand but no allowed option: {ruled_out}"]


def test_power_shortfall_is_named_with_its_size(tmp_path):
    """An existing site of 25 kW and racks of 10 kW with 8 H100s each; the workload needs
    3 racks' worth of accelerator-hours (3 x 8 x 2,190 x 0.85 h a quarter) and may not
    rent: 30 kW against 25, so 5 kW short in every period."""
    path = power_plan(tmp_path, 25, 3)
    outcome = optimize(read_plan(path), SolverOptions())
    assert outcome.solved.status == "infeasible"
    # relaxing power costs 5/25 = 20 % of the limit, demand 33 %: power is the smaller change
    assert outcome.diagnosis == [
        "site s needs 5 kW more power than its power_capacity_kw of 25 in 2027-Q1 to 2029-Q4"
    ]


def test_a_cloud_quota_that_binds_is_named_in_accelerators(tmp_path):
    """Training of 73,000 H100-hours a month (100 H100s all the time: 73,000 / 730) on one
    on-demand offer with a quota of 60: 40 more accelerators would be 67 % of the quota,
    40 % less demand is the smaller change; serving all demand needs the 40."""
    book = {
        "regions": [["region", "jurisdiction", "power_price_usd_per_kwh"], ["r", "EU", 0.1]],
        "accelerators": [["accelerator", "training_speed"], ["H100", 1]],
        "cloud": [
            ["offer", "provider", "region", "accelerator", "pricing",
             "price_usd_per_accelerator_hour", "max_accelerators"],
            ["c", "p", "r", "H100", "on_demand", 2, 60],
        ],
        "workloads": [
            ["workload", "kind", "user_region", "demand", "demand_unit"],
            ["w", "training", "r", 73_000, "h100_hours_per_month"],
        ],
    }  # fmt: skip
    outcome = optimize(read_plan(write_book(tmp_path / "plan.xlsx", book)), SolverOptions())
    assert outcome.diagnosis == [
        "workload w needs 40% less demand in 2027-Q1 to 2029-Q4",
        "or, serving all demand: cloud offer c needs 40 more accelerators of quota than its "
        "max_accelerators of 60 in 2027-Q1 to 2029-Q4",
    ]
