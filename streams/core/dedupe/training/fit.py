"""Logistic regression on numpy, cross-validation grouped by article, and the threshold rule.

The story model is fitted to soft labels, ``(4 - overall) / 3``, with the cross-entropy loss
(a fractional logit): its output estimates the mean rating, which is what a Pearson correlation
with the rating rewards, and it stays in 0..1. Features are standardised for the fit (the L2
penalty then treats them alike) and the coefficients are mapped back, so the shipped model reads
raw feature values.

The decision threshold is chosen on the training pairs only: the lowest score at which at most
``max_different_joined`` of the *different* pairs (rating >= 3.5) would end in one story, the
pairs' blocking and near-duplicate paths included. Alerting consumers lose an alert when two
stories merge, and get a second alert when one story splits; the rule bounds the first.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from streams.core.dedupe.story import StoryModel
from streams.core.dedupe.training.pairs import Measured

F64 = npt.NDArray[np.float64]
SEED = 20261207
REPEATS = 5
FOLDS = 5
L2 = 1e-3  # on standardised features: a guard against separation, not a prior
MAX_DIFFERENT_JOINED = 0.02

Scorer = Callable[[Measured], float]


@dataclass(frozen=True, slots=True)
class Method:
    """A way to score pairs: ``fit`` learns from training pairs and returns two scorers, the
    reported similarity and the score the decision thresholds (the same for an anchor)."""

    name: str
    fit: Callable[[Sequence[Measured]], tuple[Scorer, Scorer]]
    # Decided as the dedupe stage decides (blocking, near-duplicates, then the decision score);
    # otherwise an anchor, joined when its score passes the threshold alone.
    stage: bool = False


def fit_logistic(x: F64, target: F64, l2: float = L2) -> tuple[F64, float]:
    """Coefficients and intercept of ``sigmoid(x @ coef + intercept)`` fitted to ``target``
    (values in 0..1) by Newton's method; ``x`` is used as given (raw features)."""
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    penalty = np.diag([*([l2] * x.shape[1]), 0.0])
    beta = np.zeros(z.shape[1])
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-(z @ beta)))
        gradient = z.T @ (p - target) / len(z) + penalty @ beta
        hessian = (z * (p * (1 - p))[:, None]).T @ z / len(z) + penalty
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if float(np.abs(step).max()) < 1e-10:
            break
    coef = beta[:-1] / scale
    return coef, float(beta[-1] - coef @ mean)


def fit_story(train: Sequence[Measured], features: Sequence[str]) -> StoryModel:
    x = np.array([[m.features[f] for f in features] for m in train], np.float64)
    target = np.array([m.pair.target for m in train], np.float64)
    coef, intercept = fit_logistic(x, target)
    return StoryModel(tuple(features), tuple(float(c) for c in coef), intercept)


def joined(m: Measured, score: float, threshold: float, *, stage: bool) -> bool:
    """Whether b ends in a's story: as the stage decides, or for an anchor by its score alone."""
    if not stage:
        return score >= threshold
    return m.blocked and (m.near_duplicate or score >= threshold)


def choose_threshold(
    train: Sequence[Measured], scores: Sequence[float], *, stage: bool,
    max_different_joined: float = MAX_DIFFERENT_JOINED,
) -> float:  # fmt: skip
    """The lowest threshold at which at most ``max_different_joined`` of the different training
    pairs would be joined (1.0 when even the threshold cannot get there)."""
    different = [(m, s) for m, s in zip(train, scores, strict=True) if m.pair.different]
    allowed = math.floor(max_different_joined * len(different))
    forced = sum(m.blocked and m.near_duplicate for m, _s in different) if stage else 0
    open_ = sorted((s for m, s in different if not stage or (m.blocked and not m.near_duplicate)))
    room = allowed - forced
    if room < 0 or not open_:
        return 1.0
    if room >= len(open_):
        return open_[0]
    return float(np.nextafter(open_[-1 - room], np.inf))


def group_folds(groups: Sequence[int], repeat: int, folds: int = FOLDS) -> list[int]:
    """The fold of each pair: its group's, groups dealt round-robin in a seeded random order."""
    order = np.random.default_rng(SEED + repeat).permutation(max(groups) + 1)
    fold_of_group = {int(g): i % folds for i, g in enumerate(order)}
    return [fold_of_group[g] for g in groups]


@dataclass(frozen=True, slots=True)
class Outcome:
    """One pair's held-out score and decision in one repeat."""

    measured: Measured
    repeat: int
    fold: int
    score: float
    joined: bool


def cross_validate(
    measured: Sequence[Measured],
    method: Method,
    repeats: int = REPEATS,
    folds: int = FOLDS,
    max_different_joined: float = MAX_DIFFERENT_JOINED,
) -> list[Outcome]:
    out: list[Outcome] = []
    groups = [m.group for m in measured]
    for repeat in range(repeats):
        fold_of = group_folds(groups, repeat, folds)
        for fold in range(folds):
            train = [m for m, f in zip(measured, fold_of, strict=True) if f != fold]
            test = [m for m, f in zip(measured, fold_of, strict=True) if f == fold]
            similarity, decide_by = method.fit(train)
            threshold = choose_threshold(
                train,
                [decide_by(m) for m in train],
                stage=method.stage,
                max_different_joined=max_different_joined,
            )
            for m in test:
                decision = joined(m, decide_by(m), threshold, stage=method.stage)
                out.append(Outcome(m, repeat, fold, similarity(m), decision))
    return out


def pearson(scores: Sequence[float], ratings: Sequence[float]) -> float:
    if len(scores) < 3 or statistics.pstdev(scores) == 0:
        return math.nan
    return float(np.corrcoef(scores, [-r for r in ratings])[0, 1])


def auc(same: Sequence[float], different: Sequence[float]) -> float:
    """Probability that a same-story pair scores above a different one (ties count half)."""
    if not same or not different:
        return math.nan
    s, d = np.asarray(same)[:, None], np.asarray(different)[None, :]
    return float(((s > d).sum() + 0.5 * (s == d).sum()) / (s.size * d.size))


def metrics(outcomes: Sequence[Outcome]) -> dict[str, float]:
    same = [o for o in outcomes if o.measured.pair.same]
    different = [o for o in outcomes if o.measured.pair.different]
    return {
        "pearson": pearson(
            [o.score for o in outcomes], [o.measured.pair.overall for o in outcomes]
        ),
        "auc": auc([o.score for o in same], [o.score for o in different]),
        "same_joined": statistics.fmean(o.joined for o in same) if same else math.nan,
        "different_joined": statistics.fmean(o.joined for o in different)
        if different
        else math.nan,
    }


@dataclass(frozen=True, slots=True)
class Summary:
    """A metric over the cross-validation: pooled held-out value (mean over repeats) and the
    standard deviation of its value over the individual test folds."""

    mean: float
    fold_sd: float
    repeat_sd: float


def summarise(outcomes: Sequence[Outcome], file: str) -> dict[str, Summary]:
    mine = [o for o in outcomes if o.measured.pair.file == file]
    repeats = sorted({o.repeat for o in mine})
    pooled = [metrics([o for o in mine if o.repeat == r]) for r in repeats]
    per_fold = [
        metrics([o for o in mine if o.repeat == r and o.fold == f])
        for r in repeats
        for f in sorted({o.fold for o in mine})
    ]
    out: dict[str, Summary] = {}
    for key in pooled[0]:
        folds = [m[key] for m in per_fold if not math.isnan(m[key])]
        values = [m[key] for m in pooled]
        out[key] = Summary(
            statistics.fmean(values),
            statistics.stdev(folds) if len(folds) > 1 else math.nan,
            statistics.stdev(values) if len(values) > 1 else 0.0,
        )
    return out
