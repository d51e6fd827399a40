"""settle_heap: what is alive at start leaves the cyclic collector; what comes later does not."""

from __future__ import annotations

import gc

from streams.worker.app import settle_heap


def test_settle_heap_freezes_what_is_alive_and_still_tracks_new_objects() -> None:
    gc.unfreeze()
    try:
        before: list[object] = [{}]
        settle_heap()
        assert gc.get_freeze_count() > 0
        tracked = {id(o) for o in gc.get_objects()}
        assert id(before) not in tracked  # frozen: a full collection skips it
        after: list[object] = [{}]
        assert any(o is after for o in gc.get_objects())
    finally:
        gc.unfreeze()
