"""Dedupe and story clustering: quality against two anchors, speed with a full window, bytes/item.

Data is READ at run time from ``../shared`` and never copied into the repository:

- story quality: ``eval/news_pairs.jsonl`` (46 pairs, en and de-en) and
  ``eval/news_pairs_large.jsonl`` (813 pairs, ar/es/fr/tr), SemEval-2022 Task 8 ratings (same story
  = ``overall <= 1.5``, different = ``>= 3.5``), cross-validated 5 x 5 folds grouped by article
  exactly as ``make train-story`` does (:mod:`streams.core.dedupe.training`). Anchors computed in
  the same run: the Jaccard of word-3-shingle sets (what MinHash estimates) and the plain cosine of
  USE-multilingual embeddings of title + lead, each with its threshold fitted on the training folds
  too. Then the shipped parameters through the real decision (in sample).
- near-duplicates: real articles (the pairs' texts, CoNLL/ANERcorp sentences regrouped into
  articles, the seed press release) and edited copies generated from them with a seeded RNG:
  typo fixes, an inserted or a removed paragraph, a new headline, other boilerplate, truncation,
  HTML instead of text, and combinations. All articles go into one store first, then every copy;
  a copy must come out ``near_duplicate``/``duplicate`` of its own article, an article never so.
- speed: the dedupe decision (``Pipeline.decide``) against a store holding 100,000 remembered
  items (synthetic fingerprints with Zipf-distributed anchors, real embeddings), plus restore time
  and bytes per item.

Usage: ``python -m bench.dedupe [--window 100000] [--out .bench/dedupe.json]``.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import re
import time
from pathlib import Path
from typing import Any

import orjson

from bench.dedupe_speed import NOW, SEED, fresh, speed
from streams.core.dedupe import similarity as sim
from streams.core.dedupe.story import params
from streams.core.dedupe.training.fit import joined
from streams.core.dedupe.training.pairs import load_pairs as load_all_pairs
from streams.core.dedupe.training.pairs import measure, prepare_articles
from streams.core.dedupe.training.train import (
    evaluate,
    format_table,
    format_trade_off,
    table_json,
    trade_off,
)
from streams.core.pipeline import Pipeline, Prepared
from streams.models import DedupeStatus, RawItem
from streams.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
EDITS = ("typos", "insert", "remove", "headline", "boilerplate", "truncate", "html", "combined")
# Publisher trailers written for this benchmark: kinds that normalize recognises (a contact block,
# a SOURCE line, an end mark) and a credit line that it keeps.
TRAILERS = (
    "Media contact:\nPress Office\npress@example.org\n+1 555 0100",
    "SOURCE Example Wire",
    "###",
    "Reporting by the wire desk; editing by the night editor.",
)
MATCHED = {DedupeStatus.DUPLICATE, DedupeStatus.NEAR_DUPLICATE}
Article = tuple[str | None, str, str]  # headline, body, language


# --- data ----------------------------------------------------------------------------------------


def load_pairs() -> list[dict[str, Any]]:
    with (SHARED / "eval" / "news_pairs.jsonl").open("rb") as handle:
        return [orjson.loads(line) for line in handle if line.strip()]


def conll_articles(path: Path, per: int, limit: int) -> list[Article]:
    """Consecutive sentences regrouped into articles of ``per`` sentences."""
    sentences, words = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        token = line.split(" ")[0] if line.strip() else ""
        if token and token != "-DOCSTART-":
            words.append(token)
        elif words:
            sentences.append(re.sub(r" ([,.;:!?%)'])|([($]) ", r"\1\2", " ".join(words)))
            words = []
    lang = "ar" if "_ar" in path.name else "en"
    out: list[Article] = []
    for start in range(0, len(sentences) - per, per):
        group = sentences[start : start + per]
        paras = ["\n".join(group[i : i + 3]) for i in range(1, per, 3)]
        out.append((group[0], "\n\n".join(paras), lang))
    return out[:limit]


def articles() -> list[Article]:
    arts: list[Article] = []
    for row in load_pairs():
        arts.append((row["title1"], row["text1"], row["lang1"]))
        arts.append((row["title2"], row["text2"], row["lang2"]))
    arts += conll_articles(SHARED / "eval" / "ner_en.conll", 10, 100)
    arts += conll_articles(SHARED / "eval" / "ner_ar.conll", 10, 50)
    for seed in sorted((SHARED / "seeds").glob("*.txt")):
        arts.append((None, seed.read_text(encoding="utf-8"), "ar"))
    return arts


def sentences(body: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?؟。])\s+|\n+", body) if s.strip()]


def edit(  # noqa: PLR0911 - one return per kind of edit
    kind: str, head: str | None, body: str, other: str, rng: random.Random
) -> tuple[str | None, str]:
    """An edited copy of an article, as a wire desk or a feed would make it."""
    parts = sentences(body)
    small = [i for i in range(1, len(parts)) if len(parts[i]) <= len(body) * 0.35]
    if kind == "insert":
        # A paragraph from anywhere in another article, at most a third of this one's length.
        pool = sentences(other)
        extra = pool[rng.randrange(len(pool))][: len(body) // 3]
        extra = extra[: extra.rfind(" ")] if " " in extra else extra
        at = rng.randint(1, max(1, len(parts)))
        return head, "\n\n".join([*parts[:at], extra, *parts[at:]])
    if kind == "remove" and len(parts) >= 3 and small:
        del parts[rng.choice(small)]  # a paragraph, not most of the article
        return head, "\n\n".join(parts)
    if kind == "headline":
        return (parts[0][:90] if head else "UPDATE 1 - " + parts[0][:60]), body
    if kind == "boilerplate":
        return head, body + "\n\n" + "\n".join(rng.sample(TRAILERS, rng.randint(2, 4)))
    if kind == "truncate":
        # A feed's length limit: cut at 40-70 % of the characters, at a word boundary.
        cut = body.rfind(" ", 0, int(len(body) * rng.uniform(0.4, 0.7)))
        return head, body[: cut if cut > 0 else len(body) // 2]
    if kind == "html":
        return head, "".join(f"<p>{s.replace('&', '&amp;')}</p>\n" for s in parts)
    if kind == "combined":
        head, body = edit("headline", head, body, other, rng)
        head, body = edit("typos", head, body, other, rng)
        return edit("boilerplate", head, body, other, rng)
    # "typos", and the fallback for an article too short for the edit asked for.
    words = body.split(" ")
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(words))
        if len(words[i]) >= 4:
            w, j = words[i], rng.randrange(1, len(words[i]) - 2)
            words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    return head, " ".join(words)


# --- measures ------------------------------------------------------------------------------------


def decide_pair(pipe: Pipeline, a: Prepared, b: Prepared) -> DedupeStatus:
    """The status ``b`` gets from a store that has seen only ``a``."""
    run = fresh(pipe, {})
    run.decide(a, received_at=NOW, origin="a")
    return run.decide(b, received_at=NOW + 1, origin="b").dedupe.status


# --- story quality -------------------------------------------------------------------------------


def story_quality(pipe: Pipeline, report: dict[str, Any]) -> None:
    """Both rated files, cross-validated (streams.core.dedupe.training: the same code as make
    train-story),
    then the shipped parameters through the real decision, b after a in a fresh store."""
    pairs = load_all_pairs()
    tick, cpu = time.perf_counter(), time.process_time()
    prepared = prepare_articles(pipe, pairs)
    prepare_s = (time.process_time() - cpu) / len(prepared)
    measured = measure(pipe, pairs, prepared)
    print(f"\n== same story: {len(pairs)} rated pairs, {len(prepared)} articles "
          f"({time.perf_counter() - tick:.0f} s)")  # fmt: skip
    table = evaluate(measured)
    print(format_table(table, measured))
    rows = trade_off(measured)
    print(format_trade_off(rows))
    shipped = params()
    statuses: dict[str, dict[str, dict[str, int]]] = {}
    disagree = 0
    for m in measured:
        status = decide_pair(pipe, prepared[m.pair.a], prepared[m.pair.b]).value
        group = "same" if m.pair.same else "different" if m.pair.different else "related"
        counts = statuses.setdefault(m.pair.file, {}).setdefault(group, {})
        counts[status] = counts.get(status, 0) + 1
        modelled = joined(m, shipped.full.score(m.features), shipped.story_at, stage=True)
        disagree += modelled != (status != "unique")
    print(f"\nshipped parameters (story_at {shipped.story_at}), fitted on all pairs, so in sample:")
    for file, groups in statuses.items():
        print(f"  {file}: status of b after a by rating: {groups}")
    print(f"  decisions where the cross-validation's model of the stage and decide() disagree: "
          f"{disagree}")  # fmt: skip
    report["story"] = {
        "cv": table_json(table),
        "trade_off": rows,
        "in_sample_statuses": statuses,
        "model_vs_decide_disagreements": disagree,
        "prepare_cpu_s_per_article": prepare_s,
    }


# --- near-duplicates -----------------------------------------------------------------------------


def near_duplicates(pipe: Pipeline, report: dict[str, Any]) -> list[Prepared]:
    rng = random.Random(SEED)
    arts = articles()
    started = time.perf_counter()

    def prep(head: str | None, body: str, lang: str, item_id: str) -> Prepared:
        raw = RawItem(body=body, headline=head, id=item_id, source="bench", language_hint=lang)
        return pipe.prepare(raw)

    bases = [prep(h, b, lang, f"a{i}") for i, (h, b, lang) in enumerate(arts)]
    copies: list[tuple[int, str, Prepared]] = []
    for i, (h, b, lang) in enumerate(arts):
        for kind in EDITS:
            head, body = edit(kind, h, b, arts[rng.randrange(len(arts))][1], rng)
            copies.append((i, kind, prep(head, body, lang, f"a{i}-{kind}")))
    prepare_rate = (len(bases) + len(copies)) / (time.perf_counter() - started)
    run = fresh(pipe, {})
    order = list(range(len(bases)))
    rng.shuffle(order)
    story_of: dict[int, str] = {}
    articles_matched = 0
    for n, i in enumerate(order):
        result = run.decide(bases[i], received_at=NOW + n, origin=f"b{n}").dedupe
        story_of[i] = result.story_id
        articles_matched += result.status in MATCHED
    rng.shuffle(copies)
    per_kind: dict[str, list[int]] = {k: [0, 0] for k in EDITS}
    true_pos = flagged = 0
    for n, (i, kind, copy) in enumerate(copies):
        result = run.decide(copy, received_at=NOW + 1e4 + n, origin=f"c{n}").dedupe
        hit = result.status in MATCHED
        right = hit and result.story_id == story_of[i]
        flagged += hit
        true_pos += right
        per_kind[kind][0] += right
        per_kind[kind][1] += 1
    precision = true_pos / (flagged + articles_matched) if flagged + articles_matched else 1.0
    recall = true_pos / len(copies)
    # The threshold's evidence: containment of each copy in its article, and of article pairs.
    fps = [b.fingerprint for b in bases]
    apart = [s.containment for i, fp in enumerate(fps) for s in sim.compare_many(fp, fps[i + 1 :])]
    held = sorted(
        sim.compare(bases[i].fingerprint, c.fingerprint).containment for i, _k, c in copies
    )
    sweep = [
        {
            "threshold": t,
            "copies_at_or_above": sum(c >= t for c in held) / len(held),
            "article_pairs_at_or_above": sum(c >= t for c in apart),
        }
        for t in (0.3, 0.4, 0.5, 0.55, 0.6, 0.7, 0.8)
    ]
    lows = [held[0], held[len(held) // 100], held[len(held) // 20], held[len(held) // 2]]
    report["near_duplicates"] = {
        "articles": len(bases),
        "copies": len(copies),
        "precision": precision,
        "recall": recall,
        "articles_matched_as_copies": articles_matched,
        "per_edit_recall": {k: v[0] / v[1] for k, v in per_kind.items()},
        "copy_containment_min_p1_p5_median": lows,
        "article_pairs": len(apart),
        "article_pairs_max_containment": max(apart),
        "containment_sweep": sweep,
        "prepare_items_per_s": prepare_rate,
    }
    print(f"\n== near-duplicates: {len(bases)} real articles, {len(copies)} edited copies")
    print(f"precision {precision:.4f}  recall {recall:.4f}  articles matched: {articles_matched}")
    print("recall per edit:", " ".join(f"{k} {v[0] / v[1]:.3f}" for k, v in per_kind.items()))
    print(
        "containment of a copy in its article, min / p1 / p5 / median: "
        + " / ".join(f"{c:.3f}" for c in lows)
        + f"; of two different articles: max {max(apart):.3f} over {len(apart):,} pairs"
    )
    for row in sweep:
        chosen = math.isclose(row["threshold"], sim.NEAR_DUPLICATE_AT)
        mark = "  <- NEAR_DUPLICATE_AT" if chosen else ""
        print(
            f"  containment >= {row['threshold']:.2f}: copies {row['copies_at_or_above']:.4f}, "
            f"article pairs {row['article_pairs_at_or_above']}{mark}"
        )
    print(f"prepare (normalize, langid, entities, embedding): {prepare_rate:.1f} items/s")
    return bases + [c for _i, _k, c in copies]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--window", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=2_000)
    parser.add_argument("--out", type=Path, default=ROOT / ".bench" / "dedupe.json")
    args = parser.parse_args()
    pipe = Pipeline.from_settings(Settings(), {})
    report: dict[str, Any] = {"cpu_count": os.cpu_count()}
    story_quality(pipe, report)
    real = near_duplicates(pipe, report)
    speed(pipe, real, args.window, args.queries, report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))
    print(f"\nwritten: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
