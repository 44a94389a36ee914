"""Property tests of validation: a spoiled cell is always named, junk never crashes the reader.

Each example writes a small workbook with openpyxl (as a user's Excel would) into a
temporary folder and reads it back with read_plan; nothing else may come out of read_plan
but a Plan or an InputError.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import Sheets, set_cell, valid_sheets, write_book
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from optimizer import InputError, read_plan
from optimizer.cli import main
from optimizer.plan import Plan
from optimizer.schema import SETTINGS_BY_KEY, SHEETS, SHEETS_BY_NAME, Column

PROPERTY = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def read_sheets(sheets: Sheets, name: str = "plan.xlsx") -> Plan:
    """read_plan on ``sheets`` written to a fresh temporary folder."""
    with tempfile.TemporaryDirectory() as folder:
        return read_plan(write_book(Path(folder) / name, sheets))


def read_bytes(data: bytes) -> Plan:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "plan.xlsx"
        path.write_bytes(data)
        return read_plan(path)


@functools.cache
def valid_bytes() -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        return write_book(Path(folder) / "plan.xlsx", valid_sheets()).read_bytes()


# --- one spoiled cell is named by sheet, Excel row and column ---------------------------

NOT_NUMBERS = ("abc", "1,234.50", "1.234,50", "5%", "nan", "inf", "n/a", "12 kW", "-", "1e3")


def bad_values(column: Column) -> list[object]:
    """Values that ``column`` must refuse wherever they are typed (blank aside)."""
    if column.type in ("number", "integer"):
        out: list[object] = [*NOT_NUMBERS, True, dt.date(2027, 1, 1)]
        if column.minimum is not None:
            below = column.minimum - (1 if column.type == "integer" else 0.5)
            out.append(int(below) if column.type == "integer" else below)
            if column.exclusive_minimum:
                out.append(column.minimum)
        if column.maximum is not None:
            out.append(column.maximum + 1)
        if column.type == "integer":
            out.append(2.5)
        return out
    if column.type == "bool":
        return ["maybe", "oui", "yes please", 2, 0.5, dt.date(2027, 1, 1)]
    if column.type == "enum":
        return ["bogus", "none of these", *(f"{c}x" for c in column.choices[:2]), 3]
    if column.type == "ref":
        return ["no-such-id", "0123", 42]
    if column.type == "date":
        return [
            "2027-02-30",
            "2027-13-01",
            "03/04/2027",
            "04.03.2027",
            "next year",
            2027,
            dt.datetime(2027, 1, 1, 12, 30),
        ]
    return []  # id and text: anything typed is kept as text


@dataclasses.dataclass(frozen=True)
class Spot:
    """A data cell and the values it must refuse; ``key``: a settings row of that key."""

    sheet: str
    row: int
    column: str
    values: tuple[object, ...]
    key: str | None = None

    def spoil(self, value: object) -> Sheets:
        sheets = valid_sheets()
        if self.key is None:
            set_cell(sheets, self.sheet, self.row, self.column, value)
        elif self.row > len(sheets["settings"]):
            sheets["settings"].append([self.key, value])
        else:
            sheets["settings"][self.row - 1] = [self.key, value]
        return sheets


def _others_filled(rows: list[list[object]], row: int, column: str) -> bool:
    """Whether the row still holds data once ``column`` is blanked (else it is no row)."""
    header = rows[0]
    return any(
        v is not None and name != column for name, v in zip(header, rows[row - 1], strict=False)
    )


def spots() -> list[Spot]:
    sheets = valid_sheets()
    out: list[Spot] = []
    for schema in SHEETS[1:]:
        rows = sheets[schema.name]
        for row in range(2, len(rows) + 1):
            for column in schema.columns:
                values = bad_values(column)
                if column.required and _others_filled(rows, row, column.name):
                    values += [None, "   "]
                if values:
                    out.append(Spot(schema.name, row, column.name, tuple(values)))
    # Rules that look at one cell against other sheets or rows.
    workloads = sheets["workloads"]
    kind = workloads[0].index("kind")
    for row in range(2, len(workloads) + 1):
        if workloads[row - 1][kind] == "inference":
            out.append(Spot("workloads", row, "model", (None, "no-such-model")))
    for row in range(2, len(sheets["scenarios"]) + 1):
        out.append(Spot("scenarios", row, "scenario", ("base", " Base ")))
        out.append(Spot("scenarios", row, "target", ("no-such-target", "AWS", "**")))
    # Settings: each key, in the row it has in the valid book or in a new row.
    settings_rows = {r[0]: i for i, r in enumerate(sheets["settings"][1:], start=2)}
    for key, column in SETTINGS_BY_KEY.items():
        row = settings_rows.get(key, len(sheets["settings"]) + 1)
        out.append(Spot("settings", row, "value", (*bad_values(column), None), key=key))
    new_row = len(sheets["settings"]) + 1
    out.append(Spot("settings", new_row, "key", ("horizon", "Period", "no_such_setting"), key=""))
    return out


SPOTS = spots()


def _spot_and_value() -> st.SearchStrategy[tuple[Spot, object]]:
    return st.sampled_from(SPOTS).flatmap(
        lambda spot: st.tuples(st.just(spot), st.sampled_from(spot.values))
    )


def _spoiled_settings_key(spot: Spot, value: object) -> Sheets:
    sheets = valid_sheets()
    sheets["settings"].append([value, 1])
    return sheets


def test_the_spots_cover_every_sheet_and_column():
    covered = {(s.sheet, s.column) for s in SPOTS}
    for schema in SHEETS[1:]:
        for column in schema.columns:
            if column.type not in ("id", "text") or column.required:
                assert (schema.name, column.name) in covered
    assert {s.key for s in SPOTS if s.sheet == "settings"} >= set(SETTINGS_BY_KEY)


@PROPERTY
@given(_spot_and_value())
@example((Spot("sites", 2, "pue", ()), "abc"))
@example((Spot("settings", 4, "value", (), key="start_date"), "2027-02-30"))
def test_a_spoiled_cell_is_named(spot_value):
    spot, value = spot_value
    if spot.sheet == "settings" and spot.column == "key":
        sheets = _spoiled_settings_key(spot, value)
    else:
        sheets = spot.spoil(value)
    with pytest.raises(InputError) as info:
        read_sheets(sheets)
    where = [(p.sheet, p.row, p.column) for p in info.value.problems]
    assert (spot.sheet, spot.row, spot.column) in where, (value, info.value.problems)
    for p in info.value.problems:
        assert "\n" not in p.message


# --- files that are not workbooks -------------------------------------------------------

OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")

not_workbooks = st.one_of(
    st.binary(max_size=4096),
    st.binary(max_size=2048).map(lambda b: b"PK\x03\x04" + b),
    st.binary(max_size=512).map(lambda b: b"PK\x05\x06" + b),
    st.binary(max_size=2048).map(lambda b: OLE_MAGIC + b),
    st.integers(min_value=0).map(lambda n: valid_bytes()[: n % len(valid_bytes())]),
)


@PROPERTY
@given(not_workbooks)
@example(b"")
@example(b"PK\x05\x06" + bytes(18))  # an empty zip archive
def test_random_bytes_are_an_input_error(data):
    with pytest.raises(InputError) as info:
        read_bytes(data)
    [problem] = info.value.problems
    assert problem.message and "\n" not in problem.message


Flip = tuple[str, int, int]  # (where: "any" or "central" directory, offset in it, new byte)

flips = st.lists(
    st.tuples(
        st.sampled_from(["any", "central"]),
        st.integers(min_value=0, max_value=2**20),
        st.integers(min_value=0, max_value=255),
    ),
    min_size=1,
    max_size=4,
)


def flipped(data: bytes, changes: list[Flip]) -> bytes:
    out = bytearray(data)
    central = data.index(b"PK\x01\x02")
    for where, offset, byte in changes:
        start = central if where == "central" else 0
        out[start + offset % (len(data) - start)] = byte
    return bytes(out)


@PROPERTY
@given(flips)
@example([("central", 6, 0xFF)])  # the first entry needs zip version 25.5
def test_a_damaged_workbook_is_a_plan_or_an_input_error(changes):
    try:
        read_bytes(flipped(valid_bytes(), changes))
    except InputError as exc:
        assert exc.problems


# --- junk in any cell -------------------------------------------------------------------

# openpyxl refuses control characters and lone surrogates in a cell.
texts = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=30)
typed = st.sampled_from(
    [
        "",
        " ",
        "yes",
        "no",
        "nan",
        "-inf",
        "1,234.50",
        "5%",
        "0123",
        "2027-02-30",
        "03/04/2027",
        "base",
        "*",
        "=1+1",
        "=A1",
        "#REF!",
        "[red]x[/red]",
        "inference",
        "h100-air",
        "us-texas",
        "quarter",
    ]
)
junk_values = st.one_of(
    st.none(),
    texts,
    typed,
    st.floats(),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.booleans(),
    st.dates(),
    st.datetimes(),
    st.times(),
)
sheet_names = st.sampled_from([s.name for s in SHEETS])


@st.composite
def junk_cells(draw: st.DrawFn, values: st.SearchStrategy[object] = junk_values) -> list:
    """1 to 4 (sheet, Excel row, column number, value), anywhere in or just past the data."""
    out = []
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        sheet = draw(sheet_names)
        rows = valid_sheets()[sheet]
        row = draw(st.integers(min_value=1, max_value=len(rows) + 2))
        column = draw(st.integers(min_value=1, max_value=len(rows[0]) + 2))
        out.append((sheet, row, column, draw(values)))
    return out


def put(sheets: Sheets, sheet: str, row: int, column: int, value: object) -> None:
    rows = sheets[sheet]
    while len(rows) < row:
        rows.append([])
    cells = rows[row - 1]
    while len(cells) < column:
        cells.append(None)
    cells[column - 1] = value


def with_junk(cells: list) -> Sheets:
    sheets = valid_sheets()
    for sheet, row, column, value in cells:
        put(sheets, sheet, row, column, value)
    return sheets


@PROPERTY
@given(junk_cells())
@example([("settings", 4, 1, "start_date"), ("settings", 4, 2, dt.date(1, 1, 1))])
@example([("workloads", 1, 2, float("nan"))])
@example([("sites", 2, 7, float("inf")), ("regions", 1, 1, 7)])
def test_junk_cells_give_a_plan_or_an_input_error(cells):
    try:
        plan = read_sheets(with_junk(cells))
    except InputError as exc:
        assert exc.problems
        for p in exc.problems:
            assert p.message and "\n" not in str(p)
            if p.sheet in SHEETS_BY_NAME and p.column is not None and p.row is not None:
                known = SHEETS_BY_NAME[p.sheet].column_names
                # a column named by the schema, or a header cell named by its letter/text
                assert p.column in known or p.row == 1, p
    else:
        assert isinstance(plan, Plan)


# --- the command line on junk -------------------------------------------------------------


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(junk_cells())
def test_check_on_junk_exits_0_or_2_without_a_traceback(cells):
    with tempfile.TemporaryDirectory() as folder:
        path = write_book(Path(folder) / "plan.xlsx", with_junk(cells))
        result = CliRunner().invoke(main, [str(path), "--check"])
    assert result.exit_code in (0, 2), (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        assert "nothing was written" in result.stderr


@pytest.mark.parametrize("text", ["[/]", "[bold]x", "[/x]", ":thumbs_up:"])
def test_check_prints_cell_text_verbatim(tmp_path, text):
    sheets = valid_sheets()
    set_cell(sheets, "sites", 2, "pue", text)
    result = CliRunner().invoke(main, [str(write_book(tmp_path / "plan.xlsx", sheets)), "--check"])
    assert result.exit_code == 2, (result.exit_code, result.exception)
    assert f"sheet 'sites', row 2, column 'pue': expected a number >= 1, got '{text}'" in (
        result.stderr
    )
