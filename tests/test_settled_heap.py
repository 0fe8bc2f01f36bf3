"""A long-lived process settles its heap once built (web/guard.py `settle_heap`): the build's garbage is collected,
and what is left is frozen out of the garbage collector's walks."""
from __future__ import annotations

import gc
import weakref

from web.guard import settle_heap


class _Node:
    def __init__(self) -> None:
        self.me = self          # a reference cycle: only the cyclic collector frees it


def test_settling_collects_the_builds_garbage_and_freezes_what_is_kept():
    kept = _Node()
    garbage = _Node()
    gone = weakref.ref(garbage)
    del garbage
    gc.disable()            # no collection of the test's own may free the cycle first
    try:
        assert gone() is not None
        settle_heap()
        assert gone() is None                                   # the garbage was collected, not frozen
        assert gc.get_freeze_count() > 0
        assert kept.me is kept
        tracked_after = len(gc.get_objects())
        assert all(obj is not kept for obj in gc.get_objects())    # the kept object is out of the collector's walks
        assert tracked_after < gc.get_freeze_count()
    finally:
        gc.unfreeze()
        gc.enable()
    assert any(obj is kept for obj in gc.get_objects())
