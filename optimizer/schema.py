"""The workbook's schema, as data.

Every sheet and column of the input workbook, with its type, unit, default,
whether it is required, the values it allows and a one-line description. The
loader validates against it, the template is written from it and
docs/inputs.md is generated from it: change a column here and all three follow.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

from .plausible import (
    ACCELERATOR_KW,
    CARBON_INTENSITY,
    CARBON_PRICE,
    DEVICE_KW,
    GROWTH,
    HOURLY_PRICE,
    LATENCY_LIMIT,
    MTOK_PER_DAY,
    PEAK,
    POWER_PRICE,
    PUE,
    RACK_KW,
    RTT,
    SITE_KW,
    SPEED,
    TOKEN_PRICE,
    TOKENS_PER_SECOND,
    YEARS,
    Plausible,
    Slip,
    money,
)

ColumnType = Literal["id", "ref", "text", "number", "integer", "bool", "enum", "date"]

YES_NO = ("yes", "no")


@dataclass(frozen=True)
class Column:
    """One column of a sheet (or one key of the settings sheet).

    ``required`` means the column must be present and every row must fill it;
    otherwise a blank cell takes ``default`` (None: stays blank, meaning "none").
    ``ref`` names the sheet whose id this column must match.
    """

    name: str
    type: ColumnType
    description: str
    unit: str = ""
    required: bool = False
    default: object = None
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    choices: tuple[str, ...] = ()
    ref: str | None = None
    example: object = None
    plausible: tuple[Plausible, ...] = ()

    @property
    def allowed(self) -> tuple[str, ...]:
        """The values a user may type, for enumerated and yes/no columns."""
        return YES_NO if self.type == "bool" else self.choices

    def expectation(self) -> str:
        """What a valid cell holds, in words, for error messages and docs."""
        kinds = {
            "id": "a non-blank id",
            "ref": "an id",
            "text": "text",
            "number": "a number",
            "integer": "a whole number",
            "bool": "yes or no",
            "enum": "one of " + ", ".join(self.choices),
            "date": "a date (YYYY-MM-DD)",
        }
        words = kinds[self.type]
        if self.minimum is not None and self.maximum is not None:
            words += f" from {_fmt(self.minimum)} to {_fmt(self.maximum)}"
            if self.exclusive_minimum:
                words += f" (above {_fmt(self.minimum)})"
        elif self.minimum is not None:
            words += f" {'>' if self.exclusive_minimum else '>='} {_fmt(self.minimum)}"
        elif self.maximum is not None:
            words += f" <= {_fmt(self.maximum)}"
        return words


@dataclass(frozen=True)
class Sheet:
    """One sheet of the workbook; ``key`` columns identify a row uniquely."""

    name: str
    required: bool
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    row_is: str = ""

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _fmt(x: float) -> str:
    return f"{x:g}"


def _num(name: str, description: str, unit: str, **kw: object) -> Column:
    return Column(name, "number", description, unit=unit, **kw)  # type: ignore[arg-type]


def _nonneg(name: str, description: str, unit: str, **kw: object) -> Column:
    return _num(name, description, unit, minimum=0.0, **kw)


def _positive(name: str, description: str, unit: str, **kw: object) -> Column:
    return _num(name, description, unit, minimum=0.0, exclusive_minimum=True, **kw)


def _yes_no(name: str, description: str, **kw: object) -> Column:
    return Column(name, "bool", description, unit="yes/no", **kw)  # type: ignore[arg-type]


def _ref(name: str, sheet: str, description: str, **kw: object) -> Column:
    return Column(name, "ref", description, ref=sheet, required=True, **kw)  # type: ignore[arg-type]


PERIOD_CHOICES = ("quarter", "month", "year")
MONTHS_PER_PERIOD = {"month": 1, "quarter": 3, "year": 12}
HOURS_PER_YEAR = 8760.0


SETTINGS: tuple[Column, ...] = (
    _positive("horizon_years", "Length of the plan.", "years", default=3.0, maximum=30.0),
    Column(
        "period",
        "enum",
        "Length of one period of the plan.",
        choices=PERIOD_CHOICES,
        default="quarter",
    ),
    Column("start_date", "date", "First day of period 0.", default="2027-01-01"),
    Column("currency", "text", "Currency label for money columns (a label only).", default="USD"),
    _nonneg(
        "discount_rate",
        "Yearly rate at which future cash is discounted to start_date.",
        "fraction per year",
        default=0.0,
        maximum=1.0,
    ),
    Column(
        "residual_value",
        "enum",
        "Credit for racks' remaining value at the horizon's end.",
        choices=("none", "straight_line"),
        default="none",
    ),
    _nonneg(
        "intra_region_rtt_ms",
        "Round-trip time within one region.",
        "ms",
        default=5.0,
        plausible=RTT,
    ),
    _nonneg(
        "edge_rtt_ms",
        "Round-trip time to an edge device beside the users.",
        "ms",
        default=1.0,
        plausible=RTT,
    ),
    _positive(
        "max_utilization",
        "Share of an installed rack's accelerator-hours that may be used.",
        "fraction",
        default=0.85,
        maximum=1.0,
    ),
    _nonneg(
        "mip_gap",
        "Relative optimality gap at which the solver stops.",
        "fraction",
        default=0.001,
        maximum=1.0,
    ),
    _positive("time_limit_s", "Solver time limit.", "s", default=300.0),
    Column(
        "threads",
        "integer",
        "Solver threads (0: one thread a solve, so that an answer does not depend on the "
        "machine or on how many scenarios run at once).",
        unit="count",
        default=0,
        minimum=0.0,
    ),
    _yes_no(
        "stable_placement",
        "Among plans within mip_gap of the proven optimum, take one that moves the least "
        "work between locations from one period to the next (no: the solver's first "
        "cost-optimal plan).",
        default=True,
    ),
    _nonneg(
        "carbon_price_usd_per_t",
        "Price of emissions, added to the cost as category carbon (0: emissions are "
        "reported but cost nothing); a region's own carbon_price_usd_per_t overrides it.",
        "USD/t CO2e",
        default=0.0,
        plausible=CARBON_PRICE,
    ),
    _nonneg(
        "max_tco2e_per_year",
        "Cap on the plan's emissions in each year from start_date, embodied emissions "
        "included (blank: no cap; a last year shorter than a year gets its share).",
        "t CO2e/year",
        plausible=(
            Plausible(
                "t CO2e a year",
                "tonnes of CO2e a year",
                above=Slip(10_000_000.0, "kg", ((1000.0, "kg CO2e a year"),)),
            ),
        ),
    ),
)

# Power per accelerator-hour of a cloud offer that leaves kw_per_accelerator blank: the
# accelerator's share of its server at full load, as the catalog derives it with its sources
# (data/catalog/accelerator_power.csv; a test keeps the two equal). The provider's PUE is
# not included.
DEFAULT_KW_PER_ACCELERATOR: dict[str, float] = {
    "H100": 1.275,
    "H200": 1.275,
    "B200": 1.7875,
    "GB200": 1.667,
    "A100-80GB": 0.8125,
    "A10G": 0.15,
    "L4": 0.072,
}

WORKLOAD_KINDS = ("inference", "training")
DEMAND_UNITS = {"inference": "mtok_per_day", "training": "h100_hours_per_month"}
# Inference demand may also be stated as requests with tokens_per_request, converted on
# reading to mtok_per_day: requests a day per request a second or a minute.
REQUESTS_PER_DAY = {"requests_per_second": 86_400, "requests_per_minute": 1_440}
SCENARIO_PARAMETERS = (
    "power_price_multiplier",
    "power_price_usd_per_kwh",
    "cloud_price_multiplier",
    "api_price_multiplier",
    "demand_multiplier",
    "power_capacity_multiplier",
    "carbon_price_usd_per_t",
    "max_tco2e_per_year",
    "discount_rate",
    "residual_value",
    "max_utilization",
)
# Settings a scenario may set, for the whole plan (target *); residual_value takes 0 (none)
# or 1 (straight_line) there, the others the setting's own value.
SETTING_PARAMETERS = ("discount_rate", "residual_value", "max_utilization")
RESIDUAL_VALUES = {0.0: "none", 1.0: "straight_line"}

SHEETS: tuple[Sheet, ...] = (
    Sheet(
        "settings",
        required=False,
        row_is="setting",
        description="Plan-wide settings, one key and value a row; every key is optional.",
        columns=(
            Column("key", "id", "Name of the setting.", required=True, example="horizon_years"),
            Column("value", "text", "Value of the setting.", required=True, example=3),
        ),
        key=("key",),
    ),
    Sheet(
        "regions",
        required=True,
        row_is="region",
        description="Regions where sites, offers, edge devices and users are.",
        columns=(
            Column("region", "id", "Region id.", required=True, example="no-south"),
            Column(
                "jurisdiction",
                "text",
                "Legal area for data residency (e.g. EU, US, NO, SG).",
                required=True,
                example="NO",
            ),
            _nonneg(
                "power_price_usd_per_kwh",
                "Grid power price in the region, unless a site overrides it.",
                "USD/kWh",
                required=True,
                plausible=POWER_PRICE,
                example=0.045,
            ),
            _nonneg(
                "carbon_kg_per_kwh",
                "Grid carbon intensity, for the energy of sites (unless a site has its own), "
                "edge devices and cloud offers in the region (blank: their energy's emissions "
                "are not counted).",
                "kg CO2e/kWh",
                plausible=CARBON_INTENSITY,
                example=0.02,
            ),
            _nonneg(
                "carbon_price_usd_per_t",
                "Price of emissions in the region (blank: the setting carbon_price_usd_per_t).",
                "USD/t CO2e",
                plausible=CARBON_PRICE,
                example=None,
            ),
        ),
        key=("region",),
    ),
    Sheet(
        "latency",
        required=False,
        row_is="region pair",
        description="Round-trip times between regions; one direction is enough. An unlisted "
        "pair is unreachable for workloads with a latency limit.",
        columns=(
            _ref("from_region", "regions", "One end of the pair.", example="no-south"),
            _ref("to_region", "regions", "Other end of the pair.", example="no-south"),
            _nonneg(
                "rtt_ms",
                "Round-trip time between the two regions.",
                "ms",
                required=True,
                plausible=RTT,
                example=5,
            ),
        ),
        key=("from_region", "to_region"),
    ),
    Sheet(
        "sites",
        required=False,
        row_is="candidate on-prem site",
        description="Candidate and existing on-prem sites.",
        columns=(
            Column("site", "id", "Site id.", required=True, example="oslo-1"),
            _ref("region", "regions", "Region the site is in.", example="no-south"),
            _nonneg(
                "power_capacity_kw",
                "IT power the site can feed.",
                "kW",
                required=True,
                plausible=SITE_KW,
                example=2000,
            ),
            _nonneg(
                "cooling_air_kw",
                "Heat the air cooling can remove.",
                "kW",
                default=0.0,
                plausible=SITE_KW,
                example=800,
            ),
            _nonneg(
                "cooling_liquid_kw",
                "Heat the liquid cooling can remove.",
                "kW",
                default=0.0,
                plausible=SITE_KW,
                example=1200,
            ),
            Column(
                "rack_slots",
                "integer",
                "Racks the site can hold.",
                unit="racks",
                required=True,
                minimum=0.0,
                example=40,
            ),
            _nonneg(
                "max_air_rack_kw",
                "Densest air-cooled rack the room takes.",
                "kW",
                default=40.0,
                plausible=RACK_KW,
                example=45,
            ),
            _num(
                "pue",
                "Power usage effectiveness.",
                "ratio",
                default=1.0,
                minimum=1.0,
                plausible=PUE,
                example=1.2,
            ),
            _nonneg(
                "power_price_usd_per_kwh",
                "Power price at the site (blank: the region's).",
                "USD/kWh",
                plausible=POWER_PRICE,
                example=None,
            ),
            _nonneg(
                "carbon_kg_per_kwh",
                "Carbon intensity of the site's power, e.g. under a power purchase agreement "
                "(blank: the region's).",
                "kg CO2e/kWh",
                plausible=CARBON_INTENSITY,
                example=None,
            ),
            _yes_no(
                "existing",
                "An existing site is open from period 0 at no build cost.",
                default=False,
                example="yes",
            ),
            _nonneg(
                "build_cost_usd",
                "One-time cost of opening the site, paid in the period it opens.",
                "USD",
                default=0.0,
                plausible=money(1000.0),
                example=None,
            ),
            Column(
                "build_lead_periods",
                "integer",
                "Periods from the decision to build to the first rack.",
                unit="periods",
                default=0,
                minimum=0.0,
                example=None,
            ),
            _nonneg(
                "fixed_opex_usd_per_year",
                "Lease, staff and other fixed cost while the site is open.",
                "USD/year",
                default=0.0,
                plausible=money(1000.0, "USD a year"),
                example=400_000,
            ),
        ),
        key=("site",),
    ),
    Sheet(
        "accelerators",
        required=True,
        row_is="accelerator kind",
        description="Kinds of accelerator used by racks, cloud offers and edge devices.",
        columns=(
            Column(
                "accelerator",
                "id",
                "Accelerator id (e.g. H100, B200).",
                required=True,
                example="H100",
            ),
            _positive(
                "training_speed",
                "Training speed relative to an H100 (blank: cannot train).",
                "H100 = 1",
                plausible=SPEED,
                example=1.0,
            ),
        ),
        key=("accelerator",),
    ),
    Sheet(
        "performance",
        required=False,
        row_is="(accelerator, model) pair",
        description="Sustained inference throughput of one accelerator for a model. Required "
        "when any workload is an inference workload.",
        columns=(
            _ref("accelerator", "accelerators", "Accelerator.", example="H100"),
            Column(
                "model",
                "text",
                "Model name, as workloads and APIs name it.",
                required=True,
                example="llama-70b",
            ),
            _positive(
                "tokens_per_second",
                "Sustained throughput of one accelerator for the model.",
                "tokens/s",
                required=True,
                plausible=TOKENS_PER_SECOND,
                example=460,
            ),
        ),
        key=("accelerator", "model"),
    ),
    Sheet(
        "hardware",
        required=False,
        row_is="rack type",
        description="Rack types that can be bought for sites.",
        columns=(
            Column("rack_type", "id", "Rack type id.", required=True, example="h100-air"),
            _ref("accelerator", "accelerators", "Accelerator in the rack.", example="H100"),
            Column(
                "accelerators_per_rack",
                "integer",
                "Accelerators in one rack.",
                unit="accelerators",
                required=True,
                minimum=1.0,
                example=32,
            ),
            _positive(
                "it_power_kw",
                "IT power of one rack at full load.",
                "kW",
                required=True,
                plausible=RACK_KW,
                example=40.8,
            ),
            _num(
                "idle_power_fraction",
                "Share of it_power_kw drawn when idle (1: full power whether busy or not).",
                "fraction",
                default=1.0,
                minimum=0.0,
                maximum=1.0,
                example=1.0,
            ),
            Column(
                "cooling",
                "enum",
                "Cooling the rack needs.",
                choices=("air", "liquid"),
                required=True,
                example="air",
            ),
            _nonneg(
                "capex_usd",
                "Price of one rack, installed.",
                "USD",
                required=True,
                plausible=money(1000.0),
                example=1_200_000,
            ),
            _nonneg(
                "opex_usd_per_year",
                "Support and maintenance of one rack.",
                "USD/year",
                default=0.0,
                plausible=money(100.0, "USD a year"),
                example=60_000,
            ),
            _positive(
                "lifetime_years",
                "Useful life for residual value (blank: no residual value).",
                "years",
                plausible=(
                    Plausible("years", "years", above=Slip(30.0, "months", ((12.0, "months"),))),
                ),
                example=5,
            ),
            Column(
                "lead_time_periods",
                "integer",
                "Periods from purchase to delivery.",
                unit="periods",
                default=0,
                minimum=0.0,
                example=1,
            ),
            _nonneg(
                "embodied_kg_co2e",
                "Emissions of making and shipping one rack, counted in the period it is bought "
                "(blank: not counted).",
                "kg CO2e",
                plausible=(
                    Plausible(
                        "kg CO2e", "kg CO2e", below=Slip(100.0, "tonnes", ((1e-3, "t CO2e"),))
                    ),
                ),
                example=None,
            ),
        ),
        key=("rack_type",),
    ),
    Sheet(
        "installed",
        required=False,
        row_is="(site, rack type) already in place",
        description="Racks already in place at existing sites.",
        columns=(
            _ref("site", "sites", "Site the racks stand in.", example="oslo-1"),
            _ref("rack_type", "hardware", "Rack type.", example="h100-air"),
            Column(
                "racks",
                "integer",
                "Racks in place.",
                unit="racks",
                required=True,
                minimum=0.0,
                example=2,
            ),
        ),
        key=("site", "rack_type"),
    ),
    Sheet(
        "cloud",
        required=False,
        row_is="cloud offer",
        description="Cloud accelerator offers.",
        columns=(
            Column("offer", "id", "Offer id.", required=True, example="lambda-h100-od"),
            Column("provider", "text", "Cloud provider.", required=True, example="lambda"),
            _ref("region", "regions", "Region the offer runs in.", example="no-south"),
            _ref("accelerator", "accelerators", "Accelerator rented.", example="H100"),
            Column(
                "pricing",
                "enum",
                "How the offer is billed.",
                choices=("on_demand", "spot", "reserved"),
                required=True,
                example="on_demand",
            ),
            _nonneg(
                "price_usd_per_accelerator_hour",
                "Price of one accelerator for one hour.",
                "USD/accelerator-hour",
                required=True,
                plausible=HOURLY_PRICE,
                example=2.99,
            ),
            _nonneg(
                "max_accelerators",
                "Quota of accelerators at once (blank: no quota).",
                "accelerators",
                example=None,
            ),
            _positive(
                "term_years",
                "Length of a reserved commitment block (reserved offers only).",
                "years",
                plausible=YEARS,
                example=None,
            ),
            _nonneg(
                "kw_per_accelerator",
                "Power drawn per accelerator-hour used, for emissions (blank: the default for "
                "the accelerator in docs/inputs.md; no default, not counted).",
                "kW",
                plausible=ACCELERATOR_KW,
                example=None,
            ),
        ),
        key=("offer",),
    ),
    Sheet(
        "apis",
        required=False,
        row_is="serverless token API offer",
        description="Serverless token APIs (inference only), billed per token.",
        columns=(
            Column("api", "id", "API offer id.", required=True, example="api-70b"),
            Column("provider", "text", "API provider.", required=True, example="tokenco"),
            _ref("region", "regions", "Region the API serves from.", example="no-south"),
            Column("model", "text", "Model the API serves.", required=True, example="llama-70b"),
            _nonneg(
                "price_usd_per_mtok",
                "Price per million tokens.",
                "USD/million tokens",
                required=True,
                plausible=TOKEN_PRICE,
                example=2.5,
            ),
            _nonneg(
                "max_mtok_per_day",
                "Daily limit on average tokens (blank: no limit).",
                "million tokens/day",
                plausible=(MTOK_PER_DAY,),
                example=None,
            ),
            _yes_no(
                "retains_data",
                "The provider keeps the data (never used by sensitive workloads).",
                required=True,
                example="no",
            ),
            _nonneg(
                "kg_co2e_per_mtok",
                "Emissions per million tokens, as the provider reports them (blank: not counted).",
                "kg CO2e/million tokens",
                plausible=(
                    Plausible(
                        "kg CO2e per million tokens",
                        "kg CO2e per million tokens",
                        above=Slip(100.0, "grams", ((1000.0, "g CO2e per million tokens"),)),
                    ),
                ),
                example=0.27,
            ),
        ),
        key=("api",),
    ),
    Sheet(
        "edge",
        required=False,
        row_is="edge device type",
        description="Edge device types, bought per workload and placed in its region.",
        columns=(
            Column("device", "id", "Device type id.", required=True, example="edge-box"),
            _ref("accelerator", "accelerators", "Accelerator in the device.", example="H100"),
            Column(
                "accelerators_per_device",
                "integer",
                "Accelerators in one device.",
                unit="accelerators",
                required=True,
                minimum=1.0,
                example=1,
            ),
            _nonneg(
                "capex_usd",
                "Price of one device.",
                "USD",
                required=True,
                plausible=money(100.0),
                example=40_000,
            ),
            _nonneg(
                "power_kw",
                "Power one device draws, all the time.",
                "kW",
                required=True,
                plausible=DEVICE_KW,
                example=1.0,
            ),
            _nonneg(
                "opex_usd_per_year",
                "Support and maintenance of one device.",
                "USD/year",
                default=0.0,
                example=2000,
            ),
            _nonneg(
                "embodied_kg_co2e",
                "Emissions of making and shipping one device, counted in the period it is bought "
                "(blank: not counted).",
                "kg CO2e",
                example=None,
            ),
        ),
        key=("device",),
    ),
    Sheet(
        "workloads",
        required=True,
        row_is="workload",
        description="Workloads to place: inference in million tokens a day (or requests a "
        "second or a minute, with tokens_per_request), training in H100-equivalent hours a "
        "month.",
        columns=(
            Column("workload", "id", "Workload id.", required=True, example="chatbot"),
            Column(
                "kind",
                "enum",
                "Inference or training.",
                choices=WORKLOAD_KINDS,
                required=True,
                example="inference",
            ),
            Column(
                "model",
                "text",
                "Model served (required for inference).",
                example="llama-70b",
            ),
            _ref("user_region", "regions", "Where the users and the data are.", example="no-south"),
            _nonneg(
                "demand",
                "Demand in period 0, in demand_unit (average, not peak).",
                "demand_unit",
                required=True,
                plausible=(
                    dataclasses.replace(MTOK_PER_DAY, demand_unit="mtok_per_day"),
                    Plausible(
                        "H100-hours a month",
                        "H100-hours a month",
                        above=Slip(100_000_000.0),
                        demand_unit="h100_hours_per_month",
                    ),
                    Plausible(
                        "requests a second",
                        "requests a second",
                        above=Slip(100_000.0, "requests a day", ((86_400.0, "requests a day"),)),
                        demand_unit="requests_per_second",
                    ),
                    Plausible(
                        "requests a minute",
                        "requests a minute",
                        above=Slip(6_000_000.0, "requests a day", ((1_440.0, "requests a day"),)),
                        demand_unit="requests_per_minute",
                    ),
                ),
                example=50,
            ),
            Column(
                "demand_unit",
                "enum",
                "mtok_per_day for inference, h100_hours_per_month for training; inference "
                "demand may also be in requests_per_second or requests_per_minute, with "
                "tokens_per_request (converted on reading: requests a day x tokens_per_request "
                "/ 1,000,000).",
                choices=(*DEMAND_UNITS.values(), *REQUESTS_PER_DAY),
                required=True,
                example="mtok_per_day",
            ),
            _positive(
                "tokens_per_request",
                "Tokens of one request, prompt and answer together (only with demand in "
                "requests_per_second or requests_per_minute, and then required).",
                "tokens/request",
                plausible=(
                    Plausible("tokens a request", "tokens a request", above=Slip(2_000_000.0)),
                ),
                example=None,
            ),
            _num(
                "growth_per_year",
                "Yearly demand growth (0.5: +50 % a year).",
                "fraction per year",
                default=0.0,
                minimum=-1.0,
                plausible=GROWTH,
                example=0.5,
            ),
            _num(
                "peak_factor",
                "Inference capacity held per unit of average load.",
                "ratio",
                default=1.0,
                minimum=1.0,
                plausible=PEAK,
                example=1.5,
            ),
            _positive(
                "max_latency_ms",
                "Largest round-trip time from user_region (blank: none).",
                "ms",
                plausible=LATENCY_LIMIT,
                example=100,
            ),
            Column(
                "residency",
                "enum",
                "Where the data may be processed: any region, only user_region, or any region "
                "of the same jurisdiction.",
                choices=("any", "region", "jurisdiction"),
                default="any",
                example="any",
            ),
            _yes_no("allow_cloud", "May run on cloud offers.", default=True, example="yes"),
            _yes_no("allow_api", "May run on token APIs.", default=True, example="yes"),
            _yes_no("allow_edge", "May run on edge devices.", default=False, example="no"),
            _yes_no(
                "sensitive",
                "Never sent to an API that retains data.",
                default=False,
                example="no",
            ),
            _yes_no(
                "interruptible",
                "May run on spot offers (blank: yes for training, no for inference).",
                example="no",
            ),
            Column(
                "start_period",
                "integer",
                "First period with demand (blank: 0).",
                unit="period",
                minimum=0.0,
                example=None,
            ),
            Column(
                "end_period",
                "integer",
                "Last period with demand (blank: the last period).",
                unit="period",
                minimum=0.0,
                example=None,
            ),
        ),
        key=("workload",),
    ),
    Sheet(
        "scenarios",
        required=False,
        row_is="(scenario, parameter, target) override",
        description="What-if overrides applied on top of the base case.",
        columns=(
            Column(
                "scenario", "id", "Scenario name (not 'base').", required=True, example="dear-power"
            ),
            Column(
                "parameter",
                "enum",
                "What the row overrides.",
                choices=SCENARIO_PARAMETERS,
                required=True,
                example="power_price_multiplier",
            ),
            Column(
                "target",
                "text",
                "A region, site, provider or workload the override applies to, or * for all.",
                required=True,
                example="*",
            ),
            _nonneg(
                "value",
                "The multiplier, the power price in USD/kWh, the carbon price in USD/t CO2e, "
                "the cap in t CO2e a year, or a setting: discount_rate (fraction a year), "
                "max_utilization (fraction), residual_value (0 none, 1 straight_line).",
                "ratio, USD/kWh, USD/t CO2e, t CO2e/year or the setting's unit",
                required=True,
                example=2.0,
            ),
            _num(
                "probability",
                "Probability of the scenario (the same on all its rows).",
                "fraction",
                minimum=0.0,
                maximum=1.0,
                example=None,
            ),
        ),
        key=("scenario", "parameter", "target"),
    ),
)

SHEETS_BY_NAME: dict[str, Sheet] = {s.name: s for s in SHEETS}
SETTINGS_BY_KEY: dict[str, Column] = {c.name: c for c in SETTINGS}


def id_column(sheet: Sheet) -> str:
    """The column that other sheets reference (the first key column)."""
    return sheet.key[0]


__all__ = [
    "DEFAULT_KW_PER_ACCELERATOR",
    "DEMAND_UNITS",
    "HOURS_PER_YEAR",
    "MONTHS_PER_PERIOD",
    "REQUESTS_PER_DAY",
    "RESIDUAL_VALUES",
    "SCENARIO_PARAMETERS",
    "SETTINGS",
    "SETTINGS_BY_KEY",
    "SETTING_PARAMETERS",
    "SHEETS",
    "SHEETS_BY_NAME",
    "Column",
    "Sheet",
    "id_column",
]
