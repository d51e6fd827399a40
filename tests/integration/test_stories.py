"""The stories topic on the real broker: one story through two workers, its versions and what
changed each time; a SIGKILL midway that loses no story update and publishes none twice
(read_committed); a tombstone for a story that leaves the state; and compaction down to the
latest version of each story."""

from __future__ import annotations

import os
import random
import subprocess
import time
from collections import defaultdict
from typing import Any

import orjson

from harness.stories import WORDS
from harness.topics import (
    Record,
    create_topic,
    read_all,
    send,
    set_topic_configs,
    topic_configs,
)
from harness.worker import WIRESTREAM
from tests.conftest import ROOT, SAMPLE_FEED
from tests.integration.conftest import Deployment, worker_env

OUTCOMES = ("enriched", "duplicate", "deadletter")


def values(records: list[Record]) -> list[dict[str, Any]]:
    return [orjson.loads(r.value) for r in records if r.value]


def cli(deployment: Deployment, *args: str) -> str:
    env = worker_env(deployment.kafka.bootstrap, deployment.prefix, deployment.base, 0)
    done = subprocess.run(
        [str(WIRESTREAM), *args],
        env={**os.environ, **env, **deployment.extra},
        cwd=ROOT,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout.decode()


# --- one story, three languages, two sources, a correction --------------------------------------

SAMPLE = [line for line in SAMPLE_FEED.read_bytes().splitlines() if line.strip()]
ORIGINAL = orjson.loads(SAMPLE[0])  # ws-0001, English, Harbour Wire
FRENCH = {
    "id": "qp-441",
    "source": "Quay Post",
    "language": "fr",
    "headline": "Les dockers de Rotterdam entament une grève de 48 heures contre l'automatisation",
    "body": "Les dockers du port de Rotterdam ont cessé le travail vendredi matin, entamant une "
    "grève de 48 heures contre des projets d'automatisation de deux terminaux à conteneurs.\n"
    "Selon le syndicat, environ 3 000 travailleurs participent au mouvement et des navires à "
    "destination des Pays-Bas sont déjà déroutés vers Anvers et Hambourg.\n"
    "Les responsables du port s'attendent à des retards allant jusqu'à quatre jours pour le "
    "trafic de conteneurs.",
}
# (raw item, the story's version after it, its changes)
ONE_STORY = [
    (SAMPLE[0], 1, ["new_story"]),
    # The same article re-sent by another wire: an exact duplicate, from a new source.
    (orjson.dumps({**ORIGINAL, "id": "qp-440", "source": "Quay Post"}), 2, ["new_source"]),
    (SAMPLE[3], 3, ["new_language"]),  # ws-0001-de, Harbour Wire's German translation
    (orjson.dumps(FRENCH), 4, ["new_language"]),  # Quay Post, known since version 2
    (SAMPLE[2], 5, ["correction"]),  # ws-0001 again: UPDATE 1, 3,500 workers, talks in The Hague
]


def test_one_story_in_three_languages_from_two_sources_with_a_correction(
    deployment: Deployment,
) -> None:
    # The full profile: translations need the sentence embeddings. Two workers: each prepares
    # some raw partitions, and the one that owns the prepared topic's partition decides.
    deployment.create_topics()
    assert (
        topic_configs(deployment.kafka.bootstrap, deployment.topic("stories"))["cleanup.policy"]
        == "compact"
    )
    first = deployment.worker().start(ready_timeout=120)
    second = deployment.worker().start(ready_timeout=120)
    first.wait_ready(60)
    bootstrap, stories = deployment.kafka.bootstrap, deployment.topic("stories")
    story_id = ""
    # One item at a time, each on another raw partition, so that both workers prepare some and
    # the order of the versions is the order sent.
    for n, (item, version, changes) in enumerate(ONE_STORY):
        send(bootstrap, deployment.topic("raw"), [item], partitions=[n % 4])
        records = read_all(
            bootstrap,
            stories,
            until=lambda rs, v=version: any(r["version"] == v for r in values(rs)),
            timeout=60,
            settle=0.1,
        )
        latest = values(records)[-1]
        assert (latest["version"], latest["changes"]) == (version, changes), latest
        story_id = latest["story_id"]
    records = read_all(bootstrap, stories, until=lambda rs: len(rs) >= 5, settle=1.0)
    assert {r.key for r in records} == {story_id.encode()}
    assert [(r["version"], r["last_change"]) for r in values(records)] == [
        (1, "new_story"),
        (2, "new_source"),
        (3, "new_language"),
        (4, "new_language"),
        (5, "correction"),
    ]
    final = values(records)[-1]
    assert final["items"] == 5
    assert final["languages"] == {"en": 2, "de": 1, "fr": 1}
    assert final["sources"] == {"Harbour Wire": 3, "Quay Post": 2}
    assert final["statuses"] == {
        "unique": 1,
        "duplicate": 1,
        "near_duplicate": 1,
        "translation": 2,
        "same_story": 0,
    }
    assert final["headline"] == ORIGINAL["headline"]
    assert final["headlines"]["en"].startswith("UPDATE 1-")
    assert final["entities"][0]["name"] == "Rotterdam"
    # The events carry the same story id as their key.
    events = read_all(bootstrap, deployment.topic("enriched"), until=lambda rs: len(rs) >= 4)
    assert {r.key for r in events} == {story_id.encode()}
    # Both workers prepared items; one decided them all, and wrote every story update.
    workers = (first, second)
    raw = deployment.topic("raw")
    assert all(w.metric("wirestream_items_in_total", topic=raw) >= 1 for w in workers)
    updates = [sum(v for _l, v in w.samples("wirestream_story_updates_total")) for w in workers]
    assert sorted(updates) == [0, 5]
    # The command line shows the same history.
    history = [
        orjson.loads(line) for line in cli(deployment, "stories", story_id, "--json").splitlines()
    ]
    assert [h["version"] for h in history] == [1, 2, 3, 4, 5]
    tail = cli(deployment, "tail", "--stories", "--from-beginning", "--max", "5")
    assert [line.split()[2] for line in tail.splitlines()] == ["v1", "v2", "v3", "v4", "v5"]
    for worker in workers:
        assert worker.stop() == 0, worker.tail_log()


# --- SIGKILL midway, a tombstone, compaction ------------------------------------------------------

STORIES = 300
# Small segments, so that compaction can be forced; no compaction until the history is checked.
SEGMENTS = {"cleanup.policy": "compact", "segment.ms": "1000"}
HOLD = {**SEGMENTS, "min.compaction.lag.ms": "3600000"}
CLEAN = {**SEGMENTS, "min.compaction.lag.ms": "0", "min.cleanable.dirty.ratio": "0.01"}
EXPECTED = [(1, "new_story"), (2, "new_source"), (3, "correction")]


def body(n: int) -> str:
    """A distinct little story per n (a seeded walk over the word list: no two share the word
    sequences the near-duplicate detector compares)."""
    rng = random.Random(n)
    return f"Officials discussed item {n}: {' '.join(rng.choice(WORDS) for _ in range(24))}."


def story_stream() -> tuple[list[bytes], list[bytes]]:
    """Per story: the article, its exact re-send by another wire, then a correction under the
    article's id; a story's items share a key (one raw partition, decided in order), and the
    stories overlap in time."""
    items: list[tuple[bytes, bytes]] = []
    for n in range(STORIES + 2):
        if n < STORIES:
            article = {"id": f"s-{n:04d}", "source": "Harbour Wire", "body": body(n)}
            items.append((f"s-{n:04d}".encode(), orjson.dumps(article)))
        if 0 <= n - 1 < STORIES:
            m = n - 1
            resend = {"id": f"q-{m:04d}", "source": "Quay Post", "body": body(m)}
            items.append((f"s-{m:04d}".encode(), orjson.dumps(resend)))
        if 0 <= n - 2 < STORIES:
            m = n - 2
            fixed = f"{body(m)} The ministry later corrected its figures."
            correction = {"id": f"s-{m:04d}", "source": "Harbour Wire", "body": fixed}
            items.append((f"s-{m:04d}".encode(), orjson.dumps(correction)))
    return [key for key, _v in items], [value for _k, value in items]


def test_sigkill_midway_loses_no_story_update_and_compaction_keeps_the_latest(
    deployment: Deployment,
) -> None:
    deployment.extra.update(
        WIRESTREAM_WORKER_PROFILE="fast",  # exact and near duplicates need no embeddings
        WIRESTREAM_STORIES_MAX_STORIES=str(STORIES),  # one story more closes the oldest
        WIRESTREAM_TOPICS_STORIES_PARTITIONS="1",  # one log: one segment roll compacts it all
    )
    bootstrap, stories = deployment.kafka.bootstrap, deployment.topic("stories")
    create_topic(bootstrap, stories, 1, HOLD)
    deployment.create_topics()
    keys, items = story_stream()
    send(bootstrap, deployment.topic("raw"), items, keys)

    first = deployment.worker().start()
    first.wait_metric("wirestream_story_updates_total", 40, timeout=120, change="new_story")
    updates_before_kill = sum(v for _l, v in first.samples("wirestream_story_updates_total"))
    first.kill()
    assert updates_before_kill < len(items), "the stream finished before the kill"

    second = deployment.worker().start()
    records = read_all(
        bootstrap, stories, until=lambda rs: len(rs) >= len(items), timeout=180, settle=2.0
    )
    second_updates = sum(v for _l, v in second.samples("wirestream_story_updates_total"))
    history: dict[bytes, list[tuple[int, str]]] = defaultdict(list)
    for record in records:
        value = orjson.loads(record.value)
        history[record.key or b""].append((value["version"], value["last_change"]))
    # Every story, every version once, in order: nothing lost, nothing published twice.
    assert len(history) == STORIES
    wrong = {k: v for k, v in history.items() if v != EXPECTED}
    assert not wrong, f"{len(wrong)} stories wrong, e.g. {list(wrong.items())[:3]}"
    assert len(records) == len(items)
    print(
        f"\nstories SIGKILL test: {updates_before_kill:.0f} story updates before the kill, "
        f"{second_updates:.0f} after the restart, {len(items)} published once each"
    )

    # One story more than stories.max_stories: the least recently updated one is closed.
    set_topic_configs(bootstrap, stories, CLEAN)
    time.sleep(1.5)  # past segment.ms: the next record starts a new segment
    extra = {"id": "sentinel", "source": "Harbour Wire", "body": body(10_000)}
    send(bootstrap, deployment.topic("raw"), [orjson.dumps(extra)])
    after = read_all(
        bootstrap, stories, until=lambda rs: len(rs) >= len(items) + 2, timeout=60, settle=1.0
    )
    tail = after[len(items) :]
    assert [r.value[:1] for r in tail] == [b"{", b""]  # the sentinel's record, then a tombstone
    closed_key = tail[1].key
    assert tail[1].headers == {"story-closed": b"count"}
    assert closed_key in history
    assert second.metric("wirestream_stories_closed_total", reason="count") == 1

    # The log cleaner keeps the latest record per key: each story's version 3, the tombstone
    # (and before it the closed story's version 3: the tombstone sits in the active segment),
    # and the sentinel's version 1.
    deadline = time.monotonic() + 90
    compacted: list[Record] = []
    while time.monotonic() < deadline:
        compacted = read_all(bootstrap, stories, timeout=3, settle=0)
        if len(compacted) == STORIES + 2:
            break
        time.sleep(2)
    assert len(compacted) == STORIES + 2, f"{len(compacted)} records after compaction"
    latest = [orjson.loads(r.value) for r in compacted if r.value and r.key != tail[0].key]
    assert sorted(v["version"] for v in latest) == [3] * STORIES
    shown = cli(deployment, "stories", closed_key.decode() if closed_key else "")
    assert "(versions 1-2 removed by compaction)" in shown
    assert "closed (count)" in shown
    assert second.stop() == 0, second.tail_log()
