"""Rated news pairs, grouped by article, measured as the dedupe stage measures them.

The files are read from ``../shared/eval`` (never copied into the repository): ``overall`` is the
human rating, 1 = the same story ... 4 = unrelated; at most 1.5 is "same story", at least 3.5
"different" (``../shared/eval/README.md``).

Articles recur: one article can be in several pairs. Cross-validation must keep every article on
one side of a fold, so pairs are grouped into the connected components of the graph whose nodes
are articles (identified by their link and, separately, by their text) and whose edges are pairs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import orjson

from streams.core.dedupe.fingerprint import tokenize
from streams.core.dedupe.similarity import NEAR_DUPLICATE_AT, compare
from streams.core.dedupe.story import FEATURES, WORD_FEATURES, StoryModel, StoryParams
from streams.core.dedupe.tokens import blocking_tokens
from streams.core.pipeline import Pipeline, Prepared
from streams.models import RawItem

# The checkout, four levels above this package (streams/core/dedupe/training/).
ROOT = Path(__file__).resolve().parents[4]
EVAL_DIR = ROOT.parent / "shared" / "eval"
FILES = ("news_pairs.jsonl", "news_pairs_large.jsonl")
SAME_AT = 1.5  # a rating at or below: the same story
DIFFERENT_AT = 3.5  # at or above: different stories
_NEUTRAL = StoryParams(
    StoryModel(FEATURES, (0.0,) * len(FEATURES), 0.0),
    StoryModel(
        tuple(f for f in FEATURES if f not in WORD_FEATURES),
        (0.0,) * (len(FEATURES) - len(WORD_FEATURES)),
        0.0,
    ),
    0.5,
)


@dataclass(frozen=True, slots=True)
class Article:
    title: str
    text: str
    language: str
    link: str


@dataclass(frozen=True, slots=True)
class Pair:
    file: str
    pair_id: str
    overall: float
    a: Article
    b: Article

    @property
    def same(self) -> bool:
        return self.overall <= SAME_AT

    @property
    def different(self) -> bool:
        return self.overall >= DIFFERENT_AT

    @property
    def target(self) -> float:
        """The rating mapped to 0..1: 1 = the same story, 0 = unrelated."""
        return (4.0 - self.overall) / 3.0


@dataclass(frozen=True, slots=True)
class Measured:
    """One pair as the dedupe stage sees ``b`` arriving after ``a``, and the two anchors."""

    pair: Pair
    group: int  # the connected component of its articles
    features: dict[str, float]  # story.FEATURES
    jaccard: float  # MinHash estimate of the shingle Jaccard (the text measure)
    blocked: bool  # the two share a blocking token, so a store holding a compares b with it
    near_duplicate: bool  # b would be an edited copy of a, whatever the story score says
    use_cosine: float  # anchor: float cosine of USE-multilingual embeddings of title + lead
    shingle_jaccard: float  # anchor: exact Jaccard of the word-3-shingle sets of title + text


def load_pairs(eval_dir: Path = EVAL_DIR, files: Sequence[str] = FILES) -> list[Pair]:
    pairs: list[Pair] = []
    for name in files:
        with (eval_dir / name).open("rb") as handle:
            for line in handle:
                if line.strip():
                    row = orjson.loads(line)
                    a, b = (
                        Article(row[f"title{n}"], row[f"text{n}"], row[f"lang{n}"], row[f"link{n}"])
                        for n in (1, 2)
                    )
                    pairs.append(Pair(name, str(row["pair_id"]), float(row["overall"]), a, b))
    return pairs


def article_groups(pairs: Sequence[Pair]) -> list[int]:
    """For each pair, the number of its connected component (articles by link or by text)."""
    parent: dict[object, object] = {}

    def find(node: object) -> object:
        root = node
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while node != root:  # path compression
            parent[node], node = root, parent[node]
        return root

    for n, pair in enumerate(pairs):
        for article in (pair.a, pair.b):
            for node in (("link", article.link), ("text", article.text)):
                parent[find(node)] = find(("pair", n))
    roots: dict[object, int] = {}
    return [roots.setdefault(find(("pair", n)), len(roots)) for n in range(len(pairs))]


def prepare_articles(pipeline: Pipeline, pairs: Sequence[Pair]) -> dict[Article, Prepared]:
    """Every distinct article of ``pairs`` through the stateless half of the pipeline, once."""
    prepared: dict[Article, Prepared] = {}
    for article in _articles(pairs):
        raw = RawItem(body=article.text, headline=article.title, language_hint=article.language)
        prepared[article] = pipeline.prepare(raw)
    return prepared


def measure(
    pipeline: Pipeline, pairs: Sequence[Pair], prepared: dict[Article, Prepared] | None = None
) -> list[Measured]:
    """Measure each pair (b after a), preparing the articles unless ``prepared`` has them."""
    if prepared is None:
        prepared = prepare_articles(pipeline, pairs)
    texts = {
        article: f"{article.title}\n{article.text}" for article in prepared
    }  # title + body, for the shingle anchor
    order = list(prepared)
    vectors = _float_embeddings(pipeline, [prepared[a] for a in order])
    vector_of = dict(zip(order, vectors, strict=True))
    out: list[Measured] = []
    for pair, group in zip(pairs, article_groups(pairs), strict=True):
        a, b = prepared[pair.a].fingerprint, prepared[pair.b].fingerprint
        scores = compare(b, a, _NEUTRAL)
        shared = set(blocking_tokens(a)[0].tolist()) & set(blocking_tokens(b)[0].tolist())
        out.append(
            Measured(
                pair=pair,
                group=group,
                features=scores.features(),
                jaccard=scores.jaccard,
                blocked=bool(shared),
                near_duplicate=scores.containment >= NEAR_DUPLICATE_AT,
                use_cosine=float(vector_of[pair.a] @ vector_of[pair.b]),
                shingle_jaccard=shingle_jaccard(texts[pair.a], texts[pair.b]),
            )
        )
    return out


def shingle_jaccard(a: str, b: str) -> float:
    """Exact Jaccard of the word-3-shingle sets (what the MinHash estimates)."""

    def grams(text: str) -> set[tuple[str, ...]]:
        t = tokenize(text)
        return {tuple(t[i : i + 3]) for i in range(max(1, len(t) - 2))}

    x, y = grams(a), grams(b)
    return len(x & y) / len(x | y) if x | y else 0.0


def _articles(pairs: Iterable[Pair]) -> list[Article]:
    return list(dict.fromkeys(article for pair in pairs for article in (pair.a, pair.b)))


def _float_embeddings(pipeline: Pipeline, items: Sequence[Prepared]) -> npt.NDArray[np.float32]:
    from streams.core.dedupe.embed import embedding_text

    texts = [embedding_text(p.normalized.headline, p.normalized.text) for p in items]
    chunks = [pipeline.embedder.embed(texts[i : i + 32]) for i in range(0, len(texts), 32)]
    return np.concatenate(chunks) if chunks else np.zeros((0, 512), np.float32)
