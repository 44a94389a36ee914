"""read_plan on valid workbooks: types, defaults, ids, periods, derived values."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import openpyxl
import pytest
from conftest import set_cell, valid_sheets, write_book

from optimizer import InputError, read_plan
from optimizer.plan import Settings, period_table


def test_valid_plan_reads_with_defaults(book):
    plan = read_plan(book())
    assert plan.warnings == []
    assert plan.settings == Settings()
    sites = plan.sites.set_index("site")
    assert sites.loc["oslo", "max_air_rack_kw"] == 45
    assert sites.loc["austin", "build_lead_periods"] == 0
    assert bool(sites.loc["austin", "existing"]) is True
    assert sites.loc["oslo", "fixed_opex_usd_per_year"] == 0.0
    hw = plan.hardware.set_index("rack_type")
    assert hw.loc["h100-air", "idle_power_fraction"] == 1.0
    assert hw.loc["h100-air", "lead_time_periods"] == 0
    w = plan.workloads.set_index("workload")
    assert list(w["interruptible"]) == [False, True, False]  # by kind when blank
    assert list(w["allow_cloud"]) == [True, True, True]
    assert list(w["allow_edge"]) == [False, False, False]
    assert list(w["peak_factor"]) == [1.0, 1.0, 1.0]
    assert list(w["start_period"]) == [0, 0, 0]
    assert list(w["end_period"]) == [11, 11, 11]
    assert plan.scenarios["target_kind"].tolist() == ["region", "provider"]


def test_ids_are_text_and_kept_exactly(book):
    sheets = valid_sheets()
    sheets["regions"].append(["0123", "EU", 0.1])
    sheets["regions"].append([42, "EU", 0.1])
    sheets["regions"].append(["eu west (ireland) €", "EU", 0.1])
    plan = read_plan(book(sheets))
    assert plan.regions["region"].tolist()[-3:] == ["0123", "42", "eu west (ireland) €"]
    assert all(isinstance(r, str) for r in plan.regions["region"])


def test_yes_no_spellings(book):
    sheets = valid_sheets()
    for row, value in zip((2, 3, 4), ("TRUE", 1, "Yes"), strict=True):
        set_cell(sheets, "workloads", row, "sensitive", value)
    set_cell(sheets, "workloads", 2, "allow_api", False)
    set_cell(sheets, "workloads", 3, "allow_api", "0")
    set_cell(sheets, "workloads", 4, "allow_api", "no")
    plan = read_plan(book(sheets))
    assert plan.workloads["sensitive"].tolist() == [True, True, True]
    assert plan.workloads["allow_api"].tolist() == [False, False, False]


def test_column_order_blank_rows_and_extra_columns(book, tmp_path):
    sheets = valid_sheets()
    header, *rows = sheets["regions"]
    sheets["regions"] = [[*header[::-1], "notes"]]
    for r in rows:
        sheets["regions"] += [[*r[::-1], "x"], [None, None, None, None]]
    plan = read_plan(book(sheets))
    assert plan.regions["region"].tolist() == ["no-south", "us-texas", "eu-west"]
    assert [str(w) for w in plan.warnings] == [
        "sheet 'regions', row 1, column 'notes': unknown column, ignored"
    ]


def test_optional_sheets_may_be_missing(book):
    sheets = valid_sheets()
    for name in (
        "settings",
        "latency",
        "sites",
        "hardware",
        "installed",
        "cloud",
        "apis",
        "edge",
        "scenarios",
    ):
        del sheets[name]
    plan = read_plan(book(sheets))
    assert plan.sites.empty and plan.cloud.empty and plan.scenarios.empty
    assert list(plan.sites.columns)[:3] == ["site", "region", "power_capacity_kw"]


@pytest.mark.parametrize(
    ("period", "years", "n", "hours", "labels"),
    [
        ("quarter", 3, 12, 2190.0, ("2027-Q1", "2029-Q4")),
        ("month", 3, 36, 730.0, ("2027-01", "2029-12")),
        ("year", 3, 3, 8760.0, ("2027", "2029")),
        ("year", 2.5, 3, 8760.0, ("2027", "2029")),
        ("quarter", 1.1, 5, 2190.0, ("2027-Q1", "2028-Q1")),
    ],
)
def test_periods(period, years, n, hours, labels):
    table = period_table(Settings(period=period, horizon_years=years))
    assert len(table) == n
    assert set(table["hours"]) == {hours}
    assert (table["label"].iloc[0], table["label"].iloc[-1]) == labels
    assert table["period_start"].iloc[0] == dt.date(2027, 1, 1)
    assert table["years_from_start"].iloc[1] == pytest.approx(hours / 8760)


def test_settings_sheet_is_typed(book):
    sheets = valid_sheets()
    sheets["settings"] = [
        ["key", "value"],
        ["period", "month"],
        ["start_date", dt.datetime(2028, 4, 1)],
        ["discount_rate", 0.08],
        ["threads", 2],
        ["currency", "EUR"],
        ["residual_value", "straight_line"],
    ]
    s = read_plan(book(sheets)).settings
    assert (s.period, s.start_date, s.discount_rate, s.threads) == (
        "month",
        dt.date(2028, 4, 1),
        0.08,
        2,
    )
    assert (s.currency, s.residual_value) == ("EUR", "straight_line")


def test_iso_text_date_in_settings(book):
    sheets = valid_sheets()
    sheets["settings"].append(["start_date", "2030-07-01"])
    plan = read_plan(book(sheets))
    assert plan.periods["period_start"].iloc[1] == dt.date(2030, 10, 1)


def test_formula_with_cached_value_counts(tmp_path):
    """A formula cell counts as its saved value (as Excel saved it)."""
    path = write_book(tmp_path / "plan.xlsx", valid_sheets())
    _set_formula_with_value(path, "regions", "C2", "=0.02*2", "0.04")
    plan = read_plan(path)
    assert plan.regions["power_price_usd_per_kwh"].iloc[0] == 0.04


def _set_formula_with_value(path: Path, sheet: str, ref: str, formula: str, value: str) -> None:
    import re
    import zipfile

    book = openpyxl.load_workbook(path)
    index = book.sheetnames.index(sheet) + 1
    part = f"xl/worksheets/sheet{index}.xml"
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    xml = parts[part].decode()
    xml = re.sub(
        rf'<c r="{ref}"[^>]*>.*?</c>',
        f'<c r="{ref}"><f>{formula[1:]}</f><v>{value}</v></c>',
        xml,
        count=1,
    )
    parts[part] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)


def test_input_workbook_is_not_modified(book):
    path = book()
    before = (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns)
    read_plan(path)
    assert (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns) == before


def test_rtt_lookup_is_symmetric(book):
    plan = read_plan(book())
    assert plan.rtt_ms("eu-west", "no-south") == plan.rtt_ms("no-south", "eu-west") == 25
    assert plan.rtt_ms("eu-west", "eu-west") == 5
    assert plan.rtt_ms("no-south", "us-texas") is None


def test_a_large_sheet_the_plan_does_not_use_is_only_a_warning(tmp_path):
    """Range limits guard the sheets the plan reads; an extra sheet of raw data that goes
    past them is ignored with a warning like any unknown sheet."""
    import re
    import zipfile

    sheets = valid_sheets()
    sheets["raw data"] = [["x"], [1]]
    path = write_book(tmp_path / "plan.xlsx", sheets)
    book = openpyxl.load_workbook(path)
    part = f"xl/worksheets/sheet{book.sheetnames.index('raw data') + 1}.xml"
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    xml = parts[part].decode()
    xml = re.sub(r'<dimension ref="[^"]*"', '<dimension ref="A1:B400000"', xml)
    xml = xml.replace(
        "</sheetData>", '<row r="400000"><c r="B400000"><v>1</v></c></row></sheetData>'
    )
    parts[part] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    plan = read_plan(path)
    [warning] = [str(w) for w in plan.warnings]
    assert warning.startswith("sheet 'raw data': unknown sheet, ignored")


def test_settings_defaults_are_the_schemas():
    """Every settings key of the schema is a field of Settings with the schema's default, and
    the solver's option defaults are those settings'."""
    import dataclasses
    import datetime as dt

    from optimizer.schema import SETTINGS
    from optimizer.solve import SolverOptions

    fields = {f.name: f.default for f in dataclasses.fields(Settings)}
    for column in SETTINGS:
        want = column.default
        if column.name == "start_date":
            want = dt.date.fromisoformat(want)
        assert fields.pop(column.name) == want, column.name
    assert fields == {}
    options = SolverOptions()
    assert (options.mip_gap, options.time_limit_s, options.threads) == (0.001, 300.0, 0)


@pytest.mark.parametrize("value", [2.0**63, 1e300, -(2.0**63)])
def test_a_whole_number_too_large_to_hold_is_an_input_error(tmp_path, value):
    """A whole-number cell at or past 2**63 (an int64 cannot hold it) is refused by name,
    not a crash (hypothesis found 9.223372036854776e18 in an edge device's count)."""
    sheets = valid_sheets()
    set_cell(sheets, "hardware", 2, "accelerators_per_rack", value)
    with pytest.raises(InputError) as caught:
        read_plan(write_book(tmp_path / "big.xlsx", sheets))
    [problem] = caught.value.problems
    assert (problem.sheet, problem.row, problem.column) == ("hardware", 2, "accelerators_per_rack")
    if value > 0:
        assert "more than a whole-number column holds" in problem.message


def test_a_large_whole_number_that_fits_is_read_exactly(tmp_path):
    sheets = valid_sheets()
    set_cell(sheets, "hardware", 2, "accelerators_per_rack", 2.0**62)
    plan = read_plan(write_book(tmp_path / "large.xlsx", sheets))
    assert int(plan.hardware["accelerators_per_rack"].max()) == 2**62
