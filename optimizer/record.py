"""What a run records: run.json's content, and the complete result folder.

``run_info`` is what every run.json holds (the input's SHA-256, versions, settings,
options, the base case's answer); ``whatif_info``, ``pareto_info`` and ``robust_info``
what a scenario run, a frontier and a robust plan add. ``write_run``, ``write_whatif``,
``write_pareto`` and ``write_robust`` put a
whole result folder in place through optimizer/outputs.py, so a program can write what
the command writes; the command passes only what it alone knows (the options, the
scheduler, the wall time).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import pandas as pd

from optimizer.compare import ScenarioRun, WhatIf
from optimizer.outputs import fingerprint, write_folder
from optimizer.pareto import Frontier
from optimizer.plan import Plan
from optimizer.results import empty_tables
from optimizer.robust import Robust
from optimizer.run import Outcome
from optimizer.solve import SolverOptions


@dataclass(frozen=True)
class Source:
    """The workbook as read: its path and the SHA-256 of the bytes that were read."""

    path: Path
    sha256: str


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


def run_record(run: ScenarioRun) -> dict[str, object]:
    """What run.json says of one solve of a what-if or frontier run."""
    return {
        "status": run.status,
        "objective_usd": run.objective,
        "certificate": (
            run.solved.certificate.as_dict()
            if run.solved is not None and run.solved.certificate
            else None
        ),
        "error": run.error,
        "diagnosis": run.diagnosis,
    }


def whatif_info(whatif: WhatIf, seconds: float, scheduler: str | None) -> dict[str, object]:
    """What run.json adds for a scenario run."""
    return {
        "scenarios": [
            {
                "name": run.scenario.name,
                "overrides": run.scenario.values,
                "probability": run.scenario.probability,
            }
            | run_record(run)
            for run in whatif.runs
        ],
        "least_regret": whatif.least_regret,
        "least_regret_plans": whatif.least_regret_plans(),
        "failed_scenarios": whatif.failed_scenarios,
        "regret_solves": whatif.regret_solves,
        "failed_regret_solves": whatif.failed_regret,
        "regret_skipped": whatif.regret_skipped,
        "decisions_in_every_scenario": whatif.common,
        "break_even": [found.line() for found in whatif.break_even],
        "scheduler": scheduler or "local",
        "wall_seconds": seconds,
    }


def pareto_info(result: Frontier, seconds: float, scheduler: str | None) -> dict[str, object]:
    """What run.json adds for a frontier run: each point with its bound and certificate."""
    return {
        "pareto": [
            {"point": run.scenario.name, "epsilon_tco2e": result.epsilon.get(run.scenario.name)}
            | run_record(run)
            for run in result.runs
        ],
        "failed_points": result.failed,
        "scheduler": scheduler or "local",
        "wall_seconds": seconds,
    }


def robust_info(robust: Robust, currency: str) -> dict[str, object]:
    """What run.json adds for a robust plan."""
    return {
        "probabilities": robust.probabilities,
        "plan": robust.describe(),
        "expected_cost_usd": robust.solved.objective,
        "value": dataclasses.asdict(robust.value) if robust.value else None,
        "value_lines": [label + words for label, words in robust.value.lines(currency)]
        if robust.value
        else [],
    }


def write_run(
    out: Path, source: Source | Path, plan: Plan, options: SolverOptions, outcome: Outcome
) -> None:
    """The result folder of one plan: its tables (headers only when there is no plan) and
    run.json."""
    write_folder(out, _tables_to_write(outcome), run_info(source, plan, options, outcome))


def write_whatif(
    out: Path,
    source: Source | Path,
    plan: Plan,
    options: SolverOptions,
    whatif: WhatIf,
    seconds: float,
    scheduler: str | None,
) -> None:
    """The result folder of a scenario run: the stacked tables and run.json."""
    info = run_info(source, plan, options, None) | whatif_info(whatif, seconds, scheduler)
    write_folder(out, whatif.tables, info)


def write_robust(
    out: Path, source: Source | Path, plan: Plan, options: SolverOptions, robust: Robust
) -> None:
    """The result folder of a robust plan: each scenario's tables, decisions.csv and
    run.json."""
    tables = dict(robust.tables) if robust.tables else empty_tables(robust.solved)
    tables["decisions"] = robust.decisions()
    outcome = Outcome(solved=robust.solved, diagnosis=robust.diagnosis)
    info = run_info(source, plan, options, outcome)
    info["robust"] = robust_info(robust, plan.settings.currency)
    write_folder(out, tables, info)


def write_pareto(
    out: Path,
    source: Source | Path,
    plan: Plan,
    options: SolverOptions,
    result: Frontier,
    seconds: float,
    scheduler: str | None,
) -> None:
    """The result folder of a frontier run: pareto.csv, each point's tables and run.json."""
    info = run_info(source, plan, options, None) | pareto_info(result, seconds, scheduler)
    write_folder(out, result.tables, info)
