"""What the command prints, made safe: workbook text is shown, never obeyed.

Every string printed, and every table cell, goes through ``visible``
(optimizer.safety): an escape sequence in an id prints as ``\\x1b[2J``
instead of clearing the screen. Text this program lays out itself keeps its
line breaks; anything else that reaches the terminal is checked again as it is
written. Options that take a number refuse NaN and infinity.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable
from typing import Any

import click
from rich.console import Console, ConsoleOptions, RenderableType
from rich.segment import Segment
from rich.text import Text

from optimizer.errors import Problem
from optimizer.safety import visible, visible_lines


class SafeConsole(Console):
    """A rich console that spells out control and escape characters in what it prints."""

    def render_str(self, text: str, **kwargs: Any) -> Text:
        return super().render_str(visible(text), **kwargs)

    def render(
        self, renderable: RenderableType, options: ConsoleOptions | None = None
    ) -> Iterable[Segment]:
        for segment in super().render(renderable, options):
            if segment.control or not segment.text:
                yield segment
            else:
                yield Segment(visible_lines(segment.text), segment.style)


class Finite(click.FloatRange):
    """A float range that also refuses NaN and infinity (which every range lets through)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


MAX_SHOWN = 1000  # problems printed; the count of the rest follows


WIDTH_WHEN_PIPED = 160  # rich's 80 columns squeeze the summary tables in logs and files


def _console(stderr: bool, quiet: bool = False) -> Console:
    """Workbook text printed as it is (no markup, no emoji codes), full width on a
    terminal, WIDTH_WHEN_PIPED columns otherwise."""
    stream = sys.stderr if stderr else sys.stdout
    return SafeConsole(
        stderr=stderr,
        quiet=quiet,
        highlight=False,
        soft_wrap=True,
        markup=False,
        emoji=False,
        width=None if stream.isatty() else WIDTH_WHEN_PIPED,
    )


def stderr_console() -> Console:
    return _console(stderr=True)


def stdout_console(quiet: bool) -> Console:
    return _console(stderr=False, quiet=quiet)


def say(console: Console, label: str, style: str, text: str = "") -> None:
    """Print ``label`` in ``style`` and then ``text`` as it is: no markup, no emoji codes
    (cell text such as '[/]' or ':thumbs_up:' is printed verbatim), control and escape
    characters spelled out."""
    console.print(Text.assemble((label, style), text))


def print_problems(console: Console, kind: str, style: str, problems: list[Problem]) -> None:
    for p in problems[:MAX_SHOWN]:
        say(console, f"{kind}:", style, f" {p}")
    if len(problems) > MAX_SHOWN:
        say(console, f"... and {len(problems) - MAX_SHOWN} more", style)
