"""`optimize serve PLAN`: the local calculator (optimizer.calculator), started from the
command line. The workbook is checked as `--check` checks it first."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from optimizer.calculator.server import PortTaken
from optimizer.calculator.server import serve as run_server
from optimizer.cli.exits import Exit
from optimizer.errors import InputError, Problem
from optimizer.inputs import read_plan
from optimizer.plan import Plan
from optimizer.record import write_run, write_whatif
from optimizer.run import optimize
from optimizer.safety import machine_threads, visible
from optimizer.scenarios import BASE, Scenario
from optimizer.solve import SolverOptions
from optimizer.whatif import run_scenarios

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
    try:
        loaded = read_plan(plan)
    except InputError as exc:
        _problems("warning", "yellow", exc.warnings)
        _problems("error", "red", exc.problems)
        n = len(exc.problems)
        _say(f"{plan.name}: {n} problem{'s' if n != 1 else ''}; no server started", "red")
        sys.exit(int(Exit.INPUT))
    _problems("warning", "yellow", loaded.warnings)
    if host != LOCAL:
        _say(
            f"warning: --host {host}: other machines can reach the calculator; the page has "
            "no login",
            "yellow",
        )
    s = loaded.settings
    # the settings sheet's solver options, its threads capped at this machine's cores
    options = SolverOptions(s.mip_gap, s.time_limit_s, min(s.threads, machine_threads()))

    def write_results(chosen: Plan, scenario: Scenario, out: Path) -> None:
        """What `optimize PLAN --sweep ...` writes for the overrides (the base case alone:
        what `optimize PLAN` writes)."""
        if not scenario.overrides:
            write_run(out, plan, chosen, options, optimize(chosen, options))
            return
        started = time.perf_counter()
        result = run_scenarios(chosen, [Scenario(BASE), scenario], options)
        write_whatif(out, plan, chosen, options, result, time.perf_counter() - started, None)

    _say(f"solving the base case of {plan.name}")
    try:
        run_server(
            loaded,
            options,
            write_results,
            host=host,
            port=port,
            open_browser=open_browser,
            say=lambda line: click.echo(line),
        )
    except PortTaken as exc:
        _say(f"error: --port {port}: {exc}", "red")
        sys.exit(int(Exit.ENVIRONMENT))
    except KeyboardInterrupt:  # uvicorn stops on the signal, then raises it again
        pass
    click.echo("calculator stopped")
    sys.exit(int(Exit.INTERRUPTED))


def _say(text: str, color: str | None = None) -> None:
    """A line to stderr, workbook text in it with control characters spelled out."""
    click.secho(visible(text), fg=color, err=True)


def _problems(kind: str, color: str, problems: list[Problem]) -> None:
    for p in problems:
        _say(f"{kind}: {p}", color)
