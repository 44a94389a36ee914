"""results.xlsx and report.html (optimizer/report/), from real runs of small plans.

Three runs feed every test: the small valid plan of conftest.py with hostile workload ids
(markup, a formula, an error value) and a Unicode currency; a power-price sweep of a
one-period plan whose plan changes between the swept values (the rack of BREAK_EVEN in
test_scenarios.py: on-prem wins below multiplier 1.5, cloud above), with a region id
holding markup; and a plan with no allowed option for one workload (no plan, a
diagnosis). LibreOffice and Chromium checks skip, saying why, where those are missing.
"""

from __future__ import annotations

import base64
import html
import json
import re
import shutil
import subprocess
import time
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from chromium import CHROMIUM, Chromium, page_problems
from conftest import Sheets, set_cell, valid_sheets, write_book
from markupsafe import escape

from optimizer import read_plan
from optimizer.cli import run_info
from optimizer.cli.whatif import whatif_info
from optimizer.columns import OUTPUT_COLUMNS, column_type, names
from optimizer.outputs import write_csv
from optimizer.report import write_reports
from optimizer.results import empty_tables
from optimizer.run import optimize
from optimizer.scenarios import BASE, Scenario, from_sweeps
from optimizer.solve import SolverOptions
from optimizer.whatif import run_scenarios

OPTIONS = SolverOptions(mip_gap=0.0, time_limit_s=60.0)
SCRIPT_ID = "<script>alert(1)</script>"
FORMULA_ID = "=1+2"
ERROR_ID = "#N/A"
REGION = "<i>home</i>"
SWEEP = f"power_price_multiplier@{REGION}=1,1.25,1.75,2"  # no tie: it changes at 1.5
FORBIDDEN = ("http://", "https://", "//cdn", "<link", 'src="http', "<script", "<img", "<iframe")


@dataclass
class Written:
    folder: Path
    tables: dict[str, pd.DataFrame]
    info: dict[str, object]

    @property
    def book(self) -> Path:
        return self.folder / "results.xlsx"

    @property
    def page(self) -> str:
        return (self.folder / "report.html").read_text(encoding="utf-8")


def _as_text(path: Path, sheet: str, column: int, rows: tuple[int, ...]) -> None:
    """Make cells hold text (openpyxl writes '=1+2' as a formula and '#N/A' as an error)."""
    book = openpyxl.load_workbook(path)
    for row in rows:
        book[sheet].cell(row, column).data_type = "s"
    book.save(path)


def _write(folder: Path, tables: dict[str, pd.DataFrame], info: dict[str, object]) -> Written:
    folder.mkdir()
    write_reports(folder, tables, info)
    return Written(folder, tables, info)


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Written:
    """The base case of the small valid plan, with hostile workload ids."""
    tmp = tmp_path_factory.mktemp("plain")
    sheets = valid_sheets()
    sheets["settings"].append(["currency", "€ <b>"])
    set_cell(sheets, "workloads", 2, "workload", SCRIPT_ID)
    set_cell(sheets, "workloads", 3, "workload", FORMULA_ID)
    set_cell(sheets, "workloads", 4, "workload", ERROR_ID)
    set_cell(sheets, "workloads", 4, "allow_edge", "yes")
    path = write_book(tmp / "plan.xlsx", sheets)
    _as_text(path, "workloads", 1, (3, 4))
    plan = read_plan(path)
    outcome = optimize(plan, OPTIONS)
    assert outcome.solved.has_plan
    return _write(tmp / "out", outcome.tables, run_info(path, plan, OPTIONS, outcome))


def _sweep_sheets() -> Sheets:
    """One year, one period; training of 730 H100-hours a month (8,760 a year) on one rack
    (4,380 USD, 10 kW) or the cloud (2 USD an hour): a rack costs 4,380 + 8,760 m, the
    cloud 17,520, so the plan changes at m = 1.5."""
    return {
        "settings": [
            ["key", "value"],
            ["horizon_years", 1],
            ["period", "year"],
            ["max_utilization", 1],
        ],
        "regions": _records(
            {"region": REGION, "jurisdiction": "EU", "power_price_usd_per_kwh": 0.1}
        ),
        "accelerators": [["accelerator", "training_speed"], ["H100", 1]],
        "sites": _records(
            {
                "site": "dc",
                "region": REGION,
                "power_capacity_kw": 100,
                "cooling_air_kw": 100,
                "rack_slots": 4,
                "pue": 1,
                "existing": "yes",
            }
        ),
        "hardware": _records(
            {
                "rack_type": "r1",
                "accelerator": "H100",
                "accelerators_per_rack": 1,
                "it_power_kw": 10,
                "cooling": "air",
                "capex_usd": 4380,
            }
        ),
        "cloud": _records(
            {
                "offer": "od",
                "provider": "cloudco",
                "region": REGION,
                "accelerator": "H100",
                "pricing": "on_demand",
                "price_usd_per_accelerator_hour": 2,
            }
        ),
        "workloads": _records(
            {
                "workload": "train",
                "kind": "training",
                "user_region": REGION,
                "demand": 730,
                "demand_unit": "h100_hours_per_month",
            }
        ),
    }


def _records(record: dict[str, object]) -> list[list[object]]:
    """A sheet of one row: its header, then its values."""
    return [list(record), list(record.values())]


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Written:
    """A what-if run: base and multipliers 1, 1.25, 1.75 and 2 of the power price."""
    tmp = tmp_path_factory.mktemp("sweep")
    path = write_book(tmp / "plan.xlsx", _sweep_sheets())
    plan = read_plan(path)
    scenarios = [Scenario(BASE), *from_sweeps(plan, [SWEEP])]
    started = time.perf_counter()
    result = run_scenarios(plan, scenarios, OPTIONS)
    info = run_info(path, plan, OPTIONS, None) | whatif_info(
        result, time.perf_counter() - started, None
    )
    assert result.break_even, "the sweep should cross the break-even point"
    return _write(tmp / "out", result.tables, info)


@pytest.fixture(scope="module")
def no_plan(tmp_path_factory: pytest.TempPathFactory) -> Written:
    """A plan where workload 'chat' has no allowed option: no plan, a diagnosis."""
    tmp = tmp_path_factory.mktemp("infeasible")
    sheets = valid_sheets()
    set_cell(sheets, "workloads", 2, "max_latency_ms", 0.001)
    path = write_book(tmp / "plan.xlsx", sheets)
    plan = read_plan(path)
    outcome = optimize(plan, OPTIONS)
    assert not outcome.solved.has_plan and outcome.diagnosis
    info = run_info(path, plan, OPTIONS, outcome)
    return _write(tmp / "out", empty_tables(outcome.solved), info)


@pytest.fixture(scope="module")
def runs(plain: Written, sweep: Written, no_plan: Written) -> list[Written]:
    return [plain, sweep, no_plan]


# --- results.xlsx ------------------------------------------------------------------------


def test_workbook_has_every_table_then_charts_columns_and_run(plain: Written, sweep: Written):
    book = openpyxl.load_workbook(plain.book)
    assert book.sheetnames == [
        "summary",
        "charts",
        "costs",
        "racks",
        "assignments",
        "sites",
        "emissions",
        "workload_costs",
        "workload_emissions",
        "workload_summary",
        "chart_data",
        "columns",
        "run",
    ]
    names = openpyxl.load_workbook(sweep.book).sheetnames
    assert {"decisions", "regret", "breakeven"} <= set(names)


def test_table_sheets_have_bold_frozen_filtered_headers(runs: list[Written]):
    for run in runs:
        book = openpyxl.load_workbook(run.book)
        for name, frame in run.tables.items():
            ws = book[name]
            header = [c.value for c in ws[1]]
            assert header == [str(c) for c in frame.columns], name
            assert all(c.font.b for c in ws[1]), name
            assert ws.freeze_panes == "A2", name
            last = openpyxl.utils.get_column_letter(len(header))
            assert ws.auto_filter.ref == f"A1:{last}{len(frame) + 1}", name
            assert ws.max_row == len(frame) + 1, name
            for i in range(1, len(header) + 1):
                width = ws.column_dimensions[openpyxl.utils.get_column_letter(i)].width
                assert 8 <= width <= 60, (name, header[i - 1], width)


def _column(ws: Any, name: str) -> list[Any]:
    header = [c.value for c in ws[1]]
    return [row[header.index(name)] for row in ws.iter_rows(min_row=2)]


def test_number_formats_follow_the_units(plain: Written, sweep: Written):
    book = openpyxl.load_workbook(plain.book)
    for cell in _column(book["costs"], "amount_usd") + _column(book["summary"], "objective_usd"):
        assert cell.number_format == "#,##0"
    for cell in _column(book["costs"], "period_start") + _column(book["racks"], "period_start"):
        assert cell.number_format == "yyyy-mm-dd"
        assert cell.is_date
    assert _column(book["costs"], "period_start")[0].value.date().isoformat() == "2027-01-01"
    for cell in _column(book["assignments"], "share"):
        assert cell.number_format == "0.0%"
    assert _column(book["summary"], "mip_gap")[0].number_format == "0.00%"
    for cell in _column(book["sites"], "power_used_kw"):
        assert cell.number_format == "#,##0.0"
    regret = openpyxl.load_workbook(sweep.book)["regret"]
    assert {c.number_format for c in _column(regret, "regret_usd")} == {"#,##0"}


def test_values_match_the_tables(plain: Written):
    ws = openpyxl.load_workbook(plain.book)["costs"]
    frame = plain.tables["costs"]
    assert [c.value for c in _column(ws, "amount_usd")] == pytest.approx(list(frame["amount_usd"]))
    assert [c.value for c in _column(ws, "location")] == list(frame["location"])


def test_columns_sheet_explains_every_column(plain: Written, sweep: Written):
    for run in (plain, sweep):
        ws = openpyxl.load_workbook(run.book)["columns"]
        assert [c.value for c in ws[1]] == ["table", "column", "unit", "meaning"]
        listed = {(r[0], r[1]): (r[2], r[3]) for r in ws.iter_rows(min_row=2, values_only=True)}
        for table, frame in run.tables.items():
            for column in frame.columns:
                assert (table, column) in listed, (table, column)
                unit, meaning = listed[(table, column)]
                assert meaning, (table, column)
        for name, unit, _ in OUTPUT_COLUMNS["costs"]:
            assert (listed[("costs", name)][0] or "") == unit
    ws = openpyxl.load_workbook(sweep.book)["columns"]
    overrides = [r for r in ws.iter_rows(min_row=2, values_only=True) if "@" in str(r[1])]
    assert overrides and overrides[0][1] == f"power_price_multiplier@{REGION}"


def test_charts_are_native_excel_charts(plain: Written, sweep: Written, no_plan: Written):
    charts = openpyxl.load_workbook(plain.book)["charts"]._charts
    kinds = [type(c).__name__ for c in charts]
    # cost per period by category, cost by environment, racks per site, power at austin
    assert kinds.count("BarChart") >= 3 and "LineChart" in kinds, kinds
    sweep_charts = openpyxl.load_workbook(sweep.book)["charts"]._charts
    assert "ScatterChart" in [type(c).__name__ for c in sweep_charts]
    assert openpyxl.load_workbook(no_plan.book)["charts"]._charts == []


def test_no_formula_anywhere_and_hostile_text_stays_text(runs: list[Written]):
    for run in runs:
        book = openpyxl.load_workbook(run.book)
        for ws in book.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                    assert cell.data_type != "e", (ws.title, cell.coordinate, cell.value)
        with zipfile.ZipFile(run.book) as z:
            for name in z.namelist():
                if name.startswith("xl/worksheets/"):
                    assert b"<f>" not in z.read(name) and b"<f " not in z.read(name), name
    book = openpyxl.load_workbook(runs[0].book)
    cells = {c.value: c for c in _column(book["assignments"], "workload")}
    for hostile in (SCRIPT_ID, FORMULA_ID, ERROR_ID):
        assert cells[hostile].data_type == "s", hostile
    assert cells[FORMULA_ID].quotePrefix and cells[ERROR_ID].quotePrefix


def test_infinite_and_missing_numbers_and_control_characters(tmp_path: Path, plain: Written):
    """Excel has no infinity or NaN, and XML no control characters: none may break the file."""
    tables = {k: v.copy() for k, v in plain.tables.items()}
    tables["summary"]["worst_regret_usd"] = float("inf")
    tables["summary"]["objective_usd"] = float("nan")
    tables["costs"].loc[0, "location"] = "bad\x01id"
    written = _write(tmp_path / "out", tables, plain.info)
    book = openpyxl.load_workbook(written.book)
    assert _column(book["summary"], "worst_regret_usd")[0].value == "inf"
    assert _column(book["summary"], "objective_usd")[0].value is None
    assert _column(book["costs"], "location")[0].value == "bad\ufffdid"
    assert "bad\ufffdid" in written.page or "bad" in written.page


def test_libreoffice_converts_every_workbook(runs: list[Written], tmp_path: Path):
    """LibreOffice opens each workbook as it is (no repair) and prints it."""
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed: cannot check the workbooks open")
    books = []
    for i, run in enumerate(runs):
        books.append(tmp_path / f"run{i}.xlsx")
        shutil.copy(run.book, books[-1])
    profile = tmp_path / "profile"
    result = subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            *map(str, books),
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr
    for book in books:
        pdf = book.with_suffix(".pdf")
        assert pdf.exists() and pdf.stat().st_size > 1000, (book, result.stdout, result.stderr)
        assert pdf.read_bytes().startswith(b"%PDF")


# --- report.html -------------------------------------------------------------------------


def test_page_needs_no_network_and_runs_no_script(runs: list[Written]):
    for run in runs:
        page = run.page
        for text in FORBIDDEN:
            assert text not in page, text
        assert page.count("<style>") == 1
        assert "Content-Security-Policy" in page and "default-src 'none'" in page


def test_page_escapes_every_id(plain: Written, sweep: Written):
    page = plain.page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "=1+2" in page and "#N/A" in page
    assert "€ &lt;b&gt;" in page and "<b>" not in page
    assert "&lt;i&gt;home&lt;/i&gt;" in sweep.page and "<i>" not in sweep.page


def test_page_shows_the_headline_costs_sites_and_workloads(plain: Written):
    page = plain.page
    row = plain.tables["summary"].iloc[0]
    assert f"{row['objective_usd']:,.0f}" in page
    assert f"{row['total_cost_usd']:,.0f}" in page
    for heading in (
        "Cost per period by category",
        "Cost by environment",
        "Sites: power, cooling and rack slots",
        "Where each workload runs",
    ):
        assert heading in page
    assert "austin" in page and "Candidate sites not opened" in page
    assert page.count("<svg") >= 4


def test_page_of_a_sweep_marks_the_break_even_and_regret(sweep: Written):
    page = sweep.page
    lines = sweep.info["break_even"]
    assert isinstance(lines, list) and lines
    assert "Break-even points" in page and "break-even 1" in page
    # bisected from the swept values 1.25 and 1.75 to 1 % of their step
    found = re.match(r"between (\S+) (\S+) and (\S+):", str(lines[0]))
    assert found and 1.25 <= float(found[2]) < float(found[3]) <= 1.75
    assert float(found[3]) - float(found[2]) <= 0.005
    assert html.escape(found[0]) in page
    assert "Regret: each scenario" in page and "The plan in each scenario" in page
    assert "Least worst-case regret: " in page
    assert (
        f"Cost against power_price_multiplier@{REGION}".replace("<", "&lt;").replace(">", "&gt;")
        in page
    )


def test_page_without_a_plan_explains_why(no_plan: Written):
    page = no_plan.page
    assert "Why there is no plan" in page
    diagnosis = no_plan.info["diagnosis"]
    assert isinstance(diagnosis, list)
    for line in diagnosis:
        assert escape(line) in page  # shown, and escaped as Jinja2's autoescape does
    assert "Cost per period" not in page


# --- in a browser ------------------------------------------------------------------------


def _png_colours(png: bytes) -> int:
    """How many distinct colours an 8-bit RGB(A) PNG (as Chromium writes it) has."""
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    pos, idat, width, height, channels = 8, b"", 0, 0, 3
    while pos < len(png):
        length = int.from_bytes(png[pos : pos + 4], "big")
        kind, data = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height = int.from_bytes(data[:4], "big"), int.from_bytes(data[4:8], "big")
            assert data[8] == 8 and data[12] == 0, "8-bit, non-interlaced"
            channels = {2: 3, 6: 4}[data[9]]
        elif kind == b"IDAT":
            idat += data
        pos += 12 + length
    raw, stride = zlib.decompress(idat), width * channels
    previous, colours = bytearray(stride), set()
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, corner = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + pred) & 255
        if y % 7 == 0:
            colours |= {bytes(line[i : i + 3]) for i in range(0, stride, channels * 5)}
        previous = line
    return len(colours)


def test_chromium_renders_each_page_offline(runs: list[Written], tmp_path: Path):
    """Each page loads with no request but itself, no console error, no script, and draws
    something: its screenshot has many colours, its text shows the hostile id as text."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed: cannot load the page in a browser")
    for i, run in enumerate(runs):
        browser = Chromium(tmp_path / f"profile{i}")
        try:
            url = (run.folder / "report.html").resolve().as_uri()
            sid = browser.open(url)
            shot = browser.call(  # the top of the page, small: decoded in Python below
                "Page.captureScreenshot",
                {
                    "format": "png",
                    "captureBeyondViewport": True,
                    "clip": {"x": 0, "y": 0, "width": 1280, "height": 1600, "scale": 0.25},
                },
                session=sid,
            )
            probe = browser.call(
                "Runtime.evaluate",
                {
                    "expression": "JSON.stringify({scripts: document.scripts.length, "
                    "svgs: document.querySelectorAll('svg').length, "
                    "height: document.body.scrollHeight, text: document.body.innerText})",
                    "returnByValue": True,
                },
                session=sid,
            )
        finally:
            browser.close()
        page = json.loads(probe["result"]["value"])
        assert page_problems(browser.events, url) == []
        assert page["scripts"] == 0
        assert page["height"] > 600
        png = base64.b64decode(shot["data"])
        (tmp_path / f"report{i}.png").write_bytes(png)
        assert _png_colours(png) > 20, "the screenshot is (nearly) blank"
        if run is runs[0]:
            assert SCRIPT_ID in page["text"] and page["svgs"] >= 4
        if run is runs[2]:
            assert "Why there is no plan" in page["text"]


def test_page_shows_each_workloads_cost_and_its_alternative(plain: Written):
    page = plain.page
    assert "What each workload costs" in page
    summary = plain.tables["workload_summary"]
    chat = summary[summary["workload"] == SCRIPT_ID].iloc[0]
    # the valid plan's chat (a script id here) may use the EU API at 2.50 USD a million tokens
    assert chat["alternative"] == "api tok"
    assert chat["alternative_unit_cost_usd"] == pytest.approx(2.5)
    assert "api tok" in page and "2.500" in page


# --- the CSVs' column types ----------------------------------------------------------------

CSV_VALUE = {
    "integer": re.compile(r"^(-?\d+)?$"),
    "number": re.compile(r"^(-?\d+\.\d+(e[-+]\d+)?|-?\d(\.\d+)?e[-+]\d+|-?inf)?$"),
    "date": re.compile(r"^(\d{4}-\d{2}-\d{2})?$"),
    "bool": re.compile(r"^(True|False)?$"),
}


def test_csv_columns_are_written_in_their_declared_types(runs: list[Written], tmp_path: Path):
    """Every column of every table of a plain run, a sweep and a run without a plan is
    written as its type in optimizer/columns.py says: an integer never as 1.0, a number
    always with its decimals (1000.0), so that a reader guessing types guesses the same."""
    seen = set()
    for i, run in enumerate(runs):
        for name, frame in run.tables.items():
            path = tmp_path / f"{i}-{name}.csv"
            write_csv(frame, path)
            text = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
            for column in text.columns:
                kind = column_type(column)
                if kind in CSV_VALUE:
                    bad = [v for v in text[column] if not CSV_VALUE[kind].match(v)]
                    assert not bad, (name, column, kind, bad[:3])
                    seen.add((kind, bool(len(text))))
    assert {("integer", True), ("number", True), ("date", True), ("bool", True)} <= seen


def test_an_integer_column_with_blanks_is_written_as_integers(tmp_path: Path):
    """decisions.csv: a site row and a reserved row leave each other's columns blank, which
    made pandas write the counts 1.0; they are 1, and the blanks stay blank."""
    frame = pd.DataFrame(
        [
            ("base", "dc", 1, "r1", 9, None, None, None),
            ("base", None, None, None, None, "res", 0, 16),
        ],
        columns=names("decisions"),
    )
    write_csv(frame, tmp_path / "decisions.csv")
    assert (tmp_path / "decisions.csv").read_text(encoding="utf-8-sig").splitlines() == [
        "scenario,site,open,rack_type,racks_at_end,offer,reserved_block,reserved_accelerators",
        "base,dc,1,r1,9,,,",
        "base,,,,,res,0,16",
    ]
    money = pd.DataFrame({"amount_usd": [1000, 2], "period": [0.0, 1.0]})
    write_csv(money, tmp_path / "costs.csv")
    assert (tmp_path / "costs.csv").read_text(encoding="utf-8-sig").splitlines() == [
        "amount_usd,period",
        "1000.0,0",
        "2.0,1",
    ]
    with pytest.raises(ValueError, match="period holds a fraction"):
        write_csv(pd.DataFrame({"period": [0.5]}), tmp_path / "x.csv")


def test_libreoffice_imports_a_csv_as_docs_outputs_md_says(tmp_path: Path):
    """The import docs/outputs.md gives for LibreOffice (comma, double quote, UTF-8:
    CSV:44,34,76) reads the first header as 'scenario', without the byte-order mark, and an
    accented id intact; the default Western character set would show 'ï»¿scenario'."""
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed: cannot import a CSV")
    frame = pd.DataFrame({"scenario": ["base"], "site": ["münchen-1"], "period": [0]})
    write_csv(frame, tmp_path / "racks.csv")
    result = subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--headless",
            "--infilter=CSV:44,34,76",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(tmp_path / "out"),
            str(tmp_path / "racks.csv"),
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr
    sheet = openpyxl.load_workbook(tmp_path / "out" / "racks.xlsx").active
    assert [c.value for c in sheet[1]] == ["scenario", "site", "period"]
    assert [c.value for c in sheet[2]] == ["base", "münchen-1", 0]


def test_no_page_break_splits_a_chart(runs: list[Written]):
    """The charts sheet prints portrait at 75 %, a manual break every 3 charts; no break
    falls inside a chart's rows (drawing anchors, 0-based; a break at row b starts a page
    at row b)."""
    checked, paged = 0, False
    for run in runs:
        with zipfile.ZipFile(run.book) as z:
            sheet = z.read("xl/worksheets/sheet2.xml").decode()  # summary, then charts
            assert 'orientation="portrait"' in sheet and 'scale="75"' in sheet
            breaks = [int(b) for b in re.findall(r'<brk id="(\d+)"', sheet)]
            drawings = [n for n in z.namelist() if re.match(r"xl/drawings/drawing\d+\.xml$", n)]
            anchors = []
            for name in drawings:
                xml = z.read(name).decode()
                starts = [int(r) for r in re.findall(r"<xdr:from>.*?<xdr:row>(\d+)<", xml, re.S)]
                ends = [int(r) for r in re.findall(r"<xdr:to>.*?<xdr:row>(\d+)<", xml, re.S)]
                anchors += list(zip(starts, ends, strict=True))
        charts = len(anchors)
        assert len(breaks) == max(0, (charts + 2) // 3 - 1)
        for first, last in anchors:
            assert not [b for b in breaks if first < b <= last], (first, last, breaks)
        checked += charts
        paged = paged or bool(breaks)
    assert checked >= 4 and paged
