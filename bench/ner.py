"""NER models benchmark: span P/R/F1 per type, tokens/s and sentences/s, load time and RSS.

Data is READ at run time from ``../shared`` and never copied into the repository:
``eval/ner_en.conll`` (CoNLL-2003 English test, first 1,500 sentences) and ``eval/ner_ar.conll``
(ANERcorp dev split, 707 sentences); for the other languages ``train/ner/<lang>/dev.conll``, the
split their models were tuned on and did not learn from. Chinese tokens are characters: its
sentences are joined without spaces.

- quality: every sentence becomes a text (its tokens joined by single spaces) and goes through
  ``propose()`` as a user's text would, our tokenizer included; predicted character spans are
  compared with the gold spans on exact boundaries and type, PER/PERS -> PERSON, ORG, LOC
  (a KB's GPE counts as LOC); MISC is left out on both sides; micro-averaged. Two readings:
  ``strict`` needs the exact characters, ``token`` lets a span cover the corpus tokens it touches
  (the Arabic model leaves a proclitic out of a span, as in و|واشنطن, where ANERcorp tags the
  whole token). ``tokens-given`` tags the corpus's own tokens, which isolates the model from our
  tokenizer (the figure ``make train-ner`` prints).
- systems, side by side: ``model`` (ours alone); ``kb`` (the entities stage without a model,
  when ``streams.core.entities.extractor.EntityExtractor`` and a built KB are present) and
  ``combined`` (the entities stage with our model as its span proposer, when its ``load`` takes
  one). Every mention counts.
- speed: CPU time (``process_time``, which a shared machine disturbs far less than wall time)
  on one pinned core, median and best of ``--runs`` passes, after one warm-up pass (the word
  cache of a long-running worker is warm): sentence by sentence, and as ~5 KB documents of
  consecutive sentences (one line each), which is how the worker calls it.
- memory and load: each model is loaded in a fresh subprocess that reports load time and RSS
  above a bare interpreter with numpy imported, right after loading and after tagging the file.

Usage: ``python -m bench.ner [--langs en,ar] [--runs 3] [--out .bench/ner.json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from streams.ner import NerModel, NerProposer
from streams.ner.training.conll import (
    SCORED_TYPES,
    Sentence,
    char_to_token_spans,
    name_spans,
    read_conll,
    score_spans,
    sentence_text,
    tag_spans,
)

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT.parent / "shared" / "eval"
DEV = ROOT.parent / "shared" / "train" / "ner"
OUT = ROOT / ".bench" / "ner.json"
LANGS = ("en", "ar", "de", "es", "nl", "fr", "ru", "pt", "it", "zh", "tr")
DOC_CHARS = 5000
GOALS = {"en": 0.88, "ar": 0.80}
_KB_TYPES = {"PERSON": "PERSON", "ORG": "ORG", "LOC": "LOC", "GPE": "LOC"}

Span = tuple[int, int, str]
System = Callable[[str, str], Sequence[Span]]


# --- systems -------------------------------------------------------------------------------------


def systems(lang: str, model: NerModel) -> dict[str, System]:
    """Ours, and the entities stage with and without it when it is there to compare with."""
    out: dict[str, System] = {"model": model.propose}
    try:
        from streams.core.entities.extractor import EntityExtractor
    except ImportError:
        return out
    try:
        kb = EntityExtractor.load()
    except (OSError, ValueError) as exc:
        print(f"  ({lang}: no KB-only figures: {exc})")
        return out
    out["kb"] = _mentions_of(kb)
    # Hook for the entities stage's merge: its load() takes a SpanProposer.
    try:
        combined = EntityExtractor.load(proposer=NerProposer((lang,)))
    except TypeError:
        return out
    out["combined"] = _mentions_of(combined)
    return out


def _mentions_of(extractor: Any) -> System:
    def run(text: str, lang: str) -> list[Span]:
        found = extractor.mentions(text, lang) if hasattr(extractor, "mentions") else ()
        if not found:
            found = extractor.extract(text, lang)  # older API: first mentions only
        return [(m.start, m.end, _KB_TYPES[m.type]) for m in found if m.type in _KB_TYPES]

    return run


# --- quality -------------------------------------------------------------------------------------


def eval_path(lang: str) -> Path:
    """The shared evaluation file where there is one (en, ar), else the language's dev set."""
    path = EVAL / f"ner_{lang}.conll"
    return path if path.exists() else DEV / lang / "dev.conll"


def glue(lang: str) -> str:
    """What joins tokens into text: nothing for Chinese, a space elsewhere."""
    return "" if lang == "zh" else " "


def _text(lang: str, tokens: Sequence[str]) -> tuple[str, list[tuple[int, int]]]:
    if glue(lang):
        return sentence_text(tokens)
    offsets, pos = [], 0
    for tok in tokens:
        offsets.append((pos, pos + len(tok)))
        pos += len(tok)
    return "".join(tokens), offsets


def quality(lang: str, sents: list[Sentence], run: System) -> dict[str, Any]:
    gold = [name_spans(s.tokens, tag_spans(s.tags)) for s in sents]
    strict: list[list[Span]] = []
    token: list[list[Span]] = []
    for s in sents:
        text, offsets = _text(lang, s.tokens)
        spans = [sp for sp in run(text, lang) if sp[2] in SCORED_TYPES]
        strict.append(list(char_to_token_spans(spans, offsets, snap=False)))
        token.append(list(char_to_token_spans(spans, offsets, snap=True)))
    return {
        "strict": _table(score_spans(gold, strict)),
        "token": _table(score_spans(gold, token)),
    }


def tokens_given(model: NerModel, sents: list[Sentence]) -> dict[str, Any]:
    pred = model.tag_sentences([s.tokens for s in sents])
    scores = score_spans(
        [name_spans(s.tokens, tag_spans(s.tags)) for s in sents],
        [name_spans(s.tokens, tag_spans(p)) for s, p in zip(sents, pred, strict=True)],
    )
    return _table(scores)


def _table(scores: dict[str, Any]) -> dict[str, Any]:
    return {k: v.as_dict() for k, v in scores.items()}


# --- speed ---------------------------------------------------------------------------------------


def documents(sents: list[Sentence], sep: str = " ") -> list[str]:
    docs: list[str] = []
    lines: list[str] = []
    size = 0
    for s in sents:
        line = sep.join(s.tokens)
        lines.append(line)
        size += len(line) + 1
        if size >= DOC_CHARS:
            docs.append("\n".join(lines))
            lines, size = [], 0
    if lines:
        docs.append("\n".join(lines))
    return docs


def speed(lang: str, model: NerModel, sents: list[Sentence], runs: int) -> dict[str, Any]:
    texts = [glue(lang).join(s.tokens) for s in sents]
    docs = documents(sents, glue(lang))
    n_tokens = sum(len(s.tokens) for s in sents)
    out: dict[str, Any] = {"tokens": n_tokens, "sentences": len(sents), "docs": len(docs)}
    for label, batch in (("sentences", texts), ("documents", docs)):
        for text in batch:  # warm-up: fills the word cache as a running worker's would be
            model.propose(text, lang)
        seconds = []
        for _ in range(runs):
            t0 = time.process_time()
            for text in batch:
                model.propose(text, lang)
            seconds.append(max(time.process_time() - t0, 1e-9))
        med, best = statistics.median(seconds), min(seconds)
        out[label] = {
            "tokens_per_s": round(n_tokens / med),
            "best_tokens_per_s": round(n_tokens / best),
            "sentences_per_s": round(len(sents) / med),
            "ms_per_5kb_doc": round(1000 * med / len(docs) * DOC_CHARS / _mean_len(docs), 2),
        }
    return out


def _mean_len(docs: list[str]) -> float:
    return sum(len(d) for d in docs) / len(docs)


_PROBE = """
import json, sys, time
import numpy
def rss():
    return int(open("/proc/self/statm").read().split()[1]) * 4096 / 2**20
base = rss()
t0 = time.perf_counter()
from streams.ner import NerModel
from streams.ner.training.conll import read_conll
model = NerModel.load(sys.argv[1])
load = time.perf_counter() - t0
loaded = rss()
sents = read_conll(__import__("pathlib").Path(sys.argv[2]))
for s in sents:
    model.propose(("" if sys.argv[1] == "zh" else " ").join(s.tokens), sys.argv[1])
# VmHWM is this process's own peak; ru_maxrss would carry the parent's over exec.
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
print(json.dumps({"load_s": round(load, 2), "base_mb": round(base, 1),
                  "loaded_mb": round(loaded - base, 1), "after_eval_mb": round(rss() - base, 1),
                  "peak_mb": round(hwm / 1024, 1)}))
"""


def memory(lang: str) -> dict[str, Any]:
    return run_probe(_PROBE, lang, str(eval_path(lang)))


def run_probe(code: str, *args: str) -> dict[str, Any]:
    """Run ``code`` in a fresh interpreter (so that its memory is its own) with ``args``; its
    last line of output, a JSON object, is the result."""
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# --- main ----------------------------------------------------------------------------------------


def bench_language(lang: str, runs: int, *, model_only: bool = False) -> dict[str, Any]:
    path = eval_path(lang)
    if not path.exists():
        raise SystemExit(f"{path} is missing (../shared must sit beside the repo)")
    model = NerModel.load(lang)
    if model is None:
        raise SystemExit(f"no usable {lang} model: run `make train-ner LANG={lang}`")
    sents = read_conll(path)
    report: dict[str, Any] = {
        "eval_file": "shared/" + "/".join(path.parts[path.parts.index("shared") + 1 :]),
        "model_file_mb": round(Path(_model_file(lang)).stat().st_size / 1e6, 2),
        "quality": {
            name: quality(lang, sents, run)
            for name, run in systems(lang, model).items()
            if name == "model" or not model_only
        },
        "tokens_given": tokens_given(model, sents),
        "speed": speed(lang, model, sents, runs),
        "memory": memory(lang),
        "goal_f1": GOALS.get(lang),
    }
    return report


def _model_file(lang: str) -> Path:
    from streams.ner.model import model_path

    return model_path(lang)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ner", description=__doc__)
    parser.add_argument("--langs", default=",".join(LANGS))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--model-only",
        action="store_true",
        help="skip the entities-stage rows (bench/entity_docs.py has the pipeline's)",
    )
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    report = {
        lang: bench_language(lang, args.runs, model_only=args.model_only)
        for lang in args.langs.split(",")
        if lang
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    _print(report)
    print(f"wrote {args.out}")
    return 0


def _print(report: dict[str, Any]) -> None:
    for lang, r in report.items():
        print(f"== {lang}  ({r['eval_file']}, model file {r['model_file_mb']} MB)")
        print(
            f"  {'system':10} {'scoring':8} "
            + "  ".join(f"{t:^17}" for t in SCORED_TYPES)
            + "  micro P / R / F1"
        )
        rows = [(name, how, q[how]) for name, q in r["quality"].items() for how in q]
        rows.append(("model", "tok-given", r["tokens_given"]))
        for name, how, table in rows:
            cells = "  ".join(
                f"{table[t]['precision']:.3f}/{table[t]['recall']:.3f}/{table[t]['f1']:.3f}"
                for t in SCORED_TYPES
            )
            m = table["micro"]
            print(
                f"  {name:10} {how:8} {cells}  "
                f"{m['precision']:.3f} / {m['recall']:.3f} / {m['f1']:.3f}"
            )
        goal = r["goal_f1"]
        if goal is not None:
            got = r["quality"]["model"]["token"]["micro"]["f1"]
            print(
                f"  goal: model micro-F1 >= {goal}: {got:.3f} {'met' if got >= goal else 'NOT met'}"
            )
        sp = r["speed"]
        for label in ("sentences", "documents"):
            row = sp[label]
            print(
                f"  speed ({label:9}): {row['tokens_per_s']:>8,} tokens/s "
                f"(best {row['best_tokens_per_s']:,})  {row['sentences_per_s']:>6,} sentences/s  "
                f"{row['ms_per_5kb_doc']} ms per 5 KB"
            )
        print(f"  memory: {r['memory']}")


if __name__ == "__main__":
    raise SystemExit(main())
