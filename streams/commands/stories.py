"""``wirestream stories [STORY_ID]`` and the story lines of ``wirestream tail --stories``.

The stories topic (``topics.stories``) is compacted: it keeps at least the latest record of every
story, and the older versions until the log cleaner removes them. ``wirestream stories`` lists
the stories it holds (the latest version of each, newest first); ``wirestream stories STORY_ID``
prints every version of one story still on the topic, oldest first, and says which versions
compaction has removed, and when the story left the window (a tombstone).

Only what is on the topic when the command starts is read (the end offsets are taken first), and
only committed records (``read_committed``), as a consumer should read them.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import orjson

from streams.core.stories import CLOSED_HEADER
from streams.settings import Settings

TOP_ENTITIES = 4


@dataclass(frozen=True, slots=True)
class StoryMessage:
    """One record of the stories topic: a story's version, or its tombstone (``record`` None)."""

    partition: int
    offset: int
    story_id: str
    record: dict[str, Any] | None
    closed: str | None  # why the story left the window (a tombstone's header)


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "stories",
        help="show the stories on the stories topic, or one story's versions",
        description="Without STORY_ID: the stories on the compacted stories topic, the latest "
        "version of each, newest first. With it: every version of that story still on the "
        "topic (older ones are removed by compaction), and its tombstone if it left the window.",
    )
    parser.add_argument("story_id", nargs="?", metavar="STORY_ID")
    parser.add_argument("--json", action="store_true", help="print the records as JSON lines")
    parser.add_argument("--limit", type=int, default=20, help="stories listed (default 20)")


def run_stories(settings: Settings, args: argparse.Namespace) -> int:
    return asyncio.run(_run(settings, args))


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    messages = [m async for m in read_stories(settings)]
    if args.story_id:
        history = [m for m in messages if m.story_id == args.story_id]
        if not history:
            print(f"wirestream stories: no story {args.story_id} on the topic", file=sys.stderr)
            return 1
        for line in describe_history(history, as_json=args.json):
            print(line)
        return 0
    latest: dict[str, StoryMessage] = {}
    for message in messages:
        latest[message.story_id] = message
    held = [m.record for m in latest.values() if m.record is not None]
    held.sort(key=lambda r: str(r.get("last_seen")), reverse=True)
    for record in held[: args.limit]:
        print(orjson.dumps(record).decode() if args.json else describe_story(record))
    if not args.json:
        print(f"{len(held)} stories on {settings.topics.stories}", file=sys.stderr)
    return 0


def describe_history(history: list[StoryMessage], *, as_json: bool) -> list[str]:
    """One story's records, oldest first, with the versions compaction removed named."""
    lines: list[str] = []
    expected = 1
    for message in history:
        record = message.record
        version = 0 if record is None else int(record.get("version", 0))
        if version > expected and not as_json:
            gone = f"version {expected}"
            if version > expected + 1:
                gone = f"versions {expected}-{version - 1}"
            lines.append(f"  ({gone} removed by compaction)")
        lines.append(_line(message, as_json=as_json))
        # After a tombstone, a later record of the key is the story opened again, at version 1.
        expected = version + 1
    return lines


def describe_story(record: dict[str, Any]) -> str:
    """One readable line: id, version, what changed, items, languages, sources, entities."""
    languages = " ".join(f"{k}:{v}" for k, v in (record.get("languages") or {}).items())
    sources = record.get("sources") or {}
    entities = [str(e.get("name")) for e in (record.get("entities") or [])[:TOP_ENTITIES]]
    hits = [
        f"{name}:{'/'.join(str(e.get('name')) for e in listed)}"
        for name, listed in (record.get("watchlists") or {}).items()
    ]
    watched = f"  watch={','.join(hits)}" if hits else ""
    changes = "+".join(record.get("changes") or [str(record.get("last_change"))])
    headline = str(record.get("headline") or "").replace("\n", " ")
    return (
        f"STORY {str(record.get('story_id'))[:16]:<16} v{record.get('version'):<3} "
        f"{changes:<24} items={record.get('items')} [{languages}] "
        f"sources={len(sources) + (1 if record.get('other_sources') else 0)}"
        f"{watched}  [{', '.join(entities)}]  {headline[:60]}"
    )


def describe_story_message(
    key: bytes | None, value: bytes | None, headers: list[tuple[str, bytes]], *, as_json: bool
) -> str:
    """A record of the stories topic as ``wirestream tail --stories`` prints it."""
    return _line(_message(0, 0, key, value, headers), as_json=as_json)


def _line(message: StoryMessage, *, as_json: bool) -> str:
    record = message.record
    if as_json:
        closed = {"story_id": message.story_id, "closed": message.closed}
        return orjson.dumps(closed if record is None else record).decode()
    return _closed_line(message) if record is None else describe_story(record)


def _closed_line(message: StoryMessage) -> str:
    return f"STORY {message.story_id[:16]:<16} closed ({message.closed}): a tombstone"


async def read_stories(settings: Settings) -> AsyncIterator[StoryMessage]:
    """Every committed record on the stories topic when called, in offset order per partition
    (``read_committed``: an aborted transaction's story update never happened)."""
    from streams.kafka import read_to_end

    async for m in read_to_end(settings, settings.topics.stories):
        yield _message(m.partition, m.offset, m.key, m.value, m.headers)


def _message(
    partition: int, offset: int, key: bytes | None, value: bytes | None, headers: Any
) -> StoryMessage:
    story_id = (key or b"").decode("utf-8", "replace")
    if value is None:
        reason = dict(headers or ()).get(CLOSED_HEADER, b"?").decode("utf-8", "replace")
        return StoryMessage(partition, offset, story_id, None, reason)
    return StoryMessage(partition, offset, story_id, orjson.loads(value), None)
