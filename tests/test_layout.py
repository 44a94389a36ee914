"""The distribution claims one import name; generated docs are current."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from optimizer.cli.docs import render_all

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", ["models", "cli"])
def test_no_generic_top_level_package_is_installed(tmp_path, name):
    """models/ and cli/ are installed as optimizer.models and optimizer.cli only."""
    code = f"import importlib.util, sys; sys.exit(importlib.util.find_spec({name!r}) is not None)"
    assert subprocess.run([sys.executable, "-c", code], cwd=tmp_path).returncode == 0


def test_mapped_packages_import():
    import optimizer.cli
    import optimizer.models

    assert optimizer.models.__doc__ and callable(optimizer.cli.main)


@pytest.mark.parametrize("name", ["inputs.md", "outputs.md", "cli-reference.md"])
def test_generated_docs_are_current(name):
    """Regenerate with `python -m optimizer.cli.docs`."""
    assert (ROOT / "docs" / name).read_text(encoding="utf-8") == render_all(ROOT / "docs")[name]


def test_every_model_component_is_documented(book):
    """Every constraint, variable and set of a built model is named in docs/formulation.md."""
    import pyomo.environ as pyo
    from conftest import set_cell, valid_sheets, write_book

    from optimizer import read_plan
    from optimizer.models import build_model

    sheets = valid_sheets()
    set_cell(sheets, "workloads", 4, "allow_edge", "yes")
    sheets["cloud"].append(["spot", "aws", "us-texas", "H100", "spot", 2.0, None])
    set_cell(sheets, "cloud", 2, "max_accelerators", 8)
    set_cell(sheets, "apis", 2, "max_mtok_per_day", 10)
    m = build_model(read_plan(write_book(book().parent / "full.xlsx", sheets)))
    text = (ROOT / "docs" / "formulation.md").read_text(encoding="utf-8")
    names = {
        c.local_name
        for c in m.component_objects((pyo.Constraint, pyo.Var, pyo.Set), descend_into=True)
    }
    constraints = {c.local_name for c in m.component_objects(pyo.Constraint)}
    assert constraints >= {
        "demand_met",
        "rack_capacity",
        "site_power",
        "site_air",
        "site_liquid",
        "site_slots",
        "build_once",
        "cloud_quota",
        "reserved_use",
        "api_limit",
        "edge_capacity",
    }
    missing = sorted(n for n in names if f"`{n}`" not in text)
    assert missing == []


def test_every_output_table_is_documented():
    from optimizer.columns import OUTPUT_COLUMNS

    text = (ROOT / "docs" / "outputs.md").read_text(encoding="utf-8")
    for name in [*OUTPUT_COLUMNS, "summary_extras"]:
        assert f"<!-- columns: {name} -->" in text, name


def test_every_package_folder_is_installed():
    """Each folder with an __init__.py is listed in pyproject.toml's packages (a plain
    `pip install .` installs nothing else), and so is each folder of data only (the
    report's templates), with its files in package-data."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    folders = {
        str(init.parent.relative_to(ROOT))
        for top in ("optimizer", "models", "cli")
        for init in (ROOT / top).rglob("__init__.py")
    }
    mapped = {
        config["package-dir"].get(name, name.replace(".", "/")) for name in config["packages"]
    }
    data_only = {
        name.replace(".", "/")
        for name in config["package-data"]
        if not (ROOT / name.replace(".", "/") / "__init__.py").exists()
    }
    assert data_only == {"optimizer/report/templates", "optimizer/calculator/templates"}
    assert folders | data_only == mapped


def test_the_library_never_imports_the_command_layer():
    """Layers point one way: optimizer/ and models/ never import optimizer.cli."""
    import re

    pattern = re.compile(r"^\s*(from|import)\s+optimizer\.cli\b", re.M)
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("optimizer", "models")
        for path in (ROOT / folder).rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
