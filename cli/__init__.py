"""The `optimize` command: a thin click layer over optimizer.

Every failure leaves through one table of exit codes (docs/cli.md): a red
one-line reason on stderr, and the traceback only with --debug.
"""

from __future__ import annotations

import enum
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from optimizer.errors import InputError, Problem
from optimizer.inputs import read_plan
from optimizer.plan import Plan
from optimizer.template import write_template

MAX_SHOWN = 1000  # problems printed; the count of the rest follows


class Exit(enum.IntEnum):
    """Exit codes of `optimize` (SPEC: 0 plan, 1 internal, 2 input, 3 infeasible, 4 no plan)."""

    OK = 0
    INTERNAL = 1
    INPUT = 2
    INFEASIBLE = 3
    NO_PLAN_IN_TIME = 4


def _err() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def _out(quiet: bool) -> Console:
    return Console(highlight=False, quiet=quiet, soft_wrap=True)


def _print_problems(console: Console, kind: str, style: str, problems: list[Problem]) -> None:
    for p in problems[:MAX_SHOWN]:
        console.print(f"[{style}]{kind}:[/] {p}", markup=True, highlight=False)
    if len(problems) > MAX_SHOWN:
        console.print(f"[{style}]... and {len(problems) - MAX_SHOWN} more[/]")


def _inventory(plan: Plan) -> Table:
    table = Table(title=f"{plan.source.name}: the plan's inputs", show_header=True)
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_column("ids")
    s = plan.settings
    first, last = plan.periods.iloc[0], plan.periods.iloc[-1]
    table.add_row(
        "periods",
        str(s.n_periods),
        f"{s.period}s {first['label']} ({first['period_start']}) to {last['label']} "
        f"({last['period_end']})",
    )
    for name, column in (
        ("regions", "region"),
        ("sites", "site"),
        ("accelerators", "accelerator"),
        ("hardware", "rack_type"),
        ("cloud", "offer"),
        ("apis", "api"),
        ("edge", "device"),
        ("workloads", "workload"),
    ):
        ids = list(getattr(plan, name)[column])
        shown = ", ".join(ids[:6]) + (f", ... ({len(ids) - 6} more)" if len(ids) > 6 else "")
        table.add_row(name, str(len(ids)), shown)
    scenarios = list(dict.fromkeys(plan.scenarios["scenario"]))
    table.add_row("scenarios", str(len(scenarios)), ", ".join(scenarios[:6]))
    return table


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("plan", required=False, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--check", is_flag=True, help="Validate the workbook only; write nothing.")
@click.option(
    "--template",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write a template workbook to this file and stop.",
)
@click.option("--quiet", is_flag=True, help="Print only warnings and errors.")
@click.option("--debug", is_flag=True, help="Show the traceback of an error.")
@click.version_option(package_name="capacity-optimizer")
def main(plan: Path | None, check: bool, template: Path | None, quiet: bool, debug: bool) -> None:
    """Find the cheapest 3-year plan for the AI infrastructure described in PLAN (.xlsx).

    Exit codes: 0 a plan was found (or the check passed), 1 internal error,
    2 invalid input, 3 no feasible plan, 4 time limit with no plan.
    """
    try:
        code = _run(plan, check, template, quiet)
    except KeyboardInterrupt:
        _err().print("[red]interrupted[/]: nothing was written")
        code = Exit.INTERNAL
    except Exception as exc:
        if debug:
            raise
        _err().print(
            f"[red]internal error[/]: {type(exc).__name__}: {exc} (run with --debug "
            "for the traceback)"
        )
        code = Exit.INTERNAL
    sys.exit(int(code))


def _run(plan: Path | None, check: bool, template: Path | None, quiet: bool) -> Exit:
    err = _err()
    if template is not None:
        if plan is not None:
            err.print("[red]error[/]: give either PLAN or --template, not both")
            return Exit.INPUT
        if template.exists():
            err.print(f"[red]error[/]: {template} exists; choose another name or delete it")
            return Exit.INPUT
        if template.suffix.lower() != ".xlsx":
            err.print(f"[red]error[/]: the template must be an .xlsx file, got {template.name}")
            return Exit.INPUT
        write_template(template)
        _out(quiet).print(f"wrote the template {template}")
        return Exit.OK
    if plan is None:
        err.print("[red]error[/]: give a PLAN workbook, or --template FILE (see --help)")
        return Exit.INPUT
    try:
        loaded = read_plan(plan)
    except InputError as exc:
        _print_problems(err, "warning", "yellow", exc.warnings)
        _print_problems(err, "error", "red", exc.problems)
        n = len(exc.problems)
        err.print(f"[red]{plan.name}: {n} problem{'s' if n != 1 else ''}; nothing was written[/]")
        return Exit.INPUT
    _print_problems(err, "warning", "yellow", loaded.warnings)
    if check:
        _out(quiet).print(_inventory(loaded))
        _out(quiet).print(f"[green]{plan.name} is valid[/] ({len(loaded.warnings)} warnings)")
        return Exit.OK
    err.print("[red]error[/]: this version validates plans only; run with --check")
    return Exit.INTERNAL
