"""``wirestream enrich``: the enrichment core on files, with no broker.

Output: one JSON line per input item, in input order. An item the input contract rejects becomes a
dead-letter record (``wirestream.deadletter.v1``: reason, error, file, line) instead of an event,
so the output stays aligned with the input.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from streams.codec import decode_raw, encode_event
from streams.core.deadline import Deadline
from streams.core.pipeline import Pipeline
from streams.errors import DeadLetterReason, ItemRejected
from streams.logs import get_logger
from streams.settings import Settings

DEADLETTER_SCHEMA = "wirestream.deadletter.v1"
log = get_logger("wirestream.enrich")


def iter_inputs(paths: list[str]) -> Iterator[tuple[str, int, bytes, int]]:
    """Yield ``(file, line number, raw bytes, bytes consumed)``; ``-`` is JSONL on stdin."""
    for name in paths or ["-"]:
        if name == "-":
            yield from _jsonl("<stdin>", sys.stdin.buffer)
        elif name.endswith(".jsonl"):
            with Path(name).open("rb") as handle:
                yield from _jsonl(name, handle)
        else:
            data = Path(name).read_bytes()
            yield name, 1, data, len(data)


def _jsonl(name: str, handle: IO[bytes]) -> Iterator[tuple[str, int, bytes, int]]:
    for number, line in enumerate(handle, start=1):
        if line.strip():
            yield name, number, line.rstrip(b"\r\n"), len(line)


def _total_bytes(paths: list[str]) -> int | None:
    if not paths or "-" in paths:
        return None
    return sum(Path(p).stat().st_size for p in paths)


def run_enrich(settings: Settings, paths: list[str], *, progress: bool) -> int:
    from tqdm import tqdm

    for name in paths:
        if name != "-" and not Path(name).is_file():
            print(f"wirestream enrich: no such file: {name}", file=sys.stderr)
            return 2
    store: dict[str, Any] = {}
    # Each language's NER model loads with the first item of that language.
    pipeline = Pipeline.from_settings(settings, store, preload=False)
    out = sys.stdout.buffer
    show = progress and sys.stderr.isatty()
    bar = tqdm(
        total=_total_bytes(paths),
        unit="B",
        unit_scale=True,
        disable=not show,
        desc="enrich",
        file=sys.stderr,
    )
    with bar:
        for name, line, value, size in iter_inputs(paths):
            out.write(_enrich_one(pipeline, settings, name, line, value) + b"\n")
            bar.update(size)
    out.flush()
    return 0


def _enrich_one(
    pipeline: Pipeline, settings: Settings, name: str, line: int, value: bytes
) -> bytes:
    """One input item's output line: its event, or a dead-letter record as the worker would
    write it (a rejection with its reason; a bug as ``processing_error``, logged with its
    traceback), so that one bad item never stops the run."""
    try:
        raw = decode_raw(value, settings.worker.max_item_bytes)
        result = pipeline.enrich(
            raw,
            received_at=time.time(),
            origin=f"{name}:{line}",
            deadline=Deadline.after(settings.worker.item_deadline_s),
        )
    except ItemRejected as exc:
        return _deadletter(exc.reason, exc.message, name, line)
    except Exception as exc:
        log.exception("processing_failed", file=name, line=line)
        return _deadletter(
            DeadLetterReason.PROCESSING_ERROR, f"{type(exc).__name__}: {exc}", name, line
        )
    assert result.event is not None  # enrich_duplicates defaults to True
    return encode_event(result.event)


def _deadletter(reason: DeadLetterReason, error: str, name: str, line: int) -> bytes:
    return orjson.dumps(
        {
            "schema": DEADLETTER_SCHEMA,
            "reason": reason.value,
            "error": error,
            "file": name,
            "line": line,
        }
    )
