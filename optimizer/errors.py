"""Problems found in a workbook, the list read_plan's passes add them to, and the one
exception that carries them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One finding, located as Excel shows it: sheet, row number, column name.

    Any of the three may be None when the problem is about the file, a whole
    sheet or a whole column.
    """

    sheet: str | None
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = []
        if self.sheet is not None:
            where.append(f"sheet '{self.sheet}'")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        return (", ".join(where) + ": " if where else "") + self.message


class InputError(Exception):
    """The workbook cannot be used; ``problems`` lists every reason at once."""

    def __init__(self, problems: list[Problem], warnings: list[Problem] | None = None) -> None:
        self.problems = problems
        self.warnings = warnings or []
        count = len(problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the input"
        super().__init__(head + ":\n" + "\n".join(f"  {p}" for p in problems))


class Findings:
    """The problems and warnings found so far."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []

    def error(self, sheet: str | None, row: int | None, column: str | None, msg: str) -> None:
        self.problems.append(Problem(sheet, row, column, msg))

    def warn(self, sheet: str | None, row: int | None, column: str | None, msg: str) -> None:
        self.warnings.append(Problem(sheet, row, column, msg))
