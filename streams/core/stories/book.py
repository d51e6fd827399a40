"""The stories of the window, in a store: one update per decided item, the oldest closed.

:class:`StoryBook` keeps each story's state (:mod:`.codec`) under its story id in any
``MutableMapping[str, Any]``: a faust table with a changelog in the worker, a dict in tests. An
item's update is :func:`~streams.core.stories.state.advance` on its story's state, written back.

Bounds: a story is **closed** (deleted from the store; the worker then writes a tombstone for its
key) when its last item is older than ``window_s`` or when the store holds more than
``max_stories``, least recently updated first. With both at least the dedupe stage's bounds
(``dedupe.window_s``, ``dedupe.max_items``), a story is closed only once no item of it can be
matched any more, so no later item can open it again; with tighter ones a later item of a closed
story starts it again at version 1 (``new_story``). Closing happens while an item is processed
(a faust table is written only then), at most :data:`CLOSE_BATCH` stories per item, so a worker
that restarts on a store past its bounds closes the excess over its next items.

The order in which stories are closed lives in memory, derived from the store: :meth:`restore`
rebuilds it (and a book builds it on first use); call it whenever the store changed behind the
book's back (a worker's recovery or rebalance).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import MutableMapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from streams.core.stories.codec import pack, unpack
from streams.core.stories.state import Advance, StoryItem, StoryState, advance
from streams.errors import FormatError

Store = MutableMapping[str, Any]
CLOSE_BATCH = 64  # stories closed per item at most: a restart past the bounds spreads the work
# The latest states written, decoded: a story in the news gets item after item, and decoding its
# state again was a third of an update.
DECODED_CACHE = 1024  # about 10 KB of Python objects each


class Closed(StrEnum):
    """Why a story left the state."""

    WINDOW = "window"  # its last item is older than stories.window_s
    COUNT = "count"  # more than stories.max_stories were held


@dataclass(frozen=True, slots=True)
class ClosedStory:
    story_id: str
    reason: Closed


@dataclass(frozen=True, slots=True)
class StoryUpdate:
    """One item's effect: its story's advance, and the stories closed meanwhile."""

    advance: Advance
    closed: tuple[ClosedStory, ...]


class StoryBook:
    def __init__(self, store: Store, window_s: float, max_stories: int) -> None:
        if max_stories < 1:
            raise ValueError(f"max_stories must be at least 1, not {max_stories}")
        self._store = store
        self._window_s = window_s
        self._max_stories = max_stories
        # story id -> its last_seen, least recently updated first
        self._order: OrderedDict[str, float] | None = None
        # story id -> (the bytes written, their state), most recent last
        self._written: OrderedDict[str, tuple[bytes, StoryState]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._ordered())

    def restore(self) -> int:
        """Rebuild the closing order from the store; returns the number of stories held. A
        record this version cannot read is put first, to be closed by the next item."""
        entries: list[tuple[float, str]] = []
        for key, value in list(self._store.items()):
            state = _parse(value)
            entries.append((-math.inf if state is None else state.last_seen, str(key)))
        entries.sort()
        self._order = OrderedDict((key, last_seen) for last_seen, key in entries)
        self._written.clear()
        return len(self._order)

    def get(self, story_id: str) -> StoryState | None:
        value = self._store.get(story_id)
        written = self._written.get(story_id)
        if written is not None and written[0] is value:  # a store hands out what it was given
            return written[1]
        return _parse(value)

    def update(self, item: StoryItem) -> StoryUpdate:
        """Advance the item's story, store it, and close what the bounds no longer allow (never
        the item's own story)."""
        order = self._ordered()
        step = advance(self.get(item.story_id), item)
        if not step.replay:
            value = pack(step.state)
            self._store[item.story_id] = value
            order[item.story_id] = step.state.last_seen
            order.move_to_end(item.story_id)
            self._written[item.story_id] = (value, step.state)
            self._written.move_to_end(item.story_id)
            if len(self._written) > DECODED_CACHE:
                self._written.popitem(last=False)
        return StoryUpdate(step, self._close(item.seen_at, keep=item.story_id))

    def _ordered(self) -> OrderedDict[str, float]:
        if self._order is None:
            self.restore()
        assert self._order is not None
        return self._order

    def _close(self, now: float, keep: str) -> tuple[ClosedStory, ...]:
        order = self._ordered()
        closed: list[ClosedStory] = []
        while order and len(closed) < CLOSE_BATCH:
            story_id, last_seen = next(iter(order.items()))
            if story_id == keep:
                break
            if len(order) > self._max_stories:
                reason = Closed.COUNT
            elif now - last_seen > self._window_s:
                reason = Closed.WINDOW
            else:
                break
            del order[story_id]
            self._written.pop(story_id, None)
            if self._store.get(story_id) is not None:
                del self._store[story_id]
            closed.append(ClosedStory(story_id, reason))
        return tuple(closed)


def _parse(value: Any) -> StoryState | None:
    if value is None:
        return None
    try:
        return unpack(value)
    except FormatError:
        return None
