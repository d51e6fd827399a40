"""``wirestream``: the worker and the tools around it.

    wirestream worker              run the streaming worker (faust) on the configured broker
    wirestream enrich [FILE ...]   run the enrichment core on files, no broker; JSONL to stdout
    wirestream produce FILE ...    feed raw items into the raw topic
    wirestream tail                print enriched events (and dead letters) readably
    wirestream tail --stories      print story records readably, as they change
    wirestream stories [STORY_ID]  the stories on the stories topic, or one story's versions
    wirestream topics              create the topics: raw, enriched, dead-letter, stories, prepared
    wirestream deadletter inspect  summarise dead letters by reason
    wirestream deadletter replay   re-inject selected dead letters into the raw topic
    wirestream similarity FILE     score pairs of items as the dedupe stage would

Settings come from config/wirestream.toml and WIRESTREAM_* variables (see README.md); the flags
here override the few that are handy on a command line.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from streams import __version__
from streams.commands import deadletter, similarity, stories
from streams.errors import WirestreamError
from streams.logs import configure_logging
from streams.settings import Settings, load_settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wirestream",
        description="Streaming enrichment for news-wire feeds: normalize, dedupe, detect the "
        "language, link entities. Settings: config/wirestream.toml and WIRESTREAM_* variables.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Run 'wirestream COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"wirestream {__version__}")
    parser.add_argument(
        "--config", type=Path, help="settings file (default config/wirestream.toml)"
    )
    parser.add_argument("--bootstrap", help="Kafka bootstrap servers, host:port[,host:port]")
    parser.add_argument("--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    parser.add_argument("--log-format", choices=["auto", "json", "console"])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    worker = sub.add_parser("worker", help="run the streaming worker")
    worker.add_argument("--web-port", type=int, help="port of /metrics (default 6066)")
    worker.add_argument("--app-id", help="consumer group and state prefix (default wirestream)")

    enrich = sub.add_parser(
        "enrich",
        help="enrich files offline with the same core, no broker",
        description="A .jsonl file holds one raw item per line; any other file is one plain-text "
        "item; '-' or no FILE reads JSONL from stdin. Writes one JSON line per input item, in "
        "input order, duplicates included; a rejected item becomes a dead-letter record.",
    )
    enrich.add_argument("files", nargs="*", metavar="FILE")
    enrich.add_argument("--no-progress", action="store_true", help="never show a progress bar")

    produce = sub.add_parser(
        "produce",
        help="send raw items to the raw topic",
        description="Each line of a .jsonl file is sent verbatim as one message (so malformed "
        "lines reach the worker and its dead-letter topic); any other file is one message.",
    )
    produce.add_argument("files", nargs="+", metavar="FILE")
    produce.add_argument("--topic", help="target topic (default: the raw topic)")
    produce.add_argument("--no-progress", action="store_true")

    tail = sub.add_parser("tail", help="print enriched events readably")
    tail.add_argument("--from-beginning", action="store_true", help="start at the oldest event")
    tail.add_argument("--deadletters", action="store_true", help="also print dead letters")
    tail.add_argument("--json", action="store_true", help="print the raw JSON events")
    tail.add_argument(
        "--stories", action="store_true", help="print the story records instead of the events"
    )
    tail.add_argument("--max", type=int, help="stop after this many events")
    tail.add_argument("--idle-timeout", type=float, help="stop after this many idle seconds")

    sub.add_parser(
        "topics",
        help="create the raw, enriched, dead-letter, stories and prepared topics if missing",
    )
    deadletter.add_parser(sub)
    stories.add_parser(sub)
    similarity.add_parser(sub)
    return parser


def settings_from_args(args: argparse.Namespace, environ: dict[str, str]) -> Settings:
    overrides: dict[str, dict[str, Any]] = {}
    if args.bootstrap:
        overrides["kafka"] = {"bootstrap": args.bootstrap}
    log: dict[str, Any] = {}
    if args.log_level:
        log["level"] = args.log_level
    if args.log_format:
        log["format"] = args.log_format
    if log:
        overrides["log"] = log
    if args.command == "worker":
        if args.web_port:
            overrides["web"] = {"port": args.web_port}
        if args.app_id:
            overrides["worker"] = {"app_id": args.app_id}
    return load_settings(environ, args.config, **overrides)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = settings_from_args(args, dict(os.environ))
        configure_logging(settings.log)
        return _dispatch(args, settings)
    except WirestreamError as exc:
        print(f"wirestream: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:  # noqa: PLR0911 - one per command
    # Imports are local so that `wirestream --help` and `enrich` stay quick and broker-free.
    if args.command == "worker":
        from streams.commands.worker import run_worker

        return run_worker(settings)
    if args.command == "enrich":
        from streams.commands.enrich import run_enrich

        return run_enrich(settings, args.files, progress=not args.no_progress)
    if args.command == "produce":
        from streams.commands.feed import run_produce

        topic = args.topic or settings.topics.raw
        return asyncio.run(run_produce(settings, args.files, topic, not args.no_progress))
    if args.command == "tail":
        from streams.commands.feed import run_tail

        return asyncio.run(run_tail(settings, args))
    if args.command == "deadletter":
        return deadletter.run_deadletter(settings, args)
    if args.command == "similarity":
        return similarity.run_similarity(settings, args)
    if args.command == "stories":
        return stories.run_stories(settings, args)
    from streams.kafka import ensure_topics

    created = asyncio.run(ensure_topics(settings))
    print(f"created: {', '.join(created) or 'nothing (all topics exist)'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
