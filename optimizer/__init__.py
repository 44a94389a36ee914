"""capacity-optimizer: the cheapest 3-year plan for AI infrastructure.

One import name for the whole distribution. The repository's top-level
folders are the user's design card and map into it:

- ``optimizer/`` (this package): the workbook schema (``schema``), safe
  reading (``xlsx``, ``cells``), loading and validation (``inputs``, giving a
  ``plan.Plan``), the template workbook (``template``) and generated docs
  (``docs``); the solve (``solve``) and the certificate every answer passes
  (``certify``), the diagnosis of no plan (``diagnose``), one run
  (``run``) and its tables (``results``); what-if scenarios (``scenarios``),
  comparing finished runs (``compare``: decisions, regret, break-even) and
  running them on Dask (``whatif``), the robust plan (``robust``); the result
  folder (``outputs``) and, in the ``report`` package, results.xlsx and
  report.html (a view of the tables, native Excel charts, SVG charts, Jinja2
  templates);
- ``models/`` is installed as ``optimizer.models``: the Pyomo formulation;
- ``cli/`` is installed as ``optimizer.cli``: the ``optimize`` command.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("capacity-optimizer")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

# name -> module: imported on first use, so that importing a part of the package (the
# command's entry point, say) does not import pandas and the rest
_LAZY = {
    "InputError": "errors",
    "Problem": "errors",
    "read_plan": "inputs",
    "Plan": "plan",
    "Settings": "plan",
}

__all__ = ["InputError", "Plan", "Problem", "Settings", "__version__", "read_plan"]


def __getattr__(name: str) -> object:
    if name not in _LAZY:
        raise AttributeError(f"module 'optimizer' has no attribute {name!r}")
    return getattr(importlib.import_module(f"optimizer.{_LAZY[name]}"), name)
