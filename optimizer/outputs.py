"""Writing the result folder: whole or not at all, and never lost once finished.

Everything is written into a hidden folder beside the target
(``.NAME.partial-PID-XXXX``), renamed ``.NAME.ready-PID-XXXX`` once complete,
and then exchanged with the target in one atomic step (Linux ``renameat2``
with ``RENAME_EXCHANGE``; elsewhere two renames with signals held between
them). At no instant is there no complete result at the target once one
existed. A run killed outright (SIGKILL, power loss) may leave those hidden
folders; ``recover`` tidies them on the next run and puts back the previous
result if the target is missing. An existing folder is replaced only when it
is a result folder (it holds run.json and nothing but result files, and what
an operating system or an office suite drops beside them), so a mistyped
target never deletes a user's files.

``preflight`` checks before any long work that the folder can be written and
has room; if writing still fails after a solve, the finished result is kept
in a named folder and ``WriteError`` says where.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import json
import os
import re
import secrets
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from optimizer import interrupts
from optimizer.columns import column_type
from optimizer.plan import Plan
from optimizer.report import FORMULA_STARTS, write_reports
from optimizer.safety import finite

RESULT_FILES = {
    "summary.csv",
    "costs.csv",
    "emissions.csv",
    "workload_costs.csv",
    "workload_emissions.csv",
    "workload_summary.csv",
    "racks.csv",
    "assignments.csv",
    "sites.csv",
    "decisions.csv",
    "regret.csv",
    "breakeven.csv",
    "results.xlsx",
    "report.html",
    "run.json",
}
# dropped into folders by Finder, Explorer and office suites (~$ is a lock file of an
# open workbook); they never make a folder "not a result folder"
LITTER = re.compile(
    r"^(\.DS_Store|Thumbs\.db|desktop\.ini|~\$.*|\._.*|\..*\.probe-\d+-[0-9a-f]+)$", re.IGNORECASE
)
LEFTOVER_KINDS = ("partial", "ready", "old", "probe")
MIB = 2**20
SIZE_MARGIN = 2  # free space asked for: twice the estimate (the old folder stays until the swap)


class OutputError(Exception):
    """The output folder cannot be used; the message says why."""


class WriteError(Exception):
    """The output location cannot be written (permissions, a read-only or full file
    system). ``kept`` is where the finished result was kept instead, if it was."""

    def __init__(self, message: str, kept: Path | None = None) -> None:
        super().__init__(message)
        self.kept = kept


def default_out(plan_path: Path) -> Path:
    """``<plan name>-results/`` beside the plan."""
    return plan_path.with_name(plan_path.stem + "-results")


def _parent(out: Path) -> Path:
    return out.parent if out.parent != Path("") else Path(".")


def check_out(out: Path) -> None:
    """Refuse, before any work, a target that is a file or a folder of other things."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out} is a file, not a folder")
    if out.is_dir():
        names = {p.name for p in out.iterdir() if not LITTER.match(p.name)}
        if names and ("run.json" not in names or not names <= RESULT_FILES):
            raise OutputError(
                f"{out} exists and is not a result folder of this tool; choose a new or "
                "empty folder"
            )
    parent = _parent(out)
    if not parent.is_dir():
        raise OutputError(f"the folder {parent} does not exist")


def estimate_bytes(plan: Plan, scenarios: int = 1) -> int:
    """An estimate of a result folder's size from the model's: per scenario and period,
    a few assignment rows a workload, a rack row per (site, rack type), cost rows per
    location and category; 400 bytes a row across the CSVs, results.xlsx and
    report.html, and 1 MiB for the rest."""
    places = len(plan.sites) * max(1, len(plan.hardware)) + len(plan.cloud) + len(plan.apis)
    places += len(plan.edge)
    rows = plan.settings.n_periods * (3 * len(plan.workloads) + 4 * places + 12)
    return MIB + max(1, scenarios) * rows * 400


def preflight(out: Path, need: int) -> None:
    """Raise WriteError, before any long work, if a result folder of ``need`` bytes cannot
    be put at ``out``: its folder not writable (a probe file), ``out`` itself not
    replaceable, or too little free space."""
    parent = _parent(out)
    probe_folder(parent, out.name)
    if out.is_dir():
        if os.path.ismount(out):
            raise WriteError(
                f"{out} is a mount point; a result folder is replaced by renaming, so choose "
                "a folder inside it"
            )
        probe_folder(out, out.name)
    free = shutil.disk_usage(parent).free
    if free < need * SIZE_MARGIN:
        raise WriteError(
            f"{parent} has {free / MIB:.1f} MiB free; the result needs about "
            f"{need * SIZE_MARGIN / MIB:.1f} MiB (twice its estimated size, for the swap)"
        )


def probe_folder(folder: Path, name: str) -> None:
    """Raise WriteError unless a file can be written (and synced) in ``folder``."""
    probe = folder / f".{name}.probe-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        with open(probe, "xb") as fh:
            fh.write(b"probe")
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise WriteError(f"cannot write in {folder}: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(OSError):
            probe.unlink()


def fingerprint(path: Path) -> tuple[str, tuple[int, ...]] | None:
    """The SHA-256 of a file and its identity (inode, size, modification time) when it was
    hashed; None when it cannot be read (the reader then says why)."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest(), (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet would read as a formula get a leading apostrophe."""
    out = frame.copy()
    for name in out.columns:
        if out[name].dtype == object or pd.api.types.is_string_dtype(out[name]):
            values = out[name].tolist()
            risky = [isinstance(v, str) and v.startswith(FORMULA_STARTS) for v in values]
            if any(risky):
                out[name] = ["'" + v if r else v for v, r in zip(values, risky, strict=True)]
    return out


def typed(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every column in its declared type: integers as nullable integers
    (blank when missing), numbers as floats, yes/no as nullable booleans; text and dates as
    they are. An integer column holding a fraction is a bug, and raises ValueError."""
    out = frame.copy()
    for name in out.columns:
        kind = column_type(str(name))
        if kind == "integer":
            values = pd.to_numeric(out[name], errors="raise").astype("float64")
            whole = values.round()
            if ((values - whole).abs() > 1e-6).any():
                raise ValueError(f"column {name} holds a fraction where it counts whole things")
            out[name] = whole.astype("Int64")
        elif kind == "number":
            out[name] = pd.to_numeric(out[name], errors="raise").astype("float64")
        elif kind == "bool":
            out[name] = out[name].astype("boolean")
    return out


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """UTF-8 with BOM, comma, '.' decimals, ISO dates, no index; every column in its
    declared type (optimizer/columns.py), the same in every run."""
    neutralise(typed(frame)).to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")


def run_json(info: dict[str, object]) -> str:
    """run.json's text: strict JSON (a non-finite number is null, never NaN or Infinity)."""
    return json.dumps(finite(info), indent=2, default=str, allow_nan=False) + "\n"


def _fill(folder: Path, tables: dict[str, pd.DataFrame], info: dict[str, object]) -> None:
    for name, frame in tables.items():
        write_csv(frame, folder / f"{name}.csv")
    (folder / "run.json").write_text(run_json(info), encoding="utf-8")
    write_reports(folder, tables, info)


def _fresh(parent: Path, prefix: str) -> Path:
    """A new folder (mode by the umask, unlike mkdtemp's 0700) named ``prefix-PID-XXXX``."""
    while True:
        path = parent / f"{prefix}-{os.getpid()}-{secrets.token_hex(4)}"
        with contextlib.suppress(FileExistsError):
            os.mkdir(path)
            return path


def write_folder(out: Path, tables: dict[str, pd.DataFrame], run_info: dict[str, object]) -> None:
    """Write every table as CSV, run.json, results.xlsx and report.html into ``out``,
    atomically; raise WriteError, naming where the result was kept, if it cannot be."""
    check_out(out)
    parent = _parent(out)
    tmp = ready = displaced = None
    try:
        tmp = _fresh(parent, f".{out.name}.partial")
        _fill(tmp, tables, run_info)
        ready = parent / tmp.name.replace(".partial-", ".ready-", 1)
        os.rename(tmp, ready)
        tmp = None
        with interrupts.deferred():
            displaced = _put_in_place(ready, out)
            interrupts.commit(out)
        ready = None
        if displaced is not None:
            shutil.rmtree(displaced, ignore_errors=True)
    except BaseException as exc:
        cause = _os_error(exc)
        for path in (tmp, displaced) if cause else (tmp, ready, displaced):
            if path is not None:
                shutil.rmtree(path, ignore_errors=True)
        if cause is None:
            raise
        kept = _keep(ready, out, tables, run_info)
        where = f"; the finished result is kept in {kept}" if kept else ""
        raise WriteError(f"could not write {out}: {cause.strerror or cause}{where}", kept) from exc


def _os_error(exc: BaseException) -> OSError | None:
    """The operating system's error behind ``exc``: itself, or the one a writer wrapped in
    its own exception (xlsxwriter's FileCreateError holds it); None for anything else."""
    if not isinstance(exc, Exception):
        return None
    for candidate in (exc, exc.__cause__, exc.__context__, *exc.args):
        if isinstance(candidate, OSError):
            return candidate
    return None


def _keep(
    ready: Path | None, out: Path, tables: dict[str, pd.DataFrame], info: dict[str, object]
) -> Path | None:
    """Somewhere the finished result survives a failed write: the complete folder renamed
    to a visible name beside the target, or else a fresh copy in the temporary folder."""
    if ready is not None:
        kept = _parent(out) / f"{out.name}.unsaved-{secrets.token_hex(4)}"
        with contextlib.suppress(OSError):
            os.rename(ready, kept)
            return kept
        shutil.rmtree(ready, ignore_errors=True)
    try:
        kept = _fresh(Path(tempfile.gettempdir()), f"{out.name}.unsaved")
    except OSError:
        return None
    try:
        _fill(kept, tables, info)
    except Exception as exc:
        shutil.rmtree(kept, ignore_errors=True)
        if _os_error(exc) is None:
            raise
        return None
    return kept


# --- putting a folder in place -----------------------------------------------------------

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2); False where the platform or the file
    system cannot."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
    renameat2.argtypes += [ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _put_in_place(ready: Path, out: Path) -> Path | None:
    """Make ``ready`` the folder at ``out``; the path now holding the folder it replaced."""
    if not out.exists():
        try:
            os.rename(ready, out)
            return None
        except OSError as exc:  # another run put a folder there meanwhile
            if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                raise
    if _exchange(ready, out):
        return ready
    old = _parent(out) / ready.name.replace(".ready-", ".old-", 1)
    os.rename(out, old)
    try:
        os.rename(ready, out)
    except BaseException:
        os.rename(old, out)
        raise
    return old


# --- recovery after a run killed outright ------------------------------------------------


def leftovers(out: Path) -> list[Path]:
    """Hidden folders and probe files a run writing ``out`` left, but not those of a run
    still going (their names hold its process id)."""
    pattern = re.compile(
        rf"^\.{re.escape(out.name)}\.({'|'.join(LEFTOVER_KINDS)})-(\d+)-[0-9a-f]+$"
    )
    found = []
    parent = _parent(out)
    with contextlib.suppress(OSError):
        for path in parent.iterdir():
            match = pattern.match(path.name)
            if match and not _alive(int(match.group(2))):
                found.append(path)
    return sorted(found, key=lambda p: p.stat().st_mtime)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover(out: Path) -> list[str]:
    """Tidy what a killed run left beside ``out``: when ``out`` is missing, put back the
    previous result (or else the newest finished one); remove the rest. Returns what was
    done, one line each."""
    found = leftovers(out)
    done = []
    if not out.exists():
        complete = [p for p in found if (p / "run.json").is_file()]
        previous = [p for p in complete if ".old-" in p.name] or complete
        if previous:
            os.rename(previous[-1], out)
            found.remove(previous[-1])
            done.append(f"put back the result folder {out} that an interrupted run left aside")
    for path in found:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                path.unlink()
    if found:
        done.append(f"removed {len(found)} leftover(s) of an interrupted run beside {out}")
    return done
