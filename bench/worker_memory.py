"""Peak RSS of a real worker with every NER model loaded, on a real broker.

This starts a broker (``harness.services.start_kafka``) and the ``full`` worker of ``make
bench-e2e`` (``bench.e2e_worker``, the shipped settings: it loads every model of
``entities.ner_languages`` at start, and ``wirestream_model_loaded`` says which did), sends the
first ten 20-sentence documents of every ``../shared/train/ner/<lang>/dev.conll`` and of
``../shared/eval/ner_{en,ar}.conll`` (read at run time, never copied; built as
``bench.entity_docs`` builds them), waits until each item is accounted for
(``wirestream_items_out_total``), and reads the worker's peak RSS (VmHWM, a prepare pool's
included) from ``/proc``. The issue's budget is 800 MB with all eleven models.

Usage: ``python -m bench.ner_memory --worker`` (``make bench-worker-memory``), which writes
``.bench/worker_memory.json``.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from bench.e2e_service import SYSTEMS, Service, metric, system_env
from bench.entity_docs import eval_sets
from bench.ner_memory import DOCS_PER_LANGUAGE
from harness.services import free_port, start_kafka
from harness.topics import send
from streams.kafka import ensure_topics
from streams.settings import load_settings

OUT = Path(__file__).resolve().parents[1] / ".bench" / "worker_memory.json"
DRAIN_TIMEOUT_S = 600.0


def feed(docs_per_language: int = DOCS_PER_LANGUAGE) -> list[bytes]:
    """Raw items: the first documents of each language's evaluation set, language not hinted."""
    from bench.entity_docs import documents

    items = []
    for name, (lang, path) in sorted(eval_sets().items()):
        for i, doc in enumerate(documents(path, lang)[:docs_per_language]):
            items.append(orjson.dumps({"id": f"mem-{name}-{i}", "body": doc.text}))
    return items


def measure(docs_per_language: int = DOCS_PER_LANGUAGE) -> dict[str, Any]:
    items = feed(docs_per_language)
    workdir = Path(tempfile.mkdtemp(prefix="ws-memory-"))
    broker = start_kafka(workdir / "kafka", port=free_port())
    try:
        port = free_port()
        env = system_env(broker.bootstrap, "mem", workdir / "data", port, workdir / "lag.txt")
        asyncio.run(ensure_topics(load_settings(env)))
        service = Service(SYSTEMS["full"], env, workdir, port)
        service.start()
        try:
            _, ready_peak = service.rss_mb()
            loaded = sorted(
                dict(labels)["language"]
                for (name, labels), value in service.metrics().items()
                if name == "wirestream_model_loaded"
                and dict(labels).get("model") == "ner"
                and value
            )
            send(broker.bootstrap, env["WIRESTREAM_TOPICS_RAW"], items)
            done = _wait_accounted(service, len(items))
            current, peak = service.rss_mb()
        finally:
            service.stop()
    finally:
        broker.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return {
        "items": len(items),
        "accounted": done,
        "languages": sorted({lang for lang, _ in eval_sets().values()}),
        "ner_models_loaded": loaded,
        "rss_ready_mb": round(ready_peak),
        "rss_after_mb": round(current),
        "peak_mb": round(peak),
    }


def _wait_accounted(service: Service, expected: int) -> int:
    deadline = time.monotonic() + DRAIN_TIMEOUT_S
    done = 0
    while time.monotonic() < deadline:
        samples = service.metrics()
        done = int(
            sum(
                metric(samples, "wirestream_items_out_total", outcome=o)
                for o in ("enriched", "duplicate", "deadletter")
            )
        )
        if done >= expected:
            return done
        time.sleep(1.0)
    raise RuntimeError(f"only {done} of {expected} items accounted for after {DRAIN_TIMEOUT_S} s")


def describe(report: dict[str, Any]) -> str:
    return (
        f"  worker, {len(report['ner_models_loaded'])} NER models loaded, "
        f"{report['items']} items in {len(report['languages'])} languages: "
        f"{report['rss_ready_mb']} MB ready, {report['rss_after_mb']} MB after, "
        f"peak {report['peak_mb']} MB"
    )
