"""The typed, cross-checked contents of a workbook."""

from __future__ import annotations

import datetime as dt
import functools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import Problem
from .schema import HOURS_PER_YEAR, MONTHS_PER_PERIOD, SETTINGS_BY_KEY


def _default(key: str) -> Any:
    """A setting's default, from the schema (the only place it is written)."""
    value = SETTINGS_BY_KEY[key].default
    return (
        dt.date.fromisoformat(value) if isinstance(value, str) and key.endswith("_date") else value
    )


@dataclass(frozen=True)
class Settings:
    """The settings sheet with defaults applied (see docs/inputs.md)."""

    horizon_years: float = _default("horizon_years")
    period: str = _default("period")
    start_date: dt.date = _default("start_date")  # noqa: RUF009 (a date is immutable)
    currency: str = _default("currency")
    discount_rate: float = _default("discount_rate")
    residual_value: str = _default("residual_value")
    intra_region_rtt_ms: float = _default("intra_region_rtt_ms")
    edge_rtt_ms: float = _default("edge_rtt_ms")
    max_utilization: float = _default("max_utilization")
    mip_gap: float = _default("mip_gap")
    time_limit_s: float = _default("time_limit_s")
    threads: int = _default("threads")
    stable_placement: bool = _default("stable_placement")
    carbon_price_usd_per_t: float = _default("carbon_price_usd_per_t")
    max_tco2e_per_year: float | None = _default("max_tco2e_per_year")

    @property
    def months_per_period(self) -> int:
        return MONTHS_PER_PERIOD[self.period]

    @property
    def years_per_period(self) -> float:
        return self.months_per_period / 12

    @property
    def hours_per_period(self) -> float:
        return HOURS_PER_YEAR * self.years_per_period

    @property
    def n_periods(self) -> int:
        # round first so that 3 years of months is 36 periods, not 37
        return max(1, math.ceil(round(self.horizon_years / self.years_per_period, 9)))


def period_start(start_date: dt.date, months_per_period: int, k: int) -> dt.date:
    """The first day of period ``k``."""
    return (pd.Timestamp(start_date) + pd.DateOffset(months=k * months_per_period)).date()


def period_label(first: dt.date, period: str) -> str:
    """A period's name from its first day: 2027 (year), 2027-Q1 (quarter), 2027-01 (month);
    a year or quarter that does not start with a calendar one says so (2027-02+3m)."""
    if period == "year":
        return f"{first.year}" if first.month == 1 else f"{first:%Y-%m}+1y"
    if period == "quarter":
        if first.month in (1, 4, 7, 10):
            return f"{first.year}-Q{(first.month - 1) // 3 + 1}"
        return f"{first:%Y-%m}+3m"
    return f"{first:%Y-%m}"


def period_table(settings: Settings) -> pd.DataFrame:
    """One row per period: number, label, first and last day, hours, years from start."""
    months = settings.months_per_period
    rows = []
    for k in range(settings.n_periods):
        first = period_start(settings.start_date, months, k)
        after = period_start(settings.start_date, months, k + 1)
        rows.append(
            {
                "period": k,
                "label": period_label(first, settings.period),
                "period_start": first,
                "period_end": after - dt.timedelta(days=1),
                "hours": settings.hours_per_period,
                "years_from_start": k * settings.years_per_period,
            }
        )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Plan:
    """Everything the model needs, with defaults applied and references resolved.

    Each table has the columns of its sheet in docs/inputs.md, in that order;
    ids are text. A sheet that the workbook leaves out is an empty table.
    """

    source: Path
    settings: Settings
    periods: pd.DataFrame
    regions: pd.DataFrame
    latency: pd.DataFrame
    sites: pd.DataFrame
    accelerators: pd.DataFrame
    performance: pd.DataFrame
    hardware: pd.DataFrame
    installed: pd.DataFrame
    cloud: pd.DataFrame
    apis: pd.DataFrame
    edge: pd.DataFrame
    workloads: pd.DataFrame
    scenarios: pd.DataFrame
    warnings: list[Problem] = field(default_factory=list)

    def rtt_ms(self, a: str, b: str) -> float | None:
        """Round-trip time between two regions; None when the pair is not listed."""
        if a == b:
            return self.settings.intra_region_rtt_ms
        return self._rtt.get((a, b))

    @functools.cached_property
    def _rtt(self) -> dict[tuple[str, str], float]:
        out: dict[tuple[str, str], float] = {}
        lat = self.latency
        for a, b, ms in zip(lat["from_region"], lat["to_region"], lat["rtt_ms"], strict=True):
            out[(a, b)] = out[(b, a)] = float(ms)
        return out
