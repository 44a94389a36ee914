"""`optimize serve PLAN`: the local calculator (optimizer.calculator), started from the
command line. The workbook is checked as `--check` checks it first."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from optimizer.calculator.server import PortTaken
from optimizer.calculator.server import serve as run_server
from optimizer.cli.command import (
    Exit,
    Source,
    WhatIfRequest,
    _err,
    _print_problems,
    _read,
    _run_whatif,
    _solver_options,
    _tables_to_write,
    run_info,
    say,
)
from optimizer.errors import InputError
from optimizer.outputs import write_folder
from optimizer.plan import Plan
from optimizer.run import optimize
from optimizer.safety import MAX_REGRET_SOLVES
from optimizer.scenarios import BASE, Scenario

LOCAL = "127.0.0.1"


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("plan", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=8750,
    show_default=True,
    help="Port to listen on.",
)
@click.option(
    "--host",
    default=LOCAL,
    show_default=True,
    help="Address to listen on; anything but 127.0.0.1 lets other machines in.",
)
@click.option("--open", "open_browser", is_flag=True, help="Open the page in the browser.")
def serve(plan: Path, port: int, host: str, open_browser: bool) -> None:
    """Start the calculator for PLAN (.xlsx): a local web page whose controls change the
    what-if parameters and the buy-or-rent settings, re-solving the plan at every change.

    The workbook is checked first, as --check does (exit 2 on errors, no server); the
    base case is solved, then the page is served until Ctrl-C. docs/calculator.md
    describes the page.
    """
    err = _err()
    try:
        digest, loaded = _read(plan)
    except InputError as exc:
        _print_problems(err, "warning", "yellow", exc.warnings)
        _print_problems(err, "error", "red", exc.problems)
        n = len(exc.problems)
        say(err, f"{plan.name}: {n} problem{'s' if n != 1 else ''}; no server started", "red")
        sys.exit(int(Exit.INPUT))
    _print_problems(err, "warning", "yellow", loaded.warnings)
    if host != LOCAL:
        say(
            err,
            "warning:",
            "yellow",
            f" --host {host}: other machines can reach the calculator; the page has no login",
        )
    source = Source(plan, digest)

    def write_results(chosen: Plan, scenario: Scenario, out: Path) -> None:
        """What `optimize PLAN --sweep ...` writes for the overrides (the base case alone:
        what `optimize PLAN` writes)."""
        options = _solver_options(chosen, {}, quiet=True)
        if not scenario.overrides:
            outcome = optimize(chosen, options)
            write_folder(out, _tables_to_write(outcome), run_info(source, chosen, options, outcome))
            return
        request = WhatIfRequest(False, None, [], None, False, None, False, MAX_REGRET_SOLVES, True)
        _run_whatif(source, chosen, options, [Scenario(BASE), scenario], request, out, quiet=True)

    say(err, "solving the base case of ", "", plan.name)
    try:
        run_server(
            loaded,
            _solver_options(loaded, {}, quiet=False),
            write_results,
            host=host,
            port=port,
            open_browser=open_browser,
            say=lambda line: click.echo(line),
        )
    except PortTaken as exc:
        say(err, "error:", "red", f" --port {port}: {exc}")
        sys.exit(int(Exit.ENVIRONMENT))
    except KeyboardInterrupt:  # uvicorn stops on the signal, then raises it again
        pass
    click.echo("calculator stopped")
    sys.exit(int(Exit.INTERRUPTED))
