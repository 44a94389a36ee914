"""The terminal summary of a run, as rich tables."""

from __future__ import annotations

import pandas as pd
from rich.console import Console
from rich.table import Table
from rich.text import Text

from optimizer.cli import finance
from optimizer.notes import cash_notes
from optimizer.plan import Plan
from optimizer.results import ENVIRONMENTS
from optimizer.run import Outcome
from optimizer.scenarios import has_emission_figures, tables_of
from optimizer.solve import Solved
from optimizer.status import Status


def _years(n: float) -> str:
    return f"{n:g} year" + ("" if n == 1 else "s")


def _usd(x: float) -> str:
    return f"{x:,.0f}"


def print_summary(console: Console, plan: Plan, outcome: Outcome) -> None:
    """Total cost, cost by environment and category, racks per site, where each workload
    runs, and the solver's status, gap and time."""
    solved = outcome.solved
    currency = plan.settings.currency
    if outcome.tables:
        costs = outcome.tables["costs"]
        console.print(
            Text.assemble(
                (f"Total cost over {_years(plan.settings.horizon_years)}: ", "bold"),
                f"{_usd(costs['amount_usd'].sum())} {currency} "
                f"({_usd(costs['discounted_usd'].sum())} {currency} discounted to "
                f"{plan.settings.start_date})",
            )
        )
        console.print(_cost_table(costs, currency))
        console.print(_emissions_line(plan, outcome.tables["emissions"]))
        racks = outcome.tables["racks"]
        if not racks.empty:
            console.print(_racks_table(plan, racks, console.width))
        console.print(_workloads_table(plan, outcome.tables["assignments"]))
        labels = plan.periods.set_index("period")["label"].to_dict()
        for line in finance.moves_lines(outcome, labels):
            console.print(Text(line))
        per_workload = finance.workload_cost_table(
            outcome.tables["workload_summary"], currency, _years(plan.settings.horizon_years)
        )
        if per_workload is not None:
            console.print(per_workload)
        for note in cash_notes(costs, currency):
            console.print(Text(note, style="yellow"))
    gap = "" if solved.gap is None else f", gap {solved.gap:.2%}"
    style = "green" if solved.status == Status.OPTIMAL else "yellow"
    console.print(
        Text.assemble(
            "solver: ",
            (solved.status, style),
            f" ({solved.termination}{gap}), {solved.seconds:.1f} s in HiGHS",
        )
    )
    if solved.warnings:
        console.print(Text(scaling_line(solved), style="yellow"))
    if solved.status == Status.TIME_LIMIT:
        console.print(
            Text(
                "the time limit passed before the plan was proven optimal: it is the best "
                "found, within the gap shown",
                style="yellow",
            )
        )


def scaling_line(solved: Solved) -> str:
    """HiGHS's warnings (numbers of very different sizes in the model, mostly) in one line
    that says what they mean for the plan; run.json keeps them as HiGHS wrote them."""
    checked = solved.certificate is not None and solved.certificate.holds
    meaning = (
        "the plan was checked against every limit and its cost recomputed (the "
        "certificate holds), so its figures stand; only the solve may have been slower"
        if checked
        else "no certified plan came of it"
    )
    return (
        f"HiGHS warned that the model's numbers are badly scaled ({len(solved.warnings)} "
        f"warning(s), in run.json under solver_warnings): {meaning}"
    )


def _emissions_line(plan: Plan, emissions: pd.DataFrame) -> Text:
    """Total emissions and by environment, or why there are none."""
    label = f"Emissions over {_years(plan.settings.horizon_years)}: "
    if not has_emission_figures(tables_of(plan)):
        return Text.assemble(
            (label, "bold"),
            "not counted (the workbook gives no carbon_kg_per_kwh, kg_co2e_per_mtok or "
            "embodied_kg_co2e)",
        )
    by_env = emissions.groupby("environment")["tco2e"].sum()
    parts = ", ".join(f"{env} {_tonnes(by_env.get(env, 0.0))}" for env in ENVIRONMENTS)
    return Text.assemble((label, "bold"), f"{_tonnes(emissions['tco2e'].sum())} t CO2e ({parts})")


def _tonnes(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 10 or x == 0 else f"{x:,.2f}"


def _cost_table(costs: pd.DataFrame, currency: str) -> Table:
    table = Table(title=f"Cost by environment and category ({currency}, undiscounted)")
    table.add_column("environment")
    table.add_column("category")
    table.add_column("cost", justify="right")
    grouped = costs.groupby(["environment", "category"], sort=True)["amount_usd"].sum()
    for (env, category), amount in grouped.items():
        table.add_row(env, category, _usd(amount))
    return table


def _racks_table(plan: Plan, racks: pd.DataFrame, width: int) -> Table:
    """Racks standing per site and rack type in every period that fits ``width``
    characters; when not all fit, every n-th period and the last, and the title says so."""
    labels = plan.periods.set_index("period")["label"]
    periods = list(labels.index)
    fixed = 1 + sum(
        3 + max(len(title), *(len(str(v)) for v in racks[column]))
        for column, title in (("site", "site"), ("rack_type", "rack type"))
    )
    shown, note = periods_that_fit(periods, (width - fixed) // (3 + max(map(len, labels))))
    word = plan.settings.period
    title = "Racks installed per site, every " + (
        f"{word}" if not note else f"{note} {word} and the last (racks.csv has every {word})"
    )
    table = Table(title=title)
    table.add_column("site")
    table.add_column("rack type")
    for t in shown:
        table.add_column(str(labels[t]), justify="right")
    for (site, rack_type), group in racks.groupby(["site", "rack_type"], sort=False):
        installed = group.set_index("period")["installed"]
        table.add_row(site, rack_type, *(str(int(installed.get(t, 0))) for t in shown))
    return table


def periods_that_fit(periods: list[int], fit: int) -> tuple[list[int], str]:
    """All periods when ``fit`` columns hold them; else every n-th from the first, and the
    last, in at most ``fit`` columns (at least two), with "other" or "3rd", "4th", ... for n."""
    if len(periods) <= fit:
        return periods, ""
    step = 2
    while True:
        shown = periods[::step]
        if shown[-1] != periods[-1]:
            shown.append(periods[-1])
        if len(shown) <= max(fit, 2):
            return shown, _every(step)
        step += 1


def _every(step: int) -> str:
    if step == 2:
        return "other"
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(step % 10 if step % 100 not in (11, 12, 13) else 0)
    return f"{step}{suffix or 'th'}"


def _place(environment: str, location: str, rack_type: object) -> str:
    """Where a share runs: the environment and location, and for on-prem the rack type."""
    if isinstance(rack_type, str) and rack_type:
        return f"{environment} {location} {rack_type}"
    return f"{environment} {location}"


def _percent(share: float) -> str:
    """A share as a whole percentage; a share that rounds to 0 % is "<1%", not "0%"."""
    return "<1%" if 0 < share < 0.005 else f"{share:.0%}"


def _workloads_table(plan: Plan, assignments: pd.DataFrame) -> Table:
    labels = plan.periods.set_index("period")["label"]
    table = Table(title="Where each workload runs (first and last period)")
    table.add_column("workload")
    table.add_column("first period")
    table.add_column("last period")
    for workload, group in assignments.groupby("workload", sort=False):
        cells = []
        for t in (group["period"].min(), group["period"].max()):
            rows = group[group["period"] == t]
            where = ", ".join(
                f"{_place(r.environment, r.location, r.rack_type)} {_percent(r.share)}"
                for r in rows.itertuples()
            )
            cells.append(f"{labels[t]}: {where}")
        table.add_row(str(workload), *cells)
    return table
