"""One typed settings object, built once and passed down.

Sources, later ones winning: the defaults below, ``config/wirestream.toml`` (or the file named by
``WIRESTREAM_CONFIG``), then ``WIRESTREAM_*`` environment variables. This module is the only place
that reads the environment; everything else receives a :class:`Settings`.

Every field can be set from the environment as ``WIRESTREAM_<SECTION>_<FIELD>`` (upper case), for
example ``WIRESTREAM_KAFKA_BOOTSTRAP=broker:9092`` or ``WIRESTREAM_TOPICS_RAW=wire.raw``. Lists are
comma-separated, booleans are ``1/0/true/false/yes/no``.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from streams.errors import ConfigError

ENV_PREFIX = "WIRESTREAM_"
DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "config" / "wirestream.toml"


class Secret:
    """A secret string that never shows itself: ``str()``, ``repr()``, f-strings, ``%``
    formatting, logs and tracebacks all print ``**********``. Only :meth:`reveal` gives the
    value, at the one place that hands it to a client library. Not a ``str`` subclass, so that
    no string operation can leak it by accident."""

    __slots__ = ("_value",)
    MASK = "**********"

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __str__(self) -> str:
        return self.MASK

    def __repr__(self) -> str:
        return f"Secret('{self.MASK}')"

    def __format__(self, spec: str) -> str:
        return format(self.MASK, spec)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> tuple[type[Secret], tuple[str]]:
        return type(self), (self._value,)  # the prepare pool's processes rebuild the settings


@dataclass(frozen=True, slots=True)
class KafkaSettings:
    bootstrap: str = "127.0.0.1:9092"
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = "PLAIN"
    sasl_username: str | None = None
    sasl_password: Secret | None = None
    ssl_cafile: str | None = None
    # Short session timeouts make a restarted worker rejoin in seconds instead of ~2 minutes
    # (docs/architecture.md has the measurements); production may raise them.
    session_timeout_s: float = 10.0
    heartbeat_interval_s: float = 3.0
    replication_factor: int = 1
    # The worker's own probe of the cluster (a metadata request): /readyz and
    # wirestream_broker_connected say within about probe_interval_s + probe_timeout_s that the
    # cluster is gone (streams/worker/health.py).
    probe_interval_s: float = 2.0
    probe_timeout_s: float = 5.0


@dataclass(frozen=True, slots=True)
class TopicSettings:
    raw: str = "wire.raw"
    enriched: str = "wire.enriched"
    deadletter: str = "wire.deadletter"
    # The internal topic between the two stages (prepare on the raw partitions, then decide on
    # this topic's single partition: docs/architecture.md). None: "<worker.app_id>-prepared", so
    # that deployments on one cluster never share it, as faust names its changelog topics.
    prepared: str | None = None
    raw_partitions: int = 4
    enriched_partitions: int = 4
    deadletter_partitions: int = 1
    # One record per story, keyed by story id, compacted (docs/architecture.md, "Stories").
    stories: str = "wire.stories"
    stories_partitions: int = 4


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    app_id: str = "wirestream"
    data_dir: str = ".local/worker"
    max_item_bytes: int = 1024 * 1024
    publish_duplicates: bool = False
    on_internal_error: Literal["deadletter", "crash"] = "deadletter"
    # full: every stage with its models (NER, embeddings); fast: the costliest optional parts off.
    profile: Literal["full", "fast"] = "full"
    # exactly_once: outputs, table changes and input offsets commit in one Kafka transaction (with
    # streams/worker/patches/transactions.py; costs up to ~16 % throughput, docs/architecture.md).
    # at_least_once may publish a crash's replayed window again.
    processing_guarantee: Literal["exactly_once", "at_least_once"] = "exactly_once"
    # Under exactly_once output is visible at each commit, twice on an item's way (two stages):
    # this interval sets latency (docs/architecture.md, "Delivery").
    commit_interval_s: float = 0.25
    # ... and as soon as the worker has been idle this long (exactly_once only; 0: off): at low
    # load an item is then visible within tens of milliseconds (streams/worker/commit_when_idle.py).
    commit_when_idle_s: float = 0.005
    # ... and, when the worker is busy but between two events, once an output has waited this long
    # (exactly_once only; 0: off): tens of milliseconds at medium load
    # (docs/history/benchmarks-2026-11.md).
    commit_when_waited_s: float = 0.05
    # How long the producer waits to fill a batch: sends from one item's handling go out
    # together, and fewer, larger requests cost less CPU (measured: fast 268 -> 312 items/s).
    producer_linger_s: float = 0.005
    # Commit after this many messages too: bounds what a crash replays (and republishes).
    commit_every: int = 200
    shutdown_timeout_s: float = 20.0
    lag_poll_interval_s: float = 5.0
    # Workers that tail the dedupe table's changelog besides its owner (faust's
    # table_standby_replicas); with the in-memory store a takeover still replays the changelog
    # (docs/architecture.md, "Failure behaviour").
    standby_replicas: int = 1
    # Processes that run the prepare stage (normalize, langid, entities, fingerprint) off the
    # event loop, each loading its own models (streams/worker/pool.py). 0: inline, in the
    # worker's own process, one core. On a host with spare cores, cores - 1 per worker.
    prepare_processes: int = 0
    # split: prepare on the raw partitions (any worker), decide on the one-partition prepared
    # topic. single: one agent does both on a raw topic of one partition (topics.raw_partitions
    # = 1): a produce, a consume and a transaction fewer per item, about half the latency under
    # load, but one process (and its prepare pool) works the feed (docs/architecture.md).
    topology: Literal["split", "single"] = "split"
    # An item whose processing overruns this is dead-lettered as processing_timeout and the
    # worker goes on: a backstop for what the caps of bounded work (entities.max_chars, ...)
    # did not foresee (docs/architecture.md, "Bounded work per item").
    item_deadline_s: float = 5.0
    # Items of at least this many bytes run the core in a thread, off the event loop, so that a
    # long item never holds up heartbeats, commits or /metrics; smaller ones run inline, where
    # the hop to a thread (about 0.1 ms) would cost more than they hold the loop for.
    offload_min_bytes: int = 16_384


@dataclass(frozen=True, slots=True)
class DedupeSettings:
    window_s: float = 7 * 24 * 3600.0
    max_items: int = 100_000  # remembered items; the oldest are evicted first (about 1.5 KB each)
    # The fingerprint reads at most this many characters of a body: bounded work per item
    # (docs/architecture.md, "Bounded work per item"); the exact-duplicate hash reads it all.
    max_chars: int = 100_000
    # auto: the ONNX embedder when `make embed` has built its graph, else the reference (numpy)
    # with a warning; onnx: the ONNX one or an error; reference: always numpy (docs/dedupe.md).
    embedder: Literal["auto", "onnx", "reference"] = "auto"


@dataclass(frozen=True, slots=True)
class CoreSettings:
    # The core's hot loops in the native extension (native/), or the Python reference: auto (the
    # extension when installed, else the reference with a warning), native (the extension or an
    # error), reference (always Python, for debugging). The outputs are the same either way.
    native: Literal["auto", "native", "reference"] = "auto"


@dataclass(frozen=True, slots=True)
class LangidSettings:
    expected: tuple[str, ...] = ()
    min_confidence: float = 0.5


@dataclass(frozen=True, slots=True)
class EntitySettings:
    kb_path: str | None = None  # None: the KB built into the package by `make kb`
    watchlist_path: str | None = None  # a deployment's own entities, same format as the KB file
    # Several named lists, "name=path" each (e.g. "portfolio=/srv/portfolio.jsonl"); an entity
    # lists the names of those it is on. watchlist_path is the list named "watchlist".
    watchlists: tuple[str, ...] = ()
    watchlist_poll_s: float = 10.0  # how often the worker checks the watchlists for changes
    # The project's statistical NER models (streams/ner) propose names the KB does not hold, for
    # the languages they exist for; `full` profile only (the `fast` profile never loads them).
    ner: bool = True
    # The languages whose model may run (the others fall back to the KB and the rules). Several
    # models learned from data licensed for research or non-commercial use only (their model
    # cards, docs/models/ner-<lang>.md, say which): a deployment that may not use one leaves its
    # language out. Default: every shipped model (streams.ner.SHIPPED).
    ner_languages: tuple[str, ...] = (
        "en", "ar", "de", "es", "nl", "fr", "ru", "pt", "it", "zh", "tr",
    )  # fmt: skip
    # Bounded work per item: the KB, the models and the rules read at most max_chars characters
    # of a text, and keep at most max_mentions mentions (the first); the event's `limits` says
    # when either cut (docs/architecture.md, "Bounded work per item").
    max_chars: int = 50_000
    max_mentions: int = 2_000

    def __post_init__(self) -> None:
        self.watchlist_files()  # a malformed list fails at start, not at the first reload

    def watchlist_files(self) -> dict[str, Path]:
        """Every watchlist by name: ``watchlists`` and, named ``watchlist``, ``watchlist_path``."""
        files = {WATCHLIST_NAME: Path(self.watchlist_path)} if self.watchlist_path else {}
        for entry in self.watchlists:
            name, _, path = entry.partition("=")
            name, path = name.strip(), path.strip()
            if not _LIST_NAME.fullmatch(name) or not path:
                raise ConfigError(
                    f"entities.watchlists: {entry!r} is not name=path (a name of lower-case "
                    "letters, digits, '-' and '_', at most 40)"
                )
            if name in files:
                raise ConfigError(f"entities.watchlists: the list {name!r} is named twice")
            files[name] = Path(path)
        return files


WATCHLIST_NAME = "watchlist"  # the list that entities.watchlist_path names
_LIST_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")


@dataclass(frozen=True, slots=True)
class StorySettings:
    # A story leaves the state, and a tombstone is written for its key on topics.stories, when
    # its last item is older than window_s or more than max_stories are held (the least recently
    # updated first). At or above the dedupe bounds no later item can open a closed story again
    # (docs/architecture.md, "Stories").
    window_s: float = 7 * 24 * 3600.0
    max_stories: int = 100_000

    def __post_init__(self) -> None:
        if self.max_stories < 1:
            raise ConfigError(f"stories.max_stories must be at least 1, not {self.max_stories}")


@dataclass(frozen=True, slots=True)
class WebSettings:
    bind: str = "127.0.0.1"
    port: int = 6066


@dataclass(frozen=True, slots=True)
class LogSettings:
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["auto", "json", "console"] = "auto"


@dataclass(frozen=True, slots=True)
class Settings:
    kafka: KafkaSettings = field(default_factory=KafkaSettings)
    topics: TopicSettings = field(default_factory=TopicSettings)
    worker: WorkerSettings = field(default_factory=WorkerSettings)
    dedupe: DedupeSettings = field(default_factory=DedupeSettings)
    core: CoreSettings = field(default_factory=CoreSettings)
    langid: LangidSettings = field(default_factory=LangidSettings)
    entities: EntitySettings = field(default_factory=EntitySettings)
    stories: StorySettings = field(default_factory=StorySettings)
    web: WebSettings = field(default_factory=WebSettings)
    log: LogSettings = field(default_factory=LogSettings)

    def __post_init__(self) -> None:
        # The single topology co-partitions the dedupe table with the raw topic: with more raw
        # partitions, workers would each decide against part of the state (docs/architecture.md).
        if self.worker.topology == "single" and self.topics.raw_partitions != 1:
            raise ConfigError(
                f'worker.topology = "single" needs a raw topic of one partition, not '
                f"{self.topics.raw_partitions}: set topics.raw_partitions = 1, or use "
                'topology = "split"'
            )


def load_settings(
    environ: Mapping[str, str], config_path: Path | None = None, **overrides: Any
) -> Settings:
    """Build the settings from the config file and ``environ`` (pass ``os.environ``).

    ``overrides`` are section dicts (``worker={"app_id": "x"}``) applied last, for the CLI.
    """
    path = config_path or Path(environ.get(f"{ENV_PREFIX}CONFIG", DEFAULT_CONFIG))
    sections: dict[str, dict[str, Any]] = {}
    if path.exists():
        try:
            sections = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: {exc}") from None
    elif config_path is not None:
        raise ConfigError(f"config file not found: {path}")
    built: dict[str, Any] = {}
    for section in dataclasses.fields(Settings):
        cls = typing.get_type_hints(Settings)[section.name]
        values = dict(sections.get(section.name, {}))
        for fld in dataclasses.fields(cls):
            env_key = f"{ENV_PREFIX}{section.name}_{fld.name}".upper()
            if env_key in environ:
                values[fld.name] = environ[env_key]
        values.update(overrides.get(section.name, {}))
        built[section.name] = _build_section(cls, values, source=str(path))
    return Settings(**built)


def _build_section(cls: type[Any], values: dict[str, Any], source: str) -> Any:
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = set(values) - known
    if unknown:
        raise ConfigError(f"{source}: unknown setting(s) {sorted(unknown)} for {cls.__name__}")
    kwargs = {name: _coerce(hints[name], value, name) for name, value in values.items()}
    return cls(**kwargs)


def _coerce(hint: Any, value: Any, name: str) -> Any:  # noqa: PLR0911 - one branch per type
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        if value is None or value == "":
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _coerce(inner, value, name)
    if origin is Literal:
        if value not in args:
            raise ConfigError(f"{name}: {value!r} is not one of {list(args)}")
        return value
    if origin is tuple:
        items = value.split(",") if isinstance(value, str) else list(value)
        return tuple(str(i).strip() for i in items if str(i).strip())
    if hint is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(f"{name}: {value!r} is not a boolean")
    if hint in (int, float):
        try:
            return hint(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{name}: {value!r} is not a number") from None
    if hint is Secret:
        return value if isinstance(value, Secret) else Secret(str(value))
    return str(value)


def prepared_topic(settings: Settings) -> str:
    """The internal topic between the prepare and decide stages (``topics.prepared``)."""
    return settings.topics.prepared or f"{settings.worker.app_id}-prepared"


def redacted(settings: Settings) -> dict[str, Any]:
    """The settings as a dict fit for logs: secrets masked."""
    out = dataclasses.asdict(settings)
    kafka = out["kafka"]
    if kafka.get("sasl_password") is not None:
        kafka["sasl_password"] = Secret.MASK
    return out
