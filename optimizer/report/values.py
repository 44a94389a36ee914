"""Single values as a reader sees them: safe text, finite numbers, dates, money."""

from __future__ import annotations

import datetime as dt
import math
import re

import numpy as np
import pandas as pd

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def text(value: object) -> str:
    """Any value as text that XML and UTF-8 can carry: control characters become U+FFFD,
    lone surrogates '?'."""
    out = _CONTROL.sub("\ufffd", str(value))
    return out.encode("utf-8", "replace").decode("utf-8")


def plain_words(meaning: str) -> str:
    """docs/outputs.md's meanings as plain text: no backticks, links as their words."""
    return re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", meaning).replace("`", "")


def number(value: object) -> float | None:
    """A finite number, or None."""
    if isinstance(value, bool | np.bool_):
        return float(value)
    if isinstance(value, int | float | np.integer | np.floating):
        x = float(value)
        return x if math.isfinite(x) else None
    return None


def isna(value: object) -> bool:
    try:
        return bool(pd.isna(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def as_date(value: object) -> dt.date | None:
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def money(value: object) -> str:
    """Whole currency units with thousands separators; '–' for none, 'n/a' for infinity."""
    x = number(value)
    if x is None:
        return "n/a" if isinstance(value, float) and math.isinf(value) else "–"
    return f"{x:,.0f}" if abs(x) >= 0.5 else "0"


def tonnes(value: object) -> str:
    """Tonnes of CO2e: whole tonnes with thousands separators from 10 t, two decimals
    below; '–' for none."""
    x = number(value)
    if x is None:
        return "–"
    return f"{x:,.0f}" if abs(x) >= 10 or x == 0 else f"{x:,.2f}"


def plain(value: object) -> str:
    """A number as short as it is exact enough (override values, shares)."""
    x = number(value)
    if x is None:
        return text(value) if value is not None and not isna(value) else "–"
    return f"{x:g}"


def badge(status: object) -> dict[str, str]:
    """A status as a badge's words and kind: ok (optimal), warn (time_limit), bad (the
    rest)."""
    words = text(status) if status is not None and not isna(status) else "unknown"
    kind = "ok" if words == "optimal" else "warn" if words == "time_limit" else "bad"
    return {"text": words, "kind": kind}
