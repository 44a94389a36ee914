"""What the constraint families share."""

from __future__ import annotations

import pyomo.environ as pyo
from pyomo.core.expr.numvalue import is_constant


def at_most(lhs: object, rhs: object) -> object:
    """``lhs <= rhs``, or Constraint.Skip when neither side has a variable.

    A constant row that is violated (racks already installed over a limit) is
    found and named by the infeasibility diagnosis before the model is built.
    """
    if is_constant(lhs) and is_constant(rhs):
        return pyo.Constraint.Skip
    return lhs <= rhs
