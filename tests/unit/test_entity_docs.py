"""The entity benchmark's scoring conventions (bench/entity_docs.py), and the worker memory
benchmark's feed: what they compare is what a consumer gets."""

from __future__ import annotations

import orjson
import pytest

from bench.entity_docs import Doc, _gold, error_kinds, eval_sets, surface
from bench.worker_memory import feed
from streams.ner import SHIPPED


@pytest.mark.parametrize(
    ("tokens", "expected"),
    [
        # CoNLL-2002 Spanish and WikiNEuRal Russian tag the quotes with the name.
        ([('"', "B-ORG"), ("Reforma", "I-ORG"), ('"', "I-ORG")], {("Reforma", "ORG")}),
        ([("«", "B-ORG"), ("Динамо", "I-ORG"), ("»", "I-ORG")], {("Динамо", "ORG")}),
        # ANERcorp's invisible marks; MISC is not scored.
        (
            [("مارك", "B-PERS"), ("ريجيف\u200f", "I-PERS"), ("Euro", "B-MISC")],
            {("مارك ريجيف", "PERSON")},
        ),
        # A B- tag starts a new name even inside one of the same type.
        ([("Kohl", "B-PER"), ("Chirac", "B-PER")], {("Kohl", "PERSON"), ("Chirac", "PERSON")}),
    ],
)
def test_gold_names_are_read_as_a_consumer_reads_them(
    tokens: list[tuple[str, str]], expected: set[tuple[str, str]]
) -> None:
    assert _gold(tokens, " ") == expected


@pytest.mark.parametrize(
    ("text", "span", "lang", "expected"),
    [
        ("في وواشنطن اليوم", (4, 10), "ar", "وواشنطن"),  # the corpus token the span touches
        ('el diario " Reforma " dijo', (12, 19), "es", "Reforma"),
        ('el diario " Reforma " dijo', (10, 21), "es", "Reforma"),  # quotes on either side
        ("北京市长", (0, 3), "zh", "北京市"),  # unspaced: the span as it is
    ],
)
def test_a_found_span_is_compared_by_the_tokens_it_touches(
    text: str, span: tuple[int, int], lang: str, expected: str
) -> None:
    assert surface(text, *span, lang) == expected


def test_the_memory_feed_has_text_in_every_shipped_language() -> None:
    sets = eval_sets()
    languages = {sets[item["id"].split("-")[1]][0] for item in map(orjson.loads, feed(1))}
    assert set(SHIPPED) <= languages


def test_errors_are_sorted_by_kind() -> None:
    gold = frozenset(
        {("Reforma", "ORG"), ("Banco de España", "ORG"), ("Aznar", "PERSON"), ("Soria", "LOC")}
    )
    found = {
        ("Reforma", "LOC"),  # the right name, the wrong type
        ("Banco", "ORG"),  # a part of a missed name
        ("Lunes", "PERSON"),  # nothing of the gold
        ("Aznar", "PERSON"),  # right
    }
    kinds = error_kinds([Doc("", gold)], [found], "es")
    assert kinds == {
        "false_positives": 3,
        "misses": 3,
        "type_confusions": 1,
        "boundaries": 1,
        "spurious": 1,
        "missed_outright": 1,  # Soria: no false find shares a word with it
    }
