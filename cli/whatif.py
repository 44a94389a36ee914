"""The command line's what-if runs: a progress bar, the scenario summary, the folder."""

from __future__ import annotations

import pandas as pd
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from optimizer.compare import WhatIf
from optimizer.robust import Robust
from optimizer.status import Status


class Bar:
    """A rich progress bar per stage: scenarios done, running, failed, and time left."""

    def __init__(self, console: Console, enabled: bool) -> None:
        self.progress = Progress(
            TextColumn("{task.description:<10}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("running {task.fields[running]}, failed {task.fields[failed]}"),
            TimeElapsedColumn(),
            TextColumn("left"),
            TimeRemainingColumn(),
            console=console,
            disable=not enabled,
        )
        self.tasks: dict[str, TaskID] = {}

    def __enter__(self) -> Bar:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def __call__(self, stage: str, total: int, done: int, running: int, failed: int) -> None:
        if stage not in self.tasks:
            self.tasks[stage] = self.progress.add_task(stage, total=total, running=0, failed=0)
        self.progress.update(
            self.tasks[stage], total=total, completed=done, running=running, failed=failed
        )


def scenario_table(summary: pd.DataFrame, currency: str) -> Table:
    """summary.csv's rows side by side: status, costs, probability or regret, overrides."""
    table = Table(title=f"Scenarios ({currency}; objective discounted, totals undiscounted)")
    columns = [
        "scenario",
        "status",
        "objective_usd",
        "total_cost_usd",
        "onprem_usd",
        "cloud_usd",
        "api_usd",
        "edge_usd",
    ]
    columns += [c for c in ("probability", "worst_regret_usd") if c in summary]
    extra = [c for c in summary.columns if "@" in c or c.endswith(("multiplier", "per_kwh"))]
    for name in columns + extra:
        justify = "left" if name in ("scenario", "status") else "right"
        table.add_column(name.removesuffix("_usd"), justify=justify)
    for values in summary.to_dict("records"):
        cells = [_cell(values[c]) for c in columns + extra]
        if "worst_regret_usd" in columns and pd.isna(values["worst_regret_usd"]):
            # unknown: a solve this plan's worst case needs failed (inf is infeasible)
            cells[columns.index("worst_regret_usd")] = Status.FAILED
        table.add_row(*cells)
    return table


def print_whatif(console: Console, whatif: WhatIf, currency: str) -> None:
    """The scenarios side by side, the least-regret plan, the decisions every scenario
    makes, and where a swept parameter changes the plan."""
    console.print(scenario_table(whatif.tables["summary"], currency))
    plans = whatif.least_regret_plans()
    if len(plans) == 1:
        best, *same = plans[0]
        also = f", the same scenario as {', '.join(same)}" if same else ""
        console.print(
            Text.assemble(
                ("Least worst-case regret: ", "bold"),
                f"the plan of scenario {best}{also} (at most "
                f"{_cell(whatif.worst_regret[best])} {currency} more than the best plan of any "
                "scenario)",
            )
        )
    elif plans:
        console.print(
            Text.assemble(
                ("Least worst-case regret: a tie ", "bold"),
                "between the plans of scenarios "
                + ", ".join(" = ".join(names) for names in plans)
                + ": their worst-case regrets differ by less than the solvers' tolerance "
                "(regret.csv, tolerance_usd), so none of them is better on this evidence",
            )
        )
    if whatif.common:
        console.print(Text("Decisions that hold in every scenario:", style="bold"))
        for line in whatif.common:
            console.print(f"  {line}")
    for found in whatif.break_even:
        console.print(Text.assemble(("Break-even ", "bold"), found.line()))
    for run in whatif.runs:
        if run.error:
            console.print(Text(f"scenario {run.scenario.name} failed: {run.error}", style="red"))


def failures(whatif: WhatIf) -> list[str]:
    """How many scenarios and regret solves failed, and what that withholds (printed as
    warnings, even with --quiet: a nightly job's log must say it)."""
    lines = []
    if whatif.failed_scenarios:
        lines.append(f"{whatif.failed_scenarios} of {len(whatif.runs)} scenarios failed")
    if whatif.failed_regret:
        lines.append(f"{whatif.failed_regret} of {whatif.regret_solves} regret solves failed")
    if lines and len(whatif.runs) > 1 and not whatif.regret_skipped:
        lines.append(
            "no least-regret plan and no decisions common to every scenario are named: the "
            "results are incomplete"
        )
    return lines


def print_robust(console: Console, robust: Robust, currency: str) -> None:
    """Each scenario operated under the shared plan, the expected cost and the plan."""
    if robust.tables:
        console.print(scenario_table(robust.tables["summary"], currency))
    if robust.solved.objective is not None:
        console.print(
            Text.assemble(
                ("Expected cost of the robust plan: ", "bold"),
                f"{_cell(robust.solved.objective)} {currency} (discounted, by probability)",
            )
        )
    console.print(Text("The plan shared by every scenario:", style="bold"))
    for line in robust.describe():
        console.print(f"  {line}")
    if robust.value is not None:
        for label, text in robust.value.lines(currency):
            console.print(Text.assemble((label, "bold"), text))


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        if value == float("inf"):
            return "n/a"
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:g}"
    return str(value)


def whatif_status(whatif: WhatIf) -> Status | None:
    """Why no scenario of the run has a plan (None: some scenario has one)."""
    statuses = [r.status for r in whatif.runs]
    if any(r.solved is not None and r.solved.has_plan for r in whatif.runs):
        return None
    if Status.INFEASIBLE in statuses:
        return Status.INFEASIBLE
    if Status.NO_PLAN in statuses:
        return Status.NO_PLAN
    return Status.FAILED
