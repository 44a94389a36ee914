"""Hostile files: each is refused with exit 2 and a one-line reason, in bounded time and memory.

Every file is made here, in tmp_path, mostly by copying a valid workbook written by
write_book member by member and replacing one part. Each is read in a forked child
process with an address-space limit, so that a reader that allocates without
bound, or aborts, fails one test instead of taking pytest down with it. The child runs
both read_plan and `optimize FILE --check` through click's CliRunner.
"""

from __future__ import annotations

import dataclasses
import faulthandler
import multiprocessing
import os
import re
import resource
import struct
import sys
import time
import zipfile
import zlib
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import valid_sheets, write_book

from optimizer import InputError, read_plan
from optimizer.cli import main
from optimizer.plan import Plan

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="uses /proc and RLIMIT_AS"
)

TIME_LIMIT_S = 20.0  # read_plan plus the CLI, for one file
MEMORY_GROWTH_LIMIT = 512 * 2**20  # peak RSS growth; no file here is over a few MB
ADDRESS_SPACE_HEADROOM = 2 * 2**30  # the child's RLIMIT_AS: what it had after imports + this
CHILD_TIMEOUT_S = 60.0
MiB = 2**20


def _status(field: str) -> int:
    """A size from /proc/self/status, in bytes."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


def _child(path: str, conn: Connection) -> None:
    """In a forked child: bound the address space, read the file, and report."""
    faulthandler.disable()  # an abort is reported by the parent, not dumped by pytest's handler
    os.environ["RUST_BACKTRACE"] = "0"
    try:
        limit = _status("VmSize") + ADDRESS_SPACE_HEADROOM
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
        try:  # reset the peak RSS inherited from pytest (Linux >= 4.0)
            with open("/proc/self/clear_refs", "w") as fh:
                fh.write("5")
            rss0 = _status("VmRSS")
        except OSError:
            rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        out: dict = {}
        start = time.monotonic()
        try:
            read_plan(path)
            out["outcome"], out["problems"] = "plan", []
        except InputError as exc:
            out["outcome"] = "input_error"
            out["problems"] = [[p.sheet, p.row, p.column, p.message] for p in exc.problems]
        except BaseException as exc:
            out["outcome"], out["problems"] = "other", [f"{type(exc).__name__}: {exc}"]
        out["read_seconds"] = time.monotonic() - start
        start = time.monotonic()
        result = CliRunner().invoke(main, [path, "--check"])
        out["cli_seconds"] = time.monotonic() - start
        out["exit_code"] = result.exit_code
        out["stdout"], out["stderr"] = result.stdout, result.stderr
        exc = result.exception
        out["exception"] = None if exc is None or isinstance(exc, SystemExit) else repr(exc)
        out["rss_growth"] = _status("VmHWM") - rss0
        conn.send(out)
    finally:
        conn.close()
        os._exit(0)


def probe(path: Path) -> dict:
    """read_plan and `optimize PATH --check` on ``path``, in a forked child process.

    A fork, not a fresh interpreter: it starts in milliseconds with everything imported.
    """
    receive, send = multiprocessing.Pipe(duplex=False)
    child = multiprocessing.get_context("fork").Process(target=_child, args=(str(path), send))
    child.start()
    send.close()
    try:
        if not receive.poll(CHILD_TIMEOUT_S):
            raise AssertionError(f"no answer within {CHILD_TIMEOUT_S} s")
        return receive.recv()
    except EOFError:
        child.join(10)
        raise AssertionError(f"the reader died (exit code {child.exitcode})") from None
    finally:
        if child.is_alive():
            child.kill()
        child.join(10)
        receive.close()


def assert_refused(path: Path, reason: str | None = None) -> str:
    """The file gives exactly one one-line problem, exit 2 and no traceback, in bounds."""
    out = probe(path)
    assert out["outcome"] == "input_error", out["problems"]
    assert len(out["problems"]) == 1, out["problems"]
    message = out["problems"][0][3]
    assert message.strip(), "an empty reason"
    assert "\n" not in message and "\r" not in message, message
    assert len(message) < 400, message
    if reason is not None:
        assert reason.lower() in message.lower(), message
    assert out["exit_code"] == 2, (out["exit_code"], out["exception"], out["stderr"])
    assert out["exception"] is None, out["exception"]
    for stream in ("stdout", "stderr"):
        assert "Traceback" not in out[stream], out[stream]
    errors = [ln for ln in out["stderr"].splitlines() if ln.startswith("error:")]
    assert len(errors) == 1, out["stderr"]
    assert message in errors[0], (message, errors)
    seconds = out["read_seconds"] + out["cli_seconds"]
    assert seconds < TIME_LIMIT_S, f"took {seconds:.1f} s"
    assert out["rss_growth"] < MEMORY_GROWTH_LIMIT, (
        f"peak RSS grew {out['rss_growth'] / MiB:.0f} MiB"
    )
    return message


# --- building files ----------------------------------------------------------------------


def valid_book(tmp_path: Path) -> Path:
    return write_book(tmp_path / "valid.xlsx", valid_sheets())


def members_of(path: Path) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(path) as zf:
        return [(info.filename, zf.read(info)) for info in zf.infolist()]


def regions_part(members: list[tuple[str, bytes]]) -> str:
    """The zip part of the sheet 'regions' (the only sheet with a 'jurisdiction' header)."""
    [name] = [
        n for n, data in members if n.startswith("xl/worksheets/") and b">jurisdiction<" in data
    ]
    return name


def write_zip(path: Path, members: list[tuple[str, bytes]], level: int = 6) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return path


Edit = Callable[[bytes], bytes]


def rewritten(
    tmp_path: Path,
    edit: Edit | None = None,
    part: str | None = None,
    add: list[tuple[str, bytes]] | None = None,
    drop: tuple[str, ...] = (),
    name: str = "plan.xlsx",
) -> Path:
    """A valid workbook copied member by member, one part edited (default: 'regions')."""
    members = members_of(valid_book(tmp_path))
    target = part or regions_part(members)
    out = []
    for member, data in members:
        if member in drop:
            continue
        if edit is not None and member == target:
            data = edit(data)
        out.append((member, data))
    return write_zip(tmp_path / name, out + list(add or []))


def replace_once(old: bytes, new: bytes) -> Edit:
    def edit(data: bytes) -> bytes:
        assert data.count(old) >= 1, old
        return data.replace(old, new, 1)

    return edit


def with_dimension(ref: bytes) -> Edit:
    def edit(data: bytes) -> bytes:
        out, n = re.subn(rb"<dimension [^>]*/>", b"<dimension " + ref + b" />", data, count=1)
        assert n == 1
        return out

    return edit


def before_sheet_data_end(xml: bytes) -> Edit:
    return replace_once(b"</sheetData>", xml + b"</sheetData>")


def with_doctype(doctype: str, old: bytes, new: bytes) -> Edit:
    """The part behind an XML declaration and a DOCTYPE, with ``old`` replaced by ``new``."""

    def edit(data: bytes) -> bytes:
        assert old in data
        body = data.replace(old, new, 1)
        if body.startswith(b"<?xml"):
            body = body[body.index(b"?>") + 2 :]
        return b'<?xml version="1.0" encoding="UTF-8"?>\n' + doctype.encode() + b"\n" + body

    return edit


BILLION_LAUGHS = (
    '<!DOCTYPE lolz [\n <!ENTITY lol0 "lol">\n'
    + "".join(f' <!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">\n' for i in range(1, 10))
    + "]>"
)
XXE = '<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
INLINE_A2 = b'<c r="A2" t="inlineStr"><is><t>no-south</t></is></c>'
SHARED_A2 = b'<c r="A2" t="s"><v>0</v></c>'
SST = (
    '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
    'uniqueCount="1"><si><t>&lol9;</t></si></sst>'
)


def shared_strings_bomb(tmp_path: Path, part: str) -> Path:
    """'regions'!A2 is shared string 0, and the shared strings part is a billion laughs."""
    sst = f'<?xml version="1.0" encoding="UTF-8"?>\n{BILLION_LAUGHS}\n{SST}'.encode()
    return rewritten(tmp_path, replace_once(INLINE_A2, SHARED_A2), add=[(part, sst)])


@dataclasses.dataclass
class RawMember:
    """One zip member written byte by byte: ``raw`` is raw deflate data; sizes may lie."""

    name: str
    raw: bytes
    crc: int
    size: int
    flags: int = 0
    version: int = 20

    @classmethod
    def deflated(cls, name: str, data: bytes) -> RawMember:
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        return cls(name, c.compress(data) + c.flush(), zlib.crc32(data), len(data))


def write_raw_zip(path: Path, members: list[RawMember]) -> Path:
    """A zip archive as the headers say, with no check that they tell the truth."""
    body, central = bytearray(), bytearray()
    for m in members:
        name = m.name.encode()
        offset = len(body)
        body += struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, m.version, m.flags, 8, 0, 0x21, m.crc, len(m.raw),
            m.size, len(name), 0,
        )  # fmt: skip
        body += name + m.raw
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, m.version, m.flags, 8, 0, 0x21, m.crc,
            len(m.raw), m.size, len(name), 0, 0, 0, 0, 0, offset,
        )  # fmt: skip
        central += name
    end = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), len(body), 0
    )
    path.write_bytes(bytes(body + central + end))
    return path


def raw_members(tmp_path: Path) -> list[RawMember]:
    return [RawMember.deflated(n, d) for n, d in members_of(valid_book(tmp_path))]


def repeated_deflate(prefix: bytes, chunk: bytes, times: int, suffix: bytes) -> bytes:
    """Raw deflate of prefix + chunk * times + suffix, compressing ``chunk`` only once.

    After a full flush the compressor refers to nothing before it, so the compressed chunk
    can be repeated: a 2 GiB part is made in milliseconds.
    """
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = c.compress(prefix) + c.flush(zlib.Z_FULL_FLUSH)
    body = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    again = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    assert again == body
    return head + body * times + c.compress(suffix) + c.flush()


def split_sheet_data(xml: bytes) -> tuple[bytes, bytes]:
    k = xml.index(b"<sheetData>") + len(b"<sheetData>")
    return xml[:k], xml[k:]


# --- not a workbook ----------------------------------------------------------------------


def test_text_file_named_xlsx(tmp_path):
    path = tmp_path / "plan.xlsx"
    path.write_text("region,jurisdiction\nno-south,NO\n" * 50)
    assert_refused(path, "not a zip archive")


def test_empty_file(tmp_path):
    path = tmp_path / "plan.xlsx"
    path.write_bytes(b"")
    assert_refused(path, "not an Excel workbook")


def test_truncated_workbook(tmp_path):
    data = valid_book(tmp_path).read_bytes()
    path = tmp_path / "plan.xlsx"
    path.write_bytes(data[: len(data) // 2])
    assert_refused(path, "not an Excel workbook")


def test_zip_without_workbook_part(tmp_path):
    assert_refused(rewritten(tmp_path, drop=("xl/workbook.xml",)), "no xl/workbook.xml")


def test_empty_zip_archive(tmp_path):
    assert_refused(write_zip(tmp_path / "plan.xlsx", []), "no xl/workbook.xml")


OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")


def test_encrypted_workbook(tmp_path):
    """Excel saves a password-protected .xlsx as an OLE file with an EncryptionInfo stream."""
    path = tmp_path / "plan.xlsx"
    header = OLE_MAGIC + bytes(504)
    directory = "EncryptionInfo".encode("utf-16-le").ljust(128, b"\0")
    path.write_bytes(header + directory + bytes(4096))
    assert_refused(path, "encrypted")


def test_legacy_xls(tmp_path):
    path = tmp_path / "plan.xlsx"
    path.write_bytes(OLE_MAGIC + bytes(4096))
    assert_refused(path, ".xls")


def test_binary_xlsb(tmp_path):
    members = [("[Content_Types].xml", b"<Types/>"), ("xl/workbook.bin", bytes(64))]
    assert_refused(write_zip(tmp_path / "plan.xlsx", members), ".xlsb")


def test_opendocument_spreadsheet(tmp_path):
    members = [
        ("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"),
        ("content.xml", b"<office:document-content/>"),
    ]
    assert_refused(write_zip(tmp_path / "plan.xlsx", members), "OpenDocument")


def test_zip_with_encrypted_parts(tmp_path):
    members = raw_members(tmp_path)
    members[0].flags = 0x1
    assert_refused(write_raw_zip(tmp_path / "plan.xlsx", members), "encrypted")


# --- XML entities ------------------------------------------------------------------------


def test_billion_laughs_in_a_sheet(tmp_path):
    path = rewritten(tmp_path, with_doctype(BILLION_LAUGHS, b">no-south<", b">&lol9;<"))
    assert_refused(path, "entities")


def test_billion_laughs_in_shared_strings(tmp_path):
    assert_refused(shared_strings_bomb(tmp_path, "xl/sharedStrings.xml"), "entities")


def test_billion_laughs_in_shared_strings_with_odd_case_name(tmp_path):
    """calamine finds xl/SharedStrings.XML too (its part lookup ignores case)."""
    assert_refused(shared_strings_bomb(tmp_path, "xl/SharedStrings.XML"), "entit")


def test_external_entity_in_a_sheet(tmp_path):
    path = rewritten(tmp_path, with_doctype(XXE, b">no-south<", b">&xxe;<"))
    message = assert_refused(path, "entities")
    assert "root:" not in message


def test_external_entity_in_the_workbook_part(tmp_path):
    path = rewritten(
        tmp_path,
        with_doctype(XXE.replace("worksheet", "workbook"), b'name="regions"', b'name="&xxe;"'),
        part="xl/workbook.xml",
    )
    assert_refused(path, "entities")


# --- absurd ranges -----------------------------------------------------------------------


def test_declared_range_of_the_whole_grid(tmp_path):
    path = rewritten(tmp_path, with_dimension(b'ref="A1:XFD1048576"'))
    assert_refused(path, "declares the range A1:XFD1048576")


def test_declared_range_past_the_row_limit(tmp_path):
    path = rewritten(tmp_path, with_dimension(b'ref="A1:C250001"'))
    assert_refused(path, "declares the range")


def test_real_cell_in_the_last_row(tmp_path):
    far = b'<row r="1048576"><c r="A1048576" t="n"><v>1</v></c></row>'
    assert_refused(rewritten(tmp_path, before_sheet_data_end(far)), "has cells as far as")


def test_real_cell_in_the_last_column(tmp_path):
    far = b'<row r="5"><c r="XFD5" t="n"><v>1</v></c></row>'
    assert_refused(rewritten(tmp_path, before_sheet_data_end(far)), "has cells as far as XFD5")


def test_real_cell_at_the_grid_corner(tmp_path):
    far = b'<row r="1048576"><c r="XFD1048576" t="n"><v>1</v></c></row>'
    path = rewritten(tmp_path, before_sheet_data_end(far))
    assert_refused(path, "has cells as far as XFD1048576")


def test_declared_range_in_single_quotes(tmp_path):
    assert_refused(rewritten(tmp_path, with_dimension(b"ref='A1:XFD1048576'")), "declares")


def test_real_cell_at_the_grid_corner_in_single_quotes(tmp_path):
    far = b"<row r='1048576'><c r='XFD1048576' t='n'><v>1</v></c></row>"
    assert_refused(rewritten(tmp_path, before_sheet_data_end(far)), "as far as")


def test_implicit_columns_reaching_xfd(tmp_path):
    wide = b"<row>" + b'<c t="n"><v>1</v></c>' * 16_384 + b"</row>"
    low = b'<row r="200000"><c r="A200000" t="n"><v>1</v></c></row>'
    assert_refused(rewritten(tmp_path, before_sheet_data_end(wide + low)), "as far as")


def test_implicit_rows_reaching_the_last_row(tmp_path):
    rows = b"<row/>" * 1_048_571 + b'<row><c t="n"><v>1</v></c></row>'
    assert_refused(rewritten(tmp_path, before_sheet_data_end(rows)), "as far as")


# --- zip bombs and lying headers -------------------------------------------------------------


def test_zip_bomb_by_ratio(tmp_path):
    """A sheet part of 40 MiB of spaces, deflated more than 1000 to 1."""
    members = members_of(valid_book(tmp_path))
    part = regions_part(members)
    head, tail = split_sheet_data(dict(members)[part])
    members = [(n, head + b" " * (40 * MiB) + tail if n == part else d) for n, d in members]
    path = write_zip(tmp_path / "plan.xlsx", members, level=9)
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(part)
    assert info.file_size > 1000 * info.compress_size  # zlib does ~1030 to 1 on one byte
    assert_refused(path, "zip bomb")


def test_zip_bomb_of_600_mib(tmp_path):
    """A sheet part that honestly inflates to 600 MiB from a ~600 KB member."""
    members = raw_members(tmp_path)
    [sheet] = [m for m in members if b">jurisdiction<" in zlib.decompress(m.raw, -15)]
    head, tail = split_sheet_data(zlib.decompress(sheet.raw, -15))
    chunk, times = b" " * MiB, 600
    crc = zlib.crc32(head)
    for _ in range(times):
        crc = zlib.crc32(chunk, crc)
    sheet.crc = zlib.crc32(tail, crc)
    sheet.raw = repeated_deflate(head, chunk, times, tail)
    sheet.size = len(head) + times * len(chunk) + len(tail)
    path = write_raw_zip(tmp_path / "plan.xlsx", members)
    assert path.stat().st_size < 2 * MiB
    assert_refused(path, "inflates to 600 MiB")


def test_headers_declaring_more_than_the_total_limit(tmp_path):
    """Three parts each declaring 400 MiB (under the part limit; 1200 MiB in all)."""
    members = raw_members(tmp_path)
    noise = RawMember.deflated("x", os.urandom(MiB))
    for i in range(3):
        members.append(dataclasses.replace(noise, name=f"xl/media/image{i}.png", size=400 * MiB))
    assert_refused(write_raw_zip(tmp_path / "plan.xlsx", members), "the archive inflates to")


def test_member_lying_about_its_size(tmp_path):
    members = raw_members(tmp_path)
    [sheet] = [m for m in members if b">jurisdiction<" in zlib.decompress(m.raw, -15)]
    xml = zlib.decompress(sheet.raw, -15)
    head, tail = split_sheet_data(xml)
    chunk = b" " * MiB
    sheet.raw = repeated_deflate(head, chunk, 2048, tail)  # inflates to 2 GiB
    sheet.size = len(xml)  # the lie
    sheet.crc = zlib.crc32((head + chunk)[: len(xml)])  # true for the declared bytes
    path = write_raw_zip(tmp_path / "plan.xlsx", members)
    assert path.stat().st_size < 4 * MiB
    assert_refused(path)


def test_more_than_10000_parts(tmp_path):
    path = valid_book(tmp_path)
    target = tmp_path / "plan.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(target, "w") as out:
        for info in src.infolist():
            out.writestr(info.filename, src.read(info))
        for i in range(10_001):
            out.writestr(f"xl/media/p{i}.bin", b"")
    assert_refused(target, "limit 10000")


def test_part_needing_a_newer_zip_version(tmp_path):
    members = raw_members(tmp_path)
    members[0].version = 0xFF
    assert_refused(write_raw_zip(tmp_path / "plan.xlsx", members), "workbook")


# --- macros --------------------------------------------------------------------------------

WORKBOOK_TYPE = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
MACRO_TYPE = b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"
VBA_DEFAULT = b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject" />'
VBA_REL = (
    b'<Relationship Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" '
    b'Target="vbaProject.bin" Id="rId99" />'
)


def test_xlsm_reads_normally_and_is_left_alone(tmp_path):
    members = members_of(valid_book(tmp_path))
    out = []
    for name, data in members:
        if name == "[Content_Types].xml":
            assert WORKBOOK_TYPE in data
            data = data.replace(WORKBOOK_TYPE, MACRO_TYPE)
            data = data.replace(b"<Default ", VBA_DEFAULT + b"<Default ", 1)
        elif name == "xl/_rels/workbook.xml.rels":
            data = data.replace(b"</Relationships>", VBA_REL + b"</Relationships>")
        out.append((name, data))
    vba = OLE_MAGIC + bytes(504) + "_VBA_PROJECT".encode("utf-16-le") + bytes(2048)
    path = write_zip(tmp_path / "plan.xlsm", [*out, ("xl/vbaProject.bin", vba)])
    os.utime(path, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    before = (path.read_bytes(), path.stat().st_mtime_ns, sorted(os.listdir(tmp_path)))

    start = time.monotonic()
    plan = read_plan(path)
    assert isinstance(plan, Plan)
    assert list(plan.regions["region"]) == ["no-south", "us-texas", "eu-west"]
    assert not plan.warnings
    result = CliRunner().invoke(main, [str(path), "--check"])
    assert result.exit_code == 0, result.output
    assert "plan.xlsm is valid" in result.output
    assert time.monotonic() - start < TIME_LIMIT_S

    after = (path.read_bytes(), path.stat().st_mtime_ns, sorted(os.listdir(tmp_path)))
    assert after == before  # not written to, not touched, nothing copied beside it
