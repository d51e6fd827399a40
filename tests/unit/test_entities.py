"""Entities stage against the real compiled KB: the seed, every matching and ambiguity rule,
unlinked names, model spans, the output contract, and cross-language linking.

The KB ``make kb`` builds is used when it is current; otherwise one is built here into a temporary
directory (slow, a minute or two, once per session).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from streams.core.entities.extractor import EntityExtractor
from streams.core.normalize import normalize
from streams.kb import gazetteer
from streams.kb.entry import minted_id
from streams.kb.gazetteer import GazetteerMissingError
from streams.models import Entity, RawItem
from streams.ner import NerProposer

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT.parent / "shared" / "seeds" / "000_ae7e2c79b1dce607.txt"
CROSSLINGUAL = ROOT / "tests" / "data" / "crosslingual.jsonl"

RUSSIA = "geonames:2017370"
UKRAINE = "geonames:690791"
MOSCOW = "geonames:524901"
MOSCOW_IDAHO = "geonames:5601538"
UNITED_STATES = "geonames:6252001"
BRUSSELS = "geonames:2800866"
SUMY = "geonames:692194"
KUPIANSK = "geonames:703656"
POKROVSK_UA = "geonames:704422"
KOSTIANTYNIVKA = "geonames:705104"
HULIAIPOLE = "geonames:707898"
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
FRANCE = "geonames:3017382"
ESSEN = "geonames:2928810"
CORDOBA_AR = "geonames:3860259"
CORDOBA_ES = "geonames:2519240"
SPAIN = "geonames:2510769"
NEW_YORK_CITY = "geonames:5128581"
ORYOL = "geonames:515012"
INDIA = "geonames:1269750"
KYIV = "geonames:703448"
PUTIN = "wikidata:Q7747"
TRUMP = "wikidata:Q22686"
ZELENSKY = "wikidata:Q3874799"
TELEGRAM = "wikidata:Q15616276"
CAIRO = "geonames:360630"
KHARTOUM = "geonames:379252"


def ids(entities: tuple[Entity, ...]) -> list[str | None]:
    return [e.id for e in entities]


def linked(entities: tuple[Entity, ...]) -> list[str | None]:
    return [e.id for e in entities if e.id is not None]


# --- the real seed -------------------------------------------------------------------------------


SEED_PEOPLE = {
    "Vladimir Putin": PUTIN,
    "Steve Witkoff": "wirestream:steve-witkoff",
    "Donald Trump": TRUMP,
    "Jared Kushner": "wirestream:jared-kushner",
    "Yuri Ushakov": "wirestream:yuri-ushakov",
    "Kirill Dmitriev": "wirestream:kirill-dmitriev",
    "Volodymyr Zelensky": ZELENSKY,
    "Rustem Umerov": "wirestream:rustem-umerov",
    "Andrii Hnatov": "wirestream:andrii-hnatov",
}
SEED_PLACES = {
    "Moscow": MOSCOW,
    "Ukraine": UKRAINE,
    "Russia": RUSSIA,
    "United States": UNITED_STATES,
    "Brussels": BRUSSELS,
    "Donbas": "wirestream:donbas",
    "Sumy": SUMY,
    "Kostiantynivka": KOSTIANTYNIVKA,
    "Pokrovsk": POKROVSK_UA,
    "Huliaipole": HULIAIPOLE,
    "Kupiansk": KUPIANSK,
}
SEED_ORGS = {
    "Kremlin": "wirestream:kremlin",
    "Russian Direct Investment Fund": "wirestream:russian-direct-investment-fund",
    "Institute for the Study of War": "wirestream:institute-for-the-study-of-war",
    "Joint Forces Task Force": "wirestream:joint-forces-task-force",
    "National Security and Defense Council of Ukraine": (
        "wirestream:national-security-and-defense-council-of-ukraine"
    ),
    "Telegram": TELEGRAM,
}


@pytest.fixture(scope="session", params=["kb-only", "with-ner"])
def seed_entities(request: pytest.FixtureRequest, kb_path: Path) -> tuple[str, tuple[Entity, ...]]:
    """The seed's entities from the KB alone, and with the Arabic NER model merged in (what the
    full profile runs): the same list either way."""
    assert SEED.exists(), f"seed missing: {SEED} (the tests read ../shared/seeds)"
    text = normalize(RawItem(body=SEED.read_text(encoding="utf-8"))).text
    proposer = None
    if request.param == "with-ner":
        proposer = NerProposer(("ar",))
        assert proposer.covers("ar"), "the shipped Arabic NER model did not load"
    return text, EntityExtractor.load(kb_path, proposer=proposer).extract(text, "ar")


def test_seed_yields_every_person_place_and_org_with_type_and_id(
    seed_entities: tuple[str, tuple[Entity, ...]],
) -> None:
    _, entities = seed_entities
    found = {e.name: (e.type, e.id) for e in entities}
    for names, etype in ((SEED_PEOPLE, "PERSON"), (SEED_PLACES, "LOC"), (SEED_ORGS, "ORG")):
        for name, eid in names.items():
            assert found.get(name) == (etype, eid), name


def test_seed_has_no_entity_from_common_words(
    seed_entities: tuple[str, tuple[Entity, ...]],
) -> None:
    _, entities = seed_entities
    allowed = set(SEED_PEOPLE) | set(SEED_PLACES) | set(SEED_ORGS) | {"Europe"}
    assert {e.name for e in entities} <= allowed


def test_seed_counts_offsets_and_places(seed_entities: tuple[str, tuple[Entity, ...]]) -> None:
    text, entities = seed_entities
    by_name = {e.name: e for e in entities}
    assert by_name["Moscow"].count == 2  # "موسكو" and, with a proclitic, "لموسكو"
    assert by_name["Ukraine"].count == 3
    assert by_name["Vladimir Putin"].count == 4  # full name once, then "بوتين" three times
    assert by_name["United States"].text == "الولايات المتحدة"
    assert by_name["Moscow"].lat == pytest.approx(55.75, abs=0.1)
    assert by_name["Pokrovsk"].country == "UA"
    for e in entities:
        assert text[e.start : e.end] == e.text
        if e.type == "PERSON":
            assert (e.lat, e.lon) == (None, None)


# --- normalization rules: each with a text that must match and one that must not ---------------


@pytest.mark.parametrize(
    ("rule", "text", "expected"),
    [
        ("latin diacritics folded", "Talks in Sao Paulo", [SAO_PAULO]),
        ("latin diacritics kept in output", "Talks in São Paulo", [SAO_PAULO]),
        ("latin needs a capital", "the weather was nice", []),
        ("latin capitalised", "The summit opened in Nice.", [NICE]),
        ("latin all caps dateline", "NICE, France", [NICE, FRANCE]),
        ("cyrillic case folded", "МОСКВА. Москва.", [MOSCOW]),
        ("cyrillic needs a capital", "москва", []),
        ("cyrillic yo folded", "Орел и Орёл", [ORYOL]),
        ("cyrillic inflection: locative", "Переговоры прошли в Москве.", [MOSCOW]),
        ("cyrillic inflection: genitive", "Делегация из Москвы и России", [MOSCOW, RUSSIA]),
        ("cyrillic inflection: ukrainian", "Війна в Україні", [UKRAINE]),
        ("cyrillic inflection: person", "встреча с Путиным", [PUTIN]),
        ("cyrillic derived word is not the name", "Москвич и российский", []),
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
        ("proclitics before a curated place", "وبوكروفسك", [POKROVSK_UA]),
        ("not a proclitic", "سموسكو", []),
        ("article needed and present", "والجزائر", [ALGERIA]),
        ("article fused with lam", "للعراق", [IRAQ]),
        ("article on a name that has none", "الموسكو", []),
        ("article-bearing name without article", "هند", []),
        ("article-bearing name with article and conjunction", "والهند", [INDIA]),
        ("article + a name that is rare as a word alone", "في القاهرة والخرطوم", [CAIRO, KHARTOUM]),
        ("article + an everyday word is no place", "يوم الخميس في المدينة الجديدة", []),
        ("cjk character stream", "俄罗斯总统在莫斯科会见", [RUSSIA, MOSCOW]),
        ("cjk longest match wins", "巴布亚新几内亚", [PAPUA_NEW_GUINEA]),
        ("cjk longest overlapping name wins", "代表团周二抵达莫斯科", [MOSCOW]),
        ("kana name before a particle", "パリで会談", [PARIS]),
        ("kana name inside a longer katakana word", "コンパリソン", []),
        ("hangul name before a particle", "부산에서", [BUSAN]),
        ("hangul name as the start of another word", "부산물", []),
        ("latin word boundary", "Parisian cafes", []),
        ("latin hyphen is a boundary", "a Moscow-based firm", [MOSCOW]),
        ("acronym needs capitals", "NATO met; the nato rule", ["wikidata:Q7184"]),
    ],
)
def test_normalization_rules(
    extractor: EntityExtractor, rule: str, text: str, expected: list[str]
) -> None:
    assert linked(extractor.extract(text)) == expected, rule


@pytest.mark.parametrize(
    ("rule", "text", "language", "name", "surface"),
    [
        ("proclitic before a curated name", "قال لأوشاكوف", "ar", "Yuri Ushakov", "أوشاكوف"),
        (
            "latin name inside arabic",
            "الرئيس التنفيذي لـ Russian Direct Investment Fund، للصحفيين",
            "ar",
            "Russian Direct Investment Fund",
            "Russian Direct Investment Fund",
        ),
        (
            "cyrillic inflection of a curated name",
            "Встреча с Уиткоффом",
            "ru",
            "Steve Witkoff",
            "Уиткоффом",
        ),
        ("hyphenated pair", "اجتماع ويتكوف-كوشنر", "ar", "Jared Kushner", "كوشنر"),
    ],
)
def test_curated_names_without_ids_are_found(  # noqa: PLR0917 - one per column of the table
    extractor: EntityExtractor, rule: str, text: str, language: str, name: str, surface: str
) -> None:
    found = {e.name: e for e in extractor.extract(text, language)}
    assert name in found, rule
    assert found[name].text == surface
    assert found[name].id == minted_id(name)  # the project's id, the same in every language


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Steve Witkoff", "wirestream:steve-witkoff"),
        ("Institute for the Study of War", "wirestream:institute-for-the-study-of-war"),
        ("Société Générale", "wirestream:societe-generale"),  # accents fold to ASCII
        ("Al-Shabaab", "wirestream:al-shabaab"),
        ("东方", "wirestream:xe4b89ce696b9"),  # nothing ASCII: the name's UTF-8 in hex
    ],
)
def test_minted_ids_are_slugs_of_the_canonical_name(name: str, expected: str) -> None:
    assert minted_id(name) == expected


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Reading the report, officials said.", "en"),
        ("Mobile phones were seized.", "en"),
        ("In March, talks resumed.", "en"),
        ("Of course.", "en"),
        ("Vladimir said so.", "en"),
        ("Pero no.", "es"),
        ("وكان الوفد في المدينة لما وصل", "ar"),  # Cannes, Medina, Lima
        ("يوميا بأنه فكرة", "ar"),  # towns abroad: Umeå, Bāneh, Făgăraș
        ("كان", "ar"),
        ("تسوية الأزمة", "ar"),
        ("وقال المتحدث إن الجانبين اتفقا", "ar"),  # "وإن" folds to Van (Turkey) in Arabic
        ("Essen ist fertig", "de"),
    ],
)
def test_common_words_never_fire(extractor: EntityExtractor, text: str, language: str) -> None:
    assert linked(extractor.extract(text, language)) == []


def test_elysee_is_the_palace_not_a_paris_district(extractor: EntityExtractor) -> None:
    (e,) = [e for e in extractor.extract("selon l'Élysée.", "fr") if e.id or e.type != "MISC"]
    assert (e.text, e.type, e.name) == ("Élysée", "ORG", "Élysée Palace")


def test_language_stoplist_applies_only_to_its_language(extractor: EntityExtractor) -> None:
    assert linked(extractor.extract("Essen ist fertig", "de")) == []
    assert linked(extractor.extract("Talks in Essen", "en")) == [ESSEN]
    assert linked(extractor.extract("Talks in Essen", "en-GB")) == [ESSEN]
    assert linked(extractor.extract("Talks in Essen", "und")) == []  # unknown: any language's
    assert linked(extractor.extract("Talks in Essen", None)) == []


# --- ambiguity ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Envoys arrived in Moscow.", [MOSCOW]),
        ("Envoys from the United States arrived in Moscow.", [UNITED_STATES, MOSCOW]),
        ("Paris officials met envoys from the United States.", [PARIS, UNITED_STATES]),
        ("Córdoba", [CORDOBA_AR]),
        ("Córdoba, Spain", [CORDOBA_ES, SPAIN]),
        ("Guinea and Papua New Guinea", [GUINEA, PAPUA_NEW_GUINEA]),
        ("New York City", [NEW_YORK_CITY]),
        ("Fighting near Pokrovsk, Ukraine.", [POKROVSK_UA, UKRAINE]),
    ],
)
def test_ambiguous_names_use_population_and_cooccurring_countries(
    extractor: EntityExtractor, text: str, expected: list[str]
) -> None:
    assert linked(extractor.extract(text, "en")) == expected
    assert MOSCOW_IDAHO not in ids(extractor.extract(text, "en"))


@pytest.mark.parametrize(
    ("text", "name", "country"),
    [
        ("Officials in Alexandria said the port reopened.", "Alexandria", "EG"),  # the biggest
        ("Floods in Valencia, Spain, closed roads.", "Valencia", "ES"),  # the named country's
        ("Protests in Valencia, Venezuela, went on.", "Valencia", "VE"),
    ],
)
def test_a_named_country_pulls_an_ambiguous_city(
    extractor: EntityExtractor, text: str, name: str, country: str
) -> None:
    (city,) = [e for e in extractor.extract(text, "en") if e.name == name]
    assert city.country == country


def test_a_city_is_no_context(extractor: EntityExtractor) -> None:
    # "Chandler" is a city in Arizona and a surname: it must not drag Paris to the United States.
    assert PARIS in ids(extractor.extract("Chandler met Paris officials.", "en"))


def test_a_full_name_elsewhere_resolves_a_shared_surname(extractor: EntityExtractor) -> None:
    entities = extractor.extract("Donald Trump spoke. Later Trump left.", "en")
    assert [(e.id, e.count) for e in entities] == [(TRUMP, 2)]


# --- loading -------------------------------------------------------------------------------------


def test_missing_gazetteer_says_how_to_build_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="make kb") as info:
        EntityExtractor.load(tmp_path / "absent.bin")
    assert isinstance(info.value, GazetteerMissingError)


def test_real_kb_covers_places_people_and_organisations(kb_path: Path) -> None:
    meta = gazetteer.read_meta(kb_path)
    assert meta["format"] == gazetteer.FORMAT
    entities = meta["entities"]
    assert entities["country"] >= 240
    assert entities["continent"] == 6
    assert entities["city"] >= 30_000
    assert entities["curated_person"] >= 150
    assert entities["curated_org"] >= 150
    assert meta["keys"] >= 300_000
