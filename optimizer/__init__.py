"""capacity-optimizer: the cheapest 3-year plan for AI infrastructure.

One import name for the whole distribution, in wings that each call only the
ones above them in this list (one exception: the workbook's checks ask
``scenarios`` which ids a scenario parameter may target). docs/architecture.md
walks one run and one sweep through them:

- **inputs** (``optimizer/``): the workbook's columns as data (``schema``),
  safe reading of the file (``xlsx``) and of each cell (``cells``), then
  ``inputs.read_plan`` in three passes (``sheets``: sheets, headers and cells;
  ``checks``: rules across rows and sheets), collecting ``errors.Problem``s
  into one ``InputError``, or giving a ``plan.Plan``; the template workbook
  (``template``); the library's generated docs (``docs``).
- **model** (``models/``, installed as ``optimizer.models``): the Pyomo
  formulation; ``sets.build_data`` (the sparse sets and coefficients, with
  ``uses``: which workload may use which option, and why not), variables, one
  file per constraint family, the emissions ledger, the objective.
- **solve**: ``solve`` (HiGHS through highspy), ``status`` (the ``Status`` and
  ``Termination`` enums), ``certify`` (the certificate every answer passes
  before it is called optimal), ``diagnose`` (why there is no plan), ``run``
  (one run: build, solve, certify, tables) and ``results`` (the tables).
- **results and report**: ``columns`` (every output column with its unit),
  ``record`` (run.json's content, and a whole result folder), ``outputs``
  (writing a folder whole or not at all), the ``report`` package (a view of
  the tables; results.xlsx with native charts; report.html from Jinja2
  templates with SVG charts).
- **what-if**: ``scenarios`` (the scenarios sheet, sweeps, the targets a
  parameter may name, a scenario applied to a plan), ``compare`` (finished runs
  compared: decisions, regret, break-even), ``whatif`` (running them on Dask:
  cluster, tasks, retries, progress, bisection; ``scheduler`` and ``worker``
  its cluster and worker set-up), ``robust`` (one plan over all scenarios).
  ``interrupts`` and ``safety`` (signals; limits and text made safe to print)
  serve every wing.
- **command** (``cli/``, installed as ``optimizer.cli``): the ``optimize``
  command (``command``: the options, light to import; ``options``, ``runs``,
  ``exits``, ``terminal``, ``summary``, ``whatif``; ``docs`` regenerates the
  docs). The library never imports it.
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
