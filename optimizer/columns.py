"""Every output column with its unit and meaning: the one place that results.py, the
`columns` sheet of results.xlsx and docs/outputs.md take them from."""

from __future__ import annotations

Column = tuple[str, str, str]  # name, unit, meaning

OUTPUT_COLUMNS: dict[str, tuple[Column, ...]] = {
    "summary": (
        ("scenario", "", "scenario name"),
        (
            "status",
            "",
            "`optimal`; `time_limit` (the best plan found when the time limit passed, within "
            "`mip_gap`); `no_plan` (time limit, no plan found); `infeasible`; `failed` (its "
            "worker died twice); `error`",
        ),
        (
            "objective_usd",
            "USD, discounted",
            "the objective: the sum of costs.csv's `discounted_usd`",
        ),
        ("total_cost_usd", "USD", "the sum of costs.csv's `amount_usd` (undiscounted)"),
        ("onprem_usd", "USD", "undiscounted cost of the on-prem environment"),
        ("cloud_usd", "USD", "undiscounted cost of cloud offers"),
        ("api_usd", "USD", "undiscounted cost of token APIs"),
        ("edge_usd", "USD", "undiscounted cost of edge devices"),
        (
            "mip_gap",
            "fraction",
            "relative gap between the plan and the best bound (0 for optimal within tolerance)",
        ),
        ("solve_seconds", "s", "time spent in HiGHS"),
        ("tco2e", "t CO2e", "the plan's emissions over the horizon: the sum of emissions.csv"),
        ("onprem_tco2e", "t CO2e", "emissions of the on-prem environment"),
        ("cloud_tco2e", "t CO2e", "emissions of cloud offers"),
        ("api_tco2e", "t CO2e", "emissions of token APIs"),
        ("edge_tco2e", "t CO2e", "emissions of edge devices"),
        (
            "moves",
            "share of a workload's demand",
            "work moved between locations from one period to the next: the sum of "
            "assignments.csv's `moves` (1 = one workload's whole demand moved once)",
        ),
    ),
    "costs": (
        ("scenario", "", "scenario name"),
        ("period", "", "period number, 0 at `start_date`"),
        ("period_start", "date", "first day of the period"),
        ("period_end", "date", "last day of the period"),
        ("environment", "", "`onprem`, `cloud`, `api` or `edge`"),
        (
            "category",
            "",
            "`rack_capex`, `site_build`, `site_opex`, `rack_opex`, `energy`, `cloud_on_demand`, "
            "`cloud_spot`, `cloud_reserved`, `api`, `edge_capex`, `edge_opex`, `residual_value`, "
            "`carbon` (the carbon price times the location's emissions, with a price set)",
        ),
        (
            "cost_type",
            "",
            "`capex` (rack_capex, site_build, edge_capex, residual_value) or `opex` (the rest)",
        ),
        ("location", "", "the site, cloud offer, API or edge device type"),
        ("region", "", "its region (an edge device's is its workload's region)"),
        ("amount_usd", "USD", "cash in the period; residual value is negative (a credit)"),
        ("discounted_usd", "USD, discounted", "`amount_usd` discounted to `start_date`"),
    ),
    "emissions": (
        ("scenario", "", "scenario name"),
        ("period", "", "period number, 0 at `start_date`"),
        ("environment", "", "`onprem`, `cloud`, `api` or `edge`"),
        (
            "category",
            "",
            "`energy` (sites' power × PUE, edge devices' power, at the site's or region's "
            "`carbon_kg_per_kwh`), `cloud` (accelerator-hours used × `kw_per_accelerator` × the "
            "offer region's intensity), `api` (million tokens × `kg_co2e_per_mtok`), "
            "`embodied` (`embodied_kg_co2e` of racks and edge devices, in the period bought)",
        ),
        ("location", "", "the site, cloud offer, API or edge device type"),
        ("region", "", "its region (an edge device's is its workload's region)"),
        ("tco2e", "t CO2e", "emissions in the period"),
    ),
    "workload_costs": (
        ("scenario", "", "scenario name"),
        ("workload", "", "workload id, or `(idle)` for capacity no workload holds"),
        ("period", "", "period number, 0 at `start_date`"),
        ("environment", "", "`onprem`, `cloud`, `api` or `edge`"),
        ("category", "", "as in costs.csv"),
        ("location", "", "the site, cloud offer, API or edge device type"),
        (
            "amount_usd",
            "USD",
            "the workload's part of costs.csv's entry (see the rule above); the parts of an "
            "entry add up to it",
        ),
        ("discounted_usd", "USD, discounted", "`amount_usd` discounted to `start_date`"),
    ),
    "workload_emissions": (
        ("scenario", "", "scenario name"),
        ("workload", "", "workload id, or `(idle)`"),
        ("period", "", "period number, 0 at `start_date`"),
        ("environment", "", "`onprem`, `cloud`, `api` or `edge`"),
        ("category", "", "as in emissions.csv"),
        ("location", "", "the site, cloud offer, API or edge device type"),
        ("tco2e", "t CO2e", "the workload's part of emissions.csv's entry, split like the costs"),
    ),
    "workload_summary": (
        ("scenario", "", "scenario name"),
        ("workload", "", "workload id, or `(idle)` (the idle capacity's cost, last)"),
        ("kind", "", "`inference` or `training` (blank for `(idle)`)"),
        ("cost_usd", "USD", "the workload's cost over the horizon: its workload_costs.csv rows"),
        ("discounted_usd", "USD, discounted", "the same, discounted to `start_date`"),
        ("tco2e", "t CO2e", "its emissions over the horizon: its workload_emissions.csv rows"),
        (
            "volume",
            "`volume_unit`",
            "what it gets over the horizon: million tokens (inference), or H100-hours "
            "(training: its demand of H100-hours a month times the months)",
        ),
        ("volume_unit", "", "`million tokens` or `H100-hours`"),
        ("unit_cost_usd", "USD per `volume_unit`", "`cost_usd` / `volume` (undiscounted)"),
        (
            "alternative",
            "",
            "the cheapest API or on-demand or spot cloud offer the workload may use, at list "
            "price (`api ID` or `cloud ID`); blank when none is allowed",
        ),
        (
            "alternative_unit_cost_usd",
            "USD per `volume_unit`",
            "its price per unit: an API's `price_usd_per_mtok`; a cloud offer's price times "
            "the accelerator-hours held per unit (`peak_factor` and throughput included; "
            "1 / `training_speed` per H100-hour); no quota, no carbon price",
        ),
    ),
    "racks": (
        ("scenario", "", "scenario name"),
        ("site", "", "site id"),
        ("region", "", "the site's region"),
        ("rack_type", "", "rack type id"),
        ("period", "", "period number"),
        ("period_start", "date", "first day of the period"),
        ("bought", "racks", "racks bought (ordered and paid for) in the period"),
        (
            "installed",
            "racks",
            "racks standing in the period: those in `installed` plus purchases delivered by then",
        ),
    ),
    "assignments": (
        ("scenario", "", "scenario name"),
        ("workload", "", "workload id"),
        ("period", "", "period number"),
        ("period_start", "date", "first day of the period"),
        ("environment", "", "`onprem`, `cloud`, `api` or `edge`"),
        ("location", "", "site, cloud offer, API or edge device type"),
        ("region", "", "its region"),
        ("share", "fraction", "share of the workload's demand in the period served there"),
        (
            "demand",
            "million tokens a day or H100-hours a month",
            "that share of the demand (inference demand given in requests is converted to "
            "million tokens a day)",
        ),
        (
            "accelerator_hours",
            "accelerator-hours",
            "accelerator-hours held for it in the period (× `peak_factor` for inference); "
            "blank for APIs",
        ),
        ("rack_type", "", "for on-prem, the rack type; blank otherwise"),
        (
            "moves",
            "fraction",
            "share of the workload's demand that moved here (the location: a site with all "
            "its rack types) from elsewhere since the previous period; 0 in the workload's "
            "first period (on the first of a site's rack-type rows)",
        ),
    ),
    "sites": (
        ("scenario", "", "scenario name"),
        ("site", "", "site id"),
        ("period", "", "period number"),
        ("open", "0/1", "the site is open (built, or existing)"),
        ("power_used_kw", "kW", "IT power of the racks standing"),
        ("power_capacity_kw", "kW", "the site's power capacity"),
        ("cooling_air_used_kw", "kW", "heat of air-cooled racks"),
        ("cooling_liquid_used_kw", "kW", "heat of liquid-cooled racks"),
        ("slots_used", "racks", "racks standing"),
        (
            "power_shadow_price_usd_per_kw",
            "USD per kW, discounted",
            "cost saved by one more kW of power capacity at the site in the period (see "
            "[formulation.md](formulation.md#solving)); 0 where power does not bind",
        ),
        ("cooling_air_capacity_kw", "kW", "the site's air cooling capacity"),
        ("cooling_liquid_capacity_kw", "kW", "the site's liquid cooling capacity"),
        ("rack_slots", "racks", "the site's rack slots"),
    ),
    "decisions": (
        ("scenario", "", "the scenario whose plan it is (`robust` for the plan of --robust)"),
        ("site", "", "site id (blank on a reserved-capacity row)"),
        ("open", "0/1", "the site is open at the horizon's end"),
        ("rack_type", "", "rack type id (blank for an open site without racks)"),
        ("racks_at_end", "racks", "racks standing at the site in the last period"),
        ("offer", "", "reserved cloud offer (blank on a site row)"),
        ("reserved_block", "", "term block of the commitment, 0 from period 0"),
        ("reserved_accelerators", "accelerators", "accelerators committed for the block"),
    ),
    "regret": (
        ("scenario", "", "the scenario whose plan (sites, racks, reserved capacity) is held fixed"),
        ("operated_under", "", "the scenario it is operated under"),
        ("status", "", "as in summary.csv: `infeasible` when the plan cannot serve that scenario"),
        ("cost_usd", "USD, discounted", "the plan's objective under that scenario"),
        ("optimum_usd", "USD, discounted", "that scenario's own optimum (its summary objective)"),
        ("regret_usd", "USD, discounted", "cost_usd − optimum_usd"),
        (
            "tolerance_usd",
            "USD, discounted",
            "how far the two solves behind this regret may each be from their optimum "
            "(objective − best bound of each, added): a regret within it is a tie, not a finding",
        ),
    ),
    "breakeven": (
        ("parameter", "", "the swept parameter (PARAMETER or PARAMETER@TARGET)"),
        (
            "break_even_value",
            "the parameter's unit",
            "where the plan changes: the middle of the final bracket",
        ),
        ("value_below", "the parameter's unit", "the bracket's lower end, solved"),
        ("value_above", "the parameter's unit", "the bracket's upper end, solved"),
        (
            "decision",
            "",
            "what changes, as in decisions.csv: `site S open`, `R racks at S` (at the horizon's "
            "end) or `reserved O block B`",
        ),
        ("below", "racks, accelerators or 0/1", "the decision's value at value_below"),
        ("above", "racks, accelerators or 0/1", "the decision's value at value_above"),
        ("objective_below_usd", "USD, discounted", "the optimum at value_below"),
        ("objective_above_usd", "USD, discounted", "the optimum at value_above"),
    ),
    "pareto": (
        (
            "point",
            "",
            "the point's name, its scenario in the other files: `point-1` the cost-minimal plan, "
            "then ever fewer emissions, to `point-N` the carbon-minimal plan",
        ),
        ("tco2e", "t CO2e", "the plan's emissions over the horizon (summary.csv's `tco2e`)"),
        ("objective_usd", "USD, discounted", "the plan's cost: the objective the frontier trades"),
        ("total_cost_usd", "USD", "the plan's cost undiscounted (summary.csv's `total_cost_usd`)"),
        (
            "abatement_usd_per_t",
            "USD (discounted) per t CO2e",
            "the marginal abatement cost from the point before: its extra `objective_usd` over "
            "the tonnes it avoids; blank for point-1 and where the two emit the same",
        ),
        (
            "epsilon_tco2e",
            "t CO2e",
            "the bound on emissions over the horizon the point was solved under: blank for "
            "point-1, the least any plan emits (within a millionth) for point-N, evenly spaced "
            "between them for the rest",
        ),
        ("status", "", "as in summary.csv"),
    ),
}

# Columns summary.csv adds for scenario runs, after its own.
SUMMARY_EXTRAS: tuple[Column, ...] = (
    ("probability", "fraction", "with --robust: the scenario's probability"),
    (
        "worst_regret_usd",
        "USD, discounted",
        "the largest regret of this scenario's plan under any scenario (regret.csv); inf "
        "when it cannot serve one (infeasible), blank when a solve it needs failed",
    ),
    (
        "least_regret",
        "True/False",
        "this scenario's plan has the least worst-case regret, or is within the solvers' "
        "tolerance of it (several plans can be True: a tie)",
    ),
    (
        "PARAMETER or PARAMETER@TARGET",
        "the parameter's unit",
        "one column per overridden parameter: the scenario's value",
    ),
)


# Each output column's type, by name: a name means the same wherever it appears. The CSVs
# are written in these types in every run (optimizer.outputs.write_csv), so that a reader
# that guesses types (DuckDB, pandas, a spreadsheet) guesses the same each time: an integer
# never as 1.0, a number always with a decimal point (1000.0), a blank where there is none.
# A column not named here (a swept parameter's, PARAMETER@TARGET) is a number.
COLUMN_TYPES: dict[str, str] = {
    **dict.fromkeys(
        (
            "scenario",
            "status",
            "environment",
            "category",
            "cost_type",
            "location",
            "region",
            "site",
            "rack_type",
            "workload",
            "offer",
            "operated_under",
            "parameter",
            "decision",
            "kind",
            "volume_unit",
            "alternative",
            "point",
        ),
        "text",
    ),
    **dict.fromkeys(
        (
            "period",
            "bought",
            "installed",
            "open",
            "slots_used",
            "rack_slots",
            "racks_at_end",
            "reserved_block",
            "reserved_accelerators",
            "below",
            "above",
        ),
        "integer",
    ),
    **dict.fromkeys(("period_start", "period_end"), "date"),
    "least_regret": "bool",
}
TYPE_WORDS = {
    "text": "text",
    "integer": "integer",
    "number": "number",
    "date": "date (YYYY-MM-DD)",
    "bool": "True/False",
}


def column_type(name: str) -> str:
    """The declared type of an output column (text, integer, number, date, bool)."""
    return COLUMN_TYPES.get(name, "number")


def names(table: str) -> list[str]:
    """The columns of an output table, in order."""
    return [name for name, _, _ in OUTPUT_COLUMNS[table]]
