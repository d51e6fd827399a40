from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streams.core.langid import LanguageDetector, detect, normalize_code
from streams.core.normalize import normalize
from streams.models import Language, RawItem

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
SEED = SHARED / "seeds" / "000_ae7e2c79b1dce607.txt"
LANGID_EVAL = SHARED / "eval" / "langid.jsonl"


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
    # English is a cld2 candidate (the names), but a minor one: the hint does not win.
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
    ["", "   \n\t ", "12345 678", "3.14 2024-01-05 +1 555", "🎉🎉🎉", "!!! ??? ...", "a", "ok"],
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
    [(f"{ENGLISH}\n{RUSSIAN}", {"en", "ru"}), (f"{ENGLISH}\n{FRENCH}", {"en", "fr"})],
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
    assert detect(text).code == "en"
    assert detect(text, hint="fr").code == "fr"


@pytest.mark.parametrize(
    ("text", "hint", "lang"),
    [
        ("Selamat pagi semua", "ms", "ms"),  # Malay and Indonesian share it: the hint decides
        ("Guten Morgen", "de-DE", "de"),
        ("Guten Morgen", "fr", "de"),  # cld2 reads German even with French as its prior
        (HEADLINES[14][1], "fr", "de"),  # a clear German headline ignores a wrong hint
        (HEADLINES[2][1], "en", "ar"),  # and so does Arabic script
        ("Дети идут домой.", "uk", "uk"),  # cld2 cannot read it; the alphabet allows Ukrainian
        ("Дети идут домой.", None, "ru"),
        ("Совет утвердил бюджет.", "xx-invalid", "ru"),
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
    text = "Guten Morgen"  # short: cld2 answers only in best-effort mode
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
def test_input_cld2_rejects_is_cleaned_not_raised(text: str) -> None:
    assert detect(text).code == "de"


# --- properties ----------------------------------------------------------------------------------


@given(
    st.text(st.characters(exclude_categories=()), max_size=400),
    st.one_of(st.none(), st.sampled_from(["en", "ar", "zh-Hant", "iw", "xx", "", "ms"])),
)
def test_detect_never_raises(text: str, hint: str | None) -> None:
    result = detect(text, hint=hint)
    assert 0.0 <= result.confidence <= 1.0
    assert (result.code == "und") == (result.mixed == ())
    if result.mixed:
        assert math.isclose(sum(share.share for share in result.mixed), 1.0, abs_tol=1e-3)
        assert all(share.share > 0 for share in result.mixed)


# --- accuracy on public data ---------------------------------------------------------------------

# Measured with this detector on ../shared/eval/langid.jsonl (959 texts): 94.9% overall; per
# language below, with the floors set a little under (about two texts) what was measured. Malay is
# Tatoeba's macrolanguage label and largely Indonesian text, which cld2 calls Indonesian.
OVERALL_FLOOR = 0.93
FLOORS = {
    "ar": 0.96,
    "de": 0.92,
    "en": 0.96,
    "es": 0.88,
    "fa": 0.95,
    "fr": 0.90,
    "he": 0.95,
    "hi": 0.95,
    "it": 0.83,
    "ja": 0.96,
    "ko": 0.96,
    "ms": 0.22,
    "nl": 0.93,
    "pl": 0.95,
    "pt": 0.93,
    "ru": 0.89,
    "th": 0.95,
    "tr": 0.92,
    "uk": 0.93,
    "vi": 0.95,
    "zh": 0.96,
}


def test_accuracy_floor_on_langid_eval() -> None:
    rows = [json.loads(line) for line in shared_file(LANGID_EVAL).read_text().splitlines() if line]
    total, right = Counter[str](), Counter[str]()
    for row in rows:
        total[row["lang"]] += 1
        right[row["lang"]] += detect(row["text"]).code == row["lang"]
    accuracy = {lang: right[lang] / total[lang] for lang in total}
    assert sum(right.values()) / len(rows) >= OVERALL_FLOOR
    below = {lang: round(acc, 3) for lang, acc in accuracy.items() if acc < FLOORS[lang]}
    assert not below, f"under the floor: {below}"
