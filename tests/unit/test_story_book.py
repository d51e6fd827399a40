"""The story book: states in a store, closed by window and count, the order restored from the
store after a restart."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streams.core.stories import Closed, StoryBook, StoryItem, pack, unpack
from streams.core.stories.book import CLOSE_BATCH
from streams.models import DedupeStatus

DAY = 86400.0
T0 = 1_800_000_000.0


def item(story: str, at: float, origin: str | None = None) -> StoryItem:
    return StoryItem(story, f"{story}-{at}", DedupeStatus.UNIQUE, at, origin, "Wire", "en")


def closed(book: StoryBook, *items: StoryItem) -> list[tuple[str, str]]:
    out = []
    for one in items:
        out += [(c.story_id, c.reason.value) for c in book.update(one).closed]
    return out


@pytest.mark.parametrize(
    ("window_s", "max_stories", "updates", "expected_closed", "left"),
    [
        # a story is closed by the first item after its last one left the window
        (DAY, 10, [("a", 0), ("b", DAY), ("c", DAY + 1)], [("a", "window")], {"b", "c"}),
        (DAY, 10, [("a", 0), ("a", DAY), ("b", DAY + 1)], [], {"a", "b"}),  # a is updated
        # over the count, the least recently updated first
        (DAY, 2, [("a", 0), ("b", 1), ("a", 2), ("c", 3)], [("b", "count")], {"a", "c"}),
        (DAY, 1, [("a", 0), ("b", 1), ("c", 2)], [("a", "count"), ("b", "count")], {"c"}),
    ],
)
def test_closing(
    window_s: float,
    max_stories: int,
    updates: list[tuple[str, float]],
    expected_closed: list[tuple[str, str]],
    left: set[str],
) -> None:
    store: dict[str, Any] = {}
    book = StoryBook(store, window_s, max_stories)
    assert closed(book, *(item(s, T0 + at) for s, at in updates)) == expected_closed
    assert set(store) == left
    assert len(book) == len(left)


def test_the_order_comes_back_from_the_store() -> None:
    store: dict[str, Any] = {}
    first = StoryBook(store, DAY, 10)
    closed(first, item("old", T0), item("mid", T0 + DAY / 2), item("new", T0 + DAY))
    # A restart: a new book on the same store; what the old one held in memory is gone.
    again = StoryBook(store, DAY, 10)
    assert again.restore() == 3
    assert closed(again, item("x", T0 + DAY * 1.6)) == [("old", "window"), ("mid", "window")]
    assert again.get("new") is not None
    assert again.get("x") is not None
    assert unpack(store["new"]).version == 1


def test_an_unreadable_state_is_closed_first_and_a_story_restarts() -> None:
    store: dict[str, Any] = {"broken": b"\x00 not a state", "ok": pack(_state("ok", T0))}
    book = StoryBook(store, DAY, 10)
    assert closed(book, item("new", T0 + 1)) == [("broken", "window")]
    store["ok"] = b"garbage"
    step = book.update(item("ok", T0 + 2)).advance
    assert (step.state.version, step.last_change.value) == (1, "new_story")


def test_at_most_a_batch_is_closed_per_item() -> None:
    store = {f"s{n}": pack(_state(f"s{n}", T0)) for n in range(CLOSE_BATCH + 10)}
    book = StoryBook(store, DAY, 100_000)
    assert len(book.update(item("late", T0 + 2 * DAY)).closed) == CLOSE_BATCH
    assert len(book.update(item("later", T0 + 2 * DAY)).closed) == 10
    assert set(store) == {"late", "later"}


def test_a_replay_writes_nothing() -> None:
    store: dict[str, Any] = {}
    book = StoryBook(store, DAY, 10)
    book.update(item("a", T0, origin="0:5"))
    before = dict(store)
    update = book.update(item("a", T0 + 5, origin="0:5"))
    assert update.advance.replay
    assert store == before


def test_bounds_are_checked() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        StoryBook({}, DAY, 0)
    assert {c.value for c in Closed} == {"window", "count"}


@given(
    st.lists(
        st.tuples(st.sampled_from("abcdefgh"), st.floats(0, 3 * DAY)), min_size=1, max_size=60
    ),
    st.integers(1, 5),
)
def test_the_store_stays_within_its_bounds(updates: list[tuple[str, float]], limit: int) -> None:
    store: dict[str, Any] = {}
    book = StoryBook(store, DAY, limit)
    now = T0
    for story, step in updates:
        now += step / 20  # time moves on, at various paces
        book.update(item(story, now))
        assert len(store) <= limit
        assert all(now - unpack(v).last_seen <= DAY for v in store.values())
        assert story in store  # an item's own story is never closed by it
        assert len(book) == len(store)


def _state(story: str, at: float) -> Any:
    return StoryBook({}, DAY, 1).update(item(story, at)).advance.state


def test_a_state_changed_behind_the_books_back_is_read_from_the_store() -> None:
    store: dict[str, Any] = {}
    book = StoryBook(store, DAY, 10)
    book.update(item("a", T0))
    assert book.get("a") is book.get("a")  # the state just written, not decoded again
    replaced = book.update(item("a", T0 + 1)).advance.state
    store["a"] = pack(_state("a", T0 + 2))  # another worker's write, read back on recovery
    assert book.get("a") != replaced
    assert book.get("a") == _state("a", T0 + 2)
