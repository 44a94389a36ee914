"""Stable placement: the second pass against plans worked out by hand (shorthands of
test_model.py: one accelerator-hour per million tokens, years of 365 days)."""

from __future__ import annotations

from test_model import api, approx, inference, plan_sheets, solve


def _two_periods(**settings: object) -> dict:
    return {"horizon_years": 2} | settings


def test_two_equally_cheap_options_keep_each_workload_on_one(tmp_path):
    """a and b, 10 Mtok/day each for two years, on two APIs at 1 USD/Mtok (x takes at most
    10 Mtok/day): every split costs 2 × 2 × 3,650 = 14,600 USD, and the stable plan moves
    nothing: each workload on one API in both years."""
    sheets = plan_sheets(
        [inference(10, name="a"), inference(10, name="b")],
        settings=_two_periods(),
        apis=[api("x", 1.0, max_mtok_per_day=10), api("y", 1.0)],
    )
    out = solve(tmp_path, sheets)
    assert out.solved.status == "optimal" and out.solved.certificate.holds
    assert out.solved.objective == approx(14600.0)
    assert out.tables["summary"]["moves"].iloc[0] == approx(0.0)
    a = out.tables["assignments"]
    for w in ("a", "b"):
        rows = a[a["workload"] == w]
        assert rows["location"].nunique() == 1, rows
        assert rows["share"].tolist() == [approx(1.0), approx(1.0)]


def test_a_move_the_costs_call_for_is_kept_and_counted(tmp_path):
    """chat grows from 10 to 20 Mtok/day; api x (1 USD/Mtok) takes 10 a day, y costs 2.
    Year 0 all on x (3,650 USD); year 1 half on x, half on y (3,650 + 7,300): 14,600 USD,
    and half of chat's demand moves to y in year 1: moves 0.5."""
    sheets = plan_sheets(
        [inference(10, growth_per_year=1.0)],
        settings=_two_periods(),
        apis=[api("x", 1.0, max_mtok_per_day=10), api("y", 2.0)],
    )
    out = solve(tmp_path, sheets)
    assert out.solved.objective == approx(14600.0)
    assert out.tables["summary"]["moves"].iloc[0] == approx(0.5)
    a = out.tables["assignments"].set_index(["period", "location"])
    assert a.loc[(1, "y"), "moves"] == approx(0.5)
    assert a.loc[(1, "x"), "moves"] == approx(0.0)
    assert a.loc[(0, "x"), "moves"] == approx(0.0)


def test_the_setting_turns_it_off(tmp_path):
    sheets = plan_sheets(
        [inference(10, name="a"), inference(10, name="b")],
        settings=_two_periods(stable_placement="no"),
        apis=[api("x", 1.0, max_mtok_per_day=10), api("y", 1.0)],
    )
    out = solve(tmp_path, sheets)
    assert out.stable is None and "stable_seconds" not in out.timings
    assert out.solved.objective == approx(14600.0)
