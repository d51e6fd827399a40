"""The story score: its parts (word MinHash, unlinked-name anchors), the shipped model, and the
fitting code behind ``make train-story`` (logistic fit, threshold rule, grouping by article)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from streams.core.dedupe.fingerprint import fingerprint
from streams.core.dedupe.similarity import compare
from streams.core.dedupe.story import FEATURES, StoryModel, StoryParams, params
from streams.core.dedupe.training.fit import choose_threshold, fit_logistic, group_folds, joined
from streams.core.dedupe.training.pairs import Article, Measured, Pair, article_groups
from streams.models import Entity

BODY = (
    "The harbour authority closed the port of Valparaiso on Tuesday after a storm brought waves "
    "of six metres; fourteen container ships waited at anchor and exporters expect delays."
)
OTHER = (
    "Norway's central bank held its policy rate at four and a half percent on Thursday, saying "
    "inflation was easing more slowly than expected by most economists in Oslo."
)


def _vector(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=512).astype(np.float32)
    return v / np.linalg.norm(v)


def test_shared_vocabulary_is_measured_from_the_word_minhash() -> None:
    a = fingerprint("Storm shuts port", BODY, "en", (), _vector(1))
    same = compare(a, fingerprint("Storm shuts port", BODY, "en", (), _vector(2)))
    other = compare(a, fingerprint("Rates on hold", OTHER, "en", (), _vector(2)))
    assert (same.word_jaccard, same.word_containment) == (1.0, 1.0)
    assert other.word_jaccard is not None
    assert other.word_jaccard <= 0.1


def test_a_version_1_side_is_scored_without_the_word_features() -> None:
    a = fingerprint("Storm shuts port", BODY, "en", (), _vector(1))
    b = fingerprint("Storm shuts port", BODY, "en", (), _vector(3))
    old = replace(b, words=b"", word_count=0)
    scores = compare(a, old)
    assert scores.word_jaccard is None
    assert scores.story == pytest.approx(params().no_words.score(scores.features()))
    assert compare(a, b).story == pytest.approx(params().full.score(compare(a, b).features()))


def test_without_embeddings_there_is_no_story_score() -> None:
    a = fingerprint(None, BODY, "en", (), None)
    scores = compare(a, fingerprint(None, OTHER, "en", (), None))
    assert (scores.cosine, scores.story, scores.shared_anchors) == (None, 0.0, None)


def _arabic(name: str, etype: str = "PERSON") -> tuple[Entity, ...]:
    return (Entity(name, etype, None, name, 0, len(name)),)


@pytest.mark.parametrize(
    ("first", "second", "shared"),
    [
        (_arabic("أيمن مختار"), _arabic("أيمن مختار"), 2.0),  # two name words
        (_arabic("البنك التجاري الدولي", "ORG"), _arabic("البنك التجارى الدولى", "ORG"), 3.0),
        (_arabic("أيمن مختار"), _arabic("جيمي فاردي"), 0.0),
        (_arabic("القاهرة", "LOC"), _arabic("القاهرة", "LOC"), 0.5),  # an unlinked place
        (_arabic("الدولار", "MISC"), _arabic("الدولار", "MISC"), 0.3),  # weak
        (_arabic("Ayman Mokhtar"), _arabic("Ayman Mokhtar"), 0.0),  # Latin: capitals cover it
    ],
)
def test_unlinked_names_in_scripts_without_capitals_are_anchors(
    first: tuple[Entity, ...], second: tuple[Entity, ...], shared: float
) -> None:
    body = "نص قصير"  # the names' words are not in the body: only the entities bring them
    a = fingerprint(None, body, "ar", first, _vector(1))
    b = fingerprint(None, body, "ar", second, _vector(2))
    assert compare(a, b).shared_anchors == pytest.approx(shared)


def test_the_shipped_model_rises_with_the_embedding_and_the_shared_vocabulary() -> None:
    shipped = params()
    base = dict.fromkeys(FEATURES, 0.2)
    for feature in ("cosine", "anchors"):
        low, high = base | {feature: 0.2}, base | {feature: 0.8}
        assert shipped.full.score(high) > shipped.full.score(low), feature
        assert shipped.no_words.score(high) > shipped.no_words.score(low), feature
    words = base | {"word_jaccard": 0.5, "word_containment": 0.8}
    assert shipped.full.score(words) > shipped.full.score(base)
    assert 0.0 < shipped.story_at < 1.0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"story_at": 1.0}, "story_at"),
        ({"no_words": StoryModel(("word_jaccard",), (1.0,), 0.0)}, "no-words"),
    ],
)
def test_story_params_refuse_what_the_runtime_cannot_use(change: dict, message: str) -> None:
    model = StoryModel(("cosine",), (1.0,), 0.0)
    with pytest.raises(ValueError, match=message):
        StoryParams(**({"full": model, "no_words": model, "story_at": 0.5} | change))


def test_story_models_refuse_unknown_features() -> None:
    with pytest.raises(ValueError, match="bad features"):
        StoryModel(("cosine", "colour"), (1.0, 1.0), 0.0)


@given(coef=st.tuples(st.floats(-3, 3), st.floats(-3, 3)), intercept=st.floats(-2, 2))
def test_the_logistic_fit_recovers_known_coefficients(
    coef: tuple[float, float], intercept: float
) -> None:
    x = np.random.default_rng(7).uniform(-1, 1, size=(400, 2))
    target = 1.0 / (1.0 + np.exp(-(x @ np.array(coef) + intercept)))
    got, got_intercept = fit_logistic(x, target, l2=0.0)
    assert np.allclose(got, coef, atol=1e-4)
    assert math.isclose(got_intercept, intercept, abs_tol=1e-4)


def _article(name: str, text: str | None = None) -> Article:
    return Article(name, text or f"text of {name}", "en", f"https://example.org/{name}")


def _pair(a: Article, b: Article, overall: float = 1.0) -> Pair:
    return Pair("pairs.jsonl", f"{a.title}-{b.title}", overall, a, b)


@pytest.mark.parametrize(
    ("pairs", "groups"),
    [
        ([("a", "b"), ("c", "d")], [0, 1]),
        ([("a", "b"), ("b", "c"), ("d", "e")], [0, 0, 1]),
        ([("a", "b"), ("c", "d"), ("d", "a")], [0, 0, 0]),
    ],
)
def test_pairs_that_share_an_article_share_a_group(
    pairs: list[tuple[str, str]], groups: list[int]
) -> None:
    assert article_groups([_pair(_article(a), _article(b)) for a, b in pairs]) == groups


def test_an_article_is_recognised_by_its_text_under_another_link() -> None:
    one = _pair(_article("a", "the same text"), _article("b"))
    two = _pair(
        replace(_article("x", "the same text"), link="https://mirror.example/x"), _article("c")
    )
    groups = article_groups([one, two])
    assert groups[0] == groups[1]
    assert len(set(group_folds(groups * 3, repeat=0))) <= 2


def _measured(overall: float, *, blocked: bool = True, near: bool = False) -> Measured:
    pair = _pair(_article("a"), _article("b"), overall)
    features = dict.fromkeys(FEATURES, 0.0)
    return Measured(pair, 0, features, 0.0, blocked, near, 0.0, 0.0)


@pytest.mark.parametrize(
    ("scores", "stage", "threshold"),
    [
        # 100 different pairs: 2 may be joined, so the threshold sits just above the third-highest.
        (list(range(100)), False, float(np.nextafter(97.0, np.inf))),
        (list(range(100)), True, float(np.nextafter(97.0, np.inf))),
    ],
)
def test_the_threshold_joins_at_most_2_percent_of_different_training_pairs(
    scores: list[int], stage: bool, threshold: float
) -> None:
    train = [_measured(4.0) for _ in scores]
    got = choose_threshold(train, [float(s) for s in scores], stage=stage)
    assert got == threshold
    assert sum(joined(m, s, got, stage=stage) for m, s in zip(train, scores, strict=True)) == 2


def test_near_duplicates_and_unblocked_pairs_are_counted_as_the_stage_decides() -> None:
    # 2 of 100 different pairs are edited copies (joined whatever the score): no room is left.
    train = [_measured(4.0, near=n < 2) for n in range(100)]
    got = choose_threshold(train, [0.5] * 100, stage=True)
    assert sum(joined(m, 0.5, got, stage=True) for m in train) == 2
    # 3 copies: over the bound whatever the threshold, which then joins nothing more.
    train = [_measured(4.0, near=n < 3) for n in range(100)]
    assert choose_threshold(train, [0.5] * 100, stage=True) == 1.0
    # Pairs that blocking never compares cannot be joined, whatever their score.
    unblocked = [_measured(4.0, blocked=False) for _ in range(100)]
    blocked = [_measured(4.0) for _ in range(100)]
    scores = [0.9] * 100 + [n / 100 for n in range(100)]
    # 4 of the 200 may be joined: the 4 highest-scoring blocked ones, 0.96 and up.
    assert choose_threshold(unblocked + blocked, scores, stage=True) == np.nextafter(0.95, 1)
