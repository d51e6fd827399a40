"""structlog set-up: JSON lines by default, readable console output on a terminal.

Per-item events are bound with ``item_id``, ``topic``, ``partition`` and ``offset`` by the agent;
this module only decides how events are rendered. Every line is rendered by the same processors:
our own structlog events, and the standard-library records of faust, mode, aiokafka and any other
library (through :class:`structlog.stdlib.ProcessorFormatter` on the root logger), each with its
level and logger name. So under ``log.format = "json"`` the process writes JSON lines only, which
a log pipeline can parse, even while the broker is unreachable and aiokafka logs every failed
connection.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from typing import Any, TextIO

import structlog

from streams.settings import LogSettings

# Libraries that log through the standard library: at WARNING unless the worker debugs, as their
# INFO lines (every rebalance step, every fetch session) would drown ours.
_LIBRARIES = ("faust", "mode", "aiokafka", "kafka")
_MAX_TEMPLATES = 1024


def configure_logging(settings: LogSettings, stream: TextIO | None = None) -> None:
    out = stream or sys.stderr
    console = settings.format == "console" or (settings.format == "auto" and out.isatty())
    level = logging.getLevelNamesMapping()[settings.level]
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Any = (
        structlog.dev.ConsoleRenderer(colors=out.isatty())
        if console
        else structlog.processors.JSONRenderer()
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        # Records from the standard library (faust, aiokafka, ...) get what ours get first.
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder()],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *([] if console else [structlog.processors.format_exc_info]),
            renderer,
        ],
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)
    handler.addFilter(RepeatFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    quiet = level if level <= logging.DEBUG else max(level, logging.WARNING)
    for name in _LIBRARIES:
        logging.getLogger(name).setLevel(quiet)
    # Warnings, and exceptions that end a thread or the process, become log records too,
    # rendered like every other line (faust's consumer runs in a thread of its own).
    logging.captureWarnings(True)
    threading.excepthook = _log_thread_exception
    sys.excepthook = _log_uncaught


class RepeatFilter(logging.Filter):
    """Lets a library's line through once per ``window_s`` per message template.

    While the broker is unreachable aiokafka logs every failed connection attempt, hundreds of
    lines a second (27,000 in a 30 s outage of the fault test), which floods a log pipeline and
    hides everything else. The first line of a template passes; the same template from the same
    logger within ``window_s`` is counted, not written; the next one written after that carries
    ``repeated``: how many were left out. Our own events are never filtered."""

    def __init__(self, window_s: float = 10.0, clock: Any = time.monotonic) -> None:
        super().__init__()
        self._window = window_s
        self._clock = clock
        self._seen: dict[tuple[str, object], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("wirestream") or record.levelno >= logging.CRITICAL:
            return True
        key = (record.name, record.msg)
        now = self._clock()
        last = self._seen.get(key)
        if last is not None and now - last[0] < self._window:
            self._seen[key] = (last[0], last[1] + 1)
            return False
        if last is not None and last[1]:
            record.repeated = last[1]
        if len(self._seen) > _MAX_TEMPLATES:
            self._seen.clear()  # a bound, not a cache: at worst a few lines pass twice
        self._seen[key] = (now, 0)
        return True


def _log_thread_exception(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    logging.getLogger("threading").error(
        "thread_crashed",
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),  # type: ignore[arg-type]
        extra={"thread_name": getattr(args.thread, "name", None)},
    )


def _log_uncaught(exc_type: type[BaseException], exc: BaseException, tb: Any) -> None:
    logging.getLogger("wirestream").critical("uncaught_exception", exc_info=(exc_type, exc, tb))


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)
