"""The real texts the e2e workload is built from, read at run time from ``../shared``.

``../shared/eval/news_pairs.jsonl``: real article titles and openings in several languages, with
human same-story ratings (SemEval-2022 Task 8); ``../shared/seeds/*.txt``: a real press release.
Nothing here copies them: they are split into sentences in memory, per language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
PAIRS_PATH = SHARED / "eval" / "news_pairs.jsonl"
SEEDS_DIR = SHARED / "seeds"

SAME_STORY_MAX = 1.5  # the eval README's threshold for "same story"
_SENTENCE_END = re.compile(r"(?<=[.!?؟…])\s+")


@dataclass(frozen=True, slots=True)
class Article:
    lang: str
    title: str
    paragraphs: tuple[tuple[str, ...], ...]  # paragraphs of sentences


@dataclass(frozen=True, slots=True)
class Corpus:
    articles: dict[str, list[Article]]  # by language
    sentences: dict[str, list[str]]  # every sentence, by language
    same_story: list[tuple[Article, Article]]
    press_tag: str | None  # the seed's "(Publisher) – " opening
    press_trailer: tuple[str, ...]  # the seed's closing boilerplate lines


def _split(text: str) -> tuple[tuple[str, ...], ...]:
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n|\n", text) if p.strip()]
    out = []
    for para in paragraphs:
        sentences = tuple(s.strip() for s in _SENTENCE_END.split(para) if s.strip())
        if sentences:
            out.append(sentences)
    return tuple(out)


def load_corpus(pairs_path: Path = PAIRS_PATH, seeds_dir: Path = SEEDS_DIR) -> Corpus:
    """Read the shared texts (fails loudly when ../shared is missing: no silent fallback)."""
    if not pairs_path.exists():
        raise FileNotFoundError(f"{pairs_path} is missing: ../shared must sit beside the repo")
    articles: dict[str, list[Article]] = {}
    same_story: list[tuple[Article, Article]] = []
    for line in pairs_path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = orjson.loads(line)
        sides = []
        for n in ("1", "2"):
            lang, title, text = row[f"lang{n}"], row[f"title{n}"], row[f"text{n}"]
            body = _split(text)
            # Some scrapes open with the title again; the headline field carries it already.
            if body and " ".join(body[0]) == title.strip():
                body = body[1:]
            article = Article(lang, title.strip(), body)
            sides.append(article)
            if body:
                articles.setdefault(lang, []).append(article)
        if float(row["overall"]) <= SAME_STORY_MAX and all(a.paragraphs for a in sides):
            same_story.append((sides[0], sides[1]))
    press_tag, trailer = None, ()
    for seed in sorted(seeds_dir.glob("*.txt")):
        lines = [x.strip() for x in seed.read_text(encoding="utf-8").splitlines() if x.strip()]
        match = re.match(r"^(\([^()]{1,50}\)\s*[-–—:]\s*)(.*)$", lines[0]) if lines else None
        if match is None or len(lines) < 6:
            continue
        # The seed's shape: tag + first paragraph, news paragraphs, then three trailer lines
        # (disclaimer with the distributor's address, a sectors line, the distributor's blurb).
        press_tag, trailer = match.group(1), tuple(lines[-3:])
        body = _split("\n".join([match.group(2), *lines[1:-3]]))
        articles.setdefault("ar", []).append(Article("ar", lines[1][:80], body))
    sentences = {
        lang: [s for a in arts for para in a.paragraphs for s in para]
        for lang, arts in articles.items()
    }
    return Corpus(articles, sentences, same_story, press_tag, trailer)
