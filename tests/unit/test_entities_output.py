"""Entities stage, the output side: unlinked names, model spans, the contract, and linking
the same entity across languages. Runs on the real KB (tests/unit/conftest.py)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streams.core.entities.extractor import EntityExtractor
from streams.kb import gazetteer
from streams.models import Entity

ROOT = Path(__file__).resolve().parents[2]
CROSSLINGUAL = ROOT / "tests" / "data" / "crosslingual.jsonl"
MOSCOW = "geonames:524901"
RUSSIA = "geonames:2017370"
KYIV = "geonames:703448"
TELEGRAM = "wikidata:Q15616276"
LEEDS = "geonames:2644688"


def ids(entities: tuple[Entity, ...]) -> list[str | None]:
    return [e.id for e in entities]


# --- names the KB does not know -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        (
            "Talks were led by Ambassador Ortwin Kleebauer on Monday.",
            "en",
            ("Ortwin Kleebauer", "PERSON"),
        ),
        (
            "He joined the Zelmont Analytics Institute last year.",
            "en",
            ("Zelmont Analytics Institute", "ORG"),
        ),
        ("وقال الرئيس الفنلندي تاركو ليندفال إن الاجتماع", "ar", ("تاركو ليندفال", "PERSON")),
        ("Об этом заявил министр Аркадий Трощенков.", "ru", ("Аркадий Трощенков", "PERSON")),
        ("Die Gespräche führte Präsident Ortwin Kleebauer.", "de", ("Ortwin Kleebauer", "PERSON")),
    ],
)
def test_unknown_names_are_reported_unlinked(
    extractor: EntityExtractor, text: str, language: str, expected: tuple[str, str]
) -> None:
    entities = extractor.extract(text, language)
    assert expected in [(e.text, e.type) for e in entities if e.id is None]
    for e in entities:
        assert text[e.start : e.end] == e.text


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Dockworkers walked off the job on Friday.", "en"),  # a word opening a sentence
        ("Die Hafenarbeiter haben am Freitagmorgen gestreikt.", "de"),  # German nouns
        ("وقال المتحدث باسم الوزارة إن الجانبين اتفقا", "ar"),  # a title with no name after it
        ("سكرتير مجلس الأمن القومي", "ar"),  # a title followed by a noun, not a name
    ],
)
def test_no_unlinked_name_from_ordinary_words(
    extractor: EntityExtractor, text: str, language: str
) -> None:
    assert extractor.extract(text, language) == ()


class FakeModel:
    def __init__(self, spans: Sequence[tuple[int, int, str]]) -> None:
        self.spans = spans

    def covers(self, language: str | None) -> bool:
        return language == "en"

    def propose(self, text: str, language: str | None) -> Sequence[tuple[int, int, str]]:
        del text, language
        return self.spans


def test_model_spans_merge_by_the_documented_rule(kb_path: Path) -> None:
    text = "Telegram said the Bank of Lesotho and Qorvan Lint met in Moscow."
    model = FakeModel(
        [
            (0, 8, "MISC"),  # KB match with another type: the KB span and type stay
            (18, 33, "ORG"),  # contains the KB place "Lesotho": the organisation wins
            (38, 49, "PERSON"),  # unknown to the KB: reported unlinked
            (54, 60, "LOC"),  # crosses "Moscow" (57-63): dropped
            (70, 90, "PERSON"),  # out of range: ignored
        ]
    )
    entities = EntityExtractor.load(kb_path, proposer=model).extract(text, "en")
    assert [(e.text, e.type, e.id) for e in entities] == [
        ("Telegram", "ORG", TELEGRAM),
        ("Bank of Lesotho", "ORG", None),
        ("Qorvan Lint", "PERSON", None),
        ("Moscow", "LOC", MOSCOW),
    ]


@pytest.mark.parametrize(
    ("span", "name"),
    [
        ((4, 18, "ORG"), "Qorvan Lint"),  # quotes and the spaces inside them
        ((5, 18, "ORG"), "Qorvan Lint"),
        ((6, 20, "ORG"), "Qorvan Lint"),  # a space, a quote and a comma after the name
    ],
)
def test_a_name_is_reported_without_the_punctuation_or_spaces_at_its_edges(
    kb_path: Path, span: tuple[int, int, str], name: str
) -> None:
    text = 'The " Qorvan Lint ", a unit, said so.'
    entities = EntityExtractor.load(kb_path, proposer=FakeModel([span])).extract(text, "en")
    assert [(e.text, text[e.start : e.end]) for e in entities] == [(name, name)]


@pytest.mark.parametrize(
    ("text", "span", "expected"),
    [
        # A city read as a club: the model's type, and no link to the city.
        ("Leeds won 2-0.", (0, 5, "ORG"), ("Leeds", "ORG", None)),
        # A city read as a person's name.
        ("Lara scored 375.", (0, 4, "PERSON"), ("Lara", "PERSON", None)),
        # A country keeps its link whatever the model says: metonymy, not another entity.
        ("Russia said no.", (0, 6, "ORG"), ("Russia", "LOC", RUSSIA)),
        # The model agreeing that it is a place changes nothing.
        ("Leeds is rainy.", (0, 5, "LOC"), ("Leeds", "LOC", LEEDS)),
    ],
)
def test_model_reading_a_city_as_a_name_wins(
    kb_path: Path, text: str, span: tuple[int, int, str], expected: tuple[str, str, str | None]
) -> None:
    entities = EntityExtractor.load(kb_path, proposer=FakeModel([span])).extract(text, "en")
    assert [(e.text, e.type, e.id) for e in entities] == [expected]


def test_rules_stand_down_where_a_model_covers_the_language(kb_path: Path) -> None:
    text = "Minister Ortwin Kleebauer spoke."
    silent = EntityExtractor.load(kb_path, proposer=FakeModel([]))
    assert silent.extract(text, "en") == ()  # the model saw no name: no rule guesses either
    assert [e.text for e in silent.extract(text, "de")] == ["Ortwin Kleebauer"]  # no model


# --- output contract ----------------------------------------------------------------------------


def test_one_entity_per_id_at_first_mention_with_count(extractor: EntityExtractor) -> None:
    text = "Kyiv said. Later Kiev and КИЕВ again; Russia too, then Kyiv."
    entities = [e for e in extractor.extract(text) if e.id]
    assert ids(tuple(entities)) == [KYIV, RUSSIA]
    kyiv, russia = entities
    assert (kyiv.text, kyiv.start, kyiv.end, kyiv.count) == ("Kyiv", 0, 4, 4)
    assert (kyiv.name, kyiv.country, kyiv.type) == ("Kyiv", "UA", "LOC")
    assert kyiv.lat is not None
    assert (russia.name, russia.country, russia.lat, russia.lon) == ("Russia", "RU", None, None)


def test_unlinked_mentions_count_by_surface_and_type(extractor: EntityExtractor) -> None:
    text = "Minister Ortwin Kleebauer spoke; later Ortwin Kleebauer left."
    (e,) = extractor.extract(text, "en")
    assert (e.text, e.type, e.id, e.start, e.count) == ("Ortwin Kleebauer", "PERSON", None, 9, 2)


def test_subdivisions_are_linked(extractor: EntityExtractor, kb_path: Path) -> None:
    if not gazetteer.read_meta(kb_path)["subdivisions"]:
        pytest.fail("KB built without ISO 3166-2 subdivisions: install pycountry")
    entities = extractor.extract("Wildfires in California and Bavaria.")
    assert [(e.id, e.country) for e in entities] == [
        ("iso3166-2:US-CA", "US"),
        ("iso3166-2:DE-BY", "DE"),
    ]


def test_empty_and_nameless_texts(extractor: EntityExtractor) -> None:
    assert extractor.extract("") == ()
    assert extractor.extract("nothing to see here, 12345 !!!") == ()


_NAMES = ["Moscow", "موسكو", "لموسكو", "São Paulo", "莫斯科", "부산에서", "Straße", "ﻻ", "Kyiv"]
_NOISE = st.text(
    alphabet=st.sampled_from(list("aZ é\u0301ß\u064b\u0640ـأإىة\u200c-'’ \n莫斯科パリ에서İﬁ")),
    max_size=12,
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.one_of(st.sampled_from(_NAMES), _NOISE, st.text(max_size=8)), max_size=12))
def test_offsets_always_index_the_original_text(
    extractor: EntityExtractor, parts: list[str]
) -> None:
    text = "".join(parts)
    entities = extractor.extract(text)
    assert [e.start for e in entities] == sorted(e.start for e in entities)
    for e in entities:
        assert 0 <= e.start < e.end <= len(text)
        assert text[e.start : e.end] == e.text
        assert e.count >= 1


# --- cross-language linking ----------------------------------------------------------------------


def test_crosslingual_linking(extractor: EntityExtractor) -> None:
    rows = [json.loads(line) for line in CROSSLINGUAL.read_text(encoding="utf-8").splitlines()]
    by_entity: dict[str, set[str]] = {}
    for row in rows:
        by_entity.setdefault(row["id"], set()).add(row["lang"])
    assert len(by_entity) >= 20
    assert all(len(langs) >= 10 for langs in by_entity.values())
    missed = [
        (row["id"], row["lang"], row["text"])
        for row in rows
        if row["id"] not in ids(extractor.extract(row["text"], row["lang"]))
    ]
    assert 1 - len(missed) / len(rows) >= 0.98, missed
