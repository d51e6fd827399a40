"""Entities through the whole pipeline, scored per document as a set of distinct names.

Data is READ at run time from ``../shared/train/ner/<lang>/dev.conll`` and never copied into the
repository. Every 20 consecutive sentences make a document: the tokens joined by single spaces
(no spaces for Chinese, whose tokens are characters), sentences joined the same way (``--lines``
puts each sentence on a line of its own instead). A document goes through ``Pipeline.enrich``
from ``Pipeline.from_settings(Settings(), {})``, as ``wirestream enrich`` runs a plain-text file:
normalize, language detection (no hint), the KB and the NER models, fingerprint, dedupe.

Scoring, per document: the SET of distinct ``(surface text, type)`` pairs of the event's
entities against the gold set (PER -> PERSON, ORG, LOC, MISC; a KB GPE counts as LOC), true and
false positives and misses summed over documents (micro-average), per type and overall.
Systems side by side:

- ``pipeline``: the worker's entities (KB + models + merge), what the acceptance check reads;
- ``kb``: the same pipeline with ``entities.ner`` off (the KB and the capitalised-word rules);
- ``model``: the language's NER model alone (``NerModel.propose`` on the same text).

Rows "(no MISC)" leave MISC out on both sides (the KB has no MISC names to find).

Turkish keeps case suffixes on the token ("Londra'yı" is one LOC token) while the model and the
KB return the name ("Londra"); ``tr`` rows also give the score with the suffix cut after the
apostrophe on both sides (``tr-stem``), which is what a reader of the linked entity compares.

Memory (``--memory``): a fresh process builds the pipeline as the worker does, with the models
of ``entities.ner_languages`` (every shipped one, or those given), enriches ten documents of every
language, and reports its RSS after loading and its peak (VmHWM), beside the same with English
and Arabic only.

Usage: ``python -m bench.entities_pipeline [--langs de,es] [--docs 0] [--lines]
[--out .bench/entities_pipeline.json] [--errors DIR] [--memory]``.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from streams.core.pipeline import Pipeline
from streams.models import RawItem
from streams.ner import NerModel
from streams.ner.training.conll import Score, Sentence, read_conll, tag_spans
from streams.settings import EntitySettings, Settings

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "train" / "ner"
OUT = ROOT / ".bench" / "entities_pipeline.json"
LANGS = ("de", "es", "nl", "fr", "ru", "pt", "it", "zh", "tr")
DOC_SENTENCES = 20
TYPES = ("PERSON", "ORG", "LOC", "MISC")
_OURS = {"PERSON": "PERSON", "ORG": "ORG", "LOC": "LOC", "GPE": "LOC", "MISC": "MISC"}
_APOSTROPHE_SUFFIX = re.compile(r"['’][^\s'’]*$")

Pair = tuple[str, str]
Doc = tuple[str, set[Pair]]


def joiner(lang: str) -> str:
    return "" if lang == "zh" else " "


def documents(lang: str, sents: list[Sentence], *, lines: bool = False) -> list[Doc]:
    """Documents of DOC_SENTENCES consecutive sentences, with their gold sets."""
    glue = joiner(lang)
    out: list[Doc] = []
    for i in range(0, len(sents), DOC_SENTENCES):
        block = sents[i : i + DOC_SENTENCES]
        text = ("\n" if lines else glue).join(glue.join(s.tokens) for s in block)
        gold = {(glue.join(s.tokens[a:b]), kind) for s in block for a, b, kind in tag_spans(s.tags)}
        out.append((text, gold))
    return out


def stem(pairs: Iterable[Pair]) -> set[Pair]:
    """Turkish: "Londra'yı" -> "Londra" (the apostrophe and the case suffix after it)."""
    return {(_APOSTROPHE_SUFFIX.sub("", s) or s, t) for s, t in pairs}


def _no_misc(pairs: set[Pair]) -> set[Pair]:
    return {p for p in pairs if p[1] != "MISC"}


def score(gold: list[set[Pair]], found: list[set[Pair]]) -> dict[str, Any]:
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for g, p in zip(gold, found, strict=True):
        for _, t in g & p:
            tp[t] += 1
        for _, t in p - g:
            fp[t] += 1
        for _, t in g - p:
            fn[t] += 1
    table = {t: Score(tp[t], fp[t], fn[t]).as_dict() for t in TYPES}
    table["micro"] = Score(sum(tp.values()), sum(fp.values()), sum(fn.values())).as_dict()
    return table


def pipeline_system(ner: bool) -> Callable[[str], tuple[set[Pair], str]]:
    settings = Settings(entities=EntitySettings(ner=ner))
    pipe = Pipeline.from_settings(settings, {})

    def run(text: str) -> tuple[set[Pair], str]:
        done = pipe.enrich(RawItem(body=text), received_at=time.time())
        assert done.event is not None
        pairs = {(e.text, _OURS[e.type]) for e in done.event.entities if e.type in _OURS}
        return pairs, done.event.language.code

    return run


def model_system(lang: str) -> Callable[[str], tuple[set[Pair], str]]:
    model = NerModel.load(lang)

    def run(text: str) -> tuple[set[Pair], str]:
        if model is None:
            return set(), lang
        return {(text[s:e], t) for s, e, t in model.propose(text, lang)}, lang

    return run


def bench_language(
    lang: str,
    systems: dict[str, Callable[[str], tuple[set[Pair], str]]],
    *,
    docs_limit: int,
    lines: bool,
    errors: Path | None,
) -> dict[str, Any]:
    path = DATA / lang / "dev.conll"
    if not path.exists():
        raise SystemExit(f"{path} is missing (../shared must sit beside the repo)")
    docs = documents(lang, read_conll(path), lines=lines)
    if docs_limit:
        docs = docs[:docs_limit]
    gold = [g for _, g in docs]
    report: dict[str, Any] = {"file": f"shared/train/ner/{lang}/dev.conll", "docs": len(docs)}
    for name, run in systems.items():
        found: list[set[Pair]] = []
        detected: Counter[str] = Counter()
        t0 = time.process_time()
        for text, _ in docs:
            pairs, code = run(text)
            found.append(pairs)
            detected[code] += 1
        row = {
            "score": score(gold, found),
            "cpu_s_per_doc": round((time.process_time() - t0) / len(docs), 4),
            "languages_detected": dict(detected.most_common(5)),
        }
        row["score_no_misc"] = score([_no_misc(g) for g in gold], [_no_misc(f) for f in found])
        if lang == "tr":
            row["score_stem"] = score([stem(g) for g in gold], [stem(f) for f in found])
        report[name] = row
        if errors is not None:
            _write_errors(errors / f"{lang}-{name}.txt", docs, found)
    return report


def _write_errors(path: Path, docs: list[Doc], found: list[set[Pair]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for i, ((_, gold), pred) in enumerate(zip(docs, found, strict=True)):
            for s, t in sorted(pred - gold):
                f.write(f"{i}\tFP\t{t}\t{s}\n")
            for s, t in sorted(gold - pred):
                f.write(f"{i}\tFN\t{t}\t{s}\n")


_PROBE = """
import json, sys, time
from bench.entities_pipeline import DATA, documents, read_conll
from streams.core.pipeline import Pipeline
from streams.models import RawItem
from streams.settings import EntitySettings, Settings

def status(key):
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith(key)) / 1024

languages = tuple(sys.argv[1].split(","))
pipe = Pipeline.from_settings(Settings(entities=EntitySettings(ner_languages=languages)), {})
loaded = status("VmRSS:")
for lang in sys.argv[2].split(","):
    for text, _ in documents(lang, read_conll(DATA / lang / "dev.conll"))[:10]:
        pipe.enrich(RawItem(body=text), received_at=time.time())
print(json.dumps({"models": languages, "rss_loaded_mb": round(loaded),
                  "rss_after_mb": round(status("VmRSS:")), "peak_mb": round(status("VmHWM:"))}))
"""


def memory(langs: list[str]) -> list[dict[str, Any]]:
    import subprocess
    import sys

    from streams.ner import SHIPPED

    out = []
    for models in (("en", "ar"), SHIPPED):
        done = subprocess.run(
            [sys.executable, "-c", _PROBE, ",".join(models), ",".join(langs)],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        out.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(f"  memory: {out[-1]}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.entities_pipeline", description=__doc__)
    ap.add_argument("--langs", default=",".join(LANGS))
    ap.add_argument("--docs", type=int, default=0, help="at most this many documents (0: all)")
    ap.add_argument("--lines", action="store_true", help="one sentence per line")
    ap.add_argument("--systems", default="pipeline,kb,model")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--errors", type=Path, default=None, help="write FP/FN lists here")
    ap.add_argument("--memory", action="store_true", help="only the RSS of the loaded worker")
    args = ap.parse_args(argv)
    if args.memory:
        report_mem = {"memory": memory([x for x in args.langs.split(",") if x])}
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report_mem, indent=2) + "\n", encoding="utf-8")
        return 0
    wanted = args.systems.split(",")
    shared: dict[str, Callable[[str], tuple[set[Pair], str]]] = {}
    if "pipeline" in wanted:
        shared["pipeline"] = pipeline_system(ner=True)
    if "kb" in wanted:
        shared["kb"] = pipeline_system(ner=False)
    report: dict[str, Any] = {}
    for lang in [x for x in args.langs.split(",") if x]:
        systems = dict(shared)
        if "model" in wanted:
            systems["model"] = model_system(lang)
        report[lang] = bench_language(
            lang, systems, docs_limit=args.docs, lines=args.lines, errors=args.errors
        )
        _print(lang, report[lang])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


def _print(lang: str, r: dict[str, Any]) -> None:
    print(f"== {lang}  ({r['file']}, {r['docs']} documents of {DOC_SENTENCES} sentences)")
    for name in ("pipeline", "kb", "model"):
        if name not in r:
            continue
        for key in ("score", "score_no_misc", "score_stem"):
            if key not in r[name]:
                continue
            t = r[name][key]
            cells = "  ".join(f"{k} {t[k]['f1']:.3f}" for k in TYPES)
            m = t["micro"]
            label = name + {"score": "", "score_no_misc": " (no MISC)"}.get(key, " (stem)")
            print(
                f"  {label:16} P {m['precision']:.3f} R {m['recall']:.3f} F1 {m['f1']:.3f}"
                f"   {cells}   langs {r[name]['languages_detected']}"
            )


if __name__ == "__main__":
    raise SystemExit(main())
