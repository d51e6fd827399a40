from __future__ import annotations

from typing import Any

import pytest

from streams.core.dedupe import DedupeKeys, ExactDeduper
from streams.models import DedupeStatus

WINDOW = 3600.0


def keys(content: str, item_id: str | None = None, source: str | None = "wire") -> DedupeKeys:
    return DedupeKeys.build(content.ljust(32, "0"), source, item_id)


@pytest.fixture
def store() -> dict[str, Any]:
    return {}


def test_first_item_is_unique_with_a_content_derived_story(store: dict[str, Any]) -> None:
    result = ExactDeduper(store, WINDOW).check(keys("aa"), event_id="e1", now=0.0)
    assert result.status is DedupeStatus.UNIQUE
    assert result.story_id == "aa".ljust(16, "0")
    assert result.duplicate_of is None


@pytest.mark.parametrize(
    ("first", "second", "status", "similarity"),
    [
        ((None, "aa"), (None, "aa"), DedupeStatus.DUPLICATE, 1.0),  # same content, no ids
        (("1", "aa"), ("2", "aa"), DedupeStatus.DUPLICATE, 1.0),  # same content, other id
        (("1", "aa"), ("1", "aa"), DedupeStatus.DUPLICATE, 1.0),  # exact re-send
        (("1", "aa"), ("1", "bb"), DedupeStatus.NEAR_DUPLICATE, None),  # correction, same id
        (("1", "aa"), ("2", "bb"), DedupeStatus.UNIQUE, 0.0),
        ((None, "aa"), (None, "bb"), DedupeStatus.UNIQUE, 0.0),
    ],
)
def test_outcomes(
    store: dict[str, Any],
    first: tuple[str | None, str],
    second: tuple[str | None, str],
    status: DedupeStatus,
    similarity: float | None,
) -> None:
    deduper = ExactDeduper(store, WINDOW)
    one = deduper.check(keys(first[1], first[0]), event_id="e1", now=0.0, origin="0:1")
    two = deduper.check(keys(second[1], second[0]), event_id="e2", now=1.0, origin="0:2")
    assert two.status is status
    assert two.similarity == similarity
    if status is DedupeStatus.UNIQUE:
        assert two.story_id != one.story_id
    else:
        assert two.story_id == one.story_id
        assert two.duplicate_of == "e1"


def test_ids_are_scoped_by_source(store: dict[str, Any]) -> None:
    deduper = ExactDeduper(store, WINDOW)
    deduper.check(keys("aa", "1", "wire-a"), event_id="e1", now=0.0)
    other = deduper.check(keys("bb", "1", "wire-b"), event_id="e2", now=1.0)
    assert other.status is DedupeStatus.UNIQUE


def test_window_expires_old_items(store: dict[str, Any]) -> None:
    deduper = ExactDeduper(store, WINDOW)
    deduper.check(keys("aa"), event_id="e1", now=0.0)
    assert deduper.check(keys("aa"), event_id="e2", now=WINDOW - 1).status is DedupeStatus.DUPLICATE
    assert deduper.check(keys("aa"), event_id="e3", now=WINDOW * 3).status is DedupeStatus.UNIQUE


@pytest.mark.parametrize("item_id", [None, "1"])
def test_replay_of_the_same_message_gets_its_first_result(
    store: dict[str, Any], item_id: str | None
) -> None:
    """After a crash the uncommitted message comes back; it must not turn into a duplicate."""
    deduper = ExactDeduper(store, WINDOW)
    first = deduper.check(keys("aa", item_id), event_id="e1", now=0.0, origin="3:77")
    again = deduper.check(keys("aa", item_id), event_id="e1", now=5.0, origin="3:77")
    assert again == first
    resend = deduper.check(keys("aa", item_id), event_id="e1", now=6.0, origin="3:78")
    assert resend.status is DedupeStatus.DUPLICATE


def test_replay_of_a_correction_stays_a_correction(store: dict[str, Any]) -> None:
    deduper = ExactDeduper(store, WINDOW)
    deduper.check(keys("aa", "1"), event_id="1", now=0.0, origin="0:1")
    fix = deduper.check(keys("bb", "1"), event_id="1", now=1.0, origin="0:2")
    assert deduper.check(keys("bb", "1"), event_id="1", now=2.0, origin="0:2") == fix
    assert fix.status is DedupeStatus.NEAR_DUPLICATE


def test_records_are_json_friendly(store: dict[str, Any]) -> None:
    """A faust table serialises values as JSON: only lists of scalars go in."""
    ExactDeduper(store, WINDOW).check(keys("aa", "1"), event_id="e1", now=0.0, origin="0:1")
    for record in store.values():
        assert isinstance(record, list)
        assert all(isinstance(v, str | float | int | type(None)) for v in record)
