"""Magnitude warnings: each plausible range of optimizer/schema.py caught, in the words of
the unit to type, with the figure to type worked out by hand."""

from __future__ import annotations

import pytest
from conftest import set_cell, valid_sheets, write_book
from test_cli import run

from optimizer import read_plan
from optimizer.cli import Exit
from optimizer.schema import SETTINGS, SHEETS

# (sheet, row, column, value, the warning after "sheet ..., row ..., column ...: ")
# Rows are those of tests/conftest.py's VALID plan; settings rows are appended (row 4).
CASES = [
    (
        "settings",
        4,
        "intra_region_rtt_ms",
        5000,
        "intra_region_rtt_ms = 5,000 ms is more than "
        "1,000 ms; did you type microseconds? Type milliseconds: 5 for 5,000 µs",
    ),
    (
        "settings",
        4,
        "edge_rtt_ms",
        2000,
        "edge_rtt_ms = 2,000 ms is more than 1,000 ms; did you "
        "type microseconds? Type milliseconds: 2 for 2,000 µs",
    ),
    (
        "settings",
        4,
        "carbon_price_usd_per_t",
        50_000,
        "carbon_price_usd_per_t = 50,000 USD/t "
        "CO2e is more than 10,000 USD/t CO2e; check the unit (USD per tonne of CO2e)",
    ),
    (
        "settings",
        4,
        "max_tco2e_per_year",
        350_000_000,
        "max_tco2e_per_year = 350,000,000 t CO2e "
        "a year is more than 10,000,000 t CO2e a year; did you type kg? Type tonnes of CO2e a "
        "year: 350,000 for 350,000,000 kg CO2e a year",
    ),
    (
        "regions",
        2,
        "power_price_usd_per_kwh",
        45,
        "45 USD/kWh is more than 1 USD/kWh; did you "
        "type cents per kWh or USD per MWh? Type USD per kWh: 0.45 for 45 cents per kWh, 0.045 "
        "for 45 USD per MWh",
    ),
    (
        "regions",
        2,
        "carbon_kg_per_kwh",
        400,
        "400 kg CO2e/kWh is more than 2 kg CO2e/kWh; did "
        "you type grams? Type kg CO2e per kWh: 0.4 for 400 g CO2e per kWh",
    ),
    (
        "regions",
        2,
        "carbon_price_usd_per_t",
        20_000,
        "20,000 USD/t CO2e is more than 10,000 USD/t CO2e; check the unit (USD per tonne of CO2e)",
    ),
    (
        "latency",
        2,
        "rtt_ms",
        25_000,
        "25,000 ms is more than 1,000 ms; did you type "
        "microseconds? Type milliseconds: 25 for 25,000 µs",
    ),
    (
        "sites",
        2,
        "power_capacity_kw",
        5_000_000,
        "5,000,000 kW is more than 2,000,000 kW; did you type W? Type kW: 5,000 for 5,000,000 W",
    ),
    (
        "sites",
        2,
        "power_capacity_kw",
        2,
        "2 kW is less than 10 kW; did you type MW? Type kW: 2,000 for 2 MW",
    ),
    (
        "sites",
        2,
        "cooling_air_kw",
        3_000_000,
        "3,000,000 kW is more than 2,000,000 kW; did you type W? Type kW: 3,000 for 3,000,000 W",
    ),
    (
        "sites",
        2,
        "cooling_air_kw",
        1.5,
        "1.5 kW is less than 10 kW; did you type MW? Type kW: 1,500 for 1.5 MW",
    ),
    (
        "sites",
        2,
        "cooling_liquid_kw",
        2_500_000,
        "2,500,000 kW is more than 2,000,000 kW; did you type W? Type kW: 2,500 for 2,500,000 W",
    ),
    (
        "sites",
        2,
        "cooling_liquid_kw",
        0.8,
        "0.8 kW is less than 10 kW; did you type MW? Type kW: 800 for 0.8 MW",
    ),
    (
        "sites",
        2,
        "max_air_rack_kw",
        45_000,
        "45,000 kW is more than 500 kW; did you type W? Type kW: 45 for 45,000 W",
    ),
    (
        "sites",
        2,
        "max_air_rack_kw",
        0.045,
        "0.045 kW is less than 0.5 kW; did you type MW? Type kW: 45 for 0.045 MW",
    ),
    (
        "sites",
        2,
        "pue",
        120,
        "120 is more than 3; did you type a percentage? Type a ratio: 1.2 for 120 %",
    ),
    (
        "sites",
        2,
        "power_price_usd_per_kwh",
        120,
        "120 USD/kWh is more than 1 USD/kWh; did you "
        "type cents per kWh or USD per MWh? Type USD per kWh: 1.2 for 120 cents per kWh, 0.12 for "
        "120 USD per MWh",
    ),
    (
        "sites",
        2,
        "carbon_kg_per_kwh",
        350,
        "350 kg CO2e/kWh is more than 2 kg CO2e/kWh; did "
        "you type grams? Type kg CO2e per kWh: 0.35 for 350 g CO2e per kWh",
    ),
    (
        "sites",
        2,
        "build_cost_usd",
        5,
        "5 USD is less than 1,000 USD; did you type thousands or "
        "millions of USD? Type USD: 5,000 for 5 thousand USD, 5,000,000 for 5 million USD",
    ),
    (
        "sites",
        2,
        "fixed_opex_usd_per_year",
        400,
        "400 USD a year is less than 1,000 USD a year; "
        "did you type thousands or millions of USD? Type USD a year: 400,000 for 400 thousand USD "
        "a year, 400,000,000 for 400 million USD a year",
    ),
    (
        "accelerators",
        2,
        "training_speed",
        250,
        "250 is more than 20; did you type a percentage? Type a ratio to an H100: 2.5 for 250 %",
    ),
    (
        "performance",
        2,
        "tokens_per_second",
        1_656_000,
        "1,656,000 tokens/s is more than "
        "200,000 tokens/s; did you type tokens a minute or an hour? Type tokens a second: 27,600 "
        "for 1,656,000 tokens a minute, 460 for 1,656,000 tokens an hour",
    ),
    (
        "hardware",
        2,
        "it_power_kw",
        40_800,
        "40,800 kW is more than 500 kW; did you type W? Type kW: 40.8 for 40,800 W",
    ),
    (
        "hardware",
        2,
        "it_power_kw",
        0.0408,
        "0.0408 kW is less than 0.5 kW; did you type MW? Type kW: 40.8 for 0.0408 MW",
    ),
    (
        "hardware",
        2,
        "capex_usd",
        1.2,
        "1.2 USD is less than 1,000 USD; did you type thousands "
        "or millions of USD? Type USD: 1,200 for 1.2 thousand USD, 1,200,000 for 1.2 million USD",
    ),
    (
        "hardware",
        2,
        "opex_usd_per_year",
        60,
        "60 USD a year is less than 100 USD a year; did "
        "you type thousands or millions of USD? Type USD a year: 60,000 for 60 thousand USD a "
        "year, 60,000,000 for 60 million USD a year",
    ),
    (
        "hardware",
        2,
        "lifetime_years",
        60,
        "60 years is more than 30 years; did you type months? Type years: 5 for 60 months",
    ),
    (
        "hardware",
        2,
        "embodied_kg_co2e",
        30,
        "30 kg CO2e is less than 100 kg CO2e; did you "
        "type tonnes? Type kg CO2e: 30,000 for 30 t CO2e",
    ),
    (
        "cloud",
        2,
        "price_usd_per_accelerator_hour",
        2190,
        "2,190 USD per accelerator-hour is "
        "more than 100 USD per accelerator-hour; did you type USD a month? Type USD per "
        "accelerator-hour: 3 for 2,190 USD a month",
    ),
    (
        "cloud",
        3,
        "term_years",
        36,
        "36 years is more than 10 years; did you type months? Type years: 3 for 36 months",
    ),
    (
        "cloud",
        2,
        "kw_per_accelerator",
        700,
        "700 kW is more than 10 kW; did you type W? Type kW: 0.7 for 700 W",
    ),
    (
        "apis",
        2,
        "price_usd_per_mtok",
        2500,
        "2,500 USD per million tokens is more than 1,000 "
        "USD per million tokens; check the unit (USD per million tokens)",
    ),
    (
        "apis",
        2,
        "price_usd_per_mtok",
        0.0025,
        "0.0025 USD per million tokens is less than 0.01 "
        "USD per million tokens; did you type USD per thousand tokens or per token? Type USD per "
        "million tokens: 2.5 for 0.0025 USD per thousand tokens, 2,500 for 0.0025 USD per token",
    ),
    (
        "apis",
        2,
        "max_mtok_per_day",
        5e9,
        "5,000,000,000 million tokens a day is more than "
        "1,000,000 million tokens a day; did you type tokens? Type millions of tokens a day: "
        "5,000 for 5,000,000,000 tokens a day",
    ),
    (
        "apis",
        2,
        "kg_co2e_per_mtok",
        270,
        "270 kg CO2e per million tokens is more than 100 kg "
        "CO2e per million tokens; did you type grams? Type kg CO2e per million tokens: 0.27 for "
        "270 g CO2e per million tokens",
    ),
    (
        "edge",
        2,
        "capex_usd",
        8,
        "8 USD is less than 100 USD; did you type thousands or "
        "millions of USD? Type USD: 8,000 for 8 thousand USD, 8,000,000 for 8 million USD",
    ),
    (
        "edge",
        2,
        "power_kw",
        200,
        "200 kW is more than 50 kW; did you type W? Type kW: 0.2 for 200 W",
    ),
    # the issue's slip: a chatbot's 2,000 million tokens a day typed in tokens
    (
        "workloads",
        2,
        "demand",
        2e9,
        "2,000,000,000 million tokens a day is more than 1,000,000 "
        "million tokens a day; did you type tokens? Type millions of tokens a day: 2,000 for "
        "2,000,000,000 tokens a day",
    ),
    (
        "workloads",
        3,
        "demand",
        2e8,
        "200,000,000 H100-hours a month is more than 100,000,000 "
        "H100-hours a month; check the unit (H100-hours a month)",
    ),
    (
        "workloads",
        2,
        "growth_per_year",
        50,
        "50 is more than 10; did you type a percentage? Type a fraction a year: 0.5 for 50 %",
    ),
    (
        "workloads",
        2,
        "peak_factor",
        150,
        "150 is more than 20; did you type a percentage? Type a ratio: 1.5 for 150 %",
    ),
    (
        "workloads",
        2,
        "max_latency_ms",
        50_000,
        "50,000 ms is more than 10,000 ms; did you type "
        "microseconds? Type milliseconds: 50 for 50,000 µs",
    ),
    (
        "scenarios",
        2,
        "value",
        150,
        "150 is more than 100; did you type a percentage? Type a multiplier: 1.5 for 150 %",
    ),
]
# demand in requests: (row 2 in requests_per_second or _minute with 1,000 tokens a request)
REQUEST_CASES = [
    (
        "requests_per_second",
        864_000,
        "864,000 requests a second is more than 100,000 requests "
        "a second; did you type requests a day? Type requests a second: 10 for 864,000 requests a "
        "day",
    ),
    (
        "requests_per_minute",
        8_640_000,
        "8,640,000 requests a minute is more than 6,000,000 "
        "requests a minute; did you type requests a day? Type requests a minute: 6,000 for "
        "8,640,000 requests a day",
    ),
]


def _sheets_with(sheet: str, row: int, column: str, value: object):
    sheets = valid_sheets()
    # every emission figure, so that a cap is allowed and no blank figure is warned about
    for r in (2, 3, 4):
        set_cell(sheets, "regions", r, "carbon_kg_per_kwh", 0.3)
    set_cell(sheets, "apis", 2, "kg_co2e_per_mtok", 0.27)
    if column == "it_power_kw":  # an air rack of 40,800 kW would not fit the installed site
        set_cell(sheets, "hardware", 2, "cooling", "liquid")
    if sheet == "settings":
        sheets["settings"].append([column, value])
    else:
        set_cell(sheets, sheet, row, column, value)
    return sheets


def _warnings(tmp_path, sheets) -> list[str]:
    return [str(w) for w in read_plan(write_book(tmp_path / "plan.xlsx", sheets)).warnings]


@pytest.mark.parametrize("sheet, row, column, value, message", CASES)
def test_each_slip_is_said_in_the_unit_to_type(tmp_path, sheet, row, column, value, message):
    warnings = _warnings(tmp_path, _sheets_with(sheet, row, column, value))
    where = f"sheet '{sheet}', row {row}, column '{'value' if sheet == 'settings' else column}'"
    assert warnings == [f"{where}: {message}"]


@pytest.mark.parametrize("unit, value, message", REQUEST_CASES)
def test_requests_out_of_range(tmp_path, unit, value, message):
    sheets = _sheets_with("workloads", 2, "demand", value)
    set_cell(sheets, "workloads", 2, "demand_unit", unit)
    set_cell(sheets, "workloads", 2, "tokens_per_request", 1000)
    assert _warnings(tmp_path, sheets) == [f"sheet 'workloads', row 2, column 'demand': {message}"]


def test_a_scenario_price_has_its_column_range(tmp_path):
    sheets = _sheets_with("scenarios", 3, "parameter", "power_price_usd_per_kwh")
    set_cell(sheets, "scenarios", 3, "target", "*")
    set_cell(sheets, "scenarios", 3, "value", 80)
    assert _warnings(tmp_path, sheets) == [
        "sheet 'scenarios', row 3, column 'value': 80 USD/kWh is more than 1 USD/kWh; did you "
        "type cents per kWh or USD per MWh? Type USD per kWh: 0.8 for 80 cents per kWh, 0.08 "
        "for 80 USD per MWh"
    ]


def test_tokens_per_request_out_of_range(tmp_path):
    sheets = _sheets_with("workloads", 2, "demand", 10)
    set_cell(sheets, "workloads", 2, "demand_unit", "requests_per_second")
    set_cell(sheets, "workloads", 2, "tokens_per_request", 3_000_000)
    assert _warnings(tmp_path, sheets) == [
        "sheet 'workloads', row 2, column 'tokens_per_request': 3,000,000 tokens a request is "
        "more than 2,000,000 tokens a request; check the unit (tokens a request)"
    ]


def test_every_declared_range_has_a_case():
    """Each bound in the schema (column, side, demand_unit) has a case above."""
    declared = set()
    for sheet, columns in [("settings", SETTINGS), *((s.name, s.columns) for s in SHEETS)]:
        for c in columns:
            for p in c.plausible:
                for side in ("above", "below"):
                    if getattr(p, side) is not None:
                        declared.add((sheet, c.name, side, p.demand_unit))
    units = {2: "mtok_per_day", 3: "h100_hours_per_month"}
    covered = {
        (s, c, "above" if "more than" in m else "below", units[r] if c == "demand" else None)
        for s, r, c, _, m in CASES
    }
    covered |= {("workloads", "demand", "above", unit) for unit, _, _ in REQUEST_CASES}
    covered |= {("workloads", "tokens_per_request", "above", None)}
    assert declared - covered == set()


def test_the_issue_slip_is_listed_by_check(tmp_path):
    """2,000,000,000 typed for a chatbot's 2,000 million tokens a day: --check says so."""
    sheets = valid_sheets()
    set_cell(sheets, "workloads", 2, "demand", 2e9)
    result = run(write_book(tmp_path / "plan.xlsx", sheets), "--check")
    assert result.exit_code == Exit.OK
    assert "did you type tokens? Type millions of tokens a day: 2,000 for" in result.output
    assert "(1 warnings)" in result.output
