"""The NER package's parts: tokenizer, label codes, Viterbi, the document pass, the model file.

Every text here was written for these tests.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from streams.ner import store
from streams.ner.decode import marginals, to_bilou, to_iob, viterbi_batch
from streams.ner.document import harmonize
from streams.ner.table import ClusterTable, HashedTable
from streams.ner.text import MAX_SENTENCE, arabic_splits, normalize_arabic, sentences, tokenize
from streams.ner.training.conll import char_to_token_spans, score_spans, sentence_text, tag_spans

# --- tokenizer -----------------------------------------------------------------------------------


def _words(text: str, abbreviations: frozenset[str] = frozenset()) -> list[str]:
    return [text[a:b] for a, b in tokenize(text, abbreviations)]


def test_tokens_are_cut_as_conll_cuts_them() -> None:
    text = "U.S. firm's 1,000 shares (up 5.6%) rose -- AL-AIN, O'Neill doesn't say."
    assert _words(text, frozenset({"Mr."})) == [
        "U.S.", "firm", "'s", "1,000", "shares", "(", "up", "5.6", "%", ")", "rose", "--",
        "AL-AIN", ",", "O'Neill", "does", "n't", "say", ".",
    ]  # fmt: skip


def test_a_known_abbreviation_keeps_its_stop() -> None:
    assert _words("Mr. Smith of Acme Corp. left.", frozenset({"Mr.", "Corp."})) == [
        "Mr.", "Smith", "of", "Acme", "Corp.", "left", ".",
    ]  # fmt: skip


def test_arabic_words_keep_their_vowel_signs_and_drop_invisible_marks() -> None:
    text = "زار مُوسْكُو\u200f، ثم عاد"
    assert _words(text) == ["زار", "مُوسْكُو", "،", "ثم", "عاد"]


@given(st.text(alphabet="ab AB.,'-\n\u200f\u064e\u0628", max_size=80))
def test_tokens_never_overlap_and_hold_no_space(text: str) -> None:
    last = 0
    for start, end in tokenize(text, frozenset({"ab."})):
        assert last <= start < end <= len(text)
        assert not any(ch.isspace() for ch in text[start:end])
        last = end


def test_sentences_break_at_stops_and_lines_and_cap_their_length() -> None:
    text = "One two. Three\nfour five? Six"
    spans = tokenize(text)
    assert list(sentences(text, spans)) == [(0, 3), (3, 4), (4, 7), (7, 8)]
    long_text = " ".join(["word"] * (MAX_SENTENCE * 2 + 5))
    cut = list(sentences(long_text, tokenize(long_text)))
    assert [b - a for a, b in cut] == [MAX_SENTENCE, MAX_SENTENCE, 5]


def test_arabic_readings_and_normal_form() -> None:
    assert normalize_arabic("أَحْمَد") == "احمد"
    readings = dict(arabic_splits("وبالقاهرة"))
    assert readings[""] == "وبالقاهرة"
    assert readings["وب"] == "القاهرة"
    assert ("لل", "الامم") not in arabic_splits("للامم")
    assert ("ل", "الامم") in arabic_splits("للامم")  # لل is ل + ال with the alef dropped


# --- labels and decoding -------------------------------------------------------------------------


def test_bilou_round_trip() -> None:
    iob = ["B-PERSON", "I-PERSON", "O", "B-LOC", "B-ORG", "I-ORG", "I-ORG"]
    bilou = to_bilou(iob)
    assert bilou == ["B-PERSON", "L-PERSON", "O", "U-LOC", "B-ORG", "I-ORG", "L-ORG"]
    assert to_iob(bilou) == iob


def test_tag_spans_reads_a_stray_inside_tag_as_a_start() -> None:
    assert tag_spans(["O", "I-LOC", "I-LOC", "B-LOC", "I-ORG"]) == [
        (1, 3, "LOC"),
        (3, 4, "LOC"),
        (4, 5, "ORG"),
    ]


def _brute_force(em: np.ndarray, trans: np.ndarray) -> list[int]:
    n, labels = em.shape
    best, best_path = -np.inf, None
    for path in itertools.product(range(labels), repeat=n):
        score = em[0, path[0]] + sum(
            trans[path[i - 1], path[i]] + em[i, path[i]] for i in range(1, n)
        )
        if score > best:
            best, best_path = score, list(path)
    assert best_path is not None
    return best_path


@given(st.lists(st.integers(1, 5), min_size=1, max_size=4), st.integers(0, 2**31))
def test_batched_viterbi_finds_each_sentence_best_path(lengths: list[int], seed: int) -> None:
    rng = np.random.default_rng(seed)
    labels = 3
    trans = rng.normal(size=(labels, labels)).astype(np.float32)
    em = np.zeros((len(lengths), max(lengths), labels), dtype=np.float32)
    for b, n in enumerate(lengths):
        em[b, :n] = rng.normal(size=(n, labels))
    got = viterbi_batch(em, lengths, trans)
    for b, n in enumerate(lengths):
        assert got[b] == _brute_force(em[b, :n], trans)


@given(st.integers(1, 5), st.integers(0, 2**31))
def test_marginals_are_the_brute_force_label_probabilities(n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    labels = 3
    trans = rng.normal(size=(labels, labels)).astype(np.float32)
    em = rng.normal(size=(n, labels)).astype(np.float32)
    expected = np.zeros((n, labels))
    for path in itertools.product(range(labels), repeat=n):
        score = em[0, path[0]] + sum(
            trans[path[i - 1], path[i]] + em[i, path[i]] for i in range(1, n)
        )
        for t, k in enumerate(path):
            expected[t, k] += np.exp(float(score))
    expected /= expected[0].sum()
    assert np.allclose(marginals(em, trans), expected, atol=1e-6)


# --- scoring -------------------------------------------------------------------------------------


def test_scores_are_exact_span_micro_averages_without_misc() -> None:
    gold = [[(0, 2, "PERSON"), (3, 4, "LOC"), (5, 6, "MISC")]]
    pred = [[(0, 2, "PERSON"), (3, 4, "ORG"), (5, 6, "LOC")]]
    scores = score_spans(gold, pred)
    assert (scores["micro"].tp, scores["micro"].fp, scores["micro"].fn) == (1, 2, 1)
    assert scores["PERSON"].f1 == 1.0


def test_character_spans_map_to_tokens_strictly_or_snapped() -> None:
    text, offsets = sentence_text(["قال", "وواشنطن", "اليوم"])
    assert text == "قال وواشنطن اليوم"
    inner = [(5, 11, "LOC")]  # واشنطن without the و
    assert list(char_to_token_spans(inner, offsets, snap=False)) == [(-1, -1, "LOC")]
    assert list(char_to_token_spans(inner, offsets, snap=True)) == [(1, 2, "LOC")]


# --- the document pass ---------------------------------------------------------------------------


def _split(line: str) -> list[str]:
    return line.split()


def test_short_forms_take_the_type_of_the_full_name() -> None:
    sents = [
        _split("Newmont Mining Corp bid for Santa Fe Pacific Gold Corp"),
        _split("Santa Fe rejected Newmont"),
        _split("Orlando Pace won"),
        _split("Pace , a junior , won"),
    ]
    spans = [
        [(0, 3, "ORG"), (5, 10, "ORG")],
        [(3, 4, "PERSON")],
        [(0, 2, "PERSON")],
        [],
    ]
    out = harmonize(sents, spans, cased=True)
    assert out[1] == [(0, 2, "ORG"), (3, 4, "ORG")]  # retyped, and added
    assert out[3] == [(0, 1, "PERSON")]  # added: the surname of a PERSON of this text


def test_a_long_name_near_the_end_of_a_sentence_is_not_half_matched() -> None:
    # "Santa" starts a 2-word and a 5-word alias; the sentence ends one word after it.
    sents = [_split("Santa Fe Pacific Gold Corp and Santa Fe"), _split("then Santa Fe")]
    spans = [[(0, 5, "ORG"), (6, 8, "ORG")], []]
    assert harmonize(sents, spans, cased=True)[1] == [(1, 3, "ORG")]


def test_a_place_named_in_an_org_is_left_a_place() -> None:
    sents = [_split("The New York Stock Exchange opened"), _split("In New York , shares rose")]
    spans = [[(1, 5, "ORG")], [(1, 3, "LOC")]]
    assert harmonize(sents, spans, cased=True)[1] == [(1, 3, "LOC")]


@pytest.mark.parametrize(
    ("text", "tagged"),
    [
        # The text writes "de" too: "De" opening a sentence is the article, not De Morgen.
        ("De krant schreef dat de minister las", []),
        # Never in lower case here: "De" stays the paper's short form, as "Newmont" would.
        ("De krant schreef het", [(0, 1, "ORG")]),
    ],
)
def test_a_short_form_the_text_also_writes_in_lower_case_is_not_a_name(
    text: str, tagged: list[tuple[int, int, str]]
) -> None:
    sents = [_split("De Morgen meldt het ."), _split(text)]
    spans: list[list[tuple[int, int, str]]] = [[(0, 2, "ORG")], []]
    assert harmonize(sents, spans, cased=True)[1] == tagged


def test_uncased_text_is_only_retyped_never_added_to() -> None:
    sents = [["جورج", "بوش", "قال"], ["بوش", "قال"]]
    spans: list[list[tuple[int, int, str]]] = [[(0, 2, "PERSON")], []]
    assert harmonize(sents, spans, cased=False)[1] == []


# --- model file and word table -------------------------------------------------------------------


def test_store_round_trip_is_deterministic(tmp_path: Path) -> None:
    arrays = {
        "w": np.arange(12, dtype=np.float32).reshape(3, 4),
        "s": store.pack_strings(["a", "ب"]),
    }
    a, b = tmp_path / "a.wsner", tmp_path / "b.wsner"
    store.write(a, {"language": "xx"}, arrays)
    store.write(b, {"language": "xx"}, arrays)
    assert a.read_bytes() == b.read_bytes()
    meta, back = store.read(a)
    assert meta == {"language": "xx"}
    assert np.array_equal(back["w"], arrays["w"])
    assert store.unpack_strings(back["s"]) == ["a", "ب"]


def test_store_refuses_a_damaged_file(tmp_path: Path) -> None:
    path = tmp_path / "m.wsner"
    store.write(path, {"language": "xx"}, {"w": np.ones(1000, dtype=np.float32)})
    raw = path.read_bytes()
    path.write_bytes(raw[:-10])
    with pytest.raises(store.ModelFormatError):
        store.read(path)
    path.write_bytes(b"not a model")
    with pytest.raises(store.ModelFormatError):
        store.read(path)


def test_hashed_word_table() -> None:
    table = ClusterTable.build({"Paris": (0b1010, 11), "paris": (0, 17)})
    assert table.get("Paris") == (0b1010, 11)
    assert table.get("paris") == (0, 17)
    assert table.get("London") is None
    with pytest.raises(ValueError, match="sorted"):
        HashedTable(np.array([2, 1], dtype=np.uint64), np.array([0, 0], dtype=np.int64))
