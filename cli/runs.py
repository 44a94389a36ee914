"""One run of the command: read the workbook, solve the base case, a what-if run or a
robust plan, print what was found and write the result folder."""

from __future__ import annotations

import time
from pathlib import Path

from rich.table import Table

from optimizer.cli.exits import Exit, exit_for
from optimizer.cli.options import WhatIfRequest, option_error, option_problems, solver_options
from optimizer.cli.pareto import print_frontier
from optimizer.cli.summary import print_summary
from optimizer.cli.terminal import print_problems, say, stderr_console, stdout_console
from optimizer.cli.whatif import (
    Bar,
    failures,
    print_robust,
    print_whatif,
    whatif_status,
)
from optimizer.errors import InputError
from optimizer.inputs import read_plan
from optimizer.outputs import (
    OutputError,
    check_out,
    default_out,
    estimate_bytes,
    fingerprint,
    preflight,
    probe_folder,
    recover,
)
from optimizer.pareto import frontier
from optimizer.plan import Plan
from optimizer.record import Source, write_pareto, write_robust, write_run, write_whatif
from optimizer.robust import solve_robust
from optimizer.run import optimize
from optimizer.scenarios import Scenario
from optimizer.solve import SolverOptions
from optimizer.status import Status
from optimizer.template import write_template
from optimizer.whatif import run_scenarios


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


def run_command(
    plan: Path | None,
    check: bool,
    template: Path | None,
    out: Path | None,
    overrides: dict[str, float | int | None],
    model_file: tuple[Path | None, bool],
    whatif: WhatIfRequest,
    quiet: bool,
) -> Exit:
    err = stderr_console()
    if template is not None:
        if plan is not None:
            say(err, "error:", "red", " give either PLAN or --template, not both")
            return Exit.INPUT
        if template.exists():
            say(err, "error:", "red", f" {template} exists; choose another name or delete it")
            return Exit.INPUT
        if template.suffix.lower() != ".xlsx":
            say(err, "error:", "red", f" the template must be an .xlsx file, got {template.name}")
            return Exit.INPUT
        write_template(template)
        stdout_console(quiet).print(f"wrote the template {template}")
        return Exit.OK
    if plan is None:
        say(err, "error:", "red", " give a PLAN workbook, or --template FILE (see --help)")
        return Exit.INPUT
    out = out if out is not None else default_out(plan)
    write_model, force = model_file
    problems = option_problems(out, overrides, write_model, force)
    if write_model is not None and whatif.asked:
        problems.append(
            "--write-model writes the model of a plain run; give it without --scenarios, "
            "--scenario, --sweep, --robust or --pareto"
        )
    if problems:
        for line in problems:
            say(err, "error:", "red", f" {line}")
        return Exit.INPUT
    try:
        if not check:
            for line in recover(out):
                say(err, "warning:", "yellow", f" {line}")
            check_out(out)
        digest, loaded = _read(plan)
        scenarios = whatif.scenarios(loaded)
    except InputError as exc:
        print_problems(err, "warning", "yellow", exc.warnings)
        print_problems(err, "error", "red", exc.problems)
        n = len(exc.problems)
        say(err, f"{plan.name}: {n} problem{'s' if n != 1 else ''}; nothing was written", "red")
        return Exit.INPUT
    except OutputError as exc:
        say(err, "error:", "red", f" --out {exc}")
        return Exit.INPUT
    print_problems(err, "warning", "yellow", loaded.warnings)
    if check:
        stdout_console(quiet).print(_inventory(loaded))
        if scenarios:
            say(stdout_console(quiet), "what-if run: ", "bold", whatif.count(len(scenarios)))
        say(
            stdout_console(quiet),
            f"{plan.name} is valid",
            "green",
            f" ({len(loaded.warnings)} warnings)",
        )
        return Exit.OK
    preflight(out, estimate_bytes(loaded, len(scenarios)))
    if write_model is not None:
        probe_folder(write_model.parent, write_model.name)
    options = solver_options(loaded, overrides, quiet)
    source = Source(plan, digest)
    if whatif.robust:
        return _run_robust(source, loaded, options, scenarios, whatif.scheduler, out, quiet)
    if whatif.pareto is not None:
        return _run_pareto(source, loaded, options, whatif.pareto, whatif.scheduler, out, quiet)
    if scenarios:
        return _run_whatif(source, loaded, options, scenarios, whatif, out, quiet)
    outcome = optimize(loaded, options, write_model)
    console = stdout_console(quiet)
    print_summary(console, loaded, outcome)
    for line in outcome.diagnosis:
        say(err, "no plan:", "red", f" {line}")
    write_run(out, source, loaded, options, outcome)
    console.print(f"wrote {out}/")
    return exit_for(outcome.solved)


def _read(path: Path) -> tuple[str, Plan]:
    """Read the plan, and the SHA-256 of exactly the bytes read (refused if the file changed
    while it was read)."""
    before = fingerprint(path)
    loaded = read_plan(path)
    after = fingerprint(path)
    if before != after or before is None:
        raise option_error("the workbook changed while it was being read; run again")
    return before[0], loaded


def _run_whatif(
    source: Source,
    plan: Plan,
    options: SolverOptions,
    scenarios: list[Scenario],
    request: WhatIfRequest,
    out: Path,
    quiet: bool,
) -> Exit:
    err, console = stderr_console(), stdout_console(quiet)
    started = time.perf_counter()
    scheduler = request.scheduler
    with Bar(err, enabled=not quiet) as bar:
        result = run_scenarios(
            plan,
            scenarios,
            options,
            scheduler,
            progress=bar,
            break_even_tolerance=request.bisection,
            regret_runs=request.regret,
        )
    seconds = time.perf_counter() - started
    print_whatif(console, result, plan.settings.currency)
    for line in failures(result):
        say(err, "warning:", "yellow", f" {line}")
    for run in result.runs:
        for line in run.diagnosis:
            say(err, f"no plan in {run.scenario.name}:", "red", f" {line}")
    write_whatif(out, source, plan, options, result, seconds, scheduler)
    console.print(f"wrote {out}/ ({seconds:.1f} s)")
    if result.partial:
        return Exit.PARTIAL
    status = whatif_status(result)
    return {
        None: Exit.OK,
        Status.INFEASIBLE: Exit.INFEASIBLE,
        Status.NO_PLAN: Exit.NO_PLAN_IN_TIME,
    }.get(status, Exit.INTERNAL)


def _run_pareto(
    source: Source,
    plan: Plan,
    options: SolverOptions,
    points: int,
    scheduler: str | None,
    out: Path,
    quiet: bool,
) -> Exit:
    err, console = stderr_console(), stdout_console(quiet)
    started = time.perf_counter()
    with Bar(err, enabled=not quiet) as bar:
        result = frontier(plan, points, options, scheduler, progress=bar)
    seconds = time.perf_counter() - started
    print_frontier(console, result, plan.settings.currency)
    for run in result.runs:
        for line in run.diagnosis:
            say(err, f"no plan in {run.scenario.name}:", "red", f" {line}")
        if run.error:
            say(err, "warning:", "yellow", f" {run.scenario.name} failed: {run.error}")
    write_pareto(out, source, plan, options, result, seconds, scheduler)
    console.print(f"wrote {out}/ ({seconds:.1f} s)")
    cheapest = result.runs[0]
    if result.failed:
        return Exit.PARTIAL
    if cheapest.solved is None:
        return Exit.INTERNAL
    return exit_for(cheapest.solved)


def _run_robust(
    source: Source,
    plan: Plan,
    options: SolverOptions,
    scenarios: list[Scenario],
    scheduler: str | None,
    out: Path,
    quiet: bool,
) -> Exit:
    err, console = stderr_console(), stdout_console(quiet)
    result = solve_robust(plan, scenarios, options, scheduler)
    print_robust(console, result, plan.settings.currency)
    for line in result.diagnosis:
        say(err, "no plan:", "red", f" {line}")
    write_robust(out, source, plan, options, result)
    console.print(f"wrote {out}/")
    return exit_for(result.solved)
