"""capacity-optimizer: the cheapest 3-year plan for AI infrastructure.

One import name for the whole distribution. The repository's top-level
folders are the user's design card and map into it:

- ``optimizer/`` (this package): the workbook schema (``schema``), safe
  reading (``xlsx``, ``cells``), loading and validation (``inputs``, giving a
  ``plan.Plan``), the template workbook (``template``) and generated docs
  (``docs``); the solve, results and what-if runs; the result folder
  (``outputs``) and, in the ``report`` package, results.xlsx and report.html
  (a view of the tables, native Excel charts, SVG charts, Jinja2 templates);
- ``models/`` is installed as ``optimizer.models``: the Pyomo formulation;
- ``cli/`` is installed as ``optimizer.cli``: the ``optimize`` command.
"""

from importlib.metadata import PackageNotFoundError, version

from .errors import InputError, Problem
from .inputs import read_plan
from .plan import Plan, Settings

try:
    __version__ = version("capacity-optimizer")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = ["InputError", "Plan", "Problem", "Settings", "__version__", "read_plan"]
