"""Reading a workbook safely and fast.

The cell values come from calamine (a Rust reader, several times faster than
openpyxl on large sheets). Calamine trusts the file: a declared range of
XFD1048576 makes it allocate the whole grid, and it turns error cells and
formulas without a cached value into blanks. So every XML part first passes a
pre-scan of the raw zip, with bounded reads, which refuses hostile files and
records what calamine hides: hidden rows and columns, merged ranges, error
cells and formulas that were never calculated.
"""

from __future__ import annotations

import functools
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import defusedxml.ElementTree as safe_et
import python_calamine

# Limits; docs/inputs.md ("Limits on files") states them for users.
MAX_FILE_BYTES = 256 * 2**20
MAX_PARTS = 10_000
MAX_PART_BYTES = 512 * 2**20
MAX_TOTAL_BYTES = 1024 * 2**20
MAX_RATIO = 1000
MAX_ROWS = 250_000
MAX_COLUMNS = 1_000
MAX_CELLS = 10_000_000

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_PREFIX = re.compile(rb"<([A-Za-z_][\w.-]*:)?$")
_ATTR = re.compile(rb"""\b(r|min|max|t)\s*=\s*["']([^"']*)["']""")
_Q = rb"""\s*=\s*["']"""  # = and an opening quote of either kind
_CELL_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")


@dataclass(frozen=True)
class _Patterns:
    """The pre-scan's patterns for one namespace prefix ('' or 'x:').

    Each starts with a literal, which keeps the scan of a 40 MB sheet well
    under a second.
    """

    dimension: re.Pattern[bytes]
    row_number: re.Pattern[bytes]
    cell_column: re.Pattern[bytes]
    hidden_row: re.Pattern[bytes]
    hidden_col: re.Pattern[bytes]
    error_cell: re.Pattern[bytes]
    formula: re.Pattern[bytes]
    cell_start: re.Pattern[bytes]
    cell_end: re.Pattern[bytes]
    value: re.Pattern[bytes]
    merge: re.Pattern[bytes]
    position: re.Pattern[bytes]


@functools.cache
def _patterns(prefix: bytes) -> _Patterns:
    p = re.escape(prefix)
    return _Patterns(
        dimension=re.compile(rb"<" + p + rb"dimension\s[^>]*?\bref" + _Q + rb"""([^"']*)"""),
        row_number=re.compile(rb"<" + p + rb"row\s[^>]*?\br" + _Q + rb"(\d+)"),
        cell_column=re.compile(rb"<" + p + rb"c\s[^>]*?\br" + _Q + rb"([A-Za-z]+)\d"),
        hidden_row=re.compile(rb"<" + p + rb"row\s[^>]*?\bhidden" + _Q + rb"(?:1|true)[^>]*>"),
        hidden_col=re.compile(rb"<" + p + rb"col\s[^>]*?\bhidden" + _Q + rb"(?:1|true)[^>]*>"),
        error_cell=re.compile(
            rb"<" + p + rb"c\s[^>]*?\bt" + _Q + rb"e[\"'][^>]*>(.*?)</" + p + rb"c>", re.S
        ),
        position=re.compile(rb"<" + p + rb"(row|c)(?=[\s>/])([^>]*)>"),
        formula=re.compile(rb"<" + p + rb"f[\s>/]"),
        cell_start=re.compile(rb"<" + p + rb"c\s[^>]*>"),
        cell_end=re.compile(rb"</" + p + rb"c>"),
        value=re.compile(rb"<" + p + rb"v>([^<]+)</"),
        merge=re.compile(rb"<" + p + rb"mergeCell\s[^>]*?\bref" + _Q + rb"""([^"']*)"""),
    )


NO_CACHED_VALUE = (
    "a formula with no saved value (the workbook was written by a program and never "
    "opened in Excel: open it in Excel or LibreOffice, save it, and try again)"
)


class UnreadableWorkbook(Exception):
    """The file is not a workbook we will read; the message is one line."""


@dataclass
class RawSheet:
    """One worksheet as read: values by position, plus what calamine hides.

    ``rows[i][j]`` is the cell in Excel row i + 1, column j + 1. Every other
    position is 1-based, as Excel shows it.
    """

    name: str
    hidden: bool
    rows: list[list[object]] = field(default_factory=list)
    hidden_rows: set[int] = field(default_factory=set)
    hidden_columns: set[int] = field(default_factory=set)
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    bad_cells: dict[tuple[int, int], str] = field(default_factory=dict)


def column_letter(index: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while index > 0:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_index(letters: str) -> int:
    """A -> 1, AA -> 27."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def parse_ref(ref: str) -> tuple[int, int]:
    """'B7' -> (7, 2), row first."""
    m = _CELL_REF.match(ref.strip())
    if not m:
        raise ValueError(ref)
    return int(m.group(2)), column_index(m.group(1))


def read_workbook(path: Path, wanted: set[str] | None = None) -> list[RawSheet]:
    """Every worksheet of the workbook, values read only for ``wanted`` names.

    Raises UnreadableWorkbook with a one-line reason for anything that is not
    a plain, sane .xlsx/.xlsm file.
    """
    path = Path(path)
    _check_container(path)
    try:
        zf = zipfile.ZipFile(path)
    except Exception as exc:  # BadZipFile, OSError, NotImplementedError, ValueError, ...
        raise UnreadableWorkbook(f"not an Excel workbook (.xlsx): {exc}") from None
    with zf:
        parts = _check_parts(zf)
        sheets = _sheet_parts(zf, parts)
        names = {part: name for name, (part, _) in sheets.items()}
        scans: dict[str, RawSheet] = {}
        budget = MAX_TOTAL_BYTES
        for part, info in parts.items():
            if not part.lower().endswith((".xml", ".rels")):
                continue
            data = _read_part(zf, info, budget)
            budget -= len(data)
            name = names.get(part.lower())
            if name is not None and wanted is not None and name not in wanted:
                # a sheet the plan does not use: never handed to calamine, no range limits
                scans[part.lower()] = RawSheet(name=name, hidden=False)
            elif b"sheetData" in data:
                scans[part.lower()] = _scan_sheet(name or part, data)
    for name, (part, _) in sheets.items():
        if part not in scans:
            raise UnreadableWorkbook(f"sheet '{name}' has no worksheet part in the archive")
    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises several unrelated types
        raise UnreadableWorkbook(f"the workbook is damaged: {_one_line(exc)}") from None
    out = []
    for name, (part, hidden) in sheets.items():
        raw = scans[part]
        raw.name, raw.hidden = name, hidden
        if wanted is None or name in wanted:
            try:
                raw.rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            except Exception as exc:
                raise UnreadableWorkbook(
                    f"sheet '{name}' cannot be read: {_one_line(exc)}"
                ) from None
        out.append(raw)
    book.close()
    return out


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:200] or type(exc).__name__


def _check_container(path: Path) -> None:
    if not path.exists():
        raise UnreadableWorkbook(f"no such file: {path}")
    if not path.is_file():
        raise UnreadableWorkbook(f"not a file: {path}")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise UnreadableWorkbook(
            f"the file is {size / 2**20:.0f} MiB; workbooks above {MAX_FILE_BYTES // 2**20} MiB "
            "are refused"
        )
    with path.open("rb") as fh:
        head = fh.read(1 << 20)
    if head.startswith(_OLE_MAGIC):
        if "EncryptionInfo".encode("utf-16-le") in head:
            raise UnreadableWorkbook(
                "the workbook is encrypted (password-protected): save a copy without a password"
            )
        raise UnreadableWorkbook("a legacy .xls workbook: save it as .xlsx")
    if not head.startswith(b"PK"):
        raise UnreadableWorkbook("not an Excel workbook (.xlsx): the file is not a zip archive")


def _check_parts(zf: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    infos = zf.infolist()
    if len(infos) > MAX_PARTS:
        raise UnreadableWorkbook(f"the archive holds {len(infos)} files (limit {MAX_PARTS})")
    total = 0
    parts: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        if info.flag_bits & 0x1:
            raise UnreadableWorkbook("the archive is encrypted")
        if info.file_size > MAX_PART_BYTES:
            raise UnreadableWorkbook(
                f"part {info.filename} inflates to {info.file_size / 2**20:.0f} MiB "
                f"(limit {MAX_PART_BYTES // 2**20} MiB)"
            )
        if info.file_size > 2**20 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise UnreadableWorkbook(
                f"part {info.filename} is compressed {info.file_size // max(info.compress_size, 1)}"
                f" to 1 (a zip bomb; limit {MAX_RATIO} to 1)"
            )
        total += info.file_size
        parts[info.filename] = info
    if total > MAX_TOTAL_BYTES:
        raise UnreadableWorkbook(
            f"the archive inflates to {total / 2**20:.0f} MiB "
            f"(limit {MAX_TOTAL_BYTES // 2**20} MiB)"
        )
    if "mimetype" in parts and "content.xml" in parts:
        raise UnreadableWorkbook("an OpenDocument spreadsheet: save it as .xlsx")
    if "xl/workbook.bin" in parts:
        raise UnreadableWorkbook("a binary .xlsb workbook: save it as .xlsx")
    if "xl/workbook.xml" not in parts:
        raise UnreadableWorkbook("not an Excel workbook (.xlsx): no xl/workbook.xml inside")
    return parts


def _read_part(zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> bytes:
    """A part's bytes, refusing DTDs and parts that inflate past their budget.

    At most the size the archive declares is inflated (zipfile stops there and
    checks the CRC), so a part that lies about its size costs no more memory
    than it claims.
    """
    name = info.filename
    if info.file_size > budget:
        raise UnreadableWorkbook(
            f"the archive inflates past {MAX_TOTAL_BYTES // 2**20} MiB (at part {name})"
        )
    try:
        with zf.open(info) as fh:
            data = fh.read(info.file_size + 1)
    except Exception as exc:  # BadZipFile, zlib.error, EOFError, NotImplementedError, ...
        raise UnreadableWorkbook(f"part {name} is damaged: {_one_line(exc)}") from None
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise UnreadableWorkbook(
            f"part {name} declares a DTD or entities (refused: XML entity attacks)"
        )
    return data


def _sheet_parts(
    zf: zipfile.ZipFile, parts: dict[str, zipfile.ZipInfo]
) -> dict[str, tuple[str, bool]]:
    """Worksheet name -> (zip part in lower case, hidden), in workbook order; chart sheets
    left out."""
    try:
        book = safe_et.fromstring(zf.read("xl/workbook.xml"))
        rels_name = "xl/_rels/workbook.xml.rels"
        rels = safe_et.fromstring(zf.read(rels_name)) if rels_name in parts else None
    except Exception as exc:
        raise UnreadableWorkbook(f"the workbook's index is damaged: {_one_line(exc)}") from None
    targets: dict[str, str] = {}
    if rels is not None:
        for rel in rels:
            target = rel.get("Target", "")
            if target.startswith("/"):
                full = target.lstrip("/")
            else:
                full = str(PurePosixPath("xl") / target)
            targets[rel.get("Id", "")] = _normalise(full).lower()
    present = {name.lower() for name in parts}
    out: dict[str, tuple[str, bool]] = {}
    for el in book.iter():
        if not el.tag.endswith("}sheet") and el.tag != "sheet":
            continue
        rid = next((v for k, v in el.attrib.items() if k.endswith("}id")), "")
        part = targets.get(rid, "")
        if not part.startswith("xl/worksheets/") or part not in present:
            continue
        out[el.get("name", "")] = (part, el.get("state", "visible") != "visible")
    return out


def _normalise(path: str) -> str:
    out: list[str] = []
    for piece in path.split("/"):
        if piece == "..":
            if out:
                out.pop()
        elif piece and piece != ".":
            out.append(piece)
    return "/".join(out)


def _namespace_prefix(data: bytes) -> bytes:
    """The prefix of the sheet's elements: b'' for <sheetData>, b'x:' for <x:sheetData>."""
    at = data.find(b"sheetData")
    if at < 0:
        return b""
    found = _PREFIX.search(data, max(0, at - 64), at)
    return found.group(1) or b"" if found else b""


def _extent(data: bytes, pat: _Patterns, prefix: bytes) -> tuple[int, int]:
    """The last row and column that calamine will place a cell in.

    Rows and cells may leave out their position (r), and are then placed after
    the previous one; when every one has it, the largest r is enough.
    """
    rows = pat.row_number.findall(data)
    letters = pat.cell_column.findall(data)
    tag = b"<" + prefix
    n_rows = sum(data.count(tag + b"row" + end) for end in (b" ", b">", b"/", b"\t", b"\n", b"\r"))
    n_cells = sum(data.count(tag + b"c" + end) for end in (b" ", b">", b"/", b"\t", b"\n", b"\r"))
    if len(rows) == n_rows and len(letters) == n_cells:
        max_row = max(map(int, rows), default=0)
        return max_row, max((column_index(c.decode()) for c in set(letters)), default=0)
    row = col = max_row = max_col = 0
    for m in pat.position.finditer(data):
        attrs = dict(_ATTR.findall(m.group(2)))
        ref = attrs.get(b"r", b"").decode("ascii", "replace")
        if m.group(1) == b"row":
            row = int(ref) if ref.isdigit() else row + 1
            col = 0
        else:
            try:
                cell_row, col = parse_ref(ref)
                row = max(row, cell_row)
            except ValueError:
                col += 1
        max_row, max_col = max(max_row, row), max(max_col, col)
    return max_row, max_col


def _scan_sheet(name: str, data: bytes) -> RawSheet:
    raw = RawSheet(name=name, hidden=False)
    prefix = _namespace_prefix(data)
    pat = _patterns(prefix)
    dim = pat.dimension.search(data)
    if dim:
        ref = dim.group(1).decode("ascii", "replace")
        try:
            rows, cols = parse_ref(ref.split(":")[-1])
        except ValueError:
            rows, cols = 0, 0
        _check_range(name, rows, cols, f"declares the range {ref}")
    max_row, max_col = _extent(data, pat, prefix)
    _check_range(name, max_row, max_col, f"has cells as far as {column_letter(max_col)}{max_row}")
    for m in pat.hidden_row.finditer(data):
        attrs = dict(_ATTR.findall(m.group(0)))
        if b"r" in attrs:
            raw.hidden_rows.add(int(attrs[b"r"]))
    for m in pat.hidden_col.finditer(data):
        attrs = dict(_ATTR.findall(m.group(0)))
        lo, hi = int(attrs.get(b"min", b"0")), int(attrs.get(b"max", b"0"))
        raw.hidden_columns.update(range(lo, min(hi, MAX_COLUMNS) + 1))
    for m in pat.error_cell.finditer(data):
        tag = pat.cell_start.match(m.group(0))
        value = pat.value.search(m.group(1))
        shown = value.group(1).decode("utf-8", "replace") if value else "#ERROR"
        _mark(raw, tag.group(0) if tag else b"", f"the error value {shown}")
    for m in pat.formula.finditer(data):
        start = data.rfind(b"<" + prefix + b"c ", 0, m.start())
        tag = pat.cell_start.match(data, start) if start >= 0 else None
        if tag is None:
            continue
        close = pat.cell_end.search(data, m.end())
        cell = data[start : close.end() if close else len(data)]
        if dict(_ATTR.findall(tag.group(0))).get(b"t") == b"str" and b"v></" in cell:
            continue  # a formula whose saved result is the empty string
        if not pat.value.search(cell):
            _mark(raw, tag.group(0), NO_CACHED_VALUE)
    for m in pat.merge.finditer(data):
        a, _, b = m.group(1).decode("ascii", "replace").partition(":")
        try:
            (r1, c1), (r2, c2) = parse_ref(a), parse_ref(b or a)
        except ValueError:
            continue
        raw.merged.append((r1, c1, r2, c2))
    return raw


def _mark(raw: RawSheet, tag: bytes, reason: str) -> None:
    ref = dict(_ATTR.findall(tag)).get(b"r")
    if ref is None:
        return
    try:
        raw.bad_cells.setdefault(parse_ref(ref.decode("ascii")), reason)
    except ValueError:
        return


def _check_range(name: str, rows: int, cols: int, what: str) -> None:
    if rows > MAX_ROWS or cols > MAX_COLUMNS or rows * cols > MAX_CELLS:
        raise UnreadableWorkbook(
            f"sheet '{name}' {what}: more than the limits of {MAX_ROWS:,} rows, "
            f"{MAX_COLUMNS:,} columns and {MAX_CELLS:,} cells"
        )
