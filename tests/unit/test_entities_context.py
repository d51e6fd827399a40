"""Context before the gazetteer, namesakes, sources and mentions, and the model's language.

A scripted model (``Script``) stands for the NER model, so each row states what the model read
and what the stage must make of it with the real KB (tests/unit/conftest.py)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import FrozenInstanceError, replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streams.core.entities.extractor import EntityExtractor
from streams.core.entities.language import model_language, names_only
from streams.models import Entity, Language, MentionSpan, mention_span, new_entity

FRANCE = "geonames:3017382"
NICE = "geonames:2990440"
POKROVSK_UA = "geonames:704422"
UKRAINE = "geonames:690791"
IPOH = "geonames:1734634"


class Script:
    """A model that proposes the spans of the given words (``(surface, type)``), in order."""

    def __init__(self, *words: tuple[str, str]) -> None:
        self.words = words

    def covers(self, language: str | None) -> bool:
        return language == "en"

    def propose(self, text: str, language: str | None) -> Sequence[tuple[int, int, str]]:
        del language
        out, at = [], 0
        for surface, etype in self.words:
            start = text.index(surface, at)
            out.append((start, start + len(surface), etype))
            at = start + len(surface)
        return out


_LOADED: dict[Path, tuple[EntityExtractor, Script]] = {}


def _scripted(kb_path: Path) -> tuple[EntityExtractor, Script]:
    """One extractor per KB for every row: loading the KB takes most of a second."""
    if kb_path not in _LOADED:
        script = Script()
        _LOADED[kb_path] = (EntityExtractor.load(kb_path, proposer=script), script)
    return _LOADED[kb_path]


def run(kb_path: Path, text: str, *words: tuple[str, str]) -> tuple[Entity, ...]:
    extractor, script = _scripted(kb_path)
    script.words = words
    return extractor.extract(text, "en")


def seen(entities: tuple[Entity, ...]) -> list[tuple[str, str, str | None]]:
    return [(e.text, e.type, e.id) for e in entities]


# --- a KB place in a person's context ------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "text", "words", "expected"),
    [
        (
            "the model names the surname elsewhere",
            "Kazuyoshi Miura scored. Later Miura left.",
            [("Kazuyoshi Miura", "PERSON")],
            [("Kazuyoshi Miura", "PERSON", None), ("Miura", "PERSON", None)],
        ),
        ("a title before it", "Mr Honda said so.", [], [("Honda", "PERSON", None)]),
        ("a role before it", "The goal came from striker Miura.", [], [("Miura", "PERSON", None)]),
        (
            "a given name before it",
            "Andrei Ivanov won.",
            [("Andrei", "PERSON")],
            [("Andrei Ivanov", "PERSON", None)],
        ),
        (
            "a list of people",
            "Hassan , Abbas and Nadim Ladki played.",
            [("Nadim Ladki", "PERSON")],
            [
                ("Hassan", "PERSON", None),
                ("Abbas", "PERSON", None),
                ("Nadim Ladki", "PERSON", None),
            ],
        ),
        (
            "the model's longer name holds the place",
            "Andrei Ivanov won.",
            [("Andrei Ivanov", "PERSON")],
            [("Andrei Ivanov", "PERSON", None)],
        ),
        (
            "the model calls it a place: it stays one",
            "Kazuyoshi Miura visited Miura.",
            [("Kazuyoshi Miura", "PERSON"), ("Miura", "LOC")],
            [("Kazuyoshi Miura", "PERSON", None), ("Miura", "LOC", "geonames:1907309")],
        ),
        (
            "a list of places stays places",
            "Talks in Nice , Lyon and Paris.",
            [("Nice", "LOC")],
            [
                ("Nice", "LOC", NICE),
                ("Lyon", "LOC", "geonames:2996944"),
                ("Paris", "LOC", "geonames:2988507"),
            ],
        ),
        (
            "a place the model read as no name is dropped",
            "The IPO was priced.",
            [],
            [],
        ),
        (
            "... unless the text names its country",
            "Fighting near Pokrovsk , Ukraine .",
            [("Ukraine", "LOC")],
            [("Pokrovsk", "LOC", POKROVSK_UA), ("Ukraine", "LOC", UKRAINE)],
        ),
        (
            "a dateline keeps its city whatever the model says",
            "NICE , France 1996-12-06",
            [("NICE", "ORG"), ("France", "LOC")],
            [("NICE", "LOC", NICE), ("France", "LOC", FRANCE)],
        ),
        (
            "a name the KB does not know opening a dateline is a place",
            "TIGNES , France 1996-12-06\nSnow fell.",
            [("TIGNES", "ORG"), ("France", "LOC")],
            [("TIGNES", "LOC", None), ("France", "LOC", FRANCE)],
        ),
        (
            "a city the model reads as a club is the club",
            "Nice beat Lyon 2-0.",
            [("Nice", "ORG"), ("Lyon", "ORG")],
            [("Nice", "ORG", None), ("Lyon", "ORG", None)],
        ),
        ("a nationality word is no country", "Swiss officials met.", [("Swiss", "MISC")], []),
        (
            "a city opening a row of results is a team",
            "NHL standings\nCALGARY 10 16 2 65 77 22\nNICE 1996-12-06",
            [("CALGARY", "LOC"), ("NICE", "LOC")],
            [("CALGARY", "ORG", None), ("NICE", "LOC", NICE)],
        ),
        (
            "a longer place name of the model wins",
            "at the Melbourne Cricket Ground",
            [("Melbourne Cricket Ground", "LOC")],
            [("Melbourne Cricket Ground", "LOC", None)],
        ),
        (
            "a shorter model name inside a KB name keeps the KB's link",
            "a Gaza Strip truce",
            [("Gaza", "LOC")],
            [("Gaza", "LOC", "wikidata:Q39760")],
        ),
    ],
)
def test_context_before_the_gazetteer(
    kb_path: Path,
    rule: str,
    text: str,
    words: list[tuple[str, str]],
    expected: list[tuple[str, str, str | None]],
) -> None:
    assert seen(run(kb_path, text, *words)) == expected, rule


def test_without_a_model_the_kb_reads_alone(extractor: EntityExtractor) -> None:
    # No model to read the context: the KB's reading stands (the `fast` profile).
    assert [e.id for e in extractor.extract("The IPO was priced.", "en")] == [IPOH]


# --- namesakes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words", "expected"),
    [
        ("Amazon shares rose.", [], ("ORG", "wikidata:Q3884")),
        ("Amazon shares rose.", [("Amazon", "ORG")], ("ORG", "wikidata:Q3884")),
        (
            "Officials in Brasilia met. They came to discuss the Amazon.",
            [("Brasilia", "LOC"), ("Amazon", "LOC")],
            ("LOC", "wikidata:Q177567"),
        ),
    ],
)
def test_namesakes_follow_the_document(
    kb_path: Path, text: str, words: list[tuple[str, str]], expected: tuple[str, str]
) -> None:
    (amazon,) = [e for e in run(kb_path, text, *words) if e.text == "Amazon"]
    assert (amazon.type, amazon.id) == expected


# --- sources and mentions ------------------------------------------------------------------------


def test_every_entity_says_where_it_came_from(kb_path: Path) -> None:
    text = "Telegram said Vladimir Putin met Qorvan Lint in Moscow, Russia."
    words = [("Vladimir Putin", "PERSON"), ("Qorvan Lint", "PERSON"), ("Russia", "LOC")]
    assert [(e.text, e.source) for e in run(kb_path, text, *words)] == [
        ("Telegram", "kb"),
        ("Vladimir Putin", "kb+model"),
        ("Qorvan Lint", "model"),
        ("Moscow", "kb"),
        ("Russia", "kb+model"),
    ]
    rules = EntityExtractor.load(kb_path).extract("Minister Ortwin Kleebauer spoke.", "de")
    assert [(e.text, e.source) for e in rules] == [("Ortwin Kleebauer", "rules")]
    # Retyped by the context: what found the words, and what retyped them.
    retyped = run(
        kb_path, "Kazuyoshi Miura scored. Mr Honda and Miura left.", ("Kazuyoshi Miura", "PERSON")
    )
    assert [(e.text, e.source) for e in retyped] == [
        ("Kazuyoshi Miura", "model"),
        ("Honda", "kb+rules"),
        ("Miura", "kb+model"),
    ]


def test_every_mention_is_reported(extractor: EntityExtractor) -> None:
    text = "Kyiv said. Later Kiev and КИЕВ again; Russia too, then Kyiv."
    kyiv = next(e for e in extractor.extract(text) if e.name == "Kyiv")
    assert [text[m.start : m.end] for m in kyiv.mentions] == ["Kyiv", "Kiev", "КИЕВ", "Kyiv"]
    assert (kyiv.start, kyiv.end, kyiv.count) == (0, 4, 4)


_WORDS = ["Moscow", "Putin", "Kyiv", "Kiev", "Nice", "said", "и", "Москве", "بوتين", "the", "Honda"]


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.sampled_from(_WORDS), max_size=20), st.sampled_from([" ", ", ", ". ", "\n"]))
def test_mentions_index_the_text_and_count_each_entity(
    extractor: EntityExtractor, words: list[str], sep: str
) -> None:
    text = sep.join(words)
    entities = extractor.extract(text, "en")
    spans = [(m.start, m.end) for e in entities for m in e.mentions]
    assert len(spans) == len(set(spans))  # a mention belongs to one entity
    for e in entities:
        assert e.count == len(e.mentions)
        assert (e.mentions[0].start, e.mentions[0].end) == (e.start, e.end)
        assert [m.start for m in e.mentions] == sorted(m.start for m in e.mentions)
        assert all(text[m.start : m.end] for m in e.mentions)
        assert e.source in {"kb", "rules", "watchlist", "kb+watchlist"}


_STORY = (
    "LONDON 1996-12-06\nKazuyoshi Miura , Honda and Andrei Ivanov ( Russia ) met in Nice , "
    "France .\nCALGARY 10 16 2 65\nMr Soma said the IPO in Moscow was priced ."
)
_TYPES = ["PERSON", "ORG", "LOC", "MISC"]


class Random:
    """Whatever spans hypothesis draws, overlapping and out of order included."""

    spans: Sequence[tuple[int, int, str]] = ()

    def covers(self, language: str | None) -> bool:
        return True

    def propose(self, text: str, language: str | None) -> Sequence[tuple[int, int, str]]:
        return self.spans


_RANDOM = Random()


@pytest.fixture(scope="module")
def randomly_read(kb_path: Path) -> EntityExtractor:
    return EntityExtractor.load(kb_path, proposer=_RANDOM)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(
            st.integers(-5, len(_STORY) + 5), st.integers(0, 30), st.sampled_from(_TYPES)
        ).map(lambda t: (t[0], t[0] + t[1], t[2])),
        max_size=25,
    )
)
def test_any_model_reading_gives_a_well_formed_answer(
    randomly_read: EntityExtractor, spans: list[tuple[int, int, str]]
) -> None:
    _RANDOM.spans = spans
    entities = randomly_read.extract(_STORY, "en")
    taken: list[tuple[int, int]] = []
    for e in entities:
        assert e.count == len(e.mentions) >= 1
        assert (e.start, e.end) == (e.mentions[0].start, e.mentions[0].end)
        assert e.text == _STORY[e.start : e.end]
        assert all(part in {"kb", "watchlist", "model", "rules"} for part in e.source.split("+"))
        assert (e.id is None) or e.type in {"PERSON", "ORG", "LOC", "GPE", "MISC"}
        taken.extend((m.start, m.end) for m in e.mentions)
    taken.sort()
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(taken))  # no overlaps


@given(
    st.text(max_size=8),
    st.sampled_from(_TYPES),
    st.none() | st.text(max_size=8),
    st.integers(0, 99),
    st.integers(0, 99),
    st.none() | st.floats(allow_nan=False),
    st.lists(st.tuples(st.integers(0, 99), st.integers(0, 99)), max_size=3),
    st.sampled_from(["kb", "kb+model", "model"]),
)
def test_the_fast_constructors_make_the_same_values(  # noqa: PLR0917 - one per drawn field
    text: str,
    etype: str,
    eid: str | None,
    start: int,
    end: int,
    lat: float | None,
    pairs: list[tuple[int, int]],
    source: str,
) -> None:
    spans = tuple(mention_span(a, b) for a, b in pairs)
    assert spans == tuple(MentionSpan(a, b) for a, b in pairs)
    made = new_entity(text, etype, eid, text, start, end, len(spans), None, lat, lat, spans, source)
    assert made == Entity(
        text, etype, eid, text, start, end, len(spans), None, lat, lat, (), spans, source
    )
    assert hash(made) == hash(replace(made))
    with pytest.raises(FrozenInstanceError):
        made.start = 0  # type: ignore[misc]


# --- which model reads the text ------------------------------------------------------------------


def _covers(language: str) -> bool:
    return language in {"en", "ar"}


@pytest.mark.parametrize(
    ("detected", "text", "hint", "expected"),
    [
        (Language("en", 0.99, "Latn"), "Talks resumed in Geneva on Monday.", None, "en"),
        (Language("ar", 0.99, "Arab"), "استؤنفت المحادثات في جنيف", None, "ar"),
        # A language read with confidence that no model covers: the KB and rules read it.
        (Language("de", 0.99, "Latn"), "Die Gespräche wurden in Genf fortgesetzt.", None, None),
        # Unsure: the hint, when it is written in the text's script and has a model ...
        (Language("und", 0.0, "Latn"), "Nadim Ladki", "en", "en"),
        (Language("und", 0.0, "Arab"), "نديم لادقي", "en", "ar"),  # ... else the script's
        (Language("und", 0.0, "Latn"), "Hassan , Abbas , Salem", None, "en"),
        (Language("und", 0.0, "Zyyy"), "SOCCER - JAPAN GET LUCKY WIN", None, "en"),
        (Language("id", 0.64, "Latn"), "Dong Jiong ( China ) beat Indra Wijaya", None, "en"),
        # A table of names read confidently as German is still a table of names.
        (Language("de", 0.99, "Latn"), "Bayer Leverkusen 17 10 4 3 38 22 34", None, "en"),
        (Language("und", 0.0, "Grek"), "Αθήνα", None, None),  # no model for the script
        (Language("und", 0.0, "Zyyy"), "12 - 4 , 1996", None, None),
    ],
)
def test_the_model_reads_whatever_text_can_carry_it(
    detected: Language, text: str, hint: str | None, expected: str | None
) -> None:
    assert model_language(detected, text, hint, _covers) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Bayer Leverkusen 17 10 4 3 38 22 34\nBayern Munich 16 9 6 1 26 14 33", True),
        ("RUGBY UNION - CUTTITTA BACK FOR ITALY AFTER A YEAR .", True),
        ("Talks resumed in Geneva on Monday, officials said.", False),
        ("Die Gespräche wurden am Montag in Genf fortgesetzt, sagten Beamte.", False),
        ("استؤنفت المحادثات في جنيف يوم الاثنين", False),
    ],
)
def test_names_only(text: str, expected: bool) -> None:
    assert names_only(text) is expected
