"""The `optimize` command: a thin click layer over optimizer.

Every failure leaves through one table of exit codes (docs/cli.md): a red
one-line reason on stderr, and the traceback only with --debug. SIGINT,
SIGTERM and SIGHUP stop a run alike (exit 128 + the signal's number), and the
message then says truly whether a result was put in place. This module imports only
click and the light parts of the command, so that --version and --help answer at
once; a run imports the libraries when it starts (cli/runs.py).
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import click

from optimizer import __version__, interrupts
from optimizer.cli.exits import Exit, failed, interrupted
from optimizer.cli.terminal import Finite
from optimizer.safety import MAX_PARETO_POINTS, MAX_REGRET_SOLVES, PARETO_POINTS


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("plan", required=False, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--check", is_flag=True, help="Validate the workbook only; write nothing.")
@click.option(
    "--template",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write a template workbook to this file and stop.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for the results (default: <plan name>-results/ beside the plan).",
)
@click.option(
    "--time-limit",
    type=Finite(min=0, min_open=True),
    help="Solver time limit in seconds (overrides the settings sheet).",
)
@click.option(
    "--mip-gap",
    type=Finite(min=0, max=1),
    help="Relative optimality gap at which to stop (overrides the settings sheet).",
)
@click.option(
    "--threads",
    type=click.IntRange(min=0),
    help="Solver threads, 0 for one a solve, at most the machine's cores (overrides the "
    "settings sheet).",
)
@click.option(
    "--write-model",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write the model to this .mps or .lp file, for audit (in an existing folder).",
)
@click.option("--force", is_flag=True, help="Let --write-model overwrite an existing file.")
@click.option(
    "--scenarios",
    "all_scenarios",
    is_flag=True,
    help="Solve the base case and every scenario of the scenarios sheet.",
)
@click.option("--scenario", "scenario_name", metavar="NAME", help="Solve one scenario only.")
@click.option(
    "--sweep",
    "sweeps",
    multiple=True,
    metavar="PARAM[@TARGET]=START:STOP:STEP|A,B,C",
    help="Generate scenarios from values of a parameter (repeat for their product).",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Run scenarios on an existing Dask cluster (e.g. tcp://10.0.0.5:8786) instead of "
    "local worker processes.",
)
@click.option(
    "--no-regret",
    is_flag=True,
    help="Skip the regret solves of a what-if run (each plan operated under every other "
    "scenario): no regret.csv rows, no least-regret plan.",
)
@click.option(
    "--max-regret-solves",
    type=click.IntRange(min=0),
    default=MAX_REGRET_SOLVES,
    show_default=True,
    help="Refuse, before solving, a what-if run that needs more regret solves than this "
    "(n scenarios need n × (n − 1)).",
)
@click.option(
    "--robust",
    is_flag=True,
    help="Solve one stochastic plan over all scenarios: one site and rack plan, operations "
    "per scenario, minimising expected cost by probability.",
)
@click.option(
    "--break-even-tolerance",
    type=click.FloatRange(min=0, max=1, min_open=True, max_open=True),
    metavar="FRACTION",
    help="With one --sweep: narrow each value where the plan changes to this fraction of the "
    "sweep's step, by bisection [default: 0.01].",
)
@click.option(
    "--no-break-even",
    is_flag=True,
    help="With one --sweep: report where the plan changes between the swept values only "
    "(no bisection).",
)
@click.option(
    "--pareto",
    is_flag=True,
    help="Solve the cost–carbon frontier: the cost-minimal and the carbon-minimal plans and "
    "points between them (pareto.csv).",
)
@click.option(
    "--pareto-points",
    type=click.IntRange(min=2, max=MAX_PARETO_POINTS),
    metavar="N",
    help=f"With --pareto: the number of points, both ends included [default: {PARETO_POINTS}].",
)
@click.option("--quiet", is_flag=True, help="Print only warnings and errors.")
@click.option("--debug", is_flag=True, help="Show the traceback of an error.")
@click.version_option(version=__version__, package_name="capacity-optimizer")
def main(
    plan: Path | None,
    check: bool,
    template: Path | None,
    out: Path | None,
    time_limit: float | None,
    mip_gap: float | None,
    threads: int | None,
    write_model: Path | None,
    force: bool,
    all_scenarios: bool,
    scenario_name: str | None,
    sweeps: tuple[str, ...],
    scheduler: str | None,
    no_regret: bool,
    max_regret_solves: int,
    robust: bool,
    break_even_tolerance: float | None,
    no_break_even: bool,
    pareto: bool,
    pareto_points: int | None,
    quiet: bool,
    debug: bool,
) -> None:
    """Find the cheapest 3-year plan for the AI infrastructure described in PLAN (.xlsx).

    Exit codes: 0 a plan was found (or the check passed), 1 internal error,
    2 invalid input, 3 no feasible plan, 4 time limit with no plan, 5 a what-if
    run with failed scenarios or regret solves, 6 an environment failure (output
    not writable, disk full, cluster unreachable), 128 + N stopped by signal N.

    `optimize serve PLAN` starts the calculator, a local page that re-solves the plan as
    its controls change (`optimize serve --help`).
    """
    options = {"time_limit_s": time_limit, "mip_gap": mip_gap, "threads": threads}
    request = (
        all_scenarios,
        scenario_name,
        list(sweeps),
        scheduler,
        robust,
        break_even_tolerance,
        no_break_even,
        0 if no_regret else max_regret_solves,
        not no_regret,
        pareto_points or PARETO_POINTS if pareto else None,
        pareto_points is not None,
    )
    hook = sys.unraisablehook
    if not debug:  # e.g. openpyxl's "Exception ignored" when a full disk closes its file
        sys.unraisablehook = lambda unraisable: None
    with interrupts.installed():
        try:
            # the libraries (pandas, Pyomo, HiGHS, Dask) only now: --version and --help
            # never get here, and a signal while they load is handled below
            from optimizer.cli.options import WhatIfRequest
            from optimizer.cli.runs import run_command
            from optimizer.cluster_runs import quiet_logs

            whatif = WhatIfRequest(*request)
            model_file = (write_model, force)
            with contextlib.nullcontext() if debug else quiet_logs("asyncio"):
                code = run_command(plan, check, template, out, options, model_file, whatif, quiet)
        except KeyboardInterrupt:
            code = interrupted()
        except Exception as exc:
            if debug:
                raise
            code = failed(exc)
    sys.unraisablehook = hook
    sys.exit(int(code))


__all__ = ["Exit", "main"]
