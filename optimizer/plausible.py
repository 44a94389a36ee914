"""Plausible ranges of the workbook's numbers, and the unit slip each bound catches.

A number outside its column's range is not refused (it may be right) but warned about,
in the words of the unit to type: "2,000,000,000 million tokens a day is more than
1,000,000 million tokens a day; did you type tokens? Type millions of tokens a day:
2,000 for 2,000,000,000 tokens a day". optimizer/schema.py gives each column its
range; the ranges several columns share are here.
"""

from __future__ import annotations

from dataclasses import dataclass

HOURS_PER_MONTH = 8760.0 / 12


@dataclass(frozen=True)
class Slip:
    """A bound beyond which a number is implausible, and the unit slip that likely put it
    there: ``typed`` is what the user probably typed ("tokens"); each of ``fixes`` is a
    divisor and its unit's name, so that the number to type is the typed one / divisor."""

    bound: float
    typed: str = ""
    fixes: tuple[tuple[float, str], ...] = ()


@dataclass(frozen=True)
class Plausible:
    """The plausible range of a column's numbers, said in the words of its unit.

    ``unit`` names the unit as a number is read ("million tokens a day"), ``type_as`` as
    an instruction ("millions of tokens a day"). ``below`` applies to numbers above zero
    only. ``demand_unit``, on the workloads sheet's demand, limits the range to rows in
    that demand_unit.
    """

    unit: str
    type_as: str
    above: Slip | None = None
    below: Slip | None = None
    demand_unit: str | None = None


def _n(x: float) -> str:
    """A number as a user types it: thousands separated, no exponent, no trailing zeros."""
    if x and abs(x) < 1e-4:
        return f"{x:.12f}".rstrip("0")
    return f"{x:,.10g}"


def slip_message(
    value: float, ranges: tuple[Plausible, ...], demand_unit: str | None = None
) -> str | None:
    """Why ``value`` is implausible for a column with these ranges, or None when it is not.

    A range with a ``demand_unit`` applies only to rows in that unit."""
    for r in ranges:
        if r.demand_unit != demand_unit:
            continue
        unit = f" {r.unit}" if r.unit else ""
        if r.above is not None and value > r.above.bound:
            slip, words = r.above, "more"
        elif r.below is not None and 0 < value < r.below.bound:
            slip, words = r.below, "less"
        else:
            continue
        head = f"{_n(value)}{unit} is {words} than {_n(slip.bound)}{unit}"
        if not slip.typed:
            return f"{head}; check the unit ({r.type_as})"
        fixes = ", ".join(f"{_n(value / d)} for {_n(value)} {u}" for d, u in slip.fixes)
        return f"{head}; did you type {slip.typed}? Type {r.type_as}: {fixes}"
    return None


def money(below: float, unit: str = "USD") -> tuple[Plausible, ...]:
    """An amount of money: a positive figure below ``below`` was likely typed in thousands
    or millions."""
    fixes = ((1e-3, f"thousand {unit}"), (1e-6, f"million {unit}"))
    return (Plausible(unit, unit, below=Slip(below, "thousands or millions of USD", fixes)),)


def percent(unit: str, type_as: str, above: float) -> tuple[Plausible, ...]:
    """A fraction or ratio typed as a percentage (50 for 0.5)."""
    return (Plausible(unit, type_as, above=Slip(above, "a percentage", ((100.0, "%"),))),)


def watts(above: float, below: float | None = None) -> tuple[Plausible, ...]:
    """A power in kW typed in W (above) or in MW (below)."""
    return (
        Plausible(
            "kW",
            "kW",
            above=Slip(above, "W", ((1000.0, "W"),)),
            below=None if below is None else Slip(below, "MW", ((1e-3, "MW"),)),
        ),
    )


# Plausible ranges shared by several columns (the rest are written at their column).
RTT = (Plausible("ms", "milliseconds", above=Slip(1000.0, "microseconds", ((1000.0, "µs"),))),)
POWER_PRICE = (
    Plausible(
        "USD/kWh",
        "USD per kWh",
        above=Slip(
            1.0, "cents per kWh or USD per MWh", ((100.0, "cents per kWh"), (1000.0, "USD per MWh"))
        ),
    ),
)
CARBON_INTENSITY = (
    Plausible(
        "kg CO2e/kWh", "kg CO2e per kWh", above=Slip(2.0, "grams", ((1000.0, "g CO2e per kWh"),))
    ),
)
CARBON_PRICE = (Plausible("USD/t CO2e", "USD per tonne of CO2e", above=Slip(10_000.0)),)
MTOK_PER_DAY = Plausible(
    "million tokens a day",
    "millions of tokens a day",
    above=Slip(1e6, "tokens", ((1e6, "tokens a day"),)),
)
SITE_KW = watts(2_000_000.0, below=10.0)
RACK_KW = watts(500.0, below=0.5)
DEVICE_KW = watts(50.0)
ACCELERATOR_KW = watts(10.0)
PUE = percent("", "a ratio", 3.0)
SPEED = percent("", "a ratio to an H100", 20.0)
GROWTH = percent("", "a fraction a year", 10.0)
PEAK = percent("", "a ratio", 20.0)
TOKENS_PER_SECOND = (
    Plausible(
        "tokens/s",
        "tokens a second",
        above=Slip(
            200_000.0,
            "tokens a minute or an hour",
            ((60.0, "tokens a minute"), (3600.0, "tokens an hour")),
        ),
    ),
)
HOURLY_PRICE = (
    Plausible(
        "USD per accelerator-hour",
        "USD per accelerator-hour",
        above=Slip(100.0, "USD a month", ((HOURS_PER_MONTH, "USD a month"),)),
    ),
)
TOKEN_PRICE = (
    Plausible(
        "USD per million tokens",
        "USD per million tokens",
        above=Slip(1000.0),
        below=Slip(
            0.01,
            "USD per thousand tokens or per token",
            ((1e-3, "USD per thousand tokens"), (1e-6, "USD per token")),
        ),
    ),
)
LATENCY_LIMIT = (
    Plausible("ms", "milliseconds", above=Slip(10_000.0, "microseconds", ((1000.0, "µs"),))),
)
YEARS = (Plausible("years", "years", above=Slip(10.0, "months", ((12.0, "months"),))),)

__all__ = [
    "ACCELERATOR_KW",
    "CARBON_INTENSITY",
    "CARBON_PRICE",
    "DEVICE_KW",
    "GROWTH",
    "HOURLY_PRICE",
    "LATENCY_LIMIT",
    "MTOK_PER_DAY",
    "PEAK",
    "POWER_PRICE",
    "PUE",
    "RACK_KW",
    "RTT",
    "SITE_KW",
    "SPEED",
    "TOKENS_PER_SECOND",
    "TOKEN_PRICE",
    "YEARS",
    "Plausible",
    "Slip",
    "money",
    "slip_message",
]
