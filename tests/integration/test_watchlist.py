"""A deployment's watchlist on a running worker: loaded at start, reloaded on change and on
SIGHUP, with failed reloads counted for the alert."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import orjson

from harness.topics import read_all, send
from tests.integration.conftest import Deployment

FIRST = {
    "id": None,
    "type": "ORG",
    "name": "Nordhavn Shipping Group",
    "names": {"en": ["Nordhavn Shipping Group", "Nordhavn Shipping"]},
}
SECOND = {
    "id": None,
    "type": "PERSON",
    "name": "Ilse Marquardt-Ostby",
    "names": {"en": ["Ilse Marquardt-Ostby"], "de": ["Ilse Marquardt-Østby"]},
}


def write(path: Path, *lines: object) -> None:
    path.write_text(
        "".join(
            (line if isinstance(line, str) else orjson.dumps(line).decode()) + "\n"
            for line in lines
        )
    )


def entity_names(deployment: Deployment, item_id: str) -> dict[str, str]:
    return {e["name"]: e["type"] for e in entities(deployment, item_id)}


def entities(deployment: Deployment, item_id: str) -> list[dict[str, object]]:
    records = read_all(
        deployment.kafka.bootstrap,
        deployment.topic("enriched"),
        until=lambda rs: any(orjson.loads(r.value)["id"] == item_id for r in rs),
        settle=0.2,
    )
    event = next(orjson.loads(r.value) for r in records if orjson.loads(r.value)["id"] == item_id)
    found: list[dict[str, object]] = event["entities"]
    return found


def test_watchlist_loads_and_reloads(deployment: Deployment, tmp_path: Path) -> None:
    watchlist = tmp_path / "watchlist.jsonl"
    write(watchlist, "# our own companies and people", FIRST)
    # A second, named list: an entity on both lists names both.
    write(tmp_path / "shipping.jsonl", FIRST)
    deployment.extra.update(
        WIRESTREAM_ENTITIES_WATCHLIST_PATH=str(watchlist),
        WIRESTREAM_ENTITIES_WATCHLISTS=f"shipping={tmp_path / 'shipping.jsonl'}",
        WIRESTREAM_ENTITIES_WATCHLIST_POLL_S="0.5",
    )
    deployment.create_topics()
    worker = deployment.worker().start()
    assert (
        worker.metric("wirestream_knowledge_base_reloads_total", kb="watchlist", result="success")
        == 1
    )

    raw = deployment.topic("raw")
    send(
        deployment.kafka.bootstrap,
        raw,
        [
            orjson.dumps(
                {
                    "id": "w1",
                    "body": "Nordhavn Shipping said its tankers would avoid the strait.",
                }
            )
        ],
    )
    found = {str(e["name"]): e for e in entities(deployment, "w1")}
    assert found["Nordhavn Shipping Group"]["type"] == "ORG"
    assert found["Nordhavn Shipping Group"]["watchlists"] == ["shipping", "watchlist"]

    # A bad line, then SIGHUP: the reload fails loudly and the good entries stay in place.
    write(watchlist, FIRST, '{"type": "PER", "name": "Nobody"}')
    assert worker.proc is not None
    worker.proc.send_signal(signal.SIGHUP)
    worker.wait_metric(
        "wirestream_knowledge_base_reloads_total", 1, timeout=30, kb="watchlist", result="failure"
    )
    assert "watchlist.jsonl:2:" in worker.tail_log(200)

    # A good new version is picked up by the change poll, without a signal.
    time.sleep(0.05)  # a distinct mtime for the poll's change check on coarse filesystems
    write(watchlist, FIRST, SECOND)
    worker.wait_metric(
        "wirestream_knowledge_base_reloads_total", 2, timeout=30, kb="watchlist", result="success"
    )
    send(
        deployment.kafka.bootstrap,
        raw,
        [
            orjson.dumps(
                {"id": "w2", "body": "Ilse Marquardt-Ostby will lead the Nordhavn Shipping board."}
            )
        ],
    )
    names = entity_names(deployment, "w2")
    assert names.get("Ilse Marquardt-Ostby") == "PERSON"
    assert names.get("Nordhavn Shipping Group") == "ORG"
    assert worker.stop() == 0
