"""Inference demand in requests a second or a minute, with tokens_per_request: converted
exactly to million tokens a day, and every contradiction an error naming the cell."""

from __future__ import annotations

import pytest
from conftest import set_cell, valid_sheets, write_book

from optimizer import read_plan
from optimizer.errors import InputError
from optimizer.run import optimize
from optimizer.solve import SolverOptions
from optimizer.workbook_checks import mtok_per_day


def _chat_in(sheets, unit: str, demand: float, tokens: float | None) -> None:
    set_cell(sheets, "workloads", 2, "demand", demand)
    set_cell(sheets, "workloads", 2, "demand_unit", unit)
    set_cell(sheets, "workloads", 2, "tokens_per_request", tokens)


@pytest.mark.parametrize(
    "requests, unit, tokens, expected",
    [
        # 30 a second x 86,400 s x 1,500 tokens = 3,888,000,000 tokens a day
        (30, "requests_per_second", 1500, 3888.0),
        # 90 a minute x 1,440 min x 1,000 tokens = 129,600,000 tokens a day
        (90, "requests_per_minute", 1000, 129.6),
        # 0.1 a second x 86,400 x 3 = 25,920 tokens: 0.02592, where 0.1 * 86400 * 3 / 1e6
        # in floats gives 0.025920000000000002
        (0.1, "requests_per_second", 3, 0.02592),
    ],
)
def test_requests_convert_exactly(requests, unit, tokens, expected):
    assert mtok_per_day(requests, unit, tokens) == expected


def test_a_plan_in_requests_is_the_plan_in_tokens(tmp_path):
    """The same plan, its chat workload stated once as 40.5 million tokens a day and once
    as 15 requests a second of 31.25 tokens (15 x 31.25 x 86,400 / 1e6 = 40.5): the same
    optimum. (The qc workload, which has no option in the test plan, is left out.)"""
    in_tokens, in_requests = valid_sheets(), valid_sheets()
    for sheets in (in_tokens, in_requests):
        del sheets["workloads"][3]
    set_cell(in_tokens, "workloads", 2, "demand", 40.5)
    _chat_in(in_requests, "requests_per_second", 15, 31.25)
    a = read_plan(write_book(tmp_path / "tokens.xlsx", in_tokens))
    b = read_plan(write_book(tmp_path / "requests.xlsx", in_requests))
    assert b.workloads.loc[0, "demand"] == 40.5
    assert b.workloads.loc[0, "demand_unit"] == "mtok_per_day"
    assert b.warnings == []
    solved_a = optimize(a, SolverOptions()).solved
    solved_b = optimize(b, SolverOptions()).solved
    assert solved_b.status == "optimal"
    assert solved_b.objective == pytest.approx(solved_a.objective, rel=1e-9)


@pytest.mark.parametrize(
    "row, unit, demand, tokens, message",
    [
        (
            2,
            "requests_per_second",
            30,
            None,
            "sheet 'workloads', row 2, column 'tokens_per_request': demand in "
            "requests_per_second needs the tokens of one request (prompt and answer) here",
        ),
        (
            2,
            "mtok_per_day",
            50,
            1500,
            "sheet 'workloads', row 2, column 'tokens_per_request': given with demand in "
            "mtok_per_day, which has no requests: clear it, or give demand in "
            "requests_per_second or requests_per_minute",
        ),
        (
            3,
            "requests_per_minute",
            30,
            1500,
            "sheet 'workloads', row 3, column 'demand_unit': demand in requests is for "
            "inference; a training workload's demand is in h100_hours_per_month",
        ),
    ],
)
def test_contradictions_name_the_cell(tmp_path, row, unit, demand, tokens, message):
    sheets = valid_sheets()
    set_cell(sheets, "workloads", row, "demand", demand)
    set_cell(sheets, "workloads", row, "demand_unit", unit)
    set_cell(sheets, "workloads", row, "tokens_per_request", tokens)
    with pytest.raises(InputError) as info:
        read_plan(write_book(tmp_path / "plan.xlsx", sheets))
    assert [str(p) for p in info.value.problems] == [message]
