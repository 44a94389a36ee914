"""report.html's compiled templates kept between processes (optimizer/report/compiled.py):
the same page with and without them, compiled once, and never a reason to fail."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import valid_sheets, write_book
from jinja2 import Environment, PackageLoader, StrictUndefined

from optimizer import read_plan
from optimizer.record import run_info
from optimizer.report.compiled import KeptTemplates, keep_compiled, settings
from optimizer.report.page import ENVIRONMENT, render_page
from optimizer.report.view import View
from optimizer.run import optimize
from optimizer.solve import SolverOptions

TEMPLATE = "headline.html"


def _environment(directory: Path | None, **changed: object) -> Environment:
    """A fresh environment like report.html's (nothing compiled in memory yet)."""
    options: dict[str, object] = {
        "loader": PackageLoader("optimizer.report", "templates"),
        "autoescape": True,
        "trim_blocks": True,
        "lstrip_blocks": True,
        "undefined": StrictUndefined,
        "finalize": ENVIRONMENT.finalize,
    } | changed
    env = Environment(**options)  # type: ignore[arg-type]
    if directory is not None:
        keep_compiled(env, str(directory))
    return env


def _sources() -> dict[str, str]:
    env = _environment(None)
    return {name: env.loader.get_source(env, name)[0] for name in env.list_templates()}  # type: ignore[union-attr]


def _compiles(env: Environment, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The templates ``env`` compiles from their source from now on."""
    compiled: list[str] = []
    compile_ = env.compile

    def counting(source: object, name: str | None = None, *args: object, **kw: object) -> object:
        compiled.append(str(name))
        return compile_(source, name, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(env, "compile", counting)
    return compiled


def _code(env: Environment, name: str) -> str:
    """The Python source Jinja2 generates for template ``name`` (what its bytecode runs)."""
    return str(env.compile(_sources()[name], name, raw=True))


def test_a_kept_template_is_loaded_not_compiled(tmp_path: Path, monkeypatch) -> None:
    first = _environment(tmp_path)
    compiled = _compiles(first, monkeypatch)
    for name in ("report.html", TEMPLATE):
        first.get_template(name)
    assert TEMPLATE in compiled and "report.html" in compiled
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files and all(f.startswith("capacity-optimizer-") for f in files)
    second = _environment(tmp_path)
    again = _compiles(second, monkeypatch)
    second.get_template("report.html")
    second.get_template(TEMPLATE)
    assert again == []  # both loaded from the files


def test_the_page_is_the_same_with_kept_templates(tmp_path: Path, monkeypatch) -> None:
    """report.html of a solved plan: the same page compiled afresh, compiled and kept,
    and loaded from the kept files (nothing compiled)."""
    path = write_book(tmp_path / "plan.xlsx", valid_sheets())
    plan = read_plan(path)
    options = SolverOptions(mip_gap=0.0, time_limit_s=60.0)
    outcome = optimize(plan, options)
    view = View.of(outcome.tables, run_info(path, plan, options, outcome))
    monkeypatch.setattr(ENVIRONMENT, "cache", {})
    monkeypatch.setattr(ENVIRONMENT, "bytecode_cache", None)
    plain = render_page(view)
    (tmp_path / "kept").mkdir()
    keep_compiled(ENVIRONMENT, str(tmp_path / "kept"))
    ENVIRONMENT.cache.clear()
    assert render_page(view) == plain  # compiled, and kept
    ENVIRONMENT.cache.clear()
    compiled = _compiles(ENVIRONMENT, monkeypatch)
    assert render_page(view) == plain
    assert compiled == []


def test_other_settings_or_release_compile_again(tmp_path: Path, monkeypatch) -> None:
    """A file compiled with other settings (or another Jinja2 release: part of the same
    checksum) is not used, since the code differs."""
    _environment(tmp_path).get_template(TEMPLATE)
    other = _environment(tmp_path, trim_blocks=False)
    assert settings(other) != settings(_environment(None))
    assert _code(other, TEMPLATE) != _code(_environment(None), TEMPLATE)
    compiled = _compiles(other, monkeypatch)
    other.get_template(TEMPLATE)
    assert compiled == [TEMPLATE]
    cache = other.bytecode_cache
    assert isinstance(cache, KeptTemplates)
    monkeypatch.setattr("jinja2.__version__", "0.0-other")
    assert settings(other) != cache.settings


def test_unreadable_or_broken_files_mean_compiling(tmp_path: Path, monkeypatch) -> None:
    _environment(tmp_path).get_template(TEMPLATE)
    for path in tmp_path.iterdir():
        path.write_bytes(path.read_bytes()[:20])  # cut short
    env = _environment(tmp_path)
    compiled = _compiles(env, monkeypatch)
    env.get_template(TEMPLATE)
    assert compiled == [TEMPLATE]
    for path in tmp_path.iterdir():
        path.write_bytes(b"not a cache file at all")
    env = _environment(tmp_path)
    compiled = _compiles(env, monkeypatch)
    env.get_template(TEMPLATE)
    assert compiled == [TEMPLATE]


def test_writing_fails_quietly(tmp_path: Path, monkeypatch) -> None:
    """A write that fails (disk full, a folder gone) leaves no file and no error."""

    def full(*args: object, **kwargs: object) -> object:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("tempfile.NamedTemporaryFile", full)
    env = _environment(tmp_path)
    env.get_template(TEMPLATE)
    assert list(tmp_path.iterdir()) == []


def python(code: str, argument: Path) -> None:
    """Run ``code`` in a fresh Python (-P: the installed package, not the checkout's
    folder) with ``argument``; it must succeed."""
    run = subprocess.run(
        [sys.executable, "-P", "-c", code, str(argument)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr


def test_no_folder_means_no_cache(tmp_path: Path) -> None:
    """When Jinja2 cannot have its folder (here: the temporary directory a file), the
    environment compiles as without the cache."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    code = (
        "import tempfile, sys; tempfile.tempdir = sys.argv[1]\n"
        "from optimizer.report.page import ENVIRONMENT\n"
        "assert ENVIRONMENT.bytecode_cache is None\n"
        "print(len(ENVIRONMENT.get_template('report.html').name))\n"
    )
    python(code, blocker)


def test_processes_writing_at_once_leave_whole_files(tmp_path: Path) -> None:
    """Several processes compiling and writing the same templates at once: each file is
    whole afterwards (a later process loads every template without compiling)."""
    code = (
        "import sys\n"
        "from optimizer.report.compiled import keep_compiled\n"
        "from optimizer.report.page import ENVIRONMENT\n"
        "keep_compiled(ENVIRONMENT, sys.argv[1])\n"
        "for name in ENVIRONMENT.list_templates():\n"
        "    if name.endswith('.html'): ENVIRONMENT.get_template(name)\n"
    )
    runs = [
        subprocess.Popen([sys.executable, "-P", "-c", code, str(tmp_path)], stderr=subprocess.PIPE)
        for _ in range(4)
    ]
    for run in runs:
        _, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
    assert not [p for p in tmp_path.iterdir() if p.suffix != ".cache"]  # no temporary left
    check = (
        code
        + "ENVIRONMENT.cache.clear()\n"
        + "ENVIRONMENT.compile = None\n"  # compiling would fail now
        + "for name in ENVIRONMENT.list_templates():\n"
        + "    if name.endswith('.html'): ENVIRONMENT.get_template(name)\n"
    )
    python(check, tmp_path)
