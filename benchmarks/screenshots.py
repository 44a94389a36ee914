"""Screenshots of report.html and results.xlsx for the example plans.

    python benchmarks/screenshots.py OUT_DIR [--plans data/examples/*.xlsx]

Solves every example plan with the `optimize` command (in-process, through click's
CliRunner), the seed-article plan also with ``--sweep power_price_multiplier=0.5:2.0:0.5``,
then photographs each result folder's report.html in headless Chromium (the whole page,
through the DevTools protocol on a pipe: no port, no network) and its results.xlsx as
LibreOffice prints it (``soffice --headless --convert-to pdf``, then ``pdftoppm -png``).
Each run's folder, PDF and PNGs land in OUT_DIR; the page's console errors and any
network request are printed (there should be none).

Needs /usr/bin/chromium (or chromium on the PATH), soffice and pdftoppm.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import click
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "data" / "examples"
SWEEP = "power_price_multiplier=0.5:2.0:0.5"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def solve(plan: Path, out: Path, extra: list[str]) -> None:
    """Run `optimize PLAN --out OUT ...`; make the reports here if the command did not
    (while optimizer/outputs.py does not call write_reports yet)."""
    from optimizer import cli
    from optimizer.reports import write_reports

    written = cli.write_folder

    def write_folder(target: Path, tables: dict[str, Any], info: dict[str, object]) -> None:
        written(target, tables, info)
        if not (target / "report.html").exists():
            write_reports(target, tables, info)

    cli.write_folder = write_folder  # type: ignore[assignment]
    try:
        args = [str(plan), "--out", str(out), "--quiet", *extra]
        result = CliRunner().invoke(cli.main, args, catch_exceptions=False)
    finally:
        cli.write_folder = written  # type: ignore[assignment]
    click.echo(f"optimize {' '.join(args)}: exit {result.exit_code}")
    if result.exit_code not in (0, 3, 4):
        raise SystemExit(result.output)


# Starts Chromium with the pipes as its fds 3 and 4 (a shell's `3<&N` takes one digit only).
TRAMPOLINE = (
    "import os, sys; os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4); "
    "os.execv(sys.argv[3], sys.argv[3:])"
)


def _pipe() -> tuple[int, int]:
    """A pipe whose ends are numbered 10 or more, clear of the 3 and 4 they are copied to."""
    ends = []
    for fd in os.pipe():
        ends.append(fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10))
        os.close(fd)
    return ends[0], ends[1]


class Chromium:
    """Headless Chromium driven over --remote-debugging-pipe (fd 3 in, fd 4 out)."""

    def __init__(self, binary: str, profile: Path) -> None:
        to_browser_r, self._to_browser = _pipe()
        self._from_browser, from_browser_w = _pipe()
        args = [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}"]
        args += ["--remote-debugging-pipe", "--window-size=1280,900", "about:blank"]
        self.process = subprocess.Popen(
            [sys.executable, "-c", TRAMPOLINE, str(to_browser_r), str(from_browser_w), *args],
            pass_fds=(to_browser_r, from_browser_w),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._id = 0
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, params: dict[str, Any] | None = None, session: str = "") -> Any:
        self._id += 1
        message: dict[str, Any] = {"id": self._id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        while True:
            reply = self.receive()
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def receive(self, timeout: float = 60.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._from_browser], [], [], deadline - time.monotonic())
            if not ready:
                raise TimeoutError("Chromium did not answer")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise EOFError("Chromium closed the pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def open(self, url: str) -> str:
        """Load ``url`` in the page and wait for its load event; the page's session id."""
        targets = self.call("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        session = self.call(
            "Target.attachToTarget", {"targetId": page["targetId"], "flatten": True}
        )
        sid = session["sessionId"]
        for domain in ("Network", "Runtime", "Log", "Page"):
            self.call(f"{domain}.enable", session=sid)
        self.call("Page.navigate", {"url": url}, session=sid)
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events):
            self.events.append(self.receive())
        return sid

    def close(self) -> None:
        with contextlib.suppress(EOFError, RuntimeError, OSError):
            self.call("Browser.close")
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        os.close(self._to_browser)
        os.close(self._from_browser)


def shoot_html(page: Path, png: Path, chromium: str) -> list[str]:
    """A full-page PNG of ``page``; returns the console errors and network requests seen."""
    with tempfile.TemporaryDirectory() as profile:
        browser = Chromium(chromium, Path(profile))
        try:
            url = page.resolve().as_uri()
            sid = browser.open(url)
            shot = browser.call(
                "Page.captureScreenshot",
                {"format": "png", "captureBeyondViewport": True},
                session=sid,
            )
            png.write_bytes(base64.b64decode(shot["data"]))
        finally:
            browser.close()
    problems = []
    for event in browser.events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Network.requestWillBeSent" and params["request"]["url"] != url:
            problems.append(f"request: {params['request']['url']}")
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            problems.append(f"console: {params.get('args')}")
        elif method == "Runtime.exceptionThrown":
            problems.append(f"exception: {params.get('exceptionDetails')}")
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            problems.append(f"log: {params['entry'].get('text')}")
    return problems


def shoot_xlsx(book: Path, out_dir: Path, stem: str) -> list[Path]:
    """results.xlsx as LibreOffice prints it: a PDF, then a PNG per page."""
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                "soffice",
                f"-env:UserInstallation={Path(profile).as_uri()}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(out_dir),
                str(book),
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
    pdf = out_dir / f"{book.stem}.pdf"
    target = out_dir / f"{stem}-xlsx.pdf"
    pdf.replace(target)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "70", str(target), str(out_dir / f"{stem}-xlsx")],
        check=True,
        timeout=300,
    )
    return sorted(out_dir.glob(f"{stem}-xlsx*.png"))


@click.command()
@click.argument("out_dir", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--plans",
    multiple=True,
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="Plans to solve (default: every data/examples/*.xlsx).",
)
def main(out_dir: Path, plans: tuple[Path, ...]) -> None:
    """Solve the example plans and photograph their report.html and results.xlsx."""
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    for tool in (chromium, "soffice", "pdftoppm"):
        if shutil.which(tool) is None:
            raise click.ClickException(f"{tool} is not installed")
    out_dir.mkdir(parents=True, exist_ok=True)
    runs: list[tuple[str, Path, list[str]]] = []
    for plan in plans or tuple(sorted(EXAMPLES.glob("*.xlsx"))):
        runs.append((plan.stem, plan, []))
        if plan.stem == "seed-article":
            runs.append((f"{plan.stem}-sweep", plan, ["--sweep", SWEEP]))
    for stem, plan, extra in runs:
        folder = out_dir / f"{stem}-results"
        started = time.perf_counter()
        solve(plan, folder, extra)
        problems = shoot_html(folder / "report.html", out_dir / f"{stem}-report.png", chromium)
        pages = shoot_xlsx(folder / "results.xlsx", out_dir, stem)
        click.echo(
            f"{stem}: {stem}-report.png, {len(pages)} workbook pages "
            f"({time.perf_counter() - started:.1f} s)"
        )
        for line in problems:
            click.echo(f"  page problem: {line}", err=True)


if __name__ == "__main__":
    main()
