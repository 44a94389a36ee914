"""Turning one raw cell into a typed value, or a message saying what to type.

Each converter takes the cell as calamine gives it (str, float, int, bool,
date, datetime or '' for blank) and returns the value, or raises CellError
whose text completes "expected ..., got ...". Blank cells never reach them.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable

from .schema import Column

_US_THOUSANDS = re.compile(r"^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$")
_EU_THOUSANDS = re.compile(r"^[-+]?\d{1,3}(\.\d{3})+(,\d+)?$")
_DECIMAL_COMMA = re.compile(r"^[-+]?\d+,\d+$")
_PLAIN = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
_PERCENT = re.compile(r"^([-+]?(\d+\.?\d*|\.\d+))\s*%$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SLASH_DATE = re.compile(r"^\d{1,2}[/.]\d{1,2}[/.]\d{2,4}$")
_NOT_A_NUMBER = {"nan", "inf", "-inf", "+inf", "infinity", "n/a", "na", "none", "null", "-", "?"}
_TRUE = {"yes", "true", "1", "y"}
_FALSE = {"no", "false", "0", "n"}
INTEGER_LIMIT = 2.0**63  # whole-number columns are int64: no cell at or past this fits


class CellError(ValueError):
    """A cell that does not hold what its column expects."""


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def shown(value: object) -> str:
    """A cell as a user would recognise it in a message: text quoted (and cut when long)."""
    if isinstance(value, str):
        return "'" + (value if len(value) <= 60 else value[:57] + "...") + "'"
    return as_text(value)


def as_text(value: object) -> str:
    """Ids and text: kept exactly as typed; numbers as Excel shows them."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    return str(value)


def _text_number_hint(text: str, column: Column) -> str:
    """Why a number typed as text is refused, and what to type instead."""
    t = text.strip().replace("\u00a0", "").replace(" ", "")
    bare = t.lstrip("$€£")
    if t.lower() in _NOT_A_NUMBER:
        fix = "leave the cell blank" if not column.required else "type a number"
        return f"got the text {shown(text)}, which is not a number: {fix}"
    if m := _PERCENT.match(bare):
        value = float(m.group(1))
        fix = f"{value / 100:g}" if "fraction" in column.unit else f"{value:g}"
        return f"got the text {shown(text)}: type the number {fix}, without the % sign"
    if _US_THOUSANDS.match(bare):
        fix = bare.replace(",", "")
        return f"got the text {shown(text)}: type the number {fix}, without thousands separators"
    if _EU_THOUSANDS.match(bare):
        fix = bare.replace(".", "").replace(",", ".")
        return (
            f"got the text {shown(text)}: type the number {fix}, with '.' for decimals and "
            "no thousands separators"
        )
    if _DECIMAL_COMMA.match(bare):
        fix = bare.replace(",", ".")
        return f"got the text {shown(text)}: type the number {fix}, with '.' for decimals"
    if _PLAIN.match(bare):
        return f"got the text {shown(text)}: it is a number stored as text; type it as a number"
    return f"got {shown(text)}"


def to_number(value: object, column: Column) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        if isinstance(value, str):
            raise CellError(_text_number_hint(value, column))
        raise CellError(f"got {shown(value)}")
    x = float(value)
    if not math.isfinite(x):
        raise CellError(f"got {shown(value)}")
    if column.minimum is not None and (
        x < column.minimum or (column.exclusive_minimum and x == column.minimum)
    ):
        raise CellError(f"got {shown(value)}")
    if column.maximum is not None and x > column.maximum:
        raise CellError(f"got {shown(value)}")
    return x


def to_integer(value: object, column: Column) -> int:
    x = to_number(value, column)
    if not x.is_integer():
        raise CellError(f"got {shown(value)}")
    if abs(x) >= INTEGER_LIMIT:
        raise CellError(f"got {shown(value)}, more than a whole-number column holds")
    return int(x)


def to_bool(value: object, column: Column) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        key = value.strip().lower()
        if key in _TRUE:
            return True
        if key in _FALSE:
            return False
    raise CellError(f"got {shown(value)}")


def to_enum(value: object, column: Column) -> str:
    if isinstance(value, str):
        key = value.strip().lower()
        if key in column.choices:
            return key
    raise CellError(f"got {shown(value)}")


def to_date(value: object, column: Column) -> dt.date:
    if isinstance(value, dt.datetime):
        if value.time() != dt.time():
            raise CellError(f"got {shown(value)}, which has a time of day")
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if _ISO_DATE.match(text):
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                raise CellError(f"got {shown(value)}, which is not a day of the calendar") from None
        if _SLASH_DATE.match(text):
            raise CellError(
                f"got {shown(value)}, which is ambiguous (day/month or month/day): "
                "type it as YYYY-MM-DD"
            )
    raise CellError(f"got {shown(value)}")


def to_id(value: object, column: Column) -> str:
    return as_text(value)


CONVERTERS: dict[str, Callable[[object, Column], object]] = {
    "id": to_id,
    "ref": to_id,
    "text": to_id,
    "number": to_number,
    "integer": to_integer,
    "bool": to_bool,
    "enum": to_enum,
    "date": to_date,
}


SLOW = object()  # a fast path's answer when the cell needs the full converter


def fast_path(column: Column) -> Callable[[object], object]:
    """A converter for the common, valid cells of a column, returning SLOW for anything else
    (blank, text in a number column, out of range, ...), which then goes through ``convert``.

    It exists for speed on large sheets only: it accepts a subset of what ``convert``
    accepts and gives the same value for it.
    """
    lo = -math.inf if column.minimum is None else column.minimum
    hi = math.inf if column.maximum is None else column.maximum
    if column.type == "number":
        if column.exclusive_minimum:
            return lambda v: v if type(v) is float and lo < v <= hi else SLOW
        return lambda v: v if type(v) is float and lo <= v <= hi else SLOW
    if column.type == "integer":
        lo, hi = max(lo, -INTEGER_LIMIT / 2), min(hi, INTEGER_LIMIT / 2)  # the rest: convert
        return lambda v: int(v) if type(v) is float and lo <= v <= hi and v.is_integer() else SLOW
    if column.type in ("id", "ref", "text"):
        return lambda v: v if type(v) is str and v and not v.isspace() else SLOW
    if column.type == "enum":
        choices = frozenset(column.choices)
        return lambda v: v if v in choices else SLOW
    if column.type == "bool":
        words = {w: True for w in _TRUE} | {w: False for w in _FALSE}
        words |= {w.upper(): b for w, b in words.items()} | {"Yes": True, "No": False}
        return lambda v: words.get(v, SLOW) if type(v) is str else SLOW
    return lambda v: SLOW


def convert(value: object, column: Column) -> object:
    """The typed value of a non-blank cell, or CellError."""
    return CONVERTERS[column.type](value, column)
