"""The worker's memory with every NER model: RSS once loaded, and at peak after real documents.

A fresh process builds the pipeline as the worker does (``Pipeline.from_settings``: KB, language
ID, sentence encoder, the models of ``entities.ner_languages``), reports its RSS, enriches the
first ten 20-sentence documents of every ``../shared/train/ner/<lang>/dev.conll`` (read at run
time, never copied; documents as ``bench.entity_docs`` builds them), and reports its RSS and peak
(VmHWM). Run twice: with English and Arabic only, and with every shipped model, so the second
minus the first is what the other languages' models cost.

Usage: ``python -m bench.ner_memory [--out .bench/ner_memory.json]`` (``make bench-ner-memory``);
``--worker`` measures a real worker on a real broker instead (``bench.worker_memory``, ``make
bench-worker-memory``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from bench.ner import run_probe

OUT = Path(__file__).resolve().parents[1] / ".bench" / "ner_memory.json"
DOCS_PER_LANGUAGE = 10

_PROBE = """
import json, sys, time
from bench.entity_docs import SHARED, documents
from streams.core.pipeline import Pipeline
from streams.models import RawItem
from streams.settings import EntitySettings, Settings

def status(key):
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith(key)) / 1024

languages = tuple(sys.argv[1].split(","))
pipe = Pipeline.from_settings(Settings(entities=EntitySettings(ner_languages=languages)), {})
loaded = status("VmRSS:")
for path in sorted((SHARED / "train" / "ner").glob("??/dev.conll")):
    for doc in documents(path, path.parent.name)[: int(sys.argv[2])]:
        pipe.enrich(RawItem(body=doc.text), received_at=time.time())
print(json.dumps({"models": languages, "rss_loaded_mb": round(loaded),
                  "rss_after_mb": round(status("VmRSS:")), "peak_mb": round(status("VmHWM:"))}))
"""


def measure(models: tuple[str, ...], docs: int = DOCS_PER_LANGUAGE) -> dict[str, Any]:
    return run_probe(_PROBE, ",".join(models), str(docs))


def main(argv: list[str] | None = None) -> int:
    from bench import worker_memory
    from streams.ner import SHIPPED

    parser = argparse.ArgumentParser(prog="python -m bench.ner_memory", description=__doc__)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--worker", action="store_true", help="a real worker on a real broker (bench.worker_memory)"
    )
    args = parser.parse_args(argv)
    report: Any
    if args.worker:
        report = worker_memory.measure()
        lines = [worker_memory.describe(report)]
        out = args.out or worker_memory.OUT
    else:
        report = [measure(models) for models in (("en", "ar"), tuple(SHIPPED))]
        lines = [
            f"  {len(row['models']):2} models: {row['rss_loaded_mb']} MB loaded, "
            f"{row['rss_after_mb']} MB after the documents, peak {row['peak_mb']} MB"
            for row in report
        ]
        out = args.out or OUT
    print("\n".join(lines))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
