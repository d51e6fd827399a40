"""How alike two fingerprints are, and what that makes the later item.

Two measures, both in 0..1:

- **text**: the estimated Jaccard similarity of the bodies' shingle sets (from b-bit MinHash), and
  the containment of the smaller set in the larger (a truncated copy is contained in its original
  although their Jaccard is low). Only an edited copy of the same text scores high.
- **story**: ``cos + ANCHOR_WEIGHT * (1 - exp(-shared / ANCHOR_SCALE))``, where ``cos`` is the
  cosine of the two USE-multilingual embeddings of headline + lead and ``shared`` the summed weight
  of the anchors (entity ids, Latin-script names, numbers) the two have in common, then mapped
  linearly so that ``STORY_FLOOR`` (the 99th percentile of that raw score over pairs of unrelated
  articles) becomes 0 and 1.0 stays 1. Below the floor, two articles are as alike as unrelated
  ones usually are, so the differences there are noise and the similarity is 0.

The reported similarity is the larger of the two. Every constant here was chosen on the benchmark
(``make bench-dedupe``, ``bench/dedupe.py``); docs/dedupe.md has the tables behind each.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from streams.core.dedupe.embed import dequantize
from streams.core.dedupe.fingerprint import CLASS_BITS, CLASS_WEIGHT, PERMUTATIONS, Fingerprint
from streams.models import DedupeStatus

# An edited copy: containment of the shingle sets at least this. On the benchmark every edited copy
# of 243 real articles was contained at 0.67 or more, no two different articles above 0.46 (a
# same-story pair quoting one statement): the threshold sits in the middle of that gap.
NEAR_DUPLICATE_AT = 0.55
# Below this many shingles containment is too easily 1 (a one-line item inside any article that
# quotes it), so short texts are judged on Jaccard.
MIN_CONTAINMENT_SHINGLES = 8
# The same story: calibrated story similarity at least this. On news_pairs.jsonl the lowest
# same-story pair scored 0.45 and the highest different pair 0.38 (but one, at 0.58): the middle.
STORY_AT = 0.42
# The 99th percentile of the raw story score over 4,140 pairs of unrelated articles (not labels).
STORY_FLOOR = 0.47
# The anchor term: up to +0.4 on the cosine, half of it from about two shared names. Any weight in
# 0.3-0.6 and scale in 2-4 gave Pearson 0.82-0.83 and AUC 0.98-1.0 (docs/dedupe.md): a plateau.
ANCHOR_WEIGHT = 0.4
ANCHOR_SCALE = 3.0
UNDETERMINED = "und"
_CHANCE = 1.0 / 65536  # two different minima agree in their low 16 bits by chance


@dataclass(frozen=True, slots=True)
class Scores:
    jaccard: float  # estimated Jaccard similarity of the shingle sets
    containment: float  # of the smaller set in the larger (Jaccard for short texts)
    shared_shingles: float  # estimated size of the intersection
    cosine: float | None  # of the embeddings; None when one side has none
    # Summed weight of the anchors in common; None without a cosine, which is all they add to.
    shared_anchors: float | None

    @property
    def story_raw(self) -> float:
        """Before calibration: the cosine plus the anchor term (-1 without embeddings)."""
        if self.cosine is None or self.shared_anchors is None:
            return -1.0
        return self.cosine + ANCHOR_WEIGHT * (1.0 - math.exp(-self.shared_anchors / ANCHOR_SCALE))

    @property
    def story(self) -> float:
        """Calibrated: 0 at STORY_FLOOR (as alike as unrelated articles get) or below, 1 at 1."""
        return min(1.0, max(0.0, (self.story_raw - STORY_FLOOR) / (1.0 - STORY_FLOOR)))

    @property
    def similarity(self) -> float:
        return max(self.jaccard, self.story)


def compare(a: Fingerprint, b: Fingerprint) -> Scores:
    return compare_many(a, [b])[0]


def compare_many(query: Fingerprint, others: Sequence[Fingerprint]) -> list[Scores]:
    """Scores of ``query`` against each of ``others``, vectorised over them."""
    if not others:
        return []
    mine = query.minhash_array()
    theirs = np.frombuffer(b"".join(o.minhash for o in others), dtype="<u2").reshape(
        len(others), PERMUTATIONS
    )
    agree = np.count_nonzero(theirs == mine, axis=1) / PERMUTATIONS
    jaccards = np.clip((agree - _CHANCE) / (1 - _CHANCE), 0.0, 1.0)
    cosines = _cosines(query, others)
    weights = _anchor_weights(query) if query.embedding else {}
    out: list[Scores] = []
    for other, jaccard, cosine in zip(others, jaccards.tolist(), cosines, strict=True):
        shared = jaccard * (query.shingles + other.shingles) / (1.0 + jaccard)
        small = min(query.shingles, other.shingles)
        # Short texts are judged on Jaccard: a line or two is too easily contained in anything.
        containment = min(1.0, shared / small) if small >= MIN_CONTAINMENT_SHINGLES else jaccard
        # The `fast` profile has no embeddings: skipping its anchors saves a tenth of a ms/item.
        anchors = _shared_weight(weights, other) if cosine is not None else None
        out.append(Scores(jaccard, containment, shared, cosine, anchors))
    return out


def classify(scores: Scores, language: str, other_language: str) -> DedupeStatus | None:
    """What ``scores`` make the later item, or None when it is not the earlier one's story."""
    if scores.containment >= NEAR_DUPLICATE_AT:
        return DedupeStatus.NEAR_DUPLICATE
    if scores.story >= STORY_AT:
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


def _shared_weight(weights: dict[int, float], other: Fingerprint) -> float:
    """Shared anchors, each counted at the weaker of its two classes."""
    shared: dict[int, float] = {}
    for anchor in other.anchors:
        key = anchor >> 3
        mine = weights.get(key)
        if mine is not None:
            shared[key] = max(shared.get(key, 0.0), min(mine, CLASS_WEIGHT[anchor & CLASS_BITS]))
    return sum(shared.values())
