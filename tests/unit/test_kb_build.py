"""Building the gazetteer: which names become keys, and the file format.

Fast: these compile small hand-made place lists, never the full packaged data.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from streams.core.entities import EntityExtractor
from streams.kb import build as kb_build
from streams.kb import gazetteer
from streams.kb.aliases import ARTICLE, BARE, LOWER_OK, match_key, resembles
from streams.kb.gazetteer import GazetteerFormatError
from streams.kb.normalize import Script, fold, fold_char, fold_key
from streams.kb.sources import Kind, Origin, Place


def place(
    pid: str,
    name: str,
    *names: tuple[str, Origin],
    kind: Kind = Kind.CITY,
    country: str | None = "XX",
    population: int = 500_000,
) -> Place:
    p = Place(
        id=pid,
        name=name,
        kind=kind,
        country=country,
        lat=1.5 if kind is Kind.CITY else None,
        lon=-2.5 if kind is Kind.CITY else None,
        population=population,
    )
    p.names.extend([(name, Origin.CANONICAL), *names])
    p.mains = (name,)
    return p


# --- folding -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("São Paulo", "sao paulo"),
        ("Đà Nẵng", "da nang"),
        ("İstanbul", "istanbul"),
        ("Straße", "strasse"),
        ("Орёл", "орел"),
        ("أإآٱ", "اااا"),
        ("مستشفى", "مستشفي"),
        ("مدينة", "مدينه"),
        ("مُوسْكُـو", "موسكو"),
        ("کیف", "كيف"),
        ("پاریس", "باريس"),
        ("Kyiv’s", "kyiv's"),
        ("ﻻ", "لا"),
        ("  New   York ", "new york"),
    ],
)
def test_fold_key(raw: str, folded: str) -> None:
    assert fold_key(raw) == folded


@pytest.mark.parametrize(
    "text", ["plain ascii", "Straße", "مُوسْكُو", "e\u0301te", "ﬁx ß ﻻ", "ـًـß\u200c", ""]
)
def test_fold_maps_every_folded_position_back(text: str) -> None:
    folded = fold(text)
    # Reference: each source character repeated once per character it folds to.
    expected = [i for i, ch in enumerate(text) for _ in fold_char(ch)]
    assert len(folded.text) == len(expected)
    assert [folded.source_start(i) for i in range(len(folded.text))] == expected


# --- which names become keys ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "origin", "mains", "expected"),
    [
        ("Moskau", Origin.ALTERNATE, ("Moscow",), ("moskau", BARE)),
        ("Mecca", Origin.ALTERNATE, ("Makkah",), ("mecca", BARE)),
        ("Terminus", Origin.ALTERNATE, ("Atlanta",), None),  # nickname, not a spelling
        ("MOW", Origin.ALTERNATE, ("Moscow",), None),  # airport code
        ("mosukuwa", Origin.ALTERNATE, ("Moscow",), None),  # romanization
        ("Of", Origin.CANONICAL, ("Of",), None),  # two letters
        ("Sina", Origin.MINOR, ("China",), None),  # short minor-locale country name
        ("Washington, D.C.", Origin.ALTERNATE, ("Washington",), None),
        ("les Escaldes", Origin.CANONICAL, ("les Escaldes",), ("les escaldes", BARE | LOWER_OK)),
        ("الجزائر", Origin.CANONICAL, ("Algeria",), ("جزاير", ARTICLE)),
        ("موسكو", Origin.ALTERNATE, ("Moscow",), ("موسكو", BARE)),
        ("北京", Origin.ALTERNATE, ("Beijing",), ("北京", BARE)),
        ("京", Origin.ALTERNATE, ("Beijing",), None),
    ],
)
def test_match_key(
    raw: str, origin: Origin, mains: tuple[str, ...], expected: tuple[str, int] | None
) -> None:
    mk = match_key(raw, origin, mains)
    assert (None if mk is None else (mk.key, mk.flags)) == expected


def test_match_key_reports_script_and_letters() -> None:
    mk = match_key("غزة", Origin.CANONICAL, ("Gaza",))
    assert mk is not None
    assert (mk.script, mk.letters) == (Script.ARABIC, 3)


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


# --- compiling ------------------------------------------------------------------------------------


@pytest.fixture
def tiny(tmp_path: Path) -> tuple[Path, EntityExtractor]:
    places = [
        place("t:land", "Testland", ("تستلاند", Origin.CANONICAL), kind=Kind.COUNTRY, country="TL"),
        place("t:other", "Otherland", kind=Kind.COUNTRY, country="OL", population=1_000),
        place("t:big", "Springfield", ("Sprangfeld", Origin.ALTERNATE), country="OL"),
        place("t:small", "Springfield", country="TL", population=20_000),
        place("t:reading", "Reading", population=300_000),  # a stopword, never a key
        place("t:tiny3", "Zuq", population=20_000),  # three letters, too small a place
        place("t:big3", "Vuq", population=2_000_000),
        place("t:arab", "Ad Dawha", ("الدوحة", Origin.ALTERNATE), country="QA"),
    ]
    automaton, tables, dropped = kb_build.compile_places(places, {"note": "tiny"})
    assert dropped["stoplist"] == 1
    assert dropped["short_for_small_place"] == 1
    path = tmp_path / "tiny.bin"
    gazetteer.write(path, automaton, tables)
    return path, EntityExtractor.load(path)


def test_compiled_gazetteer_round_trips(tiny: tuple[Path, EntityExtractor]) -> None:
    path, extractor = tiny
    meta = gazetteer.read_meta(path)
    assert meta["note"] == "tiny"
    assert meta["places"] == {"country": 2, "city": 4}
    (e,) = extractor.extract("Rain in Springfield.")
    assert (e.id, e.name, e.country, e.lat, e.lon) == ("t:big", "Springfield", "OL", 1.5, -2.5)


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
    ],
)
def test_compiled_gazetteer_links(
    tiny: tuple[Path, EntityExtractor], text: str, expected: list[str]
) -> None:
    assert [e.id for e in tiny[1].extract(text)] == expected


def test_value_packing_round_trips() -> None:
    value = gazetteer.pack_value(17, 123_456, group=True)
    assert gazetteer.unpack_value(value) == (17, 123_456, True)
    with pytest.raises(ValueError, match="key length"):
        gazetteer.pack_value(gazetteer.MAX_KEY_LEN + 1, 1, group=False)


def test_foreign_file_is_rejected(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.bin"
    bogus.write_bytes(b"not a gazetteer")
    with pytest.raises(GazetteerFormatError):
        gazetteer.load(bogus)


def test_cli_writes_and_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(kb_build, "country_places", lambda: [place("t:c", "Testland")])
    monkeypatch.setattr(kb_build, "city_places", lambda _pop: [place("t:x", "Springfield")])
    monkeypatch.setattr(kb_build, "pycountry_available", lambda: False)
    out = tmp_path / "sub" / "g.bin"
    assert kb_build.main(["--out", str(out)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["path"] == str(out)
    assert report["keys"] == 2
    assert gazetteer.read_meta(out)["subdivisions"] is False
