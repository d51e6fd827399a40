"""Entities stage: countries and places linked to geonames / ISO 3166-2 ids.

These run against the real compiled gazetteer: the one ``make kb`` builds, or, when it has not
been built, one built here into a temporary directory (slow, about 15 s, once per session).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streams.core.entities import EntityExtractor
from streams.kb import gazetteer
from streams.kb.build import build
from streams.kb.gazetteer import GazetteerMissingError
from streams.models import Entity

SEEDS = Path(__file__).resolve().parents[2].parent / "shared" / "seeds"
ARABIC_SEED = SEEDS / "000_ae7e2c79b1dce607.txt"

RUSSIA = "geonames:2017370"
UKRAINE = "geonames:690791"
MOSCOW = "geonames:524901"
MOSCOW_IDAHO = "geonames:5601538"
UNITED_STATES = "geonames:6252001"
BRUSSELS = "geonames:2800866"
SUMY = "geonames:692194"
KUPIANSK = "geonames:703656"
EUROPE = "geonames:6255148"
PARIS = "geonames:2988507"
KABUL = "geonames:1138958"
GAZA = "geonames:281133"
DUBAI = "geonames:292223"
ANKARA = "geonames:323786"
ALGERIA = "geonames:2589581"
IRAQ = "geonames:99237"
BUSAN = "geonames:1838524"
PAPUA_NEW_GUINEA = "geonames:2088628"
GUINEA = "geonames:2420477"
SAO_PAULO = "geonames:3448439"
NICE = "geonames:2990440"
ESSEN = "geonames:2928810"
CORDOBA_AR = "geonames:3860259"
CORDOBA_ES = "geonames:2519240"
SPAIN = "geonames:2510769"
NEW_YORK_CITY = "geonames:5128581"
ORYOL = "geonames:515012"
INDIA = "geonames:1269750"


@pytest.fixture(scope="session")
def kb_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if gazetteer.DEFAULT_PATH.exists():
        return gazetteer.DEFAULT_PATH
    out = tmp_path_factory.mktemp("kb") / "gazetteer.bin"
    build(out)
    return out


@pytest.fixture(scope="session")
def extractor(kb_path: Path) -> EntityExtractor:
    return EntityExtractor.load(kb_path)


def ids(entities: tuple[Entity, ...]) -> list[str | None]:
    return [e.id for e in entities]


# --- the real seed -------------------------------------------------------------------------------


def test_seed_places_are_linked_and_nothing_else(extractor: EntityExtractor) -> None:
    assert ARABIC_SEED.exists(), f"seed missing: {ARABIC_SEED} (the tests read ../shared/seeds)"
    text = ARABIC_SEED.read_text(encoding="utf-8")
    entities = extractor.extract(text, "ar")
    by_id = {e.id: e for e in entities}
    # Every mention in the seed that the packaged data can name, and no common word ("كان",
    # "المدينة", "تسوية", the given names "فلاديمير" and "ستيف").
    assert set(by_id) == {
        RUSSIA, UKRAINE, MOSCOW, SUMY, KUPIANSK, BRUSSELS, UNITED_STATES, EUROPE,
    }  # fmt: skip
    assert by_id[MOSCOW].count == 2  # "موسكو" and, with a proclitic, "لموسكو"
    assert by_id[UKRAINE].count == 3
    assert by_id[UNITED_STATES].text == "الولايات المتحدة"
    assert (by_id[RUSSIA].name, by_id[RUSSIA].country) == ("Russia", "RU")
    assert (by_id[MOSCOW].name, by_id[MOSCOW].country) == ("Moscow", "RU")
    assert by_id[MOSCOW].lat == pytest.approx(55.75, abs=0.1)
    for e in entities:
        assert text[e.start : e.end] == e.text
        assert e.type == "LOC"


# --- normalization rules: each with a text that must match and one that must not ---------------


@pytest.mark.parametrize(
    ("rule", "text", "expected"),
    [
        ("latin diacritics folded", "Talks in Sao Paulo", [SAO_PAULO]),
        ("latin diacritics kept in output", "Talks in São Paulo", [SAO_PAULO]),
        ("latin needs a capital", "the weather was nice", []),
        ("latin capitalised", "The summit opened in Nice.", [NICE]),
        ("latin all caps", "NICE, France", [NICE, "geonames:3017382"]),
        ("cyrillic case folded", "МОСКВА. Москва.", [MOSCOW]),
        ("cyrillic needs a capital", "москва", []),
        ("cyrillic yo folded", "Орел и Орёл", [ORYOL]),
        ("alef forms folded", "زار أنقرة", [ANKARA]),
        ("alef folding does not invent words", "أنقر هنا", []),
        ("ta marbuta folded", "غزة وغزه", [GAZA]),
        ("ta marbuta: longer word is not the name", "غزال", []),
        ("alef maqsura folded", "دبى", [DUBAI]),
        ("alef maqsura: longer word is not the name", "دبيب", []),
        ("harakat and tatweel stripped", "مُوسْكُو وموسـكو", [MOSCOW]),
        ("harakat: derived word is not the name", "موسكوفي", []),
        ("persian letters folded", "کابل و پاریس", [KABUL, PARIS]),
        ("persian letters: derived word is not the name", "پاریسی", []),
        ("proclitics و ب ل ف ك", "وبموسكو ولموسكو فموسكو كموسكو", [MOSCOW]),
        ("not a proclitic", "سموسكو", []),
        ("article needed and present", "والجزائر", [ALGERIA]),
        ("article fused with lam", "للعراق", [IRAQ]),
        ("article on a name that has none", "الموسكو", []),
        ("article-bearing name without article", "هند", []),
        ("article-bearing name with article and conjunction", "والهند", [INDIA]),
        ("cjk character stream", "俄罗斯总统在莫斯科会见", [RUSSIA, MOSCOW]),
        ("cjk longest match wins", "巴布亚新几内亚", [PAPUA_NEW_GUINEA]),
        ("kana name before a particle", "パリで会談", [PARIS]),
        ("kana name inside a longer katakana word", "コンパリソン", []),
        ("hangul name before a particle", "부산에서", [BUSAN]),
        ("hangul name as the start of another word", "부산물", []),
        ("latin word boundary", "Parisian cafes", []),
        ("latin hyphen is a boundary", "a Moscow-based firm", [MOSCOW]),
    ],
)
def test_normalization_rules(
    extractor: EntityExtractor, rule: str, text: str, expected: list[str]
) -> None:
    assert ids(extractor.extract(text)) == expected, rule


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Reading the report, officials said.", "en"),
        ("Mobile phones were seized.", "en"),
        ("In March, talks resumed.", "en"),
        ("Of course.", "en"),
        ("Vladimir said so.", "en"),
        ("Pero no.", "es"),
        ("وكان الوفد في المدينة لما وصل", "ar"),
        ("كان", "ar"),
        ("تسوية الأزمة", "ar"),
        ("Essen ist fertig", "de"),
    ],
)
def test_common_words_never_fire(extractor: EntityExtractor, text: str, language: str) -> None:
    assert extractor.extract(text, language) == ()


def test_language_stoplist_applies_only_to_its_language(extractor: EntityExtractor) -> None:
    assert ids(extractor.extract("Essen ist fertig", "de")) == []
    assert ids(extractor.extract("Talks in Essen", "en")) == [ESSEN]
    assert ids(extractor.extract("Talks in Essen", "en-GB")) == [ESSEN]
    assert ids(extractor.extract("Talks in Essen", "und")) == []  # unknown: stop in any language
    assert ids(extractor.extract("Talks in Essen", None)) == []


# --- ambiguity ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Envoys arrived in Moscow.", [MOSCOW]),
        ("Envoys from the United States arrived in Moscow.", [UNITED_STATES, MOSCOW]),
        ("Paris officials met envoys from the United States.", [PARIS, UNITED_STATES]),
        ("Chandler met Paris officials.", ["geonames:5289282", PARIS]),  # a city is no context
        ("Córdoba", [CORDOBA_AR]),
        ("Córdoba, Spain", [CORDOBA_ES, SPAIN]),
        ("Guinea and Papua New Guinea", [GUINEA, PAPUA_NEW_GUINEA]),
        ("New York City", [NEW_YORK_CITY]),
    ],
)
def test_ambiguous_names_use_population_and_cooccurring_countries(
    extractor: EntityExtractor, text: str, expected: list[str]
) -> None:
    assert ids(extractor.extract(text)) == expected
    assert MOSCOW_IDAHO not in ids(extractor.extract(text))


# --- output contract ----------------------------------------------------------------------------


def test_one_entity_per_place_at_first_mention_with_count(extractor: EntityExtractor) -> None:
    text = "Kyiv said. Later Kiev and КИЕВ again; Russia too, then Kyiv."
    entities = extractor.extract(text)
    assert ids(entities) == ["geonames:703448", RUSSIA]
    kyiv, russia = entities
    assert (kyiv.text, kyiv.start, kyiv.end, kyiv.count) == ("Kyiv", 0, 4, 4)
    assert (kyiv.name, kyiv.country) == ("Kyiv", "UA")
    assert kyiv.lat is not None
    assert kyiv.lon is not None
    assert (russia.name, russia.country, russia.lat, russia.lon) == ("Russia", "RU", None, None)


def test_subdivisions_are_linked_to_iso_codes(extractor: EntityExtractor, kb_path: Path) -> None:
    if not gazetteer.read_meta(kb_path)["subdivisions"]:
        pytest.fail("gazetteer built without ISO 3166-2 subdivisions: install pycountry")
    entities = extractor.extract("Wildfires in California and Bavaria.")
    assert [(e.id, e.country) for e in entities] == [
        ("iso3166-2:US-CA", "US"),
        ("iso3166-2:DE-BY", "DE"),
    ]


def test_empty_and_placeless_texts(extractor: EntityExtractor) -> None:
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
    assert len({e.id for e in entities}) == len(entities)
    assert [e.start for e in entities] == sorted(e.start for e in entities)
    for e in entities:
        assert 0 <= e.start < e.end <= len(text)
        assert text[e.start : e.end] == e.text
        assert e.count >= 1


# --- loading -------------------------------------------------------------------------------------


def test_missing_gazetteer_says_how_to_build_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="make kb") as info:
        EntityExtractor.load(tmp_path / "absent.bin")
    assert isinstance(info.value, GazetteerMissingError)


def test_real_gazetteer_covers_countries_cities_and_subdivisions(kb_path: Path) -> None:
    meta = gazetteer.read_meta(kb_path)
    assert meta["format"] == gazetteer.FORMAT
    assert meta["places"]["country"] >= 240
    assert meta["places"]["continent"] == 6
    assert meta["places"]["city"] >= 30_000
    assert meta["keys"] >= 200_000
