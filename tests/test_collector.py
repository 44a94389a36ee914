"""The garbage collector paused around a build (optimizer/collector.py): off inside, on
again after, and a model dropped since an earlier pause freed by the next."""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Iterator

import pytest
from conftest import write_book
from test_model import api, inference, plan_sheets
from test_solve import small_model

from optimizer import collector, read_plan
from optimizer.run import optimize
from optimizer.solve import SolverOptions


@pytest.fixture(autouse=True)
def unfrozen() -> Iterator[None]:
    yield
    gc.enable()
    gc.unfreeze()
    gc.collect()


class Cycle:
    def __init__(self) -> None:
        self.me = self


def test_no_collection_inside_and_the_collector_on_after():
    """No collection starts in this thread inside the block (another thread's explicit
    gc.collect(), such as a Dask worker's left from an earlier test, is not the pause's)."""
    here = threading.get_ident()
    started: list[int] = []

    def record(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started.append(threading.get_ident())

    with collector.paused():  # (it may collect once on the way in: see the last test)
        gc.callbacks.append(record)
        try:
            assert not gc.isenabled()
            garbage = [Cycle() for _ in range(50_000)]  # would start several collections
            del garbage
        finally:
            gc.callbacks.remove(record)
        assert here not in started
    assert gc.isenabled()
    assert gc.get_freeze_count() > 0  # what the block made is skipped by later collections


def test_on_again_after_an_error():
    with pytest.raises(RuntimeError), collector.paused():
        raise RuntimeError("the build failed")
    assert gc.isenabled()


def test_a_collector_already_off_is_left_alone():
    frozen = gc.get_freeze_count()
    gc.disable()
    with collector.paused():
        pass
    assert not gc.isenabled() and gc.get_freeze_count() == frozen


def test_a_model_dropped_since_a_pause_is_freed_by_the_next():
    with collector.paused():
        m = small_model()
    alive = weakref.ref(m)
    del m
    gc.collect()
    assert alive() is not None  # frozen: a full collection skips it (a Pyomo model is cyclic)
    with collector.paused():
        assert alive() is None


def test_optimize_builds_under_a_pause_and_leaves_the_collector_on(tmp_path):
    sheets = plan_sheets([inference(10, "chat")], apis=[api("tok", 1.0)])
    plan = read_plan(write_book(tmp_path / "p.xlsx", sheets))
    gc.unfreeze()
    assert optimize(plan, SolverOptions(mip_gap=0.0)).solved.has_plan
    assert gc.isenabled() and gc.get_freeze_count() > 0
