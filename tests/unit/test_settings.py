from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest

from streams.errors import ConfigError
from streams.settings import Secret, Settings, load_settings, redacted


def test_defaults_match_the_shipped_config_file() -> None:
    assert load_settings({}) == Settings()


@pytest.mark.parametrize(
    ("env", "section", "field", "expected"),
    [
        (
            {"WIRESTREAM_KAFKA_BOOTSTRAP": "b1:9092,b2:9092"},
            "kafka",
            "bootstrap",
            "b1:9092,b2:9092",
        ),
        ({"WIRESTREAM_TOPICS_RAW_PARTITIONS": "8"}, "topics", "raw_partitions", 8),
        ({"WIRESTREAM_WORKER_PUBLISH_DUPLICATES": "yes"}, "worker", "publish_duplicates", True),
        ({"WIRESTREAM_LANGID_EXPECTED": "en, ar,ru"}, "langid", "expected", ("en", "ar", "ru")),
        ({"WIRESTREAM_LANGID_MIN_CONFIDENCE": "0.7"}, "langid", "min_confidence", 0.7),
        ({"WIRESTREAM_KAFKA_SASL_USERNAME": ""}, "kafka", "sasl_username", None),
        ({"WIRESTREAM_DEDUPE_EMBEDDER": "reference"}, "dedupe", "embedder", "reference"),
        ({"WIRESTREAM_CORE_NATIVE": "reference"}, "core", "native", "reference"),
    ],
)
def test_environment_overrides(
    env: dict[str, str], section: str, field: str, expected: object
) -> None:
    settings = load_settings(env)
    assert getattr(getattr(settings, section), field) == expected


@pytest.mark.parametrize(
    "env",
    [
        {"WIRESTREAM_TOPICS_RAW_PARTITIONS": "many"},
        {"WIRESTREAM_WORKER_PUBLISH_DUPLICATES": "perhaps"},
        {"WIRESTREAM_KAFKA_SECURITY_PROTOCOL": "CARRIER_PIGEON"},
        {"WIRESTREAM_WORKER_TOPOLOGY": "mesh"},
        {"WIRESTREAM_DEDUPE_EMBEDDER": "tensorflow"},
        {"WIRESTREAM_CORE_NATIVE": "fortran"},
    ],
)
def test_bad_values_are_config_errors(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        load_settings(env)


@pytest.mark.parametrize(("partitions", "accepted"), [("1", True), ("4", False), ("2", False)])
def test_the_single_topology_needs_a_one_partition_raw_topic(
    partitions: str, accepted: bool
) -> None:
    env = {"WIRESTREAM_WORKER_TOPOLOGY": "single", "WIRESTREAM_TOPICS_RAW_PARTITIONS": partitions}
    if accepted:
        assert load_settings(env).worker.topology == "single"
        return
    with pytest.raises(ConfigError, match=r"topics\.raw_partitions = 1"):
        load_settings(env)


def test_unknown_keys_in_the_file_are_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[worker]\nmax_itme_bytes = 5\n")
    with pytest.raises(ConfigError, match="max_itme_bytes"):
        load_settings({}, path)


def test_secrets_never_show() -> None:
    settings = load_settings({"WIRESTREAM_KAFKA_SASL_PASSWORD": "hunter2"})
    password = settings.kafka.sasl_password
    assert isinstance(password, Secret)
    assert password.reveal() == "hunter2"
    assert "hunter2" not in repr(settings)
    assert "hunter2" not in str(redacted(settings))


@pytest.mark.parametrize(
    "show",
    [
        str,
        repr,
        lambda s: f"{s}",
        lambda s: f"{s!r}",
        lambda s: f"{s:>20}",
        lambda s: "%s" % s,  # noqa: UP031 - the old formatting must not leak either
        "{}".format,
        lambda s: str([s]),
        lambda s: str({"password": s}),
        lambda s: str(load_settings({"WIRESTREAM_KAFKA_SASL_PASSWORD": s.reveal()})),
    ],
)
def test_a_secret_never_shows_itself(show: Any) -> None:
    secret = Secret("hunter2")
    shown = show(secret)
    assert "hunter2" not in shown
    assert "*****" in shown


def test_a_secret_survives_a_pickle_and_compares_by_value() -> None:
    secret = Secret("hunter2")
    assert pickle.loads(pickle.dumps(secret)) == secret
    assert secret != Secret("other")
    assert secret != "hunter2"  # never equal to the bare string: no accidental comparisons


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, {}),
        ({"WIRESTREAM_ENTITIES_WATCHLIST_PATH": "w.jsonl"}, {"watchlist": "w.jsonl"}),
        (
            {
                "WIRESTREAM_ENTITIES_WATCHLIST_PATH": "w.jsonl",
                "WIRESTREAM_ENTITIES_WATCHLISTS": "portfolio=/srv/p.jsonl, exec_team = e.jsonl",
            },
            {"watchlist": "w.jsonl", "portfolio": "/srv/p.jsonl", "exec_team": "e.jsonl"},
        ),
    ],
)
def test_named_watchlists(env: dict[str, str], expected: dict[str, str]) -> None:
    files = load_settings(env).entities.watchlist_files()
    assert {name: str(path) for name, path in files.items()} == expected


@pytest.mark.parametrize(
    ("lists", "error"),
    [
        ("portfolio", "not name=path"),
        ("Portfolio=p.jsonl", "not name=path"),
        ("=p.jsonl", "not name=path"),
        ("a=1.jsonl,a=2.jsonl", "named twice"),
        ("watchlist=x.jsonl", "named twice"),  # watchlist_path's list
    ],
)
def test_bad_watchlists_fail_at_start(lists: str, error: str) -> None:
    env = {"WIRESTREAM_ENTITIES_WATCHLISTS": lists, "WIRESTREAM_ENTITIES_WATCHLIST_PATH": "w.jsonl"}
    with pytest.raises(ConfigError, match=error):
        load_settings(env)


def test_story_settings() -> None:
    env = {"WIRESTREAM_TOPICS_STORIES": "news.stories", "WIRESTREAM_STORIES_WINDOW_S": "3600"}
    settings = load_settings(env)
    assert (settings.topics.stories, settings.stories.window_s) == ("news.stories", 3600.0)
    assert settings.stories.max_stories == 100_000
    with pytest.raises(ConfigError, match="max_stories must be at least 1"):
        load_settings({"WIRESTREAM_STORIES_MAX_STORIES": "0"})
