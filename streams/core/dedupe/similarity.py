"""How alike two fingerprints are, and what that makes the later item.

Two measures, both in 0..1:

- **text**: the estimated Jaccard similarity of the bodies' shingle sets (from b-bit MinHash), and
  the containment of the smaller set in the larger (a truncated copy is contained in its original
  although their Jaccard is low). Only an edited copy of the same text scores high.
- **story**: the learned story score (:mod:`streams.core.dedupe.story`) over the parts measured
  here: the cosine of the two USE-multilingual embeddings of headline + lead, the anchors (entity
  ids, names, numbers) the two have in common, the shingle containment, and the overlap of the
  two word sets (from their word MinHashes). It estimates the human rating of the pair (1 = the
  same story, 0 = unrelated), fitted with cross-validation grouped by article on rated pairs.

The reported similarity is the larger of the two. The near-duplicate constants were chosen on the
benchmark (``make bench-dedupe``, ``bench/dedupe.py``), the story score's weights and threshold by
``make train-story``; docs/dedupe.md has the tables behind each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from streams.core import native
from streams.core.dedupe.embed import dequantize
from streams.core.dedupe.fingerprint import (
    CLASS_BITS,
    CLASS_WEIGHT,
    PERMUTATIONS,
    WORD_PERMUTATIONS,
    Fingerprint,
)
from streams.core.dedupe.story import StoryParams, anchor_term, params
from streams.models import DedupeStatus

# An edited copy: containment of the shingle sets at least this. On the benchmark every edited copy
# of 243 real articles was contained at 0.67 or more, no two different articles above 0.46 (a
# same-story pair quoting one statement): the threshold sits in the middle of that gap.
NEAR_DUPLICATE_AT = 0.55
# Below this many shingles containment is too easily 1 (a one-line item inside any article that
# quotes it), so short texts are judged on Jaccard.
MIN_CONTAINMENT_SHINGLES = 8
UNDETERMINED = "und"
_CHANCE = 1.0 / 65536  # two different minima agree in their low 16 bits by chance
_WORD_CHANCE = 1.0 / 256  # ... in their low 8 bits


@dataclass(frozen=True, slots=True)
class Scores:
    jaccard: float  # estimated Jaccard similarity of the shingle sets
    containment: float  # of the smaller set in the larger (Jaccard for short texts)
    shared_shingles: float  # estimated size of the intersection
    cosine: float | None  # of the embeddings; None when one side has none
    # Summed weight of the anchors in common; None without a cosine, which is all they add to.
    shared_anchors: float | None
    anchor_share: float = 0.0  # shared anchors / anchors of the side that has fewer
    word_jaccard: float | None = None  # of the word sets; None when a side has no word MinHash
    word_containment: float | None = None  # of the smaller word set in the larger
    story: float = 0.0  # the story score (0 without embeddings)

    @property
    def similarity(self) -> float:
        return max(self.jaccard, self.story)

    def features(self) -> dict[str, float]:
        """The story model's inputs (story.FEATURES); the word ones 0 when unknown."""
        return {
            "cosine": self.cosine or 0.0,
            "anchors": anchor_term(self.shared_anchors or 0.0),
            "anchor_share": self.anchor_share,
            "containment": self.containment,
            "word_jaccard": self.word_jaccard or 0.0,
            "word_containment": self.word_containment or 0.0,
        }


def compare(a: Fingerprint, b: Fingerprint, story: StoryParams | None = None) -> Scores:
    return compare_many(a, [b], story)[0]


def compare_many(
    query: Fingerprint, others: Sequence[Fingerprint], story: StoryParams | None = None
) -> list[Scores]:
    """Scores of ``query`` against each of ``others``, vectorised over them; the story score by
    ``story`` (default: the shipped parameters)."""
    if not others:
        return []
    ext = native.extension()
    if ext is not None:
        jaccards, containments, shared, word_j, word_c = ext.text_scores(query, others)
    else:
        jaccards, containments, shared, word_j, word_c = _text_scores(query, others)
    cosines = _cosines(query, others)
    # The `fast` profile has no embeddings: skipping its anchors saves a tenth of a ms/item.
    weights = _anchor_weights(query) if query.embedding else {}
    anchors = [
        _shared_weight(weights, o) if c is not None else (None, 0.0)
        for o, c in zip(others, cosines, strict=True)
    ]
    stories = [0.0] * len(others)
    scored = [i for i, c in enumerate(cosines) if c is not None]
    if scored:
        rows = np.array(
            [
                (cosines[i], anchor_term(anchors[i][0] or 0.0), anchors[i][1], containments[i],
                 word_j[i] or 0.0, word_c[i] or 0.0)
                for i in scored
            ],
            np.float64,
        )  # fmt: skip
        have_words = np.array([word_j[i] is not None for i in scored])
        values = (story or params()).score_rows(rows, have_words).tolist()
        for i, value in zip(scored, values, strict=True):
            stories[i] = value
    return [
        Scores(j, c, s, cos, anchor[0], anchor[1], wj, wc, value)
        for j, c, s, cos, anchor, wj, wc, value in zip(
            jaccards, containments, shared, cosines, anchors, word_j, word_c, stories,
            strict=True,
        )
    ]  # fmt: skip


def _text_scores(
    query: Fingerprint, others: Sequence[Fingerprint]
) -> tuple[list[float], list[float], list[float], list[float | None], list[float | None]]:
    """The reference of the native ``text_scores``: estimated Jaccard, containment and shared
    shingles of each pair, and the word overlaps (:func:`_word_overlaps`)."""
    mine = query.minhash_array()
    theirs = np.frombuffer(b"".join(o.minhash for o in others), dtype="<u2").reshape(
        len(others), PERMUTATIONS
    )
    agree = np.count_nonzero(theirs == mine, axis=1) / PERMUTATIONS
    jaccards = np.clip((agree - _CHANCE) / (1 - _CHANCE), 0.0, 1.0)
    shingles = np.array([o.shingles for o in others], np.float64)
    shared = jaccards * (query.shingles + shingles) / (1.0 + jaccards)
    small = np.minimum(shingles, query.shingles)
    # Short texts are judged on Jaccard: a line or two is too easily contained in anything.
    contained = np.minimum(1.0, shared / np.maximum(small, 1.0))
    containments = np.where(small >= MIN_CONTAINMENT_SHINGLES, contained, jaccards)
    word_j, word_c = _word_overlaps(query, others)
    return jaccards.tolist(), containments.tolist(), shared.tolist(), word_j, word_c


def classify(scores: Scores, language: str, other_language: str) -> DedupeStatus | None:
    """What ``scores`` make the later item, or None when it is not the earlier one's story."""
    if scores.containment >= NEAR_DUPLICATE_AT:
        return DedupeStatus.NEAR_DUPLICATE
    if scores.story >= params().story_at:
        known = UNDETERMINED not in (language, other_language)
        if known and language != other_language:
            return DedupeStatus.TRANSLATION
        return DedupeStatus.SAME_STORY
    return None


def _cosines(query: Fingerprint, others: Sequence[Fingerprint]) -> list[float | None]:
    if not query.embedding:
        return [None] * len(others)
    have = [i for i, o in enumerate(others) if o.embedding]
    out: list[float | None] = [None] * len(others)
    if have:
        packed = np.frombuffer(b"".join(others[i].embedding for i in have), dtype=np.uint8)
        mine = dequantize(np.frombuffer(query.embedding, dtype=np.uint8))[0]
        values = (dequantize(packed) @ mine).tolist()
        for i, value in zip(have, values, strict=True):
            out[i] = float(value)
    return out


def _anchor_weights(fp: Fingerprint) -> dict[int, float]:
    """Anchor key (hash without its class bits) -> weight."""
    weights: dict[int, float] = {}
    for anchor in fp.anchors:
        key, weight = anchor >> 3, CLASS_WEIGHT[anchor & CLASS_BITS]
        weights[key] = max(weight, weights.get(key, 0.0))
    return weights


def _shared_weight(weights: dict[int, float], other: Fingerprint) -> tuple[float, float]:
    """Shared anchors, each counted at the weaker of its two classes; and their number over the
    number of anchors of the side that has fewer (a key rarely repeats: in two classes at most)."""
    shared: dict[int, float] = {}
    common = weights.keys() & {anchor >> 3 for anchor in other.anchors}
    if common:
        for anchor in other.anchors:
            key = anchor >> 3
            if key in common:
                weight = min(weights[key], CLASS_WEIGHT[anchor & CLASS_BITS])
                if weight > shared.get(key, 0.0):
                    shared[key] = weight
    fewer = min(len(weights), len(other.anchors))
    return sum(shared.values()), (len(shared) / fewer if fewer else 0.0)


def _word_overlaps(
    query: Fingerprint, others: Sequence[Fingerprint]
) -> tuple[list[float | None], list[float | None]]:
    """Estimated Jaccard similarity and containment of the word sets; None where a side has no
    word MinHash (a version-1 fingerprint)."""
    jaccards: list[float | None] = [None] * len(others)
    containments: list[float | None] = [None] * len(others)
    have = [i for i, o in enumerate(others) if o.words] if query.words else []
    if have:
        mine = np.frombuffer(query.words, dtype=np.uint8)
        theirs = np.frombuffer(b"".join(others[i].words for i in have), dtype=np.uint8)
        agree = np.count_nonzero(theirs.reshape(len(have), WORD_PERMUTATIONS) == mine, axis=1)
        j = np.clip((agree / WORD_PERMUTATIONS - _WORD_CHANCE) / (1 - _WORD_CHANCE), 0.0, 1.0)
        counts = np.array([others[i].word_count for i in have], np.float64)
        common = j * (query.word_count + counts) / (1.0 + j)
        c = np.minimum(1.0, common / np.maximum(1.0, np.minimum(counts, query.word_count)))
        for i, jv, cv in zip(have, j.tolist(), c.tolist(), strict=True):
            jaccards[i], containments[i] = jv, cv
    return jaccards, containments
