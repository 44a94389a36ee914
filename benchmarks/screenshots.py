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
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the Chromium driver the report tests use

from chromium import CHROMIUM, Chromium, page_problems  # noqa: E402

from optimizer.cli import main as optimize  # noqa: E402

EXAMPLES = ROOT / "data" / "examples"
SWEEP = "power_price_multiplier=0.5:2.0:0.5"


def solve(plan: Path, out: Path, extra: list[str]) -> None:
    """Run `optimize PLAN --out OUT --quiet ...` in this process."""
    args = [str(plan), "--out", str(out), "--quiet", *extra]
    result = CliRunner().invoke(optimize, args, catch_exceptions=False)
    click.echo(f"optimize {' '.join(args)}: exit {result.exit_code}")
    if result.exit_code not in (0, 3, 4):
        raise SystemExit(result.output)


def shoot_html(page: Path, png: Path, chromium: str) -> list[str]:
    """A full-page PNG of ``page``; returns the console errors and network requests seen."""
    with tempfile.TemporaryDirectory() as profile:
        browser = Chromium(Path(profile), chromium)
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
    return page_problems(browser.events, url)


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
    chromium = CHROMIUM
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
