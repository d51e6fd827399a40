"""``wirestream similarity FILE``: what the dedupe stage makes of pairs of items."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import orjson

from streams.errors import ItemRejected
from streams.settings import Settings

if TYPE_CHECKING:
    from streams.core.pipeline import Pipeline, Prepared

DESCRIPTION = """\
Input: JSON Lines, one pair per line: {"id": ..., "a": ITEM, "b": ITEM}, where an ITEM follows
the input contract (an object with body, headline, language, ...; or a string, which is a
plain-text body). FILE '-' reads stdin.

Output: one JSON line per pair, in input order: {"id", "similarity", "status"}.
  similarity  how alike the two are, 0..1: the larger of the estimated Jaccard similarity of
              their shingles and their story score, an estimate of a human rating of the pair
              (1.0 for the same text, and usually for an edited copy; near 1 for the same story,
              near 0 for unrelated articles; docs/dedupe.md)
  status      what the dedupe stage decides about b in a store that has seen only a: unique,
              duplicate, near_duplicate, translation or same_story
A pair that cannot be read gives {"id", "error"} instead, and the command exits with status 1.
"""


def add_parser(sub: Any) -> None:
    """Register ``similarity`` on the CLI's subparsers."""
    parser = sub.add_parser(
        "similarity",
        help="score pairs of items as the dedupe stage would (JSONL in, JSONL out)",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='example line: {"id": "p1", "a": {"body": "...", "headline": "...", '
        '"language": "de"}, "b": {"body": "..."}}',
    )
    parser.add_argument("file", metavar="FILE", help="JSONL of pairs; '-' for stdin")


def run_similarity(settings: Settings, args: argparse.Namespace) -> int:
    from streams.core.pipeline import Pipeline

    if args.file != "-" and not Path(args.file).is_file():
        print(f"wirestream similarity: no such file: {args.file}", file=sys.stderr)
        return 2
    pipeline = Pipeline.from_settings(settings, {}, preload=False)
    out = sys.stdout.buffer
    failed = False
    for number, line in _lines(args.file):
        pair_id: Any = number  # until the line says otherwise
        try:
            pair = orjson.loads(line)
            if isinstance(pair, dict):
                pair_id = pair.get("id", number)
            result = score_pair(pipeline, pair, settings.worker.max_item_bytes)
        except (ItemRejected, ValueError) as exc:  # orjson's decode error is a ValueError
            failed = True
            result = {"error": exc.message if isinstance(exc, ItemRejected) else str(exc)}
        out.write(orjson.dumps({"id": pair_id, **result}) + b"\n")
    out.flush()
    return 1 if failed else 0


def score_pair(pipeline: Pipeline, pair: Any, max_bytes: int) -> dict[str, Any]:
    """``{"similarity", "status"}`` of one decoded pair (raises on a malformed one)."""
    from streams.core.dedupe.similarity import compare

    if not isinstance(pair, dict) or "a" not in pair or "b" not in pair:
        raise ValueError('a pair is an object with "a" and "b" items')
    a = _prepare(pipeline, pair["a"], max_bytes)
    b = _prepare(pipeline, pair["b"], max_bytes)
    similarity = round(compare(b.fingerprint, a.fingerprint).similarity, 4)
    return {"similarity": similarity, "status": status_after(pipeline, a, b)}


def status_after(pipeline: Pipeline, a: Prepared, b: Prepared) -> str:
    """The status ``b`` gets from a fresh store that has seen only ``a``."""
    from streams.core.pipeline import Pipeline

    alone = Pipeline(
        pipeline.detector, pipeline.extractor, {}, float("inf"), embedder=pipeline.embedder
    )
    alone.decide(a, received_at=0.0, origin="a")
    return alone.decide(b, received_at=0.0, origin="b").dedupe.status.value


def _prepare(pipeline: Pipeline, item: Any, max_bytes: int) -> Prepared:
    from streams.codec import decode_raw

    value = item.encode("utf-8") if isinstance(item, str) else orjson.dumps(item)
    return pipeline.prepare(decode_raw(value, max_bytes))


def _lines(name: str) -> Iterator[tuple[int, bytes]]:
    """Non-blank lines with their numbers; ``-`` is stdin."""
    handle: IO[bytes] = sys.stdin.buffer if name == "-" else Path(name).open("rb")  # noqa: SIM115
    try:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield number, line
    finally:
        if handle is not sys.stdin.buffer:
            handle.close()
