"""Every log line is structured: ours and the libraries' (faust, mode, aiokafka) alike."""

from __future__ import annotations

import io
import logging
import sys
import threading
import warnings
from collections.abc import Iterator

import orjson
import pytest
import structlog

from streams.logs import RepeatFilter, configure_logging, get_logger
from streams.settings import LogSettings


@pytest.fixture
def json_stream() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging(LogSettings(level="INFO", format="json"), stream)
    yield stream
    structlog.reset_defaults()
    logging.getLogger().handlers.clear()
    logging.captureWarnings(False)
    threading.excepthook = threading.__excepthook__
    sys.excepthook = sys.__excepthook__


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in stream.getvalue().splitlines()]


@pytest.mark.parametrize(
    ("library", "level"),
    [("aiokafka.conn", logging.ERROR), ("faust.transport", logging.WARNING), ("mode", 40)],
)
def test_library_records_are_json_lines_with_level_and_logger(
    json_stream: io.StringIO, library: str, level: int
) -> None:
    logging.getLogger(library).log(level, "Unable connect to node with id %s: %s", 1, "refused")
    (line,) = lines(json_stream)
    assert line["event"] == "Unable connect to node with id 1: refused"
    assert line["level"] == logging.getLevelName(level).lower()
    assert line["logger"] == library
    assert "timestamp" in line


def test_our_events_and_theirs_share_the_processors(json_stream: io.StringIO) -> None:
    get_logger("wirestream.worker").info("item_rejected", item_id="x-1", partition=2, offset=7)
    logging.getLogger("aiokafka").warning("Heartbeat failed")
    ours, theirs = lines(json_stream)
    assert (ours["event"], ours["item_id"], ours["logger"]) == (
        "item_rejected",
        "x-1",
        "wirestream.worker",
    )
    assert set(theirs) >= {"event", "level", "logger", "timestamp"}
    assert set(ours) >= set(theirs)


def test_library_info_is_quiet_unless_debugging(json_stream: io.StringIO) -> None:
    logging.getLogger("faust.app.base").info("Elected group leader")
    assert json_stream.getvalue() == ""


def test_tracebacks_stay_inside_the_json_line(json_stream: io.StringIO) -> None:
    try:
        raise RuntimeError("broken")  # noqa: TRY301 - the traceback is what is tested
    except RuntimeError:
        logging.getLogger("mode.services").exception("Service crashed")
    (line,) = lines(json_stream)
    assert "RuntimeError: broken" in str(line["exception"])


def test_warnings_become_log_lines(json_stream: io.StringIO) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("a deprecated call", DeprecationWarning, stacklevel=1)
    (line,) = lines(json_stream)
    assert "a deprecated call" in str(line["event"])
    assert line["logger"] == "py.warnings"


def test_a_library_line_repeated_in_a_burst_is_written_once_then_counted() -> None:
    now = [0.0]
    repeats = RepeatFilter(window_s=10.0, clock=lambda: now[0])
    logger = logging.getLogger("aiokafka")

    def passes(message: str = "Unable connect to node with id %s") -> logging.LogRecord | None:
        record = logger.makeRecord("aiokafka", logging.ERROR, __file__, 1, message, (1,), None)
        return record if repeats.filter(record) else None

    assert passes() is not None
    for _ in range(500):
        now[0] += 0.01
        assert passes() is None
    assert passes("Unable to update metadata from %s") is not None  # another template
    now[0] += 10.0
    again = passes()
    assert again is not None
    assert again.repeated == 500  # type: ignore[attr-defined]
    ours = logging.getLogger("wirestream.worker").makeRecord(
        "wirestream.worker", logging.INFO, __file__, 1, "item_rejected", (), None
    )
    assert all(repeats.filter(ours) for _ in range(3))


def test_a_crashed_thread_is_logged_as_a_json_line(json_stream: io.StringIO) -> None:
    def crash() -> None:
        raise RuntimeError("consumer thread died")

    thread = threading.Thread(target=crash, name="consumer")
    thread.start()
    thread.join()
    (line,) = lines(json_stream)
    assert line["event"] == "thread_crashed"
    assert line["thread_name"] == "consumer"
    assert "consumer thread died" in str(line["exception"])
