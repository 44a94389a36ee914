"""The stages of a what-if run overlap: regret runs start while the last scenarios are
still being solved, never before a worker would otherwise wait, and the tables are
those of a run where nothing overlaps (one worker).

On two workers, the last scenario is held in its worker until a regret batch has
started (a Dask Event set by the batch, waited for at most 120 s: a guard, not a
measured time); it is solved only if regret runs start while it is unfinished. The
order of events is read from Dask's task stream (each call's key names its stage).
"""

from __future__ import annotations

import pandas as pd
from conftest import write_book
from test_whatif_exact import OPTIONS, _canonical, random_sheets

from optimizer import read_plan
from optimizer.scenarios import BASE, Scenario, from_sweeps
from optimizer.status import Status
from optimizer.whatif import run_scenarios


def test_regret_runs_start_while_the_last_scenario_is_solved(tmp_path, cluster_address):
    """On the module's own cluster (its workers are changed)."""
    from dask.utils import key_split
    from distributed import Client, get_task_stream

    plan = read_plan(write_book(tmp_path / "p.xlsx", random_sheets(7)[0]))
    sweep = "power_price_multiplier=0.5,0.8,1.3,2"
    scenarios = [Scenario(BASE), *from_sweeps(plan, [sweep])]
    last = scenarios[-1].name  # submitted last: no scenario waits behind it in its worker
    seen: list[tuple[str, int, int]] = []

    def hold(name: str) -> None:  # in each worker (pickled by value)
        """The scenario ``name`` waits for a regret batch to start (its run fails if none
        starts in 120 s); every regret batch says it started."""
        import optimizer.whatif as w

        solve, operated = w.solve_scenario, w.run_operated

        def held(plan, scenario, options, fixed=None, *args, **kwargs):
            from distributed import Event

            if fixed is None and scenario.name == name and not Event("regret").wait(120):
                raise RuntimeError("no regret batch started while this scenario waited")
            return solve(plan, scenario, options, fixed, *args, **kwargs)

        def announced(*args, **kwargs):
            from distributed import Event

            Event("regret").set()
            return operated(*args, **kwargs)

        w.solve_scenario, w.run_operated = held, announced

    def progress(stage: str, total: int, done: int, running: int, failed: int) -> None:
        seen.append((stage, total, done))

    with Client(cluster_address) as watcher:
        watcher.run(hold, last)
        with get_task_stream(watcher) as stream:
            result = run_scenarios(plan, scenarios, OPTIONS, cluster_address, progress)
    assert [r.status for r in result.runs] == [Status.OPTIMAL] * len(scenarios)
    assert result.regret_solves and not result.failed_regret

    spans: dict[str, list[tuple[float, float]]] = {}
    for task in stream.data:
        (compute,) = [s for s in task["startstops"] if s["action"] == "compute"]
        stage = key_split(task["key"])
        spans.setdefault(stage, []).append((compute["start"], compute["stop"]))
    assert len(spans["scenarios"]) == len(scenarios)
    last_stop = max(stop for _, stop in spans["scenarios"])
    assert min(start for start, _ in spans["regret"]) < last_stop  # the stages overlapped
    for start, _ in spans["regret"]:  # and no regret run took a scenario's worker
        assert sum(stop > start for _, stop in spans["scenarios"]) <= 1
    # the progress said so: regret runs counted while a scenario was unfinished
    scenarios_done = 0
    overlapped = False
    for stage, _, done in seen:
        if stage == "scenarios":
            scenarios_done = done
        overlapped |= stage == "regret" and scenarios_done < len(scenarios)
    assert overlapped

    alone = run_scenarios(plan, scenarios, OPTIONS, workers=1)  # nothing can overlap
    reference, tables = _canonical(alone.tables), _canonical(result.tables)
    assert not reference["regret"].empty
    for name, frame in reference.items():
        pd.testing.assert_frame_equal(tables[name], frame, obj=name)
    assert [b.line() for b in result.break_even] == [b.line() for b in alone.break_even]
