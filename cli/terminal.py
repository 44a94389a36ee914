"""What the command prints, made safe: workbook text is shown, never obeyed.

Every string printed, and every table cell, goes through ``visible``
(optimizer.safety): an escape sequence in an id prints as ``\\x1b[2J``
instead of clearing the screen. Text this program lays out itself keeps its
line breaks; anything else that reaches the terminal is checked again as it is
written. Options that take a number refuse NaN and infinity.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import click
from rich.console import Console, ConsoleOptions, RenderableType
from rich.segment import Segment
from rich.text import Text

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
