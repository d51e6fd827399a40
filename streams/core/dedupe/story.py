"""The story score: how likely two articles tell the same story, from the parts of their scores.

A logistic model over a few features of a pair (:data:`FEATURES`), each a number that
:func:`streams.core.dedupe.similarity.compare_many` measures between two fingerprints:

- ``cosine``: of the USE-multilingual embeddings of headline + lead;
- ``anchors``: ``1 - exp(-shared / 3)`` of the summed weight of the shared anchors (entity ids,
  names, numbers), which saturates after a few names;
- ``anchor_share``: how many of the smaller side's anchors the other side has too;
- ``containment``: of the smaller body's shingle set in the larger (shared sentences);
- ``word_jaccard``, ``word_containment``: of the two sets of words of four letters or more
  (the vocabulary the two share).

Its output, in 0..1, estimates the human rating of the pair mapped to 0..1 (1 = the same story, 0 =
unrelated): the model is fitted to ``(4 - overall) / 3`` of rated pairs by ``make train-story``
(:mod:`streams.core.dedupe.training`), with cross-validation grouped by article. The weights and the
decision threshold are data, in ``story.json`` next to this module, with the cross-validated figures
they were chosen by; docs/dedupe.md has the table.

Fingerprints of version 1 have no word MinHash, so a pair with such a side is scored by a second
model fitted without the word features.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

FEATURES = (
    "cosine",
    "anchors",
    "anchor_share",
    "containment",
    "word_jaccard",
    "word_containment",
)
WORD_FEATURES = frozenset({"word_jaccard", "word_containment"})
ANCHOR_SCALE = 3.0  # shared weight at which the anchor term reaches 1 - 1/e
PARAMS_PATH = Path(__file__).with_name("story.json")


@dataclass(frozen=True, slots=True)
class StoryModel:
    """``sigmoid(intercept + sum(coef[i] * value[features[i]]))``."""

    features: tuple[str, ...]
    coef: tuple[float, ...]
    intercept: float

    def __post_init__(self) -> None:
        unknown = set(self.features) - set(FEATURES)
        if unknown or len(self.coef) != len(self.features):
            raise ValueError(f"story model: bad features {self.features} / {len(self.coef)} coef")

    def score(self, values: Mapping[str, float]) -> float:
        z = self.intercept + sum(
            c * values[f] for f, c in zip(self.features, self.coef, strict=True)
        )
        return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0

    def score_rows(self, rows: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Scores of rows of feature values in :data:`FEATURES` order (unused ones ignored)."""
        z = np.clip(rows @ _weights(self) + self.intercept, -700.0, 700.0)
        result: npt.NDArray[np.float64] = 1.0 / (1.0 + np.exp(-z))
        return result

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StoryModel:
        return cls(
            tuple(str(f) for f in data["features"]),
            tuple(float(c) for c in data["coef"]),
            float(data["intercept"]),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "coef": list(self.coef),
            "intercept": self.intercept,
        }


@dataclass(frozen=True, slots=True)
class StoryParams:
    """The shipped models and the threshold of the story decision."""

    full: StoryModel  # both sides have word MinHashes
    no_words: StoryModel  # a side is a version-1 fingerprint
    story_at: float  # story score at or above which the later item joins the earlier one's story

    def __post_init__(self) -> None:
        if WORD_FEATURES & set(self.no_words.features):
            raise ValueError("the no-words story model uses word features")
        if not 0.0 < self.story_at < 1.0:
            raise ValueError(f"story_at must lie in (0, 1), not {self.story_at}")

    def score(self, values: Mapping[str, float], *, words: bool) -> float:
        return (self.full if words else self.no_words).score(values)

    def score_rows(
        self, rows: npt.NDArray[np.float64], words: npt.NDArray[np.bool_]
    ) -> npt.NDArray[np.float64]:
        """Vectorised :meth:`score`: rows in FEATURES order, ``words`` per row."""
        return np.where(words, self.full.score_rows(rows), self.no_words.score_rows(rows))

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StoryParams:
        return cls(
            StoryModel.from_json(data["full"]),
            StoryModel.from_json(data["no_words"]),
            float(data["story_at"]),
        )


@cache
def _weights(model: StoryModel) -> npt.NDArray[np.float64]:
    """The coefficients over all of FEATURES (0 for those the model does not use)."""
    weights = np.zeros(len(FEATURES))
    for feature, coef in zip(model.features, model.coef, strict=True):
        weights[FEATURES.index(feature)] = coef
    return weights


def anchor_term(shared: float) -> float:
    return 1.0 - math.exp(-shared / ANCHOR_SCALE)


@cache
def params(path: Path = PARAMS_PATH) -> StoryParams:
    """The shipped parameters (read once per process)."""
    return StoryParams.from_json(orjson.loads(path.read_bytes()))
