"""What `wirestream stories` and `wirestream tail --stories` print of the stories topic."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from streams.commands.stories import (
    StoryMessage,
    describe_history,
    describe_story,
    describe_story_message,
)
from streams.core.stories import StoryItem, advance
from streams.models import DedupeStatus, Entity

ACME = Entity("Acme", "ORG", "wirestream:acme", "Acme", 0, 4, 2, watchlists=("portfolio",))


def record(version: int) -> dict[str, Any]:
    """The record of a story's version-th item: an English story, then translations."""
    state = None
    record: dict[str, Any] = {}
    for n in range(version):
        status = DedupeStatus.UNIQUE if n == 0 else DedupeStatus.TRANSLATION
        language = ("en", "de", "fr", "es")[n % 4]
        item = StoryItem("5a1e0000deadbeef", f"i{n}", status, 1.8e9 + n, f"0:{n}", "Wire",
                         language, "Acme opens a plant", (ACME,))  # fmt: skip
        step = advance(state, item)
        state, record = step.state, step.record
    return record


def message(version: int | None, closed: str | None = None) -> StoryMessage:
    value = None if version is None else record(version)
    return StoryMessage(0, 0, "5a1e0000deadbeef", value, closed)


def test_a_story_line() -> None:
    line = describe_story(record(3))
    assert line.startswith("STORY 5a1e0000deadbeef v3 ")
    for part in ("new_language", "items=3", "[en:1 de:1 fr:1]", "sources=1"):
        assert part in line
    assert "watch=portfolio:Acme" in line
    assert "[Acme]" in line
    assert line.endswith("Acme opens a plant")


@pytest.mark.parametrize(
    ("history", "lines"),
    [
        ([1, 2, 3], ["v1", "v2", "v3"]),
        ([3], ["(versions 1-2 removed by compaction)", "v3"]),
        ([2, 4], ["(version 1 removed", "v2", "(version 3 removed", "v4"]),
        ([3, None, 1], ["(versions 1-2 removed by compaction)", "v3", "closed (window)", "v1"]),
    ],
)  # fmt: skip
def test_a_story_history(history: list[int | None], lines: list[str]) -> None:
    messages = [message(v, None if v else "window") for v in history]
    printed = describe_history(messages, as_json=False)
    assert len(printed) == len(lines)
    for text, expected in zip(printed, lines, strict=True):
        assert expected in text


def test_a_story_history_as_json() -> None:
    printed = describe_history([message(2), message(None, "count")], as_json=True)
    assert orjson.loads(printed[0])["version"] == 2
    assert orjson.loads(printed[1]) == {"story_id": "5a1e0000deadbeef", "closed": "count"}


def test_tail_lines_for_a_record_and_a_tombstone() -> None:
    key, value, closed = b"5a1e0000deadbeef", orjson.dumps(record(1)), [("story-closed", b"count")]
    assert "v1   new_story" in describe_story_message(key, value, [], as_json=False)
    later = orjson.dumps(record(3))  # tail shows what comes, whatever came before
    assert "v3   new_language" in describe_story_message(key, later, [], as_json=False)
    tombstone = describe_story_message(key, None, closed, as_json=False)
    assert tombstone == "STORY 5a1e0000deadbeef closed (count): a tombstone"
    assert orjson.loads(describe_story_message(key, value, [], as_json=True)) == record(1)
    assert orjson.loads(describe_story_message(key, None, closed, as_json=True)) == {
        "story_id": "5a1e0000deadbeef",
        "closed": "count",
    }
