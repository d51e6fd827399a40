"""Building the KB: folding, which names become keys, case forms, the curated file, the format.

Fast: these compile small hand-made entry lists, never the full packaged data.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from streams.core.entities.extractor import EntityExtractor
from streams.kb import build as kb_build
from streams.kb import curated, gazetteer
from streams.kb.aliases import (
    ACRONYM,
    ARTICLE,
    BARE,
    CASED,
    HANGUL_SUFFIX,
    KANA_LEFT,
    LOWER_OK,
    PREFIX_ARABIC,
    match_keys,
    resembles,
)
from streams.kb.build import wordfreqs
from streams.kb.build.wordfreqs import WordFrequencies
from streams.kb.compile import compile_entries
from streams.kb.entry import Kind, Origin, Place, record_entry
from streams.kb.gazetteer import GazetteerFormatError
from streams.kb.inflect import cyrillic_forms
from streams.kb.normalize import fold, fold_key, key_spellings


def place(
    pid: str,
    name: str,
    *names: tuple[str, Origin],
    kind: Kind = Kind.CITY,
    country: str | None = "XX",
    population: int = 500_000,
    etype: str = "LOC",
) -> Place:
    p = Place(
        id=pid,
        name=name,
        kind=kind,
        country=country,
        lat=1.5 if kind is Kind.CITY else None,
        lon=-2.5 if kind is Kind.CITY else None,
        population=population,
        type=etype,
    )
    p.names.extend([(name, Origin.CANONICAL), *names])
    p.mains = (name,)
    return p


def compiled_extractor(
    tmp_path: Path, entries: list[Place], freqs: WordFrequencies | None = None
) -> EntityExtractor:
    compiled = compile_entries(entries, {"note": "tiny"}, freqs)
    path = tmp_path / "tiny.bin"
    gazetteer.write(path, compiled.automaton, compiled.tables)
    return EntityExtractor.load(path)


# --- folding -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("São Paulo", "são paulo"),  # accents are kept by folding; keys carry both spellings
        ("İstanbul", "istanbul"),
        ("МОСКВА", "москва"),
        ("Орёл", "орел"),
        ("أإآٱ ان", "اااا ان"),
        ("أنقرة", "انقره"),
        ("مستشفى", "مستشفي"),
        ("مدينة", "مدينه"),
        ("مُوسْكُـو", "موسكو"),
        ("کیف", "كيف"),
        ("پاریس", "باريس"),
        ("Kyiv’s", "kyiv s"),
        ("«Москва»", "москва"),
        ("  New   York ", "new york"),
        ("ΟΔΟΣ", "οδοσ"),
    ],
)
def test_fold_key(raw: str, folded: str) -> None:
    assert fold_key(raw) == folded


@pytest.mark.parametrize(
    ("raw", "spellings"),
    [
        ("São Paulo", ["são paulo", "sao paulo"]),
        ("Straße", ["straße", "strasse"]),
        ("Côte d’Ivoire", ["côte d ivoire", "cote d ivoire"]),
        ("Moscow", ["moscow"]),
        ("Москва", ["москва"]),  # Cyrillic letters are not "accented Latin": й stays й
    ],
)
def test_key_spellings(raw: str, spellings: list[str]) -> None:
    assert key_spellings(raw) == spellings


@pytest.mark.parametrize(
    "text", ["plain ascii", "Straße", "مُوسْكُو", "e\u0301te", "ﬁx ß ﻻ", "ـًـß\u200c", "", "Москва́"]
)
def test_fold_maps_every_folded_position_back(text: str) -> None:
    folded = fold(text)
    kept = [i for i in range(len(text)) if not folded.is_deleted(i)]
    assert len(folded.text) == len(kept)
    assert [folded.source_start(i) for i in range(len(folded.text))] == kept


# --- which names become keys ---------------------------------------------------------------------


def keys_of(raw: str, origin: Origin, mains: tuple[str, ...] = ()) -> list[tuple[str, int]]:
    return [(mk.key, mk.flags) for mk in match_keys(raw, origin, mains or (raw,), inflect=False)]


@pytest.mark.parametrize(
    ("raw", "origin", "mains", "expected"),
    [
        ("Moskau", Origin.ALTERNATE, ("Moscow",), [(" moskau ", BARE)]),
        ("Mecca", Origin.ALTERNATE, ("Makkah",), [(" mecca ", BARE)]),
        ("Terminus", Origin.ALTERNATE, ("Atlanta",), []),  # nickname, not a spelling
        ("MOW", Origin.ALTERNATE, ("Moscow",), []),  # airport code
        ("mosukuwa", Origin.ALTERNATE, ("Moscow",), []),  # romanization
        ("Of", Origin.CANONICAL, ("Of",), []),  # two letters
        ("Sina", Origin.MINOR, ("China",), []),  # short minor-locale country name
        ("Washington, D.C.", Origin.ALTERNATE, ("Washington",), []),
        ("les Escaldes", Origin.CANONICAL, (), [(" les escaldes ", BARE | LOWER_OK)]),
        ("الجزائر", Origin.CANONICAL, ("Algeria",), [("جزاير ", ARTICLE)]),
        ("موسكو", Origin.ALTERNATE, ("Moscow",), [("موسكو ", BARE)]),
        ("北京", Origin.ALTERNATE, ("Beijing",), [("北京", BARE)]),
        ("京", Origin.ALTERNATE, ("Beijing",), []),
        ("서울", Origin.ALTERNATE, ("Seoul",), [(" 서울", BARE)]),
        ("UN", Origin.CURATED, (), [(" un ", BARE | ACRONYM)]),  # curated acronyms may be short
        ("NATO", Origin.CURATED, (), [(" nato ", BARE | ACRONYM)]),
    ],
)
def test_match_keys(
    raw: str, origin: Origin, mains: tuple[str, ...], expected: list[tuple[str, int]]
) -> None:
    assert keys_of(raw, origin, mains) == expected


@pytest.mark.parametrize(
    ("raw", "mode"),
    [
        ("Moscow", CASED),  # both sides delimited by spaces; the capital is checked
        ("موسكو", PREFIX_ARABIC),  # proclitics may come before it
        ("パリ", KANA_LEFT),  # katakana: not inside a longer katakana word
        ("서울", HANGUL_SUFFIX),  # particles may follow it
    ],
)
def test_key_modes(raw: str, mode: int) -> None:
    (mk,) = match_keys(raw, Origin.CANONICAL, (raw,), inflect=False)
    assert mk.mode & mode == mode


@pytest.mark.parametrize(
    ("alternate", "main", "expected"),
    [
        ("Kiew", "Kyiv", True),
        ("Wien", "Vienna", True),
        ("Kolkata", "Calcutta", True),
        ("Google", "Topeka", False),
        ("Hog Heaven", "Moscow", False),
    ],
)
def test_resembles(alternate: str, main: str, expected: bool) -> None:
    assert resembles(alternate, main) is expected


# --- Russian and Ukrainian case forms ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "forms", "not_forms"),
    [
        ("москва", {"москвы", "москве", "москву", "москвой", "москві", "москвою"}, {"москвич"}),
        ("россия", {"россии", "россию", "россией"}, {"российский"}),
        ("украина", {"украине", "украины", "украину"}, {"украинский"}),
        ("україна", {"україни", "україні", "україною"}, set()),
        ("путин", {"путина", "путину", "путиным", "путине"}, {"путинский"}),
        ("зеленский", {"зеленского", "зеленскому", "зеленским"}, set()),
        ("соединенные штаты", {"соединенных штатов", "соединенным штатам"}, set()),
        ("харків", {"харкова", "харкові"}, set()),
        ("київ", {"києва", "києві"}, set()),
        ("білий дім", {"білому домі"}, set()),
        ("сумы", {"сумах", "сумами"}, set()),
        ("токио", set(), {"токиа"}),  # indeclinable
    ],
)
def test_cyrillic_forms(name: str, forms: set[str], not_forms: set[str]) -> None:
    made = cyrillic_forms(name)
    assert forms <= made
    assert not (not_forms & made)


# --- the curated file ----------------------------------------------------------------------------


def test_the_repo_curated_file_is_valid_and_large_enough() -> None:
    loaded = curated.load(curated.CURATED_PATH)
    assert loaded.errors == ()
    assert len(loaded.records) >= 300
    types = {r.type for r in loaded.records}
    assert {"PERSON", "ORG", "LOC"} <= types
    ids = [r.id for r in loaded.records if r.id is not None]
    assert len(ids) == len(set(ids)), "an id on two lines"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"type": "PER", "name": "X"}', "'type' must be one of PERSON, ORG, LOC, GPE, MISC"),
        ('{"type": "ORG"}', "'name' must be a non-empty string"),
        ('{"type": "ORG", "name": "X", "id": "Q42"}', "'id' must be 'wikidata:Q<digits>'"),
        ('{"type": "ORG", "name": "X", "names": ["X"]}', "'names' must be an object"),
        ('{"type": "ORG", "name": "X", "nmae": "Y"}', "unknown field 'nmae'"),
        ('{"type": "LOC", "name": "X", "lat": 123}', "'lat' must be a number between -90"),
        ('{"type": "ORG", "name": "X", "country": "usa"}', "'country' must be an ISO 3166-1"),
        ("{not json", "not valid JSON"),
        ("[1, 2]", "each line must be a JSON object"),
    ],
)
def test_curated_lines_are_validated_with_their_line_number(line: str, message: str) -> None:
    good = '{"type": "ORG", "name": "Good"}'
    result = curated.parse_lines(["# comment", good, "", line], "list.jsonl")
    assert [r.name for r in result.records] == ["Good"]
    (error,) = result.errors
    assert error.startswith("list.jsonl:4: ")
    assert message in error


# --- compiling ------------------------------------------------------------------------------------


@pytest.fixture
def tiny(tmp_path: Path) -> EntityExtractor:
    entries = [
        place("t:land", "Testland", ("تستلاند", Origin.CANONICAL), kind=Kind.COUNTRY, country="TL"),
        place("t:other", "Otherland", kind=Kind.COUNTRY, country="OL", population=1_000),
        place("t:big", "Springfield", ("Sprangfeld", Origin.ALTERNATE), country="OL"),
        place("t:small", "Springfield", country="TL", population=20_000),
        place("t:reading", "Reading", population=300_000),  # a stopword, never a key
        place("t:tiny3", "Zuq", population=20_000),  # three letters, too small a place
        place("t:big3", "Vuq", population=2_000_000),
        place("t:arab", "Ad Dawha", ("الدوحة", Origin.ALTERNATE), country="QA"),
        place("t:word", "Wordton", ("كلمة", Origin.ALTERNATE), population=20_000),
        place("t:nice", "Nicetown", ("Nicely", Origin.CANONICAL), population=300_000),
        place(
            "q:1", "Jane Example", ("Example", Origin.CURATED), kind=Kind.CURATED, etype="PERSON"
        ),
    ]
    # Word frequencies as wordfreq's Zipf scale gives them: كلمة ("word") and "nicely" are far
    # more common than a town of 20,000 or 300,000 would be.
    freqs = WordFrequencies(by_lang={"ar": {"كلمه": 5.5}, "en": {"nicely": 5.0}})
    return compiled_extractor(tmp_path, entries, freqs)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Springfield", ["t:big"]),  # population prior
        ("Testland: Springfield", ["t:land", "t:small"]),  # the named country wins
        ("Sprangfeld", ["t:big"]),
        ("Reading", []),
        ("Zuq and Vuq", ["t:big3"]),
        ("وصل إلى الدوحة", ["t:arab"]),
        ("وبتستلاند", ["t:land"]),
        ("قال كلمة", []),  # an uncased everyday word: dropped from the keys
        ("They met Nicely there.", ["t:nice"]),  # a cased everyday word mid-sentence: a name
        ("Nicely done, they said.", []),  # ... but not opening a sentence
        ("Jane Example spoke. Example said so.", ["q:1"]),
    ],
)
def test_compiled_gazetteer_links(tiny: EntityExtractor, text: str, expected: list[str]) -> None:
    assert [e.id for e in tiny.extract(text, "en") if e.id] == expected


def test_compiled_gazetteer_round_trips(tmp_path: Path) -> None:
    compiled = compile_entries([place("t:big", "Springfield", country="OL")], {"note": "tiny"})
    path = tmp_path / "tiny.bin"
    gazetteer.write(path, compiled.automaton, compiled.tables)
    meta = gazetteer.read_meta(path)
    assert meta["note"] == "tiny"
    assert meta["entities"] == {"city": 1}
    (e,) = EntityExtractor.load(path).extract("Rain in Springfield.")
    assert (e.id, e.name, e.type, e.country, e.lat, e.lon) == (
        "t:big",
        "Springfield",
        "LOC",
        "OL",
        1.5,
        -2.5,
    )


def test_value_packing_round_trips() -> None:
    assert gazetteer.unpack_value(gazetteer.pack_value(123_456, group=True)) == (123_456, True)
    assert gazetteer.unpack_value(gazetteer.pack_value(7, group=False)) == (7, False)


def test_foreign_file_is_rejected(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.bin"
    bogus.write_bytes(b"not a gazetteer")
    with pytest.raises(GazetteerFormatError):
        gazetteer.load(bogus)


def test_curated_place_with_a_packaged_geonames_id_takes_its_coordinates() -> None:
    record = curated.parse_record({"id": "geonames:1", "type": "LOC", "name": "Placeville"})
    rows = {
        "geonames:1": {
            "countrycode": "UA",
            "latitude": "48.3",
            "longitude": "37.2",
            "population": "60000",
        }
    }
    entry = record_entry(record, rows)
    assert (entry.country, entry.lat, entry.lon, entry.population) == ("UA", 48.3, 37.2, 60000)


def test_curated_record_for_a_known_place_adds_names_instead_of_a_second_entry() -> None:
    known = place("geonames:9", "Kupyansk", country="UA")
    record = curated.parse_record(
        {"id": "geonames:9", "type": "LOC", "name": "Kupiansk", "names": {"uk": ["Куп'янськ"]}}
    )
    merged = kb_build.merge_curated([known], [record], {})
    assert merged == [known]
    assert known.name == "Kupiansk"
    assert ("Куп'янськ", Origin.CURATED) in known.names


def test_cli_writes_and_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(kb_build, "country_places", lambda: [place("t:c", "Testland")])
    monkeypatch.setattr(kb_build, "city_places", lambda _pop: [place("t:x", "Springfield")])
    monkeypatch.setattr(kb_build, "city_rows", dict)
    monkeypatch.setattr(kb_build, "pycountry_available", lambda: False)
    monkeypatch.setattr(wordfreqs, "load", WordFrequencies)
    listing = tmp_path / "curated.jsonl"
    listing.write_text('{"type": "ORG", "name": "Acme Corp"}\n', encoding="utf-8")
    out = tmp_path / "sub" / "g.bin"
    assert kb_build.main(["--out", str(out), "--curated", str(listing)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["path"] == str(out)
    assert report["keys"] == 3
    meta = gazetteer.read_meta(out)
    assert meta["subdivisions"] is False
    assert meta["curated"]["records"] == 1
