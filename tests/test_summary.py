"""The terminal summary: every period of the racks table or an explicit "every n-th", and
the rack type beside an on-prem placement."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from conftest import valid_sheets, write_book
from rich.console import Console

from optimizer import read_plan
from optimizer.cli.summary import _racks_table, _workloads_table, periods_that_fit


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    return read_plan(write_book(tmp_path_factory.mktemp("p") / "plan.xlsx", valid_sheets()))


def _text(table, width: int) -> str:
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(table)
    return console.export_text()


@pytest.mark.parametrize(
    "fit, shown, note",
    [
        (12, list(range(12)), ""),
        (7, [0, 2, 4, 6, 8, 10, 11], "other"),  # every 2nd: 6 periods and the last
        (5, [0, 3, 6, 9, 11], "3rd"),  # every 2nd would need 7 columns; every 3rd needs 5
        (4, [0, 4, 8, 11], "4th"),
        (1, [0, 11], "11th"),  # never fewer than the first and the last
    ],
)
def test_periods_that_fit(fit, shown, note):
    assert periods_that_fit(list(range(12)), fit) == (shown, note)


def _racks(plan) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"site": "oslo", "rack_type": "h100-air", "period": t, "installed": t}
            for t in plan.periods["period"]
        ]
    )


def test_the_racks_table_shows_every_period_when_it_fits(plan):
    text = _text(_racks_table(plan, _racks(plan), 200), 200)
    assert "Racks installed per site, every quarter" in text
    assert all(label in text for label in plan.periods["label"])


def test_the_racks_table_says_which_periods_it_shows(plan):
    # 1 + (3 + 4 "site") + (3 + 9 "rack type") = 20 characters, then 10 a period:
    # 70 characters hold 5 periods, so every 3rd quarter and the last (0, 3, 6, 9, 11)
    text = _text(_racks_table(plan, _racks(plan), 70), 70)
    assert "every 3rd quarter and the last (racks.csv has every quarter)" in " ".join(text.split())
    shown = [label for label in plan.periods["label"] if label in text]
    assert shown == ["2027-Q1", "2027-Q4", "2028-Q3", "2029-Q2", "2029-Q4"]


def test_placements_name_the_rack_type(plan):
    assignments = pd.DataFrame(
        [
            ("chat", 0, "onprem", "oslo", "h100-air", 0.43),
            ("chat", 0, "onprem", "oslo", "b200-liquid", 0.567),
            ("chat", 0, "api", "tok", None, 0.003),
        ],
        columns=["workload", "period", "environment", "location", "rack_type", "share"],
    )
    text = " ".join(_text(_workloads_table(plan, assignments), 300).split())
    assert "onprem oslo h100-air 43%, onprem oslo b200-liquid 57%, api tok <1%" in text
