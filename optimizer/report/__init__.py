"""results.xlsx and report.html: the result tables for people, beside the CSVs for imports.

Both are drawn from the very tables the CSVs hold and from run.json's facts, so they
never disagree with them:

- ``view``: the tables turned into what a reader sees (the focus scenario, period
  labels, cost pivots, sites in use), once for both files; ``values`` formats one value;
- ``workbook`` and ``workbook_charts``: results.xlsx (xlsxwriter), values only, with
  native charts;
- ``page``, ``page_scenarios`` and ``templates/``: report.html, rendered by Jinja2 with
  autoescape; ``svg``: its charts, from plain data.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .page import render_page
from .view import View
from .workbook import FORMULA_STARTS, write_workbook

__all__ = ["FORMULA_STARTS", "write_reports"]


def write_reports(folder: Path, tables: dict[str, pd.DataFrame], info: dict[str, object]) -> None:
    """Write ``results.xlsx`` and ``report.html`` into ``folder`` from the output tables
    (as written to the CSVs) and what run.json records (``info``)."""
    view = View.of(tables, info)
    write_workbook(folder / "results.xlsx", view)
    (folder / "report.html").write_bytes(render_page(view).encode("utf-8", "replace"))
