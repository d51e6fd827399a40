"""CoNLL files (``token TAG`` per line, blank line between sentences) and span scoring.

Shared by training, the benchmark and the tests, so that every number in the docs is computed the
same way: exact entity spans, the corpus tag set mapped onto the project's types, MISC ignored
unless asked for, micro-averaged.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from streams.ner.decode import tag_spans
from streams.ner.text import word_bounds

__all__ = [
    "Score",
    "Sentence",
    "char_to_token_spans",
    "name_spans",
    "read_conll",
    "score_spans",
    "sentence_text",
    "tag_spans",
]

# Corpus tag -> project type. ANERcorp says PERS where CoNLL-2003 says PER.
TYPE_OF_TAG = {"PER": "PERSON", "PERS": "PERSON", "ORG": "ORG", "LOC": "LOC", "MISC": "MISC"}
TYPES = ("PERSON", "ORG", "LOC", "MISC")
SCORED_TYPES = ("PERSON", "ORG", "LOC")


@dataclass(frozen=True, slots=True)
class Sentence:
    tokens: tuple[str, ...]
    tags: tuple[str, ...]  # IOB2 over project types: "B-PERSON", "I-ORG", "O"


def read_conll(path: Path) -> list[Sentence]:
    """Sentences of a CoNLL file, tags mapped to project types; document markers dropped."""
    sentences: list[Sentence] = []
    tokens: list[str] = []
    tags: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) < 2:
            # A blank line ends a sentence. ANERcorp also has lines holding only an invisible
            # mark (U+200F): no token there.
            if tokens:
                sentences.append(Sentence(tuple(tokens), tuple(tags)))
                tokens, tags = [], []
            continue
        if parts[0] == "-DOCSTART-":
            continue
        tokens.append(parts[0])
        tags.append(_map_tag(parts[-1]))
    if tokens:
        sentences.append(Sentence(tuple(tokens), tuple(tags)))
    return sentences


def _map_tag(tag: str) -> str:
    if tag == "O" or "-" not in tag:
        return "O"
    prefix, _, kind = tag.partition("-")
    return f"{prefix}-{TYPE_OF_TAG.get(kind, kind)}"


@dataclass(frozen=True, slots=True)
class Score:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }


Span = tuple[int, int, str]


def name_spans(tokens: Sequence[str], spans: Iterable[Span]) -> list[Span]:
    """Token spans as the names they hold: without the tokens at their edges that hold no letter
    or digit (``text.word_bounds``), the way ``NerModel.propose`` reports a name. Scoring reads
    gold and tagged spans so, and a corpus that tags a name's quotes with it costs nothing."""
    out = []
    for start, end, kind in spans:
        lo, hi = word_bounds(tokens, start, end)
        if lo < hi:
            out.append((lo, hi, kind))
    return out


def score_spans(
    gold: Iterable[Iterable[Span]],
    predicted: Iterable[Iterable[Span]],
    types: Sequence[str] = SCORED_TYPES,
) -> dict[str, Score]:
    """Per-type and ``"micro"`` scores of exact span matches, sentence by sentence."""
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for gold_spans, pred_spans in zip(gold, predicted, strict=True):
        g = {s for s in gold_spans if s[2] in types}
        p = {s for s in pred_spans if s[2] in types}
        for s in g & p:
            tp[s[2]] += 1
        for s in p - g:
            fp[s[2]] += 1
        for s in g - p:
            fn[s[2]] += 1
    scores = {t: Score(tp[t], fp[t], fn[t]) for t in types}
    scores["micro"] = Score(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    return scores


def sentence_text(tokens: Sequence[str]) -> tuple[str, list[tuple[int, int]]]:
    """The tokens joined by single spaces, and each token's character offsets in that text."""
    offsets: list[tuple[int, int]] = []
    pos = 0
    for tok in tokens:
        offsets.append((pos, pos + len(tok)))
        pos += len(tok) + 1
    return " ".join(tokens), offsets


def char_to_token_spans(
    spans: Iterable[Span], offsets: Sequence[tuple[int, int]], *, snap: bool
) -> Iterator[Span]:
    """Character spans as token spans over ``offsets``.

    Strict (``snap=False``): a span counts only if it starts and ends on token boundaries.
    Snapped: a span covers the tokens it touches, which is how a span that leaves out an Arabic
    proclitic (و in وواشنطن) is compared with a corpus that tags whole tokens.
    """
    starts = {s: i for i, (s, _) in enumerate(offsets)}
    ends = {e: i for i, (_, e) in enumerate(offsets)}
    for start, end, kind in spans:
        if not snap:
            if start in starts and end in ends:
                yield starts[start], ends[end] + 1, kind
            else:
                yield -1, -1, kind  # never equal to a gold span: a precision error
            continue
        first = next((i for i, (s, e) in enumerate(offsets) if s <= start < e), None)
        last = next((i for i, (s, e) in enumerate(offsets) if s < end <= e), None)
        if first is None or last is None:
            yield -1, -1, kind
        else:
            yield first, last + 1, kind
