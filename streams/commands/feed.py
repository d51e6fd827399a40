"""``wirestream produce`` and ``wirestream tail``: feeding the raw topic and reading the output."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from streams.codec import decode_event
from streams.commands.enrich import iter_inputs
from streams.commands.stories import describe_story_message
from streams.kafka import Record, consumer, ensure_topics, produce_values
from streams.settings import Settings

TOP_ENTITIES = 5


def _keyed(paths: list[str]) -> Iterator[Record]:
    for _name, _line, value, _size in iter_inputs(paths):
        yield _item_key(value), value, None


def _item_key(value: bytes) -> bytes | None:
    """Key by the item's id when it has one, as a producer would; otherwise let Kafka spread."""
    try:
        parsed = orjson.loads(value)
    except orjson.JSONDecodeError:
        return None
    item_id = parsed.get("id") if isinstance(parsed, dict) else None
    return str(item_id).encode() if isinstance(item_id, str | int) else None


async def run_produce(settings: Settings, paths: list[str], topic: str, progress: bool) -> int:
    from tqdm import tqdm

    missing = [p for p in paths if p != "-" and not Path(p).is_file()]
    if missing:
        print(f"wirestream produce: no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    await ensure_topics(settings, only=[topic], use="Write")
    with tqdm(
        unit="msg",
        desc=f"produce {topic}",
        file=sys.stderr,
        disable=not (progress and sys.stderr.isatty()),
    ) as bar:
        sent = await produce_values(settings, topic, _keyed(paths), progress=bar)
    print(f"sent {sent} message(s) to {topic} on {settings.kafka.bootstrap}", file=sys.stderr)
    return 0


def describe_event(event: dict[str, Any]) -> str:
    """One readable line: id, language, dedupe status, top entities, headline or text start."""
    language = event.get("language") or {}
    dedupe = event.get("dedupe") or {}
    entities = event.get("entities") or []
    ranked = sorted(entities, key=lambda e: (-int(e.get("count", 1)), int(e.get("start", 0))))
    names = [f"{e['name']}({e['type']})" for e in ranked[:TOP_ENTITIES]]
    more = f" +{len(entities) - TOP_ENTITIES}" if len(entities) > TOP_ENTITIES else ""
    title = (event.get("headline") or event.get("text") or "").replace("\n", " ")
    return (
        f"{str(event.get('id'))[:20]:<20} {language.get('code', '?'):>3} "
        f"{float(language.get('confidence') or 0):.2f}  {dedupe.get('status', '?'):<14} "
        f"story={str(dedupe.get('story_id'))[:12]}  "
        f"[{', '.join(names)}{more}]  {title[:60]}"
    )


def describe_deadletter(value: bytes, headers: list[tuple[str, bytes]]) -> str:
    meta = {k: v.decode("utf-8", "replace") for k, v in headers}
    preview = value[:40].decode("utf-8", "replace").replace("\n", " ")
    return (
        f"DEAD LETTER {meta.get('x-deadletter-reason', '?'):<14} "
        f"from {meta.get('x-source-topic')}[{meta.get('x-source-partition')}]"
        f"@{meta.get('x-source-offset')}: {meta.get('x-deadletter-error', '')[:70]}  "
        f"bytes={preview!r}"
    )


async def run_tail(settings: Settings, args: argparse.Namespace) -> int:
    topics = [settings.topics.stories if args.stories else settings.topics.enriched]
    if args.deadletters:
        topics.append(settings.topics.deadletter)
    await ensure_topics(settings, only=topics, use="Read")
    seen = 0
    async with consumer(settings, topics, from_beginning=args.from_beginning) as client:
        while args.max is None or seen < args.max:
            try:
                msg = await asyncio.wait_for(client.getone(), timeout=args.idle_timeout)
            except TimeoutError:
                break
            seen += 1
            if msg.topic == settings.topics.deadletter:
                line = describe_deadletter(msg.value or b"", list(msg.headers or ()))
            elif msg.topic == settings.topics.stories:
                headers = list(msg.headers or ())
                line = describe_story_message(msg.key, msg.value, headers, as_json=args.json)
            elif args.json:
                line = (msg.value or b"").decode()
            else:
                line = describe_event(decode_event(msg.value or b"{}"))
            print(line, flush=True)
    return 0
