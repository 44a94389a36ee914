"""Python's cyclic garbage collector paused while a model is built and handed to HiGHS.

Building a Pyomo model creates about a million tracked objects at 115,000
columns, none of them garbage; with the collector running, each full collection
walks all of them again, about half the build's time (docs/performance.md).
``paused`` turns it off for the build and the hand-off, then freezes what
exists (``gc.freeze``) so that later collections, while the result tables are
made, skip the model too. A Pyomo model is full of reference cycles, so a
model dropped while frozen would never be freed: the next pause first unfreezes
and collects once, and a worker that builds a model per scenario keeps only the
models still in use.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """No cyclic garbage collection in the block; what exists at its end is frozen.

    Inside another pause, or with the collector already off, it changes nothing.
    """
    if not gc.isenabled():
        yield
        return
    if gc.get_freeze_count():
        gc.unfreeze()  # models built under an earlier pause, some of them dropped since
        gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()
