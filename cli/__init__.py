"""The `optimize` command, installed as ``optimizer.cli``.

The command itself is ``optimizer.cli.command``, which is light too: the libraries a run
needs (pandas, Pyomo, HiGHS, Dask) are imported when the run starts, under the command's
signal handling. This module catches a Ctrl-C that comes even earlier, and says what the
command says then, in one line instead of a traceback. Its names (``main``, ``Exit``,
...) are the command module's.
"""

from __future__ import annotations

import importlib
import sys


def run() -> None:
    """The console script: import the command, then run it (`optimize serve ...`: the
    calculator's command, optimizer.cli.serve)."""
    try:
        if sys.argv[1:2] == ["serve"]:
            from optimizer.cli.serve import serve

            serve.main(sys.argv[2:], prog_name="optimize serve")
        from optimizer.cli.command import main
    except KeyboardInterrupt:
        sys.stderr.write("interrupted: nothing was written; an existing result is as it was\n")
        sys.exit(130)
    main()


def __getattr__(name: str) -> object:
    return getattr(importlib.import_module("optimizer.cli.command"), name)
