from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streams.core.langid.detector import LanguageDetector, detect, normalize_code
from streams.core.normalize import normalize
from streams.models import Language, RawItem

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
SEED = SHARED / "seeds" / "000_ae7e2c79b1dce607.txt"


def shared_file(path: Path) -> Path:
    if not path.exists():
        pytest.fail(f"{path} is missing (../shared must sit beside the repo)")
    return path


def codes(language: Language) -> list[str]:
    return [share.code for share in language.mixed]


# --- the seed ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed_text() -> str:
    return shared_file(SEED).read_text(encoding="utf-8")


def test_seed_is_arabic_with_english_names(seed_text: str) -> None:
    result = detect(seed_text)
    assert result.code == "ar"
    assert result.confidence >= 0.9
    assert result.script == "Arab"
    assert codes(result)[:2] == ["ar", "en"]


def test_seed_ignores_a_wrong_hint(seed_text: str) -> None:
    # English is in the text (the names), but a few per cent of it: the hint does not win.
    assert detect(seed_text, hint="en").code == "ar"


def test_seed_after_normalize_as_the_pipeline_sends_it(seed_text: str) -> None:
    # Without the boilerplate, the English names are about 4% of the letters: still listed.
    item = normalize(RawItem(body=seed_text))
    result = detect(item.text, hint="ar")
    assert result.code == "ar"
    assert result.confidence >= 0.9
    assert codes(result) == ["ar", "en"]


# --- languages -----------------------------------------------------------------------------------

# Written for these tests: two news-style headlines per language.
HEADLINES = [
    ("en", "The city council approved a new budget for public transport on Monday."),
    ("en", "Shares of the chipmaker fell sharply after it cut its forecast for the year."),
    ("ar", "وافق مجلس المدينة يوم الاثنين على ميزانية جديدة للنقل العام في العاصمة."),
    ("ar", "تراجعت أسهم شركة صناعة الرقائق بشكل حاد بعد خفض توقعاتها للعام الحالي."),
    ("zh", "市议会周一批准了一项新的公共交通预算，计划明年开始增加公交线路。"),
    ("zh", "这家芯片制造商下调全年业绩预期后，其股价在周二的交易中大幅下跌。"),
    ("ja", "市議会は月曜日、公共交通の新しい予算案を承認し、来年から路線を増やす予定だ。"),
    ("ja", "半導体メーカーが通期の業績予想を下方修正し、株価が大きく下落した。"),
    ("ko", "시의회는 월요일 대중교통을 위한 새 예산안을 승인했으며 내년부터 노선을 늘릴 계획이다."),
    ("ko", "반도체 업체가 연간 실적 전망을 낮추자 주가가 큰 폭으로 떨어졌다."),
    ("ru", "Городской совет в понедельник утвердил новый бюджет на общественный транспорт."),
    ("ru", "Акции производителя микросхем резко упали после снижения прогноза на год."),
    ("uk", "Міська рада в понеділок затвердила новий бюджет на громадський транспорт."),
    ("uk", "Акції виробника мікросхем різко впали після того, як він знизив прогноз на рік."),
    ("de", "Der Stadtrat hat am Montag einen neuen Haushalt für den Nahverkehr beschlossen."),
    ("de", "Die Aktien des Chipherstellers fielen deutlich, nachdem er seine Prognose senkte."),
    ("fr", "Le conseil municipal a approuvé lundi un nouveau budget pour les transports publics."),
    ("fr", "L'action du fabricant de puces a chuté après la révision de ses prévisions annuelles."),
    ("es", "El ayuntamiento aprobó el lunes un nuevo presupuesto para el transporte público."),
    ("es", "Las acciones del fabricante de chips cayeron con fuerza tras recortar su previsión."),
    ("pt", "A câmara municipal aprovou na segunda-feira um novo orçamento para os transportes."),
    ("pt", "As ações da fabricante de chips caíram bastante depois de ela reduzir a previsão."),
    ("tr", "Belediye meclisi pazartesi günü toplu taşıma için yeni bir bütçeyi onayladı."),
    ("tr", "Çip üreticisinin hisseleri, yıllık tahminini düşürmesinin ardından sert düştü."),
    ("vi", "Hội đồng thành phố đã thông qua ngân sách mới cho giao thông công cộng vào thứ Hai."),
    ("vi", "Cổ phiếu của nhà sản xuất chip giảm mạnh sau khi công ty hạ dự báo cả năm."),
    ("th", "สภาเมืองอนุมัติงบประมาณใหม่สำหรับระบบขนส่งสาธารณะเมื่อวันจันทร์"),
    ("th", "หุ้นของผู้ผลิตชิปร่วงลงอย่างหนักหลังบริษัทปรับลดคาดการณ์ผลประกอบการทั้งปี"),
    ("id", "Dewan kota menyetujui anggaran baru untuk transportasi umum pada hari Senin."),
    ("id", "Saham produsen cip itu anjlok tajam setelah perusahaan memangkas proyeksi tahunannya."),
]


@pytest.mark.parametrize(("lang", "headline"), HEADLINES)
def test_headlines(lang: str, headline: str) -> None:
    assert 30 <= len(headline) <= 100
    result = detect(headline)
    assert result.code == lang
    assert result.confidence >= 0.8
    assert codes(result) == [lang]
    assert math.isclose(sum(share.share for share in result.mixed), 1.0)


@pytest.mark.parametrize(
    ("text", "lang", "script"),
    [
        ("The council met on Monday.", "en", "Latn"),
        ("وافق المجلس على الميزانية الجديدة.", "ar", "Arab"),
        ("Совет утвердил новый бюджет.", "ru", "Cyrl"),
        ("市议会批准了新的预算。", "zh", "Hani"),
        ("市議会は新しい予算を承認した。", "ja", "Jpan"),
        ("시의회가 새 예산을 승인했다.", "ko", "Hang"),
        ("시의회가 新 예산을 승인했다.", "ko", "Kore"),
        ("สภาอนุมัติงบประมาณใหม่", "th", "Thai"),
        ("מועצת העיר אישרה ביום שני תקציב חדש לתחבורה הציבורית.", "he", "Hebr"),
        ("नगर परिषद ने सोमवार को सार्वजनिक परिवहन के लिए नया बजट मंजूर किया।", "hi", "Deva"),
        ("Το δημοτικό συμβούλιο ενέκρινε νέο προϋπολογισμό για τις συγκοινωνίες.", "el", "Grek"),
        ("ქალაქის საბჭომ ახალი ბიუჯეტი დაამტკიცა.", "ka", "Geor"),
        ("Քաղաքային խորհուրդը հաստատեց նոր բյուջեն.", "hy", "Armn"),
    ],
)
def test_script_of_the_letters(text: str, lang: str, script: str) -> None:
    result = detect(text)
    assert (result.code, result.script) == (lang, script)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("他昨天沒有打電話給我。", "zh"),  # traditional characters, no kana: not Japanese
        ("東京株式市場", "zh"),  # kanji only cannot be told from Chinese
        ("東京株式市場が続落した", "ja"),  # one run of kana is enough
        ("日経平均続落", "ja"),  # no kana, but 経 and 続 are Japanese forms (Chinese 经/經, 续/續)
        ("日本经济持续低迷", "zh"),  # the Chinese forms of the same
        ("안녕하세요", "ko"),
        ("สวัสดีครับ", "th"),
        ("Ми їдемо додому.", "uk"),  # ї is Ukrainian only
        ("Мы едем домой.", "ru"),  # ы rules out Ukrainian
        ("Река течёт на юг.", "ru"),  # cld2 says Serbian; Serbian has no ё or ю
        ("Над рекой висит туман.", "ru"),  # nor й
    ],
)
def test_short_texts_settled_by_script_or_alphabet(text: str, lang: str) -> None:
    assert detect(text).code == lang


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "12345 678",
        "3.14 2024-01-05 +1 555",
        "١٢٣ ٤٥٦",  # Arabic-Indic digits
        "१२३४",  # Devanagari digits
        "🎉🎉🎉",
        "😀 👍🏽 🇩🇪 ❤️",
        "!!! ??? ...",
        "https://example.com/a/b?c=1 info@example.org",
        "a",
        "ok",
    ],
)
def test_undetermined(text: str) -> None:
    result = detect(text)
    assert result.code == "und"
    assert result.confidence == 0.0
    assert result.mixed == ()


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        (
            "Der Stadtrat hat am Montag den Haushalt beschlossen: "
            "https://www.example.com/news/council-approves-the-new-transport-budget-for-the-city "
            "press-office@example-city-news.com www.example.org/english/words/here",
            "de",
        ),
        (
            "Le conseil a voté le budget. " + "https://example.com/the/english/path/is/long " * 10,
            "fr",
        ),
        (
            "Совет утвердил бюджет: 2024-01-05 12:30 +7 495 123-45-67 A320 COVID-19 x_y = 1",
            "ru",
        ),
        ("アメリカは1863年に奴隷制度を廃止した。詳細はhttps://example.com/pageで。", "ja"),
        # camelCase names and acronyms read as any language; so do wire credits in English
        ("NASA und ESA planen gemeinsam eine neue Mission zum Mond, sagte ein Sprecher.", "de"),
        ("Le nouvel iPhone et la PlayStation dominent les ventes de fin d'année.", "fr"),
        (
            "Il governo ha approvato il bilancio. Reporting by John Smith; Editing by Jane Doe.",
            "it",
        ),
        (
            "Der Stadtrat hat den Haushalt beschlossen. Copyright 2026 Example News. "
            "All rights reserved. Click here to subscribe to our newsletter.",
            "de",
        ),
        ("EL GOBIERNO APRUEBA LOS PRESUPUESTOS DEL PRÓXIMO AÑO", "es"),  # all capitals
    ],
)
def test_urls_emails_numbers_and_code_do_not_sway(text: str, lang: str) -> None:
    result = detect(text)
    assert result.code == lang
    assert codes(result) == [lang]


ENGLISH = (
    "The city council approved a new budget for public transport on Monday. The plan adds "
    "three bus lines and extends the tram network to the northern districts next year."
)
FRENCH = (
    "Le conseil municipal a approuvé lundi un nouveau budget pour les transports publics. Le plan "
    "ajoute trois lignes de bus et prolonge le réseau de tramway vers les quartiers nord."
)
RUSSIAN = (
    "Городской совет в понедельник утвердил новый бюджет на общественный транспорт. План "
    "добавляет три автобусных маршрута и продлевает трамвайную сеть."
)


@pytest.mark.parametrize(
    ("text", "langs"),
    [
        (f"{ENGLISH}\n{RUSSIAN}", {"en", "ru"}),
        (f"{ENGLISH}\n{FRENCH}", {"en", "fr"}),
        (f"{ENGLISH}\n{FRENCH}\n" * 25, {"en", "fr"}),  # long: a sample of its paragraphs is read
    ],
)
def test_mixed_languages_share_the_text(text: str, langs: set[str]) -> None:
    result = detect(text)
    assert set(codes(result)) == langs
    assert result.code == codes(result)[0]  # the leader is the language most letters are in
    shares = [share.share for share in result.mixed]
    assert shares == sorted(shares, reverse=True)
    assert all(share > 0.3 for share in shares)
    assert math.isclose(sum(shares), 1.0, abs_tol=1e-3)


def test_hint_picks_among_main_candidates() -> None:
    text = f"{ENGLISH}\n{FRENCH}"
    assert detect(text).code == "fr"  # the French paragraph has a few more letters
    assert detect(text, hint="en").code == "en"
    assert detect(text, hint="fr").code == "fr"
    assert detect(text, hint="de").code == "fr"


@pytest.mark.parametrize(
    ("text", "hint", "lang"),
    [
        ("Selamat pagi semua", "ms", "ms"),  # Malay and Indonesian share it: the hint decides
        ("Guten Morgen", "de-DE", "de"),
        ("Guten Morgen", "fr", "de"),  # French gets nothing from the text
        (HEADLINES[14][1], "fr", "de"),  # a clear German headline ignores a wrong hint
        (HEADLINES[2][1], "en", "ar"),  # and so does Arabic script
        ("Дети идут домой.", "uk", "ru"),  # clear Russian ("Діти" in Ukrainian)
        ("Дети идут домой.", None, "ru"),
        ("Совет утвердил бюджет.", "xx-invalid", "ru"),
        ("東京株式市場", "ja", "ja"),  # a few kanji alone can be a Japanese headline ...
        ("東京株式市場", None, "zh"),
        ("国务院批准新的经济刺激计划以稳定增长并扩大国内需求", "ja", "zh"),  # ... a long run is not
    ],
)
def test_hint_is_honoured_only_when_the_text_agrees(text: str, hint: str | None, lang: str) -> None:
    assert detect(text, hint=hint).code == lang


def test_an_agreeing_hint_raises_confidence() -> None:
    text = "Guten Morgen"
    assert detect(text, hint="de").confidence > detect(text).confidence


@pytest.mark.parametrize(
    ("code", "normal"),
    [
        ("en-US", "en"),
        ("EN", "en"),
        ("iw", "he"),
        ("zh-Hant", "zh"),
        ("zh_TW", "zh"),
        ("ara", "ar"),
        ("in", "id"),
        ("und", None),
        ("", None),
        (None, None),
        ("x1", None),
    ],
)
def test_normalize_code(code: str | None, normal: str | None) -> None:
    assert normalize_code(code) == normal


def test_expected_languages_restrict_when_the_text_allows() -> None:
    indonesian = HEADLINES[28][1]
    assert detect(indonesian).code == "id"
    assert LanguageDetector(expected=["ms", "en"]).detect(indonesian).code == "ms"
    # Thai cannot be English or German: the honest answer stands.
    assert LanguageDetector(expected=["en", "de"]).detect(HEADLINES[26][1]).code == "th"
    # A hint outside the expected languages is ignored.
    assert LanguageDetector(expected=["id"]).detect(indonesian, hint="ms").code == "id"


def test_min_confidence() -> None:
    text = "Guten Morgen"  # short: the models are fairly, not fully, sure
    default = LanguageDetector().detect(text)
    assert default.code != "und"
    strict = LanguageDetector(min_confidence=0.99).detect(text)
    assert strict.code == "und"
    assert strict.script == "Latn"


def test_deterministic() -> None:
    texts = [text for _lang, text in HEADLINES]
    first = [detect(text) for text in texts]
    assert [LanguageDetector().detect(text) for text in texts] == first
    assert [detect(text) for text in reversed(texts)] == first[::-1]


@pytest.mark.parametrize(
    "text",
    [
        "Der Stadtrat \ud800 hat am Montag \udfff einen neuen Haushalt beschlossen.",
        "Der Stadtrat\x00\x01\x0b\x1b\x7f\x85\x9f hat am Montag einen neuen Haushalt beschlossen.",
        "Der Stadtrat \ufdd0\ufffe\uffff\U0001fffe\U0010ffff hat den Haushalt beschlossen.",
    ],
)
def test_control_characters_and_surrogates_are_cleaned_not_raised(text: str) -> None:
    assert detect(text).code == "de"


# --- properties ----------------------------------------------------------------------------------


HINTS = st.one_of(st.none(), st.sampled_from(["en", "ar", "zh-Hant", "iw", "xx", "", "ms", "uk"]))
# Text in the scripts and languages of the wire, with the noise that comes with it.
WIRE_TEXT = st.lists(
    st.one_of(
        st.sampled_from([text for _lang, text in HEADLINES]),
        st.sampled_from([ENGLISH, FRENCH, RUSSIAN, "https://x.example/a?b=1", "COVID-19", "🎉"]),
        st.text(st.characters(exclude_categories=()), max_size=40),
    ),
    max_size=6,
).map(" ".join)
EXPECTED = LanguageDetector(expected=["ms", "en", "ru"], min_confidence=0.2)


@given(st.one_of(st.text(st.characters(exclude_categories=()), max_size=400), WIRE_TEXT), HINTS)
def test_detect_never_raises(text: str, hint: str | None) -> None:
    for result in (detect(text, hint=hint), EXPECTED.detect(text, hint=hint)):
        assert 0.0 <= result.confidence <= 1.0
        assert (result.code == "und") == (result.mixed == ())
        assert result.code == "und" or 2 <= len(result.code) <= 3
        assert len(result.script) == 4
        if result.mixed:
            shares = [share.share for share in result.mixed]
            assert math.isclose(sum(shares), 1.0, abs_tol=1e-3)
            assert all(share > 0 for share in shares)
            assert shares == sorted(shares, reverse=True)


@given(WIRE_TEXT)
def test_detect_is_deterministic(text: str) -> None:
    assert detect(text) == detect(text) == LanguageDetector().detect(text)


# --- mixed ---------------------------------------------------------------------------------------


def test_mixed_shares_cover_the_text_by_letters() -> None:
    # English names in Arabic: another script, listed from 3% of the letters.
    arabic = HEADLINES[2][1]
    text = f"{arabic} {arabic} {arabic} Central Bank"
    result = detect(text)
    assert result.code == "ar"
    assert codes(result) == ["ar", "en"]
    # The same share of Latin letters inside French text is not another language.
    assert codes(detect(f"{FRENCH} Central Bank")) == ["fr"]
