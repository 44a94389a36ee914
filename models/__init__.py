"""The Pyomo formulation of the capacity plan, installed as ``optimizer.models``.

``build_model(plan)`` will read like a table of contents: sparse index sets,
variables, one ``add_<family>`` call per constraint family, the objective
(docs/formulation.md). The plan it is built from is ``optimizer.plan.Plan``.
"""
