"""Every class of input error, each located at its sheet, Excel row and column."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from conftest import Sheets, set_cell, valid_sheets, write_book

from optimizer import InputError, read_plan


def errors_of(path: Path) -> list[str]:
    with pytest.raises(InputError) as info:
        read_plan(path)
    return [str(p) for p in info.value.problems]


def _cell(sheet: str, row: int, column: str, value: object) -> Callable[[Sheets], None]:
    return lambda s: set_cell(s, sheet, row, column, value)


CASES: list[tuple[str, Callable[[Sheets], None], str]] = [
    (
        "text in a number column",
        _cell("sites", 2, "pue", "abc"),
        "sheet 'sites', row 2, column 'pue': expected a number >= 1, got 'abc'",
    ),
    (
        "out of range",
        _cell("sites", 3, "pue", 0.9),
        "sheet 'sites', row 3, column 'pue': expected a number >= 1, got 0.9",
    ),
    (
        "negative",
        _cell("regions", 2, "power_price_usd_per_kwh", -0.01),
        "sheet 'regions', row 2, column 'power_price_usd_per_kwh': expected a number >= 0, "
        "got -0.01",
    ),
    (
        "US thousands typed as text",
        _cell("hardware", 2, "capex_usd", "1,234.50"),
        "sheet 'hardware', row 2, column 'capex_usd': expected a number >= 0, got the text "
        "'1,234.50': type the number 1234.50, without thousands separators",
    ),
    (
        "European number typed as text",
        _cell("hardware", 2, "capex_usd", "1.234,50"),
        "got the text '1.234,50': type the number 1234.50, with '.' for decimals",
    ),
    (
        "percent typed as text in a fraction column",
        _cell("workloads", 2, "growth_per_year", "5%"),
        "sheet 'workloads', row 2, column 'growth_per_year': expected a number >= -1, got the "
        "text '5%': type the number 0.05, without the % sign",
    ),
    (
        "nan typed as text",
        _cell("workloads", 3, "demand", "nan"),
        "sheet 'workloads', row 3, column 'demand': expected a number >= 0, got the text 'nan', "
        "which is not a number: type a number",
    ),
    (
        "number stored as text",
        _cell("sites", 2, "rack_slots", "12"),
        "column 'rack_slots': expected a whole number >= 0, got the text '12': it is a number "
        "stored as text",
    ),
    (
        "fractional whole number",
        _cell("sites", 2, "rack_slots", 12.5),
        "sheet 'sites', row 2, column 'rack_slots': expected a whole number >= 0, got 12.5",
    ),
    (
        "growth below -1",
        _cell("workloads", 2, "growth_per_year", -1.5),
        "sheet 'workloads', row 2, column 'growth_per_year': expected a number >= -1, got -1.5",
    ),
    (
        "unknown enum value",
        _cell("hardware", 2, "cooling", "water"),
        "sheet 'hardware', row 2, column 'cooling': expected one of air, liquid, got 'water'",
    ),
    (
        "enum typo suggests",
        _cell("cloud", 2, "pricing", "on-demand"),
        "got 'on-demand' (did you mean 'on_demand'?)",
    ),
    (
        "bad yes/no",
        _cell("workloads", 2, "sensitive", "maybe"),
        "sheet 'workloads', row 2, column 'sensitive': expected yes or no, got 'maybe'",
    ),
    (
        "blank required cell",
        _cell("regions", 3, "jurisdiction", None),
        "sheet 'regions', row 3, column 'jurisdiction': expected text, got a blank cell",
    ),
    (
        "blank id",
        _cell("sites", 3, "site", "  "),
        "sheet 'sites', row 3, column 'site': expected a non-blank id, got a blank cell",
    ),
    (
        "duplicate id",
        _cell("regions", 3, "region", "no-south"),
        "sheet 'regions', row 3, column 'region': duplicate region 'no-south' (first in row 2)",
    ),
    (
        "unknown reference suggests",
        _cell("sites", 2, "region", "no-sout"),
        "sheet 'sites', row 2, column 'region': 'no-sout' is not a region of sheet 'regions' "
        "(did you mean 'no-south'?)",
    ),
    (
        "unknown accelerator",
        _cell("hardware", 2, "accelerator", "B300"),
        "sheet 'hardware', row 2, column 'accelerator': 'B300' is not an accelerator of sheet "
        "'accelerators'",
    ),
    (
        "demand unit does not fit the kind",
        _cell("workloads", 2, "demand_unit", "h100_hours_per_month"),
        "sheet 'workloads', row 2, column 'demand_unit': an inference workload's demand is in "
        "mtok_per_day, got 'h100_hours_per_month'",
    ),
    (
        "model without throughput or API",
        _cell("workloads", 2, "model", "gpt-9"),
        "sheet 'workloads', row 2, column 'model': no accelerator in sheet 'performance' and no "
        "API in sheet 'apis' serves model 'gpt-9'",
    ),
    (
        "inference without model",
        _cell("workloads", 4, "model", None),
        "sheet 'workloads', row 4, column 'model': an inference workload needs its model",
    ),
    (
        "end before start",
        lambda s: (
            set_cell(s, "workloads", 2, "start_period", 5),
            set_cell(s, "workloads", 2, "end_period", 3),
        ),
        "sheet 'workloads', row 2, column 'end_period': ends (period 3) before it starts "
        "(period 5)",
    ),
    (
        "reserved offer without term",
        _cell("cloud", 3, "term_years", None),
        "sheet 'cloud', row 3, column 'term_years': a reserved offer needs its term in years",
    ),
    (
        "installed racks at a site that is not existing",
        _cell("installed", 2, "site", "oslo"),
        "sheet 'installed', row 2, column 'site': site 'oslo' is not existing",
    ),
    (
        "installed air rack too dense",
        _cell("sites", 3, "max_air_rack_kw", 30),
        "sheet 'installed', row 2, column 'rack_type': 'h100-air' is an air-cooled rack of "
        "40.8 kW, denser than site 'austin' takes (max_air_rack_kw 30)",
    ),
    (
        "duplicate latency pair",
        lambda s: s["latency"].append(["no-south", "eu-west", 25]),
        "sheet 'latency', row 4, column 'to_region': duplicate pair no-south - eu-west (first in "
        "row 2)",
    ),
    (
        "two directions that disagree",
        lambda s: s["latency"].append(["eu-west", "no-south", 30]),
        "sheet 'latency', row 4, column 'rtt_ms': no-south - eu-west is 25 ms in row 2 but "
        "eu-west - no-south is 30 ms here",
    ),
    (
        "unknown setting",
        lambda s: s["settings"].append(["horizon_year", 5]),
        "sheet 'settings', row 4, column 'key': unknown setting 'horizon_year'; did you mean "
        "'horizon_years'?",
    ),
    (
        "setting set twice",
        lambda s: s["settings"].append(["period", "month"]),
        "sheet 'settings', row 4, column 'key': 'period' is set twice (rows 3 and 4)",
    ),
    (
        "bad setting value",
        lambda s: s["settings"].append(["max_utilization", 1.5]),
        "sheet 'settings', row 4, column 'value': max_utilization: expected a number from 0 to 1",
    ),
    (
        "ambiguous date",
        lambda s: s["settings"].append(["start_date", "03/04/2027"]),
        "sheet 'settings', row 4, column 'value': start_date: expected a date (YYYY-MM-DD), got "
        "'03/04/2027', which is ambiguous (day/month or month/day): type it as YYYY-MM-DD",
    ),
    (
        "date with a time",
        lambda s: s["settings"].append(["start_date", dt.datetime(2027, 1, 1, 12)]),
        "start_date: expected a date (YYYY-MM-DD), got 2027-01-01T12:00:00, which has a time",
    ),
    (
        "scenario named base",
        _cell("scenarios", 2, "scenario", "base"),
        "sheet 'scenarios', row 2, column 'scenario': 'base' is the workbook without overrides",
    ),
    (
        "repeated scenario row",
        lambda s: s["scenarios"].append(
            ["dear-power", "power_price_multiplier", "us-texas", 3, 0.5]
        ),
        "sheet 'scenarios', row 4, column 'target': duplicate scenario 'dear-power', parameter "
        "'power_price_multiplier', target 'us-texas' (first in row 2)",
    ),
    (
        "probability differs within a scenario",
        lambda s: s["scenarios"].append(["dear-power", "demand_multiplier", "*", 1.2, 0.4]),
        "sheet 'scenarios', row 4, column 'probability': scenario 'dear-power' has probability "
        "0.5 in row 2 but 0.4 here",
    ),
    (
        "probabilities do not sum to 1",
        _cell("scenarios", 3, "probability", 0.3),
        "sheet 'scenarios', column 'probability': the scenarios' probabilities sum to 0.8; they "
        "must sum to 1",
    ),
    (
        "probability missing for one scenario",
        _cell("scenarios", 3, "probability", None),
        "probabilities are given for some scenarios but not for cheap-cloud",
    ),
    (
        "probability out of range",
        _cell("scenarios", 3, "probability", 1.5),
        "sheet 'scenarios', row 3, column 'probability': expected a number from 0 to 1, got 1.5",
    ),
    (
        "target that matches nothing",
        _cell("scenarios", 2, "target", "mars"),
        "sheet 'scenarios', row 2, column 'target': 'mars' matches no region or site that "
        "power_price_multiplier can apply to",
    ),
    (
        "target that does not fit the parameter",
        _cell("scenarios", 3, "target", "chat"),
        "sheet 'scenarios', row 3, column 'target': 'chat' matches no provider or region that "
        "cloud_price_multiplier can apply to",
    ),
    (
        "blank scenario name",
        _cell("scenarios", 2, "scenario", None),
        "sheet 'scenarios', row 2, column 'scenario': expected a non-blank id, got a blank cell",
    ),
    (
        "missing required sheet",
        lambda s: s.pop("workloads"),
        "sheet 'workloads': the required sheet is missing",
    ),
    (
        "required sheet with no data rows",
        lambda s: s.__setitem__("workloads", s["workloads"][:1]),
        "sheet 'workloads': the sheet has no data rows (one row per workload is needed)",
    ),
    (
        "near-miss sheet name",
        lambda s: s.__setitem__("Regions ", s.pop("regions")),
        "sheet 'Regions ': sheet names must match exactly: rename the sheet to 'regions'",
    ),
    (
        "singular sheet name",
        lambda s: s.__setitem__("site", s.pop("sites")),
        "sheet 'site': sheet names must match exactly: rename the sheet to 'sites'",
    ),
    (
        "near-miss column name",
        lambda s: s["sites"][0].__setitem__(0, "Site"),
        "sheet 'sites', row 1, column 'Site': column names must match exactly: rename it to 'site'",
    ),
    (
        "missing required column",
        lambda s: s.__setitem__("regions", [r[:2] for r in s["regions"]]),
        "sheet 'regions', column 'power_price_usd_per_kwh': the required column is missing",
    ),
    (
        "title row above the header",
        lambda s: s.__setitem__("sites", [["Candidate sites 2027"], [], *s["sites"]]),
        "sheet 'sites', row 1: the header must be in row 1, but row 3 looks like the header",
    ),
    (
        "performance missing with inference",
        lambda s: s.pop("performance"),
        "the sheet 'performance' is required when a workload is an inference workload",
    ),
]


@pytest.mark.parametrize(("spoil", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_error_names_the_cell(tmp_path, spoil, expected):
    sheets = valid_sheets()
    spoil(sheets)
    problems = errors_of(write_book(tmp_path / "plan.xlsx", sheets))
    assert any(expected in p for p in problems), problems


def test_all_problems_are_reported_together(tmp_path):
    sheets = valid_sheets()
    for spoil in (c[1] for c in CASES[:12]):
        spoil(sheets)
    problems = errors_of(write_book(tmp_path / "plan.xlsx", sheets))
    assert len(problems) == 9  # 12 spoils, three of them on a cell spoiled before
    assert {p.split(",")[0] for p in problems} >= {
        "sheet 'sites'",
        "sheet 'hardware'",
        "sheet 'workloads'",
        "sheet 'regions'",
    }


def _patch_cell_xml(path: Path, sheet: str, ref: str, cell_xml: str) -> None:
    book = openpyxl.load_workbook(path)
    part = f"xl/worksheets/sheet{book.sheetnames.index(sheet) + 1}.xml"
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    xml, n = re.subn(rf'<c r="{ref}"[^>]*>.*?</c>', cell_xml, parts[part].decode(), count=1)
    assert n == 1
    parts[part] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)


def test_formula_without_saved_value(tmp_path):
    path = write_book(tmp_path / "plan.xlsx", valid_sheets())
    _patch_cell_xml(path, "sites", "G2", '<c r="G2"><f>1+0.1</f></c>')
    [problem] = errors_of(path)
    assert problem.startswith("sheet 'sites', row 2, column 'pue': a formula with no saved value")
    assert "never opened in Excel" in problem


def test_formula_written_by_openpyxl_is_uncached(tmp_path):
    sheets = valid_sheets()
    set_cell(sheets, "regions", 2, "power_price_usd_per_kwh", "=0.02*2")
    [problem] = errors_of(write_book(tmp_path / "plan.xlsx", sheets))
    assert "row 2, column 'power_price_usd_per_kwh': a formula with no saved value" in problem


@pytest.mark.parametrize("code", ["#REF!", "#DIV/0!", "#N/A", "#VALUE!"])
def test_error_value_cell(tmp_path, code):
    path = write_book(tmp_path / "plan.xlsx", valid_sheets())
    _patch_cell_xml(path, "workloads", "E3", f'<c r="E3" t="e"><f>A1/0</f><v>{code}</v></c>')
    [problem] = errors_of(path)
    assert problem == f"sheet 'workloads', row 3, column 'demand': the error value {code}"


def test_merged_cells_in_data(tmp_path):
    path = write_book(tmp_path / "plan.xlsx", valid_sheets())
    book = openpyxl.load_workbook(path)
    book["regions"].merge_cells("B2:B3")
    book.save(path)
    problems = errors_of(path)
    assert (
        "sheet 'regions', row 2, column 'jurisdiction': merged cells B2:B3: unmerge them and "
        "type the value in every cell"
    ) in problems


def test_warnings_for_hidden_data_and_magnitudes(tmp_path):
    sheets = valid_sheets()
    set_cell(sheets, "regions", 3, "power_price_usd_per_kwh", 80)  # cents typed as dollars
    set_cell(sheets, "latency", 2, "rtt_ms", 2500)
    sheets["notes"] = [["anything"]]
    path = write_book(tmp_path / "plan.xlsx", sheets)
    book = openpyxl.load_workbook(path)
    book["regions"].row_dimensions[4].hidden = True
    book["edge"].sheet_state = "hidden"
    book.save(path)
    warnings = [str(w) for w in read_plan(path).warnings]
    assert (
        "sheet 'regions', row 3, column 'power_price_usd_per_kwh': 80 USD/kWh is more than "
        "1 USD/kWh; did you type cents per kWh or USD per MWh? Type USD per kWh: 0.8 for 80 "
        "cents per kWh, 0.08 for 80 USD per MWh" in warnings
    )
    assert (
        "sheet 'latency', row 2, column 'rtt_ms': 2,500 ms is more than 1,000 ms; did you type "
        "microseconds? Type milliseconds: 2.5 for 2,500 µs" in warnings
    )
    assert (
        "sheet 'regions', row 4: 1 hidden row(s) hold data (rows 4); their data counts" in warnings
    )
    assert "sheet 'edge': the sheet is hidden but holds data; its data counts" in warnings
    assert any(w.startswith("sheet 'notes': unknown sheet, ignored") for w in warnings)


def test_every_problem_is_one_line_and_located(tmp_path):
    sheets = valid_sheets()
    for _, spoil, _ in CASES[:30]:
        spoil(sheets)
    with pytest.raises(InputError) as info:
        read_plan(write_book(tmp_path / "plan.xlsx", sheets))
    for p in info.value.problems:
        assert "\n" not in str(p)
        assert p.sheet is not None or "sheet" in p.message


def test_warnings_for_figures_that_are_ignored(tmp_path):
    sheets = valid_sheets()
    set_cell(sheets, "sites", 3, "build_cost_usd", 1e6)  # austin is existing
    set_cell(sheets, "cloud", 2, "term_years", 1)  # an on-demand offer
    sheets["latency"].append(["eu-west", "eu-west", 3])
    set_cell(sheets, "workloads", 2, "start_period", 20)  # after the 12 quarters
    warnings = [str(w) for w in read_plan(write_book(tmp_path / "plan.xlsx", sheets)).warnings]
    assert warnings == [
        "sheet 'latency', row 4, column 'to_region': a region with itself is ignored: within a "
        "region the round trip is the setting intra_region_rtt_ms",
        "sheet 'sites', row 3, column 'build_cost_usd': an existing site has no build cost; "
        "the figure is ignored",
        "sheet 'cloud', row 2, column 'term_years': only reserved offers have a term; ignored "
        "for an on_demand offer",
        "sheet 'workloads', row 2, column 'start_period': starts after the horizon's last "
        "period (11); it has no demand in the plan",
    ]
