"""``wirestream deadletter inspect|replay``: what is on the dead-letter topic, and putting it back.

``inspect`` summarises the dead letters by reason: counts, sample errors, and the source
partitions and offsets they came from. ``replay`` re-injects selected dead letters (by reason
and/or dead-letter offset range) into the raw topic once the cause is fixed.

Replay never loops. Each replayed message carries an ``x-replayed-from`` header naming the dead
letter it came from; the worker copies that header into the dead letter if the item fails again
(``streams.worker.stages.base.deadletter_headers``), and replay refuses dead letters that carry it.
A message that failed after a replay needs a person (docs/runbook.md, "Dead letters").

Only the dead letters present when the command starts are read (the end offsets are taken first),
so a replay that runs while the worker dead-letters its own output still ends.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from streams.errors import DeadLetterReason
from streams.settings import Settings

SAMPLES = 3
# Consecutive empty fetches after which a partition that claims more records is given up on
# (transaction markers at the end of a log have offsets but no records).


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One record of the dead-letter topic, with its documented headers parsed."""

    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: dict[str, str]
    reason: str
    error: str
    source: tuple[str, int | None, int | None]  # topic, partition, offset it came from
    replayed_from: str | None


def add_parser(sub: Any) -> None:
    """Register ``deadletter inspect`` and ``deadletter replay`` on the CLI's subparsers."""
    parser = sub.add_parser(
        "deadletter",
        help="inspect and replay dead letters",
        description="Summarise the dead-letter topic, or replay selected dead letters into the "
        "raw topic after a fix. Replayed messages carry an x-replayed-from header; replay "
        "refuses dead letters that already carry it, so a replay cannot loop.",
    )
    actions = parser.add_subparsers(dest="deadletter_command", required=True, metavar="ACTION")
    inspect = actions.add_parser("inspect", help="summarise dead letters by reason")
    inspect.add_argument("--json", action="store_true", help="print the summary as JSON")
    inspect.add_argument(
        "--samples", type=int, default=SAMPLES, help="sample errors per reason (default 3)"
    )
    replay = actions.add_parser("replay", help="re-inject selected dead letters into the raw topic")
    replay.add_argument(
        "--reason",
        action="append",
        choices=[r.value for r in DeadLetterReason],
        help="only dead letters with this reason (repeatable; default: every reason)",
    )
    replay.add_argument("--partition", type=int, help="only this dead-letter partition")
    replay.add_argument("--from-offset", type=int, help="first dead-letter offset (inclusive)")
    replay.add_argument("--to-offset", type=int, help="last dead-letter offset (inclusive)")
    replay.add_argument("--topic", help="target topic (default: the raw topic)")
    replay.add_argument("--dry-run", action="store_true", help="show what would be replayed")
    replay.add_argument("--no-progress", action="store_true", help="never show a progress bar")


def run_deadletter(settings: Settings, args: argparse.Namespace) -> int:
    if args.deadletter_command == "inspect":
        return asyncio.run(run_inspect(settings, as_json=args.json, samples=args.samples))
    offsets = (args.from_offset, args.to_offset)
    if None not in offsets and offsets[0] > offsets[1]:
        print("wirestream deadletter replay: --from-offset is after --to-offset", file=sys.stderr)
        return 2
    return asyncio.run(run_replay(settings, args))


def parse_record(
    partition: int,
    offset: int,
    key: bytes | None,
    value: bytes | None,
    headers: Iterable[tuple[str, bytes]] | None,
) -> DeadLetter:
    from streams.worker.stages.base import REPLAYED_FROM_HEADER

    meta = {k: (v or b"").decode("utf-8", "replace") for k, v in headers or ()}
    return DeadLetter(
        partition=partition,
        offset=offset,
        key=key,
        value=value or b"",
        headers=meta,
        reason=meta.get("x-deadletter-reason", "unknown"),
        error=meta.get("x-deadletter-error", ""),
        source=(
            meta.get("x-source-topic", "?"),
            _int(meta.get("x-source-partition")),
            _int(meta.get("x-source-offset")),
        ),
        replayed_from=meta.get(REPLAYED_FROM_HEADER),
    )


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


async def read_deadletters(
    settings: Settings, keep_value: Callable[[DeadLetter], bool] = lambda _d: True
) -> AsyncIterator[DeadLetter]:
    """Every dead letter on the topic when called, in offset order per partition. Letters that
    ``keep_value`` rejects come without their value and headers, so that a large topic can be
    summarised, or scanned for replay markers, in little memory. With
    worker.processing_guarantee = exactly_once, a dead letter of an aborted transaction was never
    really sent: it is not read, so never counted or replayed."""
    from streams.kafka import ensure_topics, read_to_end

    topic = settings.topics.deadletter
    await ensure_topics(settings, only=[topic], use="Read")
    async for m in read_to_end(settings, topic):
        d = parse_record(m.partition, m.offset, m.key, m.value, m.headers)
        yield d if keep_value(d) else dataclasses.replace(d, value=b"", headers={})


@dataclass
class ReasonSummary:
    count: int = 0
    replayed: int = 0
    samples: list[dict[str, Any]] = field(default_factory=list)
    # (source topic, source partition) -> [count, first offset, last offset]
    sources: dict[tuple[str, int | None], list[int]] = field(default_factory=dict)
    # dead-letter partition -> [first offset, last offset]
    offsets: dict[int, list[int]] = field(default_factory=dict)

    def add(self, letter: DeadLetter, samples: int) -> None:
        self.count += 1
        self.replayed += letter.replayed_from is not None
        if len(self.samples) < samples and letter.error not in {s["error"] for s in self.samples}:
            self.samples.append(
                {"partition": letter.partition, "offset": letter.offset, "error": letter.error}
            )
        topic, src_partition, src_offset = letter.source
        source = self.sources.setdefault((topic, src_partition), [0, -1, -1])
        source[0] += 1
        if src_offset is not None:
            source[1] = src_offset if source[1] < 0 else min(source[1], src_offset)
            source[2] = max(source[2], src_offset)
        span = self.offsets.setdefault(letter.partition, [letter.offset, letter.offset])
        span[0], span[1] = min(span[0], letter.offset), max(span[1], letter.offset)

    def as_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "already_replayed": self.replayed,
            "deadletter_offsets": [
                {"partition": p, "first": a, "last": b}
                for p, (a, b) in sorted(self.offsets.items())
            ],
            "sources": [
                {"topic": t, "partition": p, "count": c, "first_offset": a, "last_offset": b}
                for (t, p), (c, a, b) in sorted(self.sources.items(), key=lambda kv: str(kv[0]))
            ],
            "samples": self.samples,
        }


def summarise(letters: Iterable[DeadLetter], samples: int = SAMPLES) -> dict[str, ReasonSummary]:
    by_reason: dict[str, ReasonSummary] = defaultdict(ReasonSummary)
    for letter in letters:
        by_reason[letter.reason].add(letter, samples)
    return dict(sorted(by_reason.items(), key=lambda kv: (-kv[1].count, kv[0])))


def render_summary(topic: str, summary: dict[str, ReasonSummary]) -> str:
    total = sum(s.count for s in summary.values())
    lines = [f"{topic}: {total} dead letter(s)"]
    for reason, s in summary.items():
        replayed = f"  ({s.replayed} failed again after a replay)" if s.replayed else ""
        lines.append(f"\n{reason:<18} {s.count:>7}{replayed}")
        spans = ", ".join(f"[{p}] {a}..{b}" for p, (a, b) in sorted(s.offsets.items()))
        lines.append(f"  dead-letter offsets: {spans}")
        for (src_topic, src_partition), (count, first, last) in sorted(
            s.sources.items(), key=lambda kv: str(kv[0])
        ):
            where = f"offset {first}" if first == last else f"offsets {first}..{last}"
            lines.append(f"  from {src_topic}[{src_partition}] {where} ({count})")
        lines.extend(f"  e.g. @{x['offset']}: {x['error'][:110]}" for x in s.samples)
    return "\n".join(lines)


async def run_inspect(settings: Settings, *, as_json: bool, samples: int) -> int:
    letters = [d async for d in read_deadletters(settings, keep_value=lambda _d: False)]
    summary = summarise(letters, samples)
    topic = settings.topics.deadletter
    if as_json:
        document = {
            "topic": topic,
            "total": len(letters),
            "reasons": {reason: s.as_dict() for reason, s in summary.items()},
        }
        sys.stdout.write(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        print(render_summary(topic, summary))
    return 0


@dataclass(frozen=True, slots=True)
class Selection:
    """Which dead letters ``replay`` would send, and which it refuses, with why."""

    chosen: list[DeadLetter]  # to replay
    failed_again: list[DeadLetter]  # a replay of these failed: they carry x-replayed-from
    replayed_before: list[DeadLetter]  # an earlier replay of these is itself on the topic


def marker(topic: str, letter: DeadLetter) -> str:
    """The ``x-replayed-from`` value naming one dead letter."""
    return f"{topic}:{letter.partition}:{letter.offset}"


@dataclass(frozen=True, slots=True)
class Criteria:
    """Which dead letters an operator asked to replay."""

    reasons: frozenset[str] = frozenset()
    partition: int | None = None
    first: int | None = None  # dead-letter offsets, inclusive
    last: int | None = None

    def matches(self, d: DeadLetter) -> bool:
        return (
            (not self.reasons or d.reason in self.reasons)
            and self.partition in (None, d.partition)
            and (self.first is None or d.offset >= self.first)
            and (self.last is None or d.offset <= self.last)
        )


def select(topic: str, letters: Iterable[DeadLetter], criteria: Criteria = Criteria()) -> Selection:
    """Pick the dead letters to replay. Every letter is looked at, not only the selected ones:
    a dead letter whose replay failed again names its original, which is then not replayed a
    second time even when the range selects it."""
    picked: list[DeadLetter] = []
    replayed: set[str] = set()
    for d in letters:
        if d.replayed_from is not None:
            replayed.add(d.replayed_from)
        if criteria.matches(d):
            picked.append(d)
    fresh = [d for d in picked if d.replayed_from is None]
    return Selection(
        chosen=[d for d in fresh if marker(topic, d) not in replayed],
        failed_again=[d for d in picked if d.replayed_from is not None],
        replayed_before=[d for d in fresh if marker(topic, d) in replayed],
    )


def replay_headers(topic: str, letter: DeadLetter) -> list[tuple[str, bytes]]:
    from streams.worker.stages.base import REPLAYED_FROM_HEADER

    return [(REPLAYED_FROM_HEADER, marker(topic, letter).encode())]


async def run_replay(settings: Settings, args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from streams.kafka import produce_values

    source = settings.topics.deadletter
    target = args.topic or settings.topics.raw
    if target == source:
        print("wirestream deadletter replay: the target is the dead-letter topic", file=sys.stderr)
        return 2
    criteria = Criteria(
        frozenset(args.reason or ()), args.partition, args.from_offset, args.to_offset
    )
    letters = [d async for d in read_deadletters(settings, keep_value=criteria.matches)]
    picked = select(source, letters, criteria)
    chosen = picked.chosen
    counts = Counter(d.reason for d in chosen)
    by_reason = ", ".join(f"{r}={n}" for r, n in sorted(counts.items())) or "none"
    for refused, why in (
        (picked.failed_again, "failed again after a replay: fix them by hand"),
        (picked.replayed_before, "were replayed before and that replay failed too"),
    ):
        if refused:
            offsets = ", ".join(str(d.offset) for d in refused[:20])
            print(
                f"refusing {len(refused)} dead letter(s) that {why} (offsets {offsets})",
                file=sys.stderr,
            )
    if args.dry_run:
        for d in chosen:
            print(f"would replay {source}[{d.partition}]@{d.offset} {d.reason}: {d.error[:90]}")
        print(f"dry run: would replay {len(chosen)} dead letter(s) to {target} ({by_reason})")
        return 0
    show = not args.no_progress and sys.stderr.isatty()
    with tqdm(
        total=len(chosen), unit="msg", desc=f"replay to {target}", file=sys.stderr, disable=not show
    ) as bar:
        records = ((d.key, d.value, replay_headers(source, d)) for d in chosen)
        sent = await produce_values(settings, target, records, progress=bar)
    print(f"replayed {sent} dead letter(s) to {target} ({by_reason})")
    return 0
