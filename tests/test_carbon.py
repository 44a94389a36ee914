"""Emissions, the carbon price and the cap, against plans worked out by hand.

The shorthands of test_model.py hold: one year in one period of 8,760 h, racks of one
H100 drawing 10 kW at every hour (idle_power_fraction 1), PUE 1, 730 H100-hours a month
is one H100 all year (8,760 accelerator-hours, one rack). A tonne is 1,000 kg.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from conftest import write_book
from test_model import (
    api,
    approx,
    category,
    cost,
    device,
    inference,
    offer,
    plan_sheets,
    rack,
    region,
    rows,
    site,
    solve,
    training,
)

from optimizer import read_plan
from optimizer.cli import Exit, main
from optimizer.errors import InputError
from optimizer.run import optimize, resolve_prices
from optimizer.scenarios import Override, Scenario, apply, parse_sweep
from optimizer.solve import SolverOptions


def tonnes(out, **match: str) -> float:
    e = out.tables["emissions"]
    for column, value in match.items():
        e = e[e[column] == value]
    return float(e["tco2e"].sum())


# --- emissions of every kind ----------------------------------------------------------------


def test_emissions_of_every_environment(tmp_path):
    """Four workloads, each held by residency=region to one kind of option, power free.

    - train-dc (home, 0.5 kg/kWh, site PUE 1.2): one rack, 10 kW × 8,760 h × 1.2 =
      105,120 kWh × 0.5 = 52,560 kg, plus the rack's embodied 2,000 kg: 54.56 t.
    - train-cloud (away, 0.4 kg/kWh): 8,760 ah on an offer with kw_per_accelerator blank,
      so the H100 default of 1.275 kW: 8,760 × 1.275 × 0.4 = 4,467.6 kg = 4.4676 t.
    - chat-api (apiland, no intensity): 10 Mtok/day = 3,650 Mtok a year × 0.2 kg = 730 kg.
    - chat-edge (edgeland, 0.25 kg/kWh): 3,650 ah at average load, one device of 0.5 kW
      all year: 4,380 kWh × 0.25 = 1,095 kg, plus its embodied 300 kg: 1.395 t.
    Total 54.56 + 4.4676 + 0.73 + 1.395 = 61.1526 t. Costs are untouched by emissions:
    rack 1,000 + cloud 8,760 + API 3,650 + device 1,000 = 14,410 USD."""
    out = solve(
        tmp_path,
        plan_sheets(
            [
                training(730, name="train-dc", residency="region", allow_cloud="no"),
                training(730, name="train-cloud", user_region="away", residency="region"),
                inference(10, name="chat-api", user_region="apiland", residency="region"),
                inference(
                    10,
                    name="chat-edge",
                    user_region="edgeland",
                    residency="region",
                    allow_edge="yes",
                    allow_api="no",
                    allow_cloud="no",
                ),
            ],
            regions=[
                region() | {"carbon_kg_per_kwh": 0.5},
                region("away") | {"carbon_kg_per_kwh": 0.4},
                region("apiland"),
                region("edgeland") | {"carbon_kg_per_kwh": 0.25},
            ],
            sites=[site(pue=1.2)],
            hardware=[rack(embodied_kg_co2e=2000)],
            cloud=[offer("c-away", 1.0, region="away")],
            apis=[api("a-land", 1.0, region="apiland", kg_co2e_per_mtok=0.2)],
            edge=[device(power_kw=0.5, embodied_kg_co2e=300)],
        ),
    )
    assert cost(out) == approx(14410.0)
    assert tonnes(out, environment="onprem", category="energy") == approx(52.56)
    assert tonnes(out, environment="onprem", category="embodied") == approx(2.0)
    assert tonnes(out, environment="cloud", category="cloud") == approx(4.4676)
    assert tonnes(out, environment="api", category="api") == approx(0.73)
    assert tonnes(out, environment="edge", category="energy") == approx(1.095)
    assert tonnes(out, environment="edge", category="embodied") == approx(0.3)
    summary = out.tables["summary"].iloc[0]
    assert summary["tco2e"] == approx(61.1526)
    assert [summary[f"{env}_tco2e"] for env in ("onprem", "cloud", "api", "edge")] == [
        approx(54.56),
        approx(4.4676),
        approx(0.73),
        approx(1.395),
    ]
    assert list(out.tables["summary"].columns[-6:-1]) == [
        "tco2e",
        "onprem_tco2e",
        "cloud_tco2e",
        "api_tco2e",
        "edge_tco2e",
    ]
    assert "carbon" not in set(out.tables["costs"]["category"])


@pytest.mark.parametrize(
    ("site_intensity", "kw", "expected"),
    [
        # the site's own 0.1 kg/kWh overrides the region's 0.5: 87,600 kWh × 0.1 = 8.76 t;
        # the offer's own 2 kW: 8,760 ah × 2 × 0.4 = 7.008 t
        (0.1, 2.0, (8.76, 7.008)),
        # both blank: the region's 0.5 (43.8 t) and the H100 default 1.275 kW (4.4676 t)
        (None, None, (43.8, 4.4676)),
    ],
)
def test_site_intensity_and_cloud_power_override(tmp_path, site_intensity, kw, expected):
    out = solve(
        tmp_path,
        plan_sheets(
            [
                training(730, name="train-dc", residency="region", allow_cloud="no"),
                training(730, name="train-cloud", user_region="away", residency="region"),
            ],
            regions=[
                region() | {"carbon_kg_per_kwh": 0.5},
                region("away") | {"carbon_kg_per_kwh": 0.4},
            ],
            sites=[site(carbon_kg_per_kwh=site_intensity)],
            hardware=[rack()],
            cloud=[offer("c-away", 1.0, region="away", kw_per_accelerator=kw)],
        ),
    )
    assert tonnes(out, environment="onprem") == approx(expected[0])
    assert tonnes(out, environment="cloud") == approx(expected[1])


def test_blank_figures_are_not_counted_and_said_so(tmp_path):
    """An API without kg_co2e_per_mtok counts nothing and is named in a warning, once the
    workbook states emissions somewhere."""
    sheets = plan_sheets(
        [inference(10)],
        regions=[region() | {"carbon_kg_per_kwh": 0.5}],
        apis=[api("a", 1.0)],
    )
    plan = read_plan(write_book(tmp_path / "plan.xlsx", sheets))
    assert any(
        w.sheet == "apis" and w.column == "kg_co2e_per_mtok" and "not counted" in w.message
        for w in plan.warnings
    ), plan.warnings
    out = optimize(plan, SolverOptions(mip_gap=0.0))
    assert out.tables["emissions"].empty
    assert out.tables["summary"]["tco2e"].iloc[0] == 0.0


# --- the carbon price ----------------------------------------------------------------------

# Two existing sites, each able to hold the one rack that 730 H100-hours a month need:
# "dirty" in region coal at 0.05 USD/kWh and 0.8 kg/kWh, "clean" in region hydro at
# 0.10 USD/kWh and 0.02 kg/kWh. A rack draws 87,600 kWh a year:
#   dirty: energy 4,380 USD, 70.08 t;  clean: energy 8,760 USD, 1.752 t.
# The choice flips where 4,380 + 70.08 p = 8,760 + 1.752 p: p = 4,380 / 68.328
# = 64.10 USD/t. Below it the plan stays dirty, above it goes clean (rack capex 1,000
# either way).
FLIP = 4380 / 68.328


def two_sites(**settings: object):
    return plan_sheets(
        [training(730, allow_cloud="no", user_region="coal")],
        settings=settings,
        regions=[
            region("coal", price=0.05) | {"carbon_kg_per_kwh": 0.8},
            region("hydro", price=0.10) | {"carbon_kg_per_kwh": 0.02},
        ],
        sites=[site("dirty", region="coal"), site("clean", region="hydro")],
        hardware=[rack()],
    )


@pytest.mark.parametrize(
    ("price", "where", "expected", "carbon_usd"),
    [
        (0, "dirty", 1000 + 4380.0, 0.0),
        # 60 < 64.10: dirty, 1,000 + 4,380 + 60 × 70.08 = 9,584.8
        (60, "dirty", 1000 + 4380 + 4204.8, 4204.8),
        # 70 > 64.10: clean, 1,000 + 8,760 + 70 × 1.752 = 9,882.64
        (70, "clean", 1000 + 8760 + 122.64, 122.64),
    ],
)
def test_carbon_price_flips_the_site(tmp_path, price, where, expected, carbon_usd):
    assert 60 < FLIP < 70
    out = solve(tmp_path, two_sites(carbon_price_usd_per_t=price))
    assert cost(out) == approx(expected)
    assert set(out.tables["racks"]["site"]) == {where}
    assert category(out, "carbon") == approx(carbon_usd)
    if price == 0:  # no price: no carbon entry in the ledger at all
        assert not any(key[2] == "carbon" for key in out.model.costs.keys)


@pytest.mark.parametrize(
    ("overrides", "where", "expected"),
    [
        # the what-if at 70 everywhere: as the setting, clean, 9,882.64
        ((Override("carbon_price_usd_per_t", "*", "*", 70.0),), "clean", 9882.64),
        # 70 on region coal only: dirty costs 1,000 + 4,380 + 4,905.6 = 10,285.6, clean
        # 1,000 + 8,760 (hydro's carbon is free) = 9,760
        ((Override("carbon_price_usd_per_t", "coal", "region", 70.0),), "clean", 9760.0),
        # 70 on hydro only: the dirty site pays nothing, 5,380
        ((Override("carbon_price_usd_per_t", "hydro", "region", 70.0),), "dirty", 5380.0),
    ],
)
def test_carbon_price_what_if_by_region(tmp_path, overrides, where, expected):
    plan = read_plan(write_book(tmp_path / "plan.xlsx", two_sites()))
    scenario = Scenario("s", overrides)
    assert scenario.prices_only
    out = optimize(apply(plan, scenario), SolverOptions(mip_gap=0.0))
    assert cost(out) == approx(expected)
    assert set(out.tables["racks"]["site"]) == {where}
    # the same answer on the base case's model with the scenario's costs (what-if runs)
    reused = resolve_prices(plan, scenario, SolverOptions(mip_gap=0.0))
    assert reused is not None and cost(reused) == approx(expected)


def test_carbon_price_of_a_region_overrides_the_setting(tmp_path):
    """Setting 70 (clean would win), but region coal's own price is 0: dirty, 5,380."""
    sheets = two_sites(carbon_price_usd_per_t=70)
    sheets["regions"][0].append("carbon_price_usd_per_t")
    sheets["regions"][1].append(0)
    sheets["regions"][2].append(None)
    out = solve(tmp_path, sheets)
    assert cost(out) == approx(5380.0)
    assert set(out.tables["racks"]["site"]) == {"dirty"}


# --- the cap --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cap", "where", "expected"),
    [
        (80, "dirty", 5380.0),  # 70.08 t fits
        (50, "clean", 9760.0),  # a rack at dirty alone emits 70.08 t a year: clean
    ],
)
def test_cap(tmp_path, cap, where, expected):
    out = solve(tmp_path, two_sites(max_tco2e_per_year=cap))
    assert cost(out) == approx(expected)
    assert set(out.tables["racks"]["site"]) == {where}
    assert tonnes(out) <= cap


def test_cap_per_year_of_a_longer_plan(tmp_path):
    """Two years of quarters, cap 50 t a year: each year's four quarters together. At dirty
    the rack emits 70.08 t a year, so the plan is clean in both years: capex 1,000 + 2 ×
    8,760 energy = 18,520."""
    out = solve(tmp_path, two_sites(horizon_years=2, period="quarter", max_tco2e_per_year=50))
    assert cost(out) == approx(18520.0)
    assert list(out.model.CAP_YEARS) == [0, 1]


def test_cap_what_if(tmp_path):
    plan = read_plan(write_book(tmp_path / "plan.xlsx", two_sites()))
    (override,) = parse_sweep(plan, "max_tco2e_per_year=50")
    out = optimize(apply(plan, Scenario("s", (override,))), SolverOptions(mip_gap=0.0))
    assert cost(out) == approx(9760.0)


def test_infeasible_cap_is_diagnosed_in_words(tmp_path):
    """Cap 1 t; the least any plan emits is the clean rack's 1.752 t: the cap needs
    0.752 t more in 2027 (relaxing it costs less than dropping the demand)."""
    out = solve(tmp_path, two_sites(max_tco2e_per_year=1))
    assert out.solved.status == "infeasible"
    assert out.diagnosis == [
        "the cap needs 0.75 t CO2e more a year in 2027 (max_tco2e_per_year 1, a plan emits at "
        "least 1.75 t that year); the smallest change that gives a plan is max_tco2e_per_year "
        "1.75, or cleaner options for what emits most that year in that plan: site clean "
        "(energy) 1.75 t"
    ], out.diagnosis


def test_installed_racks_over_the_cap_are_found_before_solving(tmp_path):
    """An installed rack at dirty draws full power in any plan: 70.08 t > 50."""
    sheets = two_sites(max_tco2e_per_year=50)
    sheets["installed"] = rows({"site": "dirty", "rack_type": "r1", "racks": 1})
    out = solve(tmp_path, sheets)
    assert out.solved.status == "infeasible"
    assert any("installed" in line and "70 t CO2e" in line for line in out.diagnosis), out.diagnosis


# --- bad input ------------------------------------------------------------------------------


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("carbon_price_usd_per_t", -5, "carbon_price_usd_per_t"),
        ("max_tco2e_per_year", -1, "max_tco2e_per_year"),
    ],
)
def test_negative_price_or_cap_is_an_input_error(tmp_path, key, value, words):
    book = write_book(tmp_path / "plan.xlsx", two_sites(**{key: value}))
    result = run(book, "--check")
    assert result.exit_code == Exit.INPUT
    assert "settings" in result.output and words in result.output


def test_cap_without_any_figure_is_an_input_error(tmp_path):
    sheets = plan_sheets(
        [training(730)], settings={"max_tco2e_per_year": 100}, cloud=[offer("c", 1)]
    )
    book = write_book(tmp_path / "plan.xlsx", sheets)
    result = run(book, "--check")
    assert result.exit_code == Exit.INPUT
    assert "sheet 'settings', row" in result.output and "emission figures" in result.output
    plan = read_plan(
        write_book(tmp_path / "ok.xlsx", plan_sheets([training(730)], cloud=[offer("c", 1)]))
    )
    with pytest.raises(InputError, match="emission figures"):
        parse_sweep(plan, "max_tco2e_per_year=10")


def test_a_carbon_price_without_figures_is_said_to_change_nothing(tmp_path):
    sheets = plan_sheets(
        [training(730)], settings={"carbon_price_usd_per_t": 100}, cloud=[offer("c", 1)]
    )
    plan = read_plan(write_book(tmp_path / "plan.xlsx", sheets))
    assert any(w.sheet == "settings" and "changes nothing" in w.message for w in plan.warnings), (
        plan.warnings
    )


def test_cap_targets_the_whole_plan_only(tmp_path):
    plan = read_plan(write_book(tmp_path / "plan.xlsx", two_sites()))
    with pytest.raises(InputError, match="whole plan"):
        parse_sweep(plan, "max_tco2e_per_year@coal=10")
    with pytest.raises(InputError, match="matches no region"):
        parse_sweep(plan, "carbon_price_usd_per_t@dirty=10")


def test_default_cloud_power_is_the_catalog_s():
    """The defaults the tool applies are the sourced figures of the catalog."""
    import csv
    from pathlib import Path

    from optimizer.schema import DEFAULT_KW_PER_ACCELERATOR

    path = Path(__file__).resolve().parent.parent / "data" / "catalog" / "accelerator_power.csv"
    with open(path, newline="", encoding="utf-8") as f:
        catalog = {
            row["accelerator"]: float(row["kw_per_accelerator"]) for row in csv.DictReader(f)
        }
    assert catalog == DEFAULT_KW_PER_ACCELERATOR
