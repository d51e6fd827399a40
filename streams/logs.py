"""structlog set-up: JSON lines by default, readable console output on a terminal.

Per-item events are bound with ``item_id``, ``topic``, ``partition`` and ``offset`` by the agent;
this module only decides how events are rendered.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO

import structlog

from streams.settings import LogSettings


def configure_logging(settings: LogSettings, stream: TextIO | None = None) -> None:
    out = stream or sys.stderr
    console = settings.format == "console" or (settings.format == "auto" and out.isatty())
    level = logging.getLevelNamesMapping()[settings.level]
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Any = (
        structlog.dev.ConsoleRenderer(colors=out.isatty())
        if console
        else structlog.processors.JSONRenderer()
    )
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer]
        if not console
        else [*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=out),
        cache_logger_on_first_use=True,
    )
    # faust and aiokafka log through the standard library; keep them at WARNING unless debugging,
    # rendered as plain lines on the same stream.
    logging.basicConfig(
        stream=out,
        level=max(level, logging.WARNING) if level > logging.DEBUG else level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)
