"""First-stage decisions: what is bought and built, as opposed to how it is operated.

Site openings, rack purchases and reserved commitments are the plan that what-if
runs compare, hold fixed under other scenarios (regret), and share across
scenarios (the robust plan).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyomo.environ as pyo

FIRST_STAGE = ("build", "buy", "commit")


@dataclass(frozen=True)
class FirstStage:
    """Non-zero first-stage values by variable name and index."""

    values: dict[str, dict[tuple[object, ...], int]] = field(default_factory=dict)

    def get(self, name: str, index: tuple[object, ...]) -> int:
        return self.values.get(name, {}).get(index, 0)

    def key(self) -> tuple[object, ...]:
        """The plan as a hashable value: equal for equal plans."""
        return tuple(
            (name, tuple(sorted(self.values.get(name, {}).items(), key=str)))
            for name in FIRST_STAGE
        )


def first_stage(m: pyo.ConcreteModel) -> FirstStage:
    """The first-stage decisions of a solved model."""
    return FirstStage(
        {
            name: {
                index: round(var.value)
                for index, var in getattr(m, name).items()
                if var.value is not None and round(var.value) != 0
            }
            for name in FIRST_STAGE
        }
    )


def targets(m: pyo.ConcreteModel, plan: FirstStage) -> list[tuple[pyo.Var, int]] | None:
    """Each first-stage variable of the model with its value in ``plan`` (0 where the plan
    has none); None when the plan holds a decision this model has no variable for (it
    cannot be carried out here)."""
    out: list[tuple[pyo.Var, int]] = []
    for name in FIRST_STAGE:
        variables = getattr(m, name)
        wanted = plan.values.get(name, {})
        if any(index not in variables for index in wanted):
            return None
        out += [(var, wanted.get(index, 0)) for index, var in variables.items()]
    return out
