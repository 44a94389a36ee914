"""The distribution claims one import name; generated docs are current."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from optimizer.docs import render_all

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


@pytest.mark.parametrize("name", sorted(render_all()))
def test_generated_docs_are_current(name):
    """Regenerate with `python -m optimizer.docs`."""
    assert (ROOT / "docs" / name).read_text(encoding="utf-8") == render_all()[name]
