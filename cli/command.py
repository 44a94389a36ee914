"""The `optimize` command: a thin click layer over optimizer.

Every failure leaves through one table of exit codes (docs/cli.md): a red
one-line reason on stderr, and the traceback only with --debug. SIGINT,
SIGTERM and SIGHUP stop a run alike (exit 128 + the signal's number), and the
message then says truly whether a result was put in place.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import errno
import sys
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import click
import pandas as pd
from rich.console import Console
from rich.table import Table
from rich.text import Text

from optimizer import interrupts
from optimizer.certify import CertificateError
from optimizer.cli.summary import print_summary
from optimizer.cli.terminal import Finite, SafeConsole
from optimizer.cli.whatif import (
    Bar,
    failures,
    print_robust,
    print_whatif,
    whatif_info,
    whatif_status,
)
from optimizer.errors import InputError, Problem
from optimizer.inputs import read_plan
from optimizer.outputs import (
    OutputError,
    WriteError,
    check_out,
    default_out,
    estimate_bytes,
    fingerprint,
    preflight,
    probe_folder,
    recover,
    write_folder,
)
from optimizer.plan import Plan
from optimizer.results import empty_tables
from optimizer.robust import solve_robust
from optimizer.run import Outcome, optimize
from optimizer.safety import MAX_REGRET_SOLVES, MAX_SCENARIOS, machine_threads, regret_solves
from optimizer.scenarios import BASE, Scenario, from_sheet, from_sweeps
from optimizer.scheduler import ClusterError
from optimizer.solve import INFEASIBLE, NO_PLAN, Solved, SolverOptions
from optimizer.template import write_template
from optimizer.whatif import quiet_logs, run_scenarios

MAX_SHOWN = 1000  # problems printed; the count of the rest follows
DEFAULT_BREAK_EVEN = 0.01  # break-even brackets narrowed to 1 % of the sweep's step


class Exit(enum.IntEnum):
    """Exit codes of `optimize` (SPEC: 0 plan, 1 internal, 2 input, 3 infeasible, 4 no plan)."""

    OK = 0
    INTERNAL = 1
    INPUT = 2
    INFEASIBLE = 3
    NO_PLAN_IN_TIME = 4
    PARTIAL = 5  # a what-if run wrote its result, but some scenarios or regret solves failed
    ENVIRONMENT = 6  # output not writable, disk full, cluster unreachable or lost
    INTERRUPTED = 130  # SIGINT; SIGTERM 143, SIGHUP 129: 128 + the signal's number


# errors of the machine, not of the input or the program
ENVIRONMENT_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT, errno.EIO}


WIDTH_WHEN_PIPED = 160  # rich's 80 columns squeeze the summary tables in logs and files


def _console(stderr: bool, quiet: bool = False) -> Console:
    """Workbook text printed as it is (no markup, no emoji codes), full width on a
    terminal, WIDTH_WHEN_PIPED columns otherwise."""
    stream = sys.stderr if stderr else sys.stdout
    return SafeConsole(
        stderr=stderr,
        quiet=quiet,
        highlight=False,
        soft_wrap=True,
        markup=False,
        emoji=False,
        width=None if stream.isatty() else WIDTH_WHEN_PIPED,
    )


def _err() -> Console:
    return _console(stderr=True)


def _out(quiet: bool) -> Console:
    return _console(stderr=False, quiet=quiet)


def say(console: Console, label: str, style: str, text: str = "") -> None:
    """Print ``label`` in ``style`` and then ``text`` as it is: no markup, no emoji codes
    (cell text such as '[/]' or ':thumbs_up:' is printed verbatim), control and escape
    characters spelled out."""
    console.print(Text.assemble((label, style), text))


def _print_problems(console: Console, kind: str, style: str, problems: list[Problem]) -> None:
    for p in problems[:MAX_SHOWN]:
        say(console, f"{kind}:", style, f" {p}")
    if len(problems) > MAX_SHOWN:
        say(console, f"... and {len(problems) - MAX_SHOWN} more", style)


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
@click.option("--quiet", is_flag=True, help="Print only warnings and errors.")
@click.option("--debug", is_flag=True, help="Show the traceback of an error.")
@click.version_option(package_name="capacity-optimizer")
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
    whatif = WhatIfRequest(
        all_scenarios,
        scenario_name,
        list(sweeps),
        scheduler,
        robust,
        break_even_tolerance,
        no_break_even,
        0 if no_regret else max_regret_solves,
        not no_regret,
    )
    hook = sys.unraisablehook
    if not debug:  # e.g. openpyxl's "Exception ignored" when a full disk closes its file
        sys.unraisablehook = lambda unraisable: None
    with interrupts.installed(), contextlib.nullcontext() if debug else quiet_logs("asyncio"):
        try:
            code = _run(plan, check, template, out, options, (write_model, force), whatif, quiet)
        except KeyboardInterrupt:
            code = _interrupted()
        except CertificateError as exc:
            if debug:
                raise
            say(_err(), "error:", "red", f" {exc}; nothing was written (a bug: please report it)")
            code = Exit.INTERNAL
        except Exception as exc:
            if debug:
                raise
            code = _failed(exc)
    sys.unraisablehook = hook
    sys.exit(int(code))


def _failed(exc: Exception) -> Exit:
    """An environment failure (exit 6) or, for anything else, an internal error (exit 1)."""
    environment = isinstance(exc, WriteError | ClusterError) or (
        isinstance(exc, OSError) and exc.errno in ENVIRONMENT_ERRNOS
    )
    if environment:
        say(_err(), "error:", "red", f" {exc}")
        return Exit.ENVIRONMENT
    say(
        _err(),
        "internal error:",
        "red",
        f" {type(exc).__name__}: {exc} (run with --debug for the traceback)",
    )
    return Exit.INTERNAL


def _interrupted() -> int:
    """The message after a signal, true whichever step it stopped: a result folder was put
    in place, or nothing was (and a folder already there is as it was)."""
    signum = interrupts.received()
    done = interrupts.committed()
    if done is not None:
        say(_err(), "interrupted:", "red", f" after the result was written to {done}/")
    else:
        say(_err(), "interrupted:", "red", " nothing was written; an existing result is as it was")
    return 128 + signum


def _run(
    plan: Path | None,
    check: bool,
    template: Path | None,
    out: Path | None,
    overrides: dict[str, float | int | None],
    model_file: tuple[Path | None, bool],
    whatif: WhatIfRequest,
    quiet: bool,
) -> Exit:
    err = _err()
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
        _out(quiet).print(f"wrote the template {template}")
        return Exit.OK
    if plan is None:
        say(err, "error:", "red", " give a PLAN workbook, or --template FILE (see --help)")
        return Exit.INPUT
    out = out if out is not None else default_out(plan)
    write_model, force = model_file
    problems = _option_problems(out, overrides, write_model, force)
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
        _print_problems(err, "warning", "yellow", exc.warnings)
        _print_problems(err, "error", "red", exc.problems)
        n = len(exc.problems)
        say(err, f"{plan.name}: {n} problem{'s' if n != 1 else ''}; nothing was written", "red")
        return Exit.INPUT
    except OutputError as exc:
        say(err, "error:", "red", f" --out {exc}")
        return Exit.INPUT
    _print_problems(err, "warning", "yellow", loaded.warnings)
    if check:
        _out(quiet).print(_inventory(loaded))
        if scenarios:
            say(_out(quiet), "what-if run: ", "bold", whatif.count(len(scenarios)))
        say(_out(quiet), f"{plan.name} is valid", "green", f" ({len(loaded.warnings)} warnings)")
        return Exit.OK
    preflight(out, estimate_bytes(loaded, len(scenarios)))
    if write_model is not None:
        probe_folder(write_model.parent, write_model.name)
    options = _solver_options(loaded, overrides, quiet)
    source = Source(plan, digest)
    if whatif.robust:
        return _run_robust(source, loaded, options, scenarios, whatif.scheduler, out, quiet)
    if scenarios:
        return _run_whatif(source, loaded, options, scenarios, whatif, out, quiet)
    outcome = optimize(loaded, options, write_model)
    console = _out(quiet)
    print_summary(console, loaded, outcome)
    for line in outcome.diagnosis:
        say(err, "no plan:", "red", f" {line}")
    write_folder(out, _tables_to_write(outcome), run_info(source, loaded, options, outcome))
    console.print(f"wrote {out}/")
    return _exit_for(outcome.solved)


def _option_problems(
    out: Path, overrides: dict[str, float | int | None], write_model: Path | None, force: bool
) -> list[str]:
    """What is wrong with the options themselves, found before the workbook is read."""
    problems = []
    threads, cores = overrides.get("threads"), machine_threads()
    if threads is not None and threads > cores:
        problems.append(f"--threads {threads}: at most {cores}, the cores this machine gives it")
    if write_model is None:
        return problems
    if write_model.suffix.lower() not in (".mps", ".lp"):
        problems.append(f"--write-model takes a .mps or .lp file, got {write_model.name}")
    folder = write_model.parent
    if not folder.is_dir():
        problems.append(f"--write-model {write_model}: the folder {folder} does not exist")
    elif write_model.exists() and not force:
        problems.append(f"--write-model {write_model} exists; pass --force to overwrite it")
    if out.resolve() in write_model.resolve().parents:
        problems.append(
            f"--write-model {write_model} is inside the result folder {out}, which is replaced "
            "as a whole; write it elsewhere"
        )
    return problems


@dataclass(frozen=True)
class Source:
    """The workbook as read: its path and the SHA-256 of the bytes that were read."""

    path: Path
    sha256: str


def _read(path: Path) -> tuple[str, Plan]:
    """Read the plan, and the SHA-256 of exactly the bytes read (refused if the file changed
    while it was read)."""
    before = fingerprint(path)
    loaded = read_plan(path)
    after = fingerprint(path)
    if before != after or before is None:
        raise _option_error("the workbook changed while it was being read; run again")
    return before[0], loaded


@dataclass(frozen=True)
class WhatIfRequest:
    """The scenario options of the command line."""

    all_scenarios: bool
    name: str | None
    sweeps: list[str]
    scheduler: str | None
    robust: bool
    break_even_tolerance: float | None
    no_break_even: bool
    max_regret_solves: int
    regret: bool

    @property
    def bisection(self) -> float | None:
        """The break-even tolerance as a fraction of the step (None: no bisection)."""
        if self.no_break_even:
            return None
        chosen = self.break_even_tolerance
        return DEFAULT_BREAK_EVEN if chosen is None else chosen

    def _check_break_even(self) -> None:
        option = (
            "--no-break-even"
            if self.no_break_even
            else "--break-even-tolerance"
            if self.break_even_tolerance is not None
            else None
        )
        if option is None:
            return
        if self.break_even_tolerance is not None and self.no_break_even:
            why = "give either --break-even-tolerance or --no-break-even, not both"
        elif len(self.sweeps) != 1 or self.robust:
            why = (
                f"{option} applies to one --sweep of a number (a product of sweeps, the "
                "scenarios sheet or --robust has no single parameter to bisect)"
            )
        else:
            return
        raise InputError([Problem(None, None, None, why)])

    def regret_solves(self, n: int) -> int:
        """Regret solves a run of ``n`` scenarios asks for (none for --robust)."""
        return regret_solves(n) if self.regret and not self.robust else 0

    def count(self, n: int) -> str:
        """The size of the run, for --check."""
        solves = self.regret_solves(n)
        regret = f"at most {solves:,} regret solves" if self.regret else "regret skipped"
        total = "" if self.robust else f", at most {n + solves:,} solves"
        return f"{n:,} scenarios, {regret}{total}"

    def scenarios(self, plan: Plan) -> list[Scenario]:
        """The scenarios asked for, within the limits (empty: a plain run of the base
        case)."""
        chosen = self._chosen(plan)
        if len(chosen) > MAX_SCENARIOS:
            raise _option_error(f"{len(chosen):,} scenarios; at most {MAX_SCENARIOS:,} a run")
        solves = self.regret_solves(len(chosen))
        if solves > self.max_regret_solves:
            raise _option_error(
                f"{len(chosen):,} scenarios need up to {solves:,} regret solves (each plan "
                f"under every other scenario), more than --max-regret-solves "
                f"{self.max_regret_solves:,}; raise it, or pass --no-regret"
            )
        return chosen

    def _chosen(self, plan: Plan) -> list[Scenario]:
        """The scenarios asked for (empty: a plain run of the base case). --robust alone
        means the base case and every scenario of the sheet."""
        self._check_break_even()
        if not (self.all_scenarios or self.name or self.sweeps or self.robust):
            return []
        sheet = from_sheet(plan)
        if self.name is not None:
            named = {s.name: s for s in sheet} | {BASE: Scenario(BASE)}
            if self.name not in named:
                raise _option_error(
                    f"--scenario {self.name}: no such scenario; the workbook has "
                    + ", ".join(named)
                )
            return [named[self.name]]
        from_sheet_too = self.all_scenarios or (self.robust and not self.sweeps)
        chosen = [Scenario(BASE)] + (sheet if from_sheet_too else [])
        chosen += from_sweeps(plan, self.sweeps) if self.sweeps else []
        names = [s.name for s in chosen]
        if len(set(names)) != len(names):
            raise _option_error("two scenarios have the same name")
        return chosen


def _option_error(message: str) -> InputError:
    return InputError([Problem(None, None, None, message)])


def _run_whatif(
    source: Source,
    plan: Plan,
    options: SolverOptions,
    scenarios: list[Scenario],
    request: WhatIfRequest,
    out: Path,
    quiet: bool,
) -> Exit:
    err, console = _err(), _out(quiet)
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
    info = run_info(source, plan, options, None) | whatif_info(result, seconds, scheduler)
    write_folder(out, result.tables, info)
    console.print(f"wrote {out}/ ({seconds:.1f} s)")
    if result.partial:
        return Exit.PARTIAL
    status = whatif_status(result)
    return {
        "plan": Exit.OK,
        INFEASIBLE: Exit.INFEASIBLE,
        NO_PLAN: Exit.NO_PLAN_IN_TIME,
    }.get(status, Exit.INTERNAL)


def _run_robust(
    source: Source,
    plan: Plan,
    options: SolverOptions,
    scenarios: list[Scenario],
    scheduler: str | None,
    out: Path,
    quiet: bool,
) -> Exit:
    err, console = _err(), _out(quiet)
    result = solve_robust(plan, scenarios, options, scheduler)
    print_robust(console, result, plan.settings.currency)
    for line in result.diagnosis:
        say(err, "no plan:", "red", f" {line}")
    tables = dict(result.tables) if result.tables else empty_tables(result.solved)
    tables["decisions"] = result.decisions()
    info = run_info(
        source, plan, options, Outcome(solved=result.solved, diagnosis=result.diagnosis)
    )
    info["robust"] = {
        "probabilities": result.probabilities,
        "plan": result.describe(),
        "expected_cost_usd": result.solved.objective,
        "value": dataclasses.asdict(result.value) if result.value else None,
        "value_lines": [
            label + words for label, words in result.value.lines(plan.settings.currency)
        ]
        if result.value
        else [],
    }
    write_folder(out, tables, info)
    console.print(f"wrote {out}/")
    return _exit_for(result.solved)


def _exit_for(solved: Solved) -> Exit:
    if solved.has_plan:
        return Exit.OK
    if solved.status == INFEASIBLE:
        return Exit.INFEASIBLE
    if solved.status == NO_PLAN:
        say(
            _err(), "the time limit passed before any plan was found", "red", "; raise --time-limit"
        )
        return Exit.NO_PLAN_IN_TIME
    return Exit.INTERNAL


def _solver_options(
    plan: Plan, overrides: dict[str, float | int | None], quiet: bool
) -> SolverOptions:
    """The settings sheet's solver options, overridden by the command line's; the sheet's
    threads capped at the machine's cores (a workbook may come from a bigger machine)."""
    s = plan.settings
    cores = machine_threads()
    threads = s.threads
    if threads > cores and overrides.get("threads") is None:
        say(
            _err(),
            "warning:",
            "yellow",
            f" sheet 'settings': threads {threads} is more than this machine's {cores} cores; "
            f"using {cores}",
        )
        threads = cores
    chosen = {
        "mip_gap": s.mip_gap,
        "time_limit_s": s.time_limit_s,
        "threads": threads,
    } | {k: v for k, v in overrides.items() if v is not None}
    return SolverOptions(**chosen)  # type: ignore[arg-type]


def _tables_to_write(outcome: Outcome) -> dict[str, pd.DataFrame]:
    return dict(outcome.tables) if outcome.tables else empty_tables(outcome.solved)


def run_info(
    source: Source | Path, plan: Plan, options: SolverOptions, outcome: Outcome | None
) -> dict[str, object]:
    """What run.json records: input (the SHA-256 of the bytes read; given a bare path, of
    the file as it is now), versions, settings, options, and the base case's status,
    objective, gap, diagnosis and timings (when it was solved)."""
    if isinstance(source, Path):
        found = fingerprint(source)
        source = Source(source, found[0] if found else "")
    info: dict[str, object] = {
        "input": {"file": source.path.name, "sha256": source.sha256},
        "tool": {"name": "capacity-optimizer", "version": version("capacity-optimizer")},
        "pyomo": version("pyomo"),
        "highs": version("highspy"),
        "settings": dataclasses.asdict(plan.settings),
        "options": dataclasses.asdict(options),
    }
    if outcome is None:
        return info
    solved = outcome.solved
    return info | {
        "status": solved.status,
        "termination": solved.termination,
        "objective_usd": solved.objective,
        "best_bound_usd": solved.best_bound,
        "mip_gap": solved.gap,
        "certificate": solved.certificate.as_dict() if solved.certificate else None,
        "solver_warnings": list(solved.warnings),
        "diagnosis": outcome.diagnosis,
        "timings_seconds": outcome.timings,
    }
