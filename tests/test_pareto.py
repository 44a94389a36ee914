"""The cost–carbon frontier (--pareto) against a frontier worked out by hand.

The shorthands of test_model.py hold: one year in one period of 8,760 h, racks of one
H100 drawing 10 kW when busy and nothing idle (idle_power_fraction 0), PUE 1, 1,000 USD a
rack; one training workload of 8,760 H100-hours a year (730 a month), which one rack
serves, or two racks sharing it in any proportion.

Site dirty (coal: 0.05 USD/kWh, 0.8 kg/kWh) or clean (hydro: 0.10 USD/kWh, 0.02 kg/kWh).
The work is 87,600 kWh: at dirty 4,380 USD and 70.08 t, at clean 8,760 USD and 1.752 t.

- point-1, cost-minimal: one rack at dirty, 1,000 + 4,380 = 5,380 USD, 70.08 t.
- point-5, carbon-minimal: one rack at clean, 1,000 + 8,760 = 9,760 USD, 1.752 t.
- between, ε = 70.08 − k · 68.328 / 4 = 52.998, 35.916, 18.834 t: a rack at each site,
  dirty doing a share f with 1.752 + 68.328 f ≤ ε, so f = 0.75, 0.5, 0.25, costing
  2,000 + 4,380 f + 8,760 (1 − f) = 10,760 − 4,380 f = 7,475, 8,570, 9,665 USD (all below
  one clean rack's 9,760).
- abatement from the point before: 2,095 / 17.082 = 122.64, then 1,095 / 17.082 =
  64.10 twice (the carbon price at which one rack flips from dirty to clean,
  4,380 / 68.328, test_carbon.py), then 95 / 17.082 = 5.56 USD/t.
"""

from __future__ import annotations

import re

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import write_book
from test_carbon import two_sites
from test_model import approx, offer, plan_sheets, training

from optimizer import read_plan
from optimizer.cli import Exit, main
from optimizer.pareto import SLACK, epsilons, frontier, pareto_table
from optimizer.solve import SolverOptions

OPTIONS = SolverOptions(mip_gap=0.0, time_limit_s=60.0)
STEP = 68.328 / 4
HAND = [
    # point, t CO2e, USD, abatement USD/t, epsilon t
    ("point-1", 70.08, 5380.0, None, None),
    ("point-2", 70.08 - STEP, 7475.0, 2095 / STEP, 70.08 - STEP),
    ("point-3", 70.08 - 2 * STEP, 8570.0, 1095 / STEP, 70.08 - 2 * STEP),
    ("point-4", 70.08 - 3 * STEP, 9665.0, 1095 / STEP, 70.08 - 3 * STEP),
    ("point-5", 1.752, 9760.0, 95 / STEP, 1.752 * (1 + SLACK) + SLACK),
]


def split_sheets():
    sheets = two_sites()
    header = sheets["hardware"][0]
    header.append("idle_power_fraction")
    sheets["hardware"][1].append(0)
    return sheets


@pytest.fixture(scope="module")
def split_plan(tmp_path_factory):
    return read_plan(write_book(tmp_path_factory.mktemp("pareto") / "plan.xlsx", split_sheets()))


def same(value: float | None, expected: float | None) -> bool:
    if expected is None:
        return value is None or pd.isna(value)
    return value == approx(expected)


def test_frontier_by_hand(split_plan, cluster_address):
    result = frontier(split_plan, 5, OPTIONS, cluster_address)
    table = result.tables["pareto"]
    assert list(table["point"]) == [row[0] for row in HAND]
    assert list(table["status"]) == ["optimal"] * 5
    for got, (_, tonnes, usd, abatement, epsilon) in zip(
        table.to_dict("records"), HAND, strict=True
    ):
        assert got["tco2e"] == approx(tonnes), got
        assert got["objective_usd"] == approx(usd), got
        assert got["total_cost_usd"] == approx(usd), got  # no discounting in one year
        assert same(got["abatement_usd_per_t"], abatement), got
        assert same(got["epsilon_tco2e"], epsilon), got
    # every point certified, its decisions under its own name
    assert all(run.solved.certificate.holds for run in result.runs)
    decisions = result.tables["decisions"].dropna(subset=["rack_type"])
    racks = decisions.groupby("scenario")["site"].apply(set).to_dict()
    assert racks == {
        "point-1": {"dirty"},
        "point-2": {"dirty", "clean"},
        "point-3": {"dirty", "clean"},
        "point-4": {"dirty", "clean"},
        "point-5": {"clean"},
    }
    assert set(result.tables["summary"]["scenario"]) == set(table["point"])
    assert set(result.tables["emissions"]["scenario"]) == set(table["point"])


def test_the_same_frontier_in_any_order(split_plan, cluster_address):
    """Three points: the middle at ε = 35.916 t, 8,570 USD; solved twice, the same."""
    first = frontier(split_plan, 3, OPTIONS, cluster_address).tables["pareto"]
    again = frontier(split_plan, 3, OPTIONS, cluster_address).tables["pareto"]
    pd.testing.assert_frame_equal(first, again)
    assert list(first["objective_usd"]) == [approx(5380.0), approx(8570.0), approx(9760.0)]


def test_carbon_minimal_end_is_not_dominated(tmp_path, cluster_address):
    """Idle draw 1 (test_carbon.py's plan) and a second rack type r2, the same but 5,000
    USD: below 70.08 t only one clean rack is possible (two racks both emit all year), and
    r1 and r2 at clean emit the same 1.752 t. The carbon-minimal end is the r1 rack
    (9,760 USD), not r2 (13,760): the lexicographic second solve picks the cheapest plan
    at the least emissions. The middle point (ε = 35.916 t) is the same plan."""
    sheets = two_sites()
    sheets["hardware"].append([*sheets["hardware"][1]])
    sheets["hardware"][2][0] = "r2"
    sheets["hardware"][2][sheets["hardware"][0].index("capex_usd")] = 5000
    plan = read_plan(write_book(tmp_path / "plan.xlsx", sheets))
    result = frontier(plan, 3, OPTIONS, cluster_address)
    table = result.tables["pareto"]
    assert list(table["objective_usd"]) == [approx(5380.0), approx(9760.0), approx(9760.0)]
    assert list(table["tco2e"]) == [approx(70.08), approx(1.752), approx(1.752)]
    assert set(result.tables["decisions"]["rack_type"].dropna()) == {"r1"}
    # the abatement from point-1 is the flip price; none between two equal points
    assert table["abatement_usd_per_t"].iloc[1] == approx(4380 / 68.328)
    assert pd.isna(table["abatement_usd_per_t"].iloc[2])


def test_no_trade_off_gives_the_two_ends():
    assert epsilons(10.0, 10.0, 5) == []
    assert epsilons(10.0, 2.0, 5) == [8.0, 6.0, 4.0]
    assert epsilons(10.0, 2.0, 2) == []


def test_pareto_table_skips_points_without_a_plan():
    """A point that failed keeps its row (status failed, no figures); the abatement of
    the next one is taken from the last point with a plan."""
    from optimizer.compare import ScenarioRun
    from optimizer.scenarios import Scenario
    from optimizer.solve import Solved

    def run(name: str, tonnes: float, usd: float) -> ScenarioRun:
        solved = Solved("optimal", "Optimal", usd, usd, 0.0, 0.0, 0.0)
        summary = pd.DataFrame([{"tco2e": tonnes, "objective_usd": usd, "total_cost_usd": usd}])
        return ScenarioRun(Scenario(name), solved, {"summary": summary})

    runs = [run("point-1", 10, 100), ScenarioRun(Scenario("point-2"), None), run("point-3", 6, 300)]
    table = pareto_table(runs, {"point-1": None, "point-2": 8.0, "point-3": 6.0})
    assert list(table["status"]) == ["optimal", "failed", "optimal"]
    assert pd.isna(table["tco2e"].iloc[1])
    assert table["abatement_usd_per_t"].iloc[2] == approx(50.0)  # 200 USD / 4 t


# --- the command line -----------------------------------------------------------------------


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_pareto_writes_the_frontier(tmp_path, cluster_address):
    book = write_book(tmp_path / "plan.xlsx", split_sheets())
    out = tmp_path / "out"
    options = ("--pareto-points", 3, "--out", out, "--scheduler", cluster_address)
    result = run(book, "--pareto", *options)
    assert result.exit_code == Exit.OK, result.output
    table = pd.read_csv(out / "pareto.csv")
    assert list(table["objective_usd"]) == [approx(5380.0), approx(8570.0), approx(9760.0)]
    decisions = pd.read_csv(out / "decisions.csv")
    assert set(decisions["scenario"]) == {"point-1", "point-2", "point-3"}
    for name in ("summary", "costs", "emissions", "racks", "report"):
        assert any(p.name.startswith(name) for p in out.iterdir()), name
    # report.html: the frontier as a chart and a table, abatement (8,570 − 5,380) / (70.08 −
    # 35.916) = 93.37 and (9,760 − 8,570) / 34.164 = 34.83 USD/t; point-1's emissions
    page = (out / "report.html").read_text(encoding="utf-8")
    section = page[page.index("<h2>Cost–carbon frontier</h2>") :]
    section = section[: section.index("<h2>", 5)]
    assert "<svg" in section and "t CO2e over the horizon" in section
    assert "93.37" in section and "34.83" in section and "point-3" in section
    assert "Emissions over the horizon" in page and ">70</div>" in page
    # results.xlsx: the pareto sheet, a native scatter chart of the frontier and its data
    book = openpyxl.load_workbook(out / "results.xlsx")
    assert "pareto" in book.sheetnames
    assert "ScatterChart" in [type(c).__name__ for c in book["charts"]._charts]
    data = [row[0] for row in book["chart_data"].iter_rows(values_only=True)]
    assert "Cost–carbon frontier (pareto.csv)" in data
    assert "Emissions by environment per scenario, t CO2e over the horizon" in data


def test_every_report_shows_emissions(tmp_path):
    """A plain run of the dirty site (70.08 t, all on-prem): the headline's emission cards
    and an emissions chart in results.xlsx."""
    from optimizer.cli import run_info
    from optimizer.report import write_reports
    from optimizer.run import optimize

    path = write_book(tmp_path / "plan.xlsx", two_sites())
    plan = read_plan(path)
    outcome = optimize(plan, OPTIONS)
    (tmp_path / "out").mkdir()
    write_reports(tmp_path / "out", outcome.tables, run_info(path, plan, OPTIONS, outcome))
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    cards = page[page.index("Emissions over the horizon") :]
    cards = cards[: cards.index("</div>\n</div>\n", cards.index("edge"))]
    assert re.findall(r'<div class="v">([^<]*)</div>', cards) == ["70", "70", "0", "0", "0"]
    assert "Cost–carbon frontier" not in page
    book = openpyxl.load_workbook(tmp_path / "out" / "results.xlsx")
    data = [row[0] for row in book["chart_data"].iter_rows(values_only=True)]
    assert "Emissions by environment per scenario, t CO2e over the horizon" in data


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--pareto", "--pareto-points", 1), "--pareto-points"),
        (("--pareto-points", 3), "--pareto-points"),
        (("--pareto", "--sweep", "demand_multiplier=1,2"), "--pareto"),
        (("--pareto", "--robust"), "--pareto"),
    ],
)
def test_bad_pareto_options(tmp_path, args, words):
    book = write_book(tmp_path / "plan.xlsx", split_sheets())
    result = run(book, *args, "--out", tmp_path / "out")
    assert result.exit_code == Exit.INPUT, result.output
    assert words in result.output
    assert not (tmp_path / "out").exists()


def test_pareto_without_emission_figures(tmp_path):
    sheets = plan_sheets([training(730)], cloud=[offer("c", 1)])
    book = write_book(tmp_path / "plan.xlsx", sheets)
    result = run(book, "--pareto", "--out", tmp_path / "out")
    assert result.exit_code == Exit.INPUT, result.output
    assert "--pareto" in result.output and "emission figures" in result.output
