"""The `optimize` command, installed as ``optimizer.cli``.

The command itself is ``optimizer.cli.command``; this module stays light so that the
console script can catch a Ctrl-C that comes while the command's libraries (pandas,
Pyomo, HiGHS, Dask) are still being imported, and say so in one line instead of a
traceback. Its names (``main``, ``Exit``, ``run_info``, ...) are the command module's.
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
        sys.stderr.write("interrupted: nothing was written\n")
        sys.exit(130)
    main()


def __getattr__(name: str) -> object:
    return getattr(importlib.import_module("optimizer.cli.command"), name)
