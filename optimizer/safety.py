"""Limits on the work a run may ask for, and text made safe to show.

A workbook is data from anyone: an id may hold terminal escape sequences
(clear the screen, rewrite a line, a hyperlink) or line breaks that forge a
line of output. ``visible`` spells every such character out (``\\x1b``,
``\\n``) so that it is seen, never obeyed. The limits bound what one command
can start: solver threads, scenarios, regret solves, frontier points; docs/cli.md states them.
"""

from __future__ import annotations

import math
import os

MAX_SCENARIOS = 10_000  # scenarios in one what-if run (a sweep's product included)
MAX_REGRET_SOLVES = 3_000  # default cap on regret solves: n scenarios need n × (n − 1)
PARETO_POINTS = 5  # points of a cost–carbon frontier by default, both ends included
MAX_PARETO_POINTS = 1_000  # points of a frontier at most

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# bidirectional overrides and isolates reorder what a terminal shows
_BIDI = [0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_VISIBLE = {
    code: _NAMED.get(chr(code), f"\\x{code:02x}") for code in [*range(0x20), *range(0x7F, 0xA0)]
} | {code: f"\\u{code:04x}" for code in _BIDI}


def visible(text: object) -> str:
    """``text`` with control, escape and bidi characters spelled out (ESC as ``\\x1b``)."""
    return str(text).translate(_VISIBLE)


def visible_lines(text: str) -> str:
    """As ``visible``, keeping line breaks: for text this program laid out itself."""
    return "\n".join(visible(line) for line in text.split("\n"))


def machine_threads() -> int:
    """The cores this process may run on (its CPU affinity), the bound on solver threads."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def regret_solves(scenarios: int) -> int:
    """Regret solves of a run of ``scenarios``: each plan operated under every other."""
    return scenarios * (scenarios - 1) if scenarios > 1 else 0


def finite(value: object) -> object:
    """``value`` with every non-finite float inside (NaN, ±inf) made None, so that run.json
    is strict JSON (Python would write NaN and Infinity, which strict parsers refuse)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value
