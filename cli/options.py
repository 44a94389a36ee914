"""What the command line asks for, checked before anything is solved: the options
themselves, the scenarios of a what-if run within the limits, the solver options."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from optimizer.cli.terminal import say, stderr_console
from optimizer.errors import InputError, Problem
from optimizer.plan import Plan
from optimizer.safety import MAX_SCENARIOS, machine_threads, regret_solves
from optimizer.scenarios import (
    BASE,
    CAP_WITHOUT_FIGURES,
    Scenario,
    from_sheet,
    from_sweeps,
    has_emission_figures,
    tables_of,
)
from optimizer.solve import SolverOptions

DEFAULT_BREAK_EVEN = 0.01  # break-even brackets narrowed to 1 % of the sweep's step


def option_problems(
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
    pareto: int | None = None  # --pareto: the number of points
    pareto_points: bool = False  # --pareto-points was given

    @property
    def bisection(self) -> float | None:
        """The break-even tolerance as a fraction of the step (None: no bisection)."""
        if self.no_break_even:
            return None
        chosen = self.break_even_tolerance
        return DEFAULT_BREAK_EVEN if chosen is None else chosen

    @property
    def asked(self) -> bool:
        """True when a what-if run, a robust plan or a frontier is asked for."""
        return bool(self.all_scenarios or self.name or self.sweeps or self.robust or self.pareto)

    def _check_pareto(self, plan: Plan) -> None:
        """--pareto alone, with a plan that states emissions; --pareto-points with it."""
        if self.pareto_points and self.pareto is None:
            raise option_error("--pareto-points applies to --pareto; give both")
        if self.pareto is None:
            return
        if self.all_scenarios or self.name or self.sweeps or self.robust:
            raise option_error(
                "--pareto solves its own points; give it without --scenarios, --scenario, "
                "--sweep or --robust"
            )
        if not has_emission_figures(tables_of(plan)):
            raise option_error("--pareto: " + CAP_WITHOUT_FIGURES.replace("a cap", "a frontier"))

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
            raise option_error(f"{len(chosen):,} scenarios; at most {MAX_SCENARIOS:,} a run")
        solves = self.regret_solves(len(chosen))
        if solves > self.max_regret_solves:
            raise option_error(
                f"{len(chosen):,} scenarios need up to {solves:,} regret solves (each plan "
                f"under every other scenario), more than --max-regret-solves "
                f"{self.max_regret_solves:,}; raise it, or pass --no-regret"
            )
        return chosen

    def _chosen(self, plan: Plan) -> list[Scenario]:
        """The scenarios asked for (empty: a plain run of the base case). --robust alone
        means the base case and every scenario of the sheet."""
        self._check_break_even()
        self._check_pareto(plan)
        if not (self.all_scenarios or self.name or self.sweeps or self.robust):
            return []
        sheet = from_sheet(plan)
        if self.name is not None:
            named = {s.name: s for s in sheet} | {BASE: Scenario(BASE)}
            if self.name not in named:
                raise option_error(
                    f"--scenario {self.name}: no such scenario; the workbook has "
                    + ", ".join(named)
                )
            return [named[self.name]]
        from_sheet_too = self.all_scenarios or (self.robust and not self.sweeps)
        chosen = [Scenario(BASE)] + (sheet if from_sheet_too else [])
        chosen += _sweeps(plan, self.sweeps) if self.sweeps else []
        names = [s.name for s in chosen]
        if len(set(names)) != len(names):
            raise option_error("two scenarios have the same name")
        return chosen


def _sweeps(plan: Plan, sweeps: list[str]) -> list[Scenario]:
    """The sweeps' scenarios; a problem with one names its option, --sweep."""
    try:
        return from_sweeps(plan, sweeps)
    except InputError as exc:
        raise InputError(
            [dataclasses.replace(p, message=f"--{p.message}") for p in exc.problems]
        ) from None


def option_error(message: str) -> InputError:
    return InputError([Problem(None, None, None, message)])


def solver_options(
    plan: Plan, overrides: dict[str, float | int | None], quiet: bool
) -> SolverOptions:
    """The settings sheet's solver options, overridden by the command line's; the sheet's
    threads capped at the machine's cores (a workbook may come from a bigger machine)."""
    s = plan.settings
    cores = machine_threads()
    threads = s.threads
    if threads > cores and overrides.get("threads") is None:
        say(
            stderr_console(),
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
