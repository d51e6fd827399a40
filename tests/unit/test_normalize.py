from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streams.core.normalize import normalize
from streams.models import NormalizedItem, RawItem

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
SEED = SHARED / "seeds" / "000_ae7e2c79b1dce607.txt"


def norm(body: str, **fields: object) -> NormalizedItem:
    return normalize(RawItem(body=body, **fields))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def seed_text() -> str:
    if not SEED.exists():
        pytest.fail(f"the seed wire item is missing: {SEED} (../shared must sit beside the repo)")
    return SEED.read_text(encoding="utf-8")


# --- markup, characters, whitespace --------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "text"),
    [
        (
            "<p>First paragraph.</p><p>Second <b>bold</b> one.</p>",
            "First paragraph.\nSecond bold one.",
        ),
        ("<div>Line one<br>Line two<br/>Line three</div>", "Line one\nLine two\nLine three"),
        ("<ul><li>one</li><li>two</li></ul>", "one\ntwo"),
        ("<h1>Title</h1><p>Body</p>", "Title\nBody"),
        ("<p>source lines\n   wrap\n\tinside</p>", "source lines wrap inside"),
        (
            "<html><head><title>Tab</title><style>p {color: red}</style></head>"
            "<body><p>Kept</p><script>var dropped = 1;</script></body></html>",
            "Kept",
        ),
        (
            "<p>Fish &amp; chips &lt;3 caf&eacute; &#8364;5&nbsp;each</p>",
            "Fish & chips <3 café €5 each",
        ),
        ("<P CLASS='x'>Upper-case tags</P>", "Upper-case tags"),
    ],
)
def test_html_becomes_paragraphs_of_text(body: str, text: str) -> None:
    assert norm(body).text == text


@pytest.mark.parametrize(
    "body",
    [
        "Profits rose 5% & costs < revenue; a > b.",
        "AT&amp;T stays as sent: plain text is not unescaped.",
        "Use <angle brackets> freely in plain text.",
    ],
)
def test_plain_text_passes_through(body: str) -> None:
    assert norm(body).text == body


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ("Cafe\u0301 and Vie\u0302\u0323t Nam", "Café and Việt Nam"),  # composed to NFC
        ("  a\u00a0\u00a0b \t c  ", "a b c"),
        ("one\r\n\r\n\ntwo\rthree\u2028four", "one\ntwo\nthree\nfour"),
        ("zero\u200bwidth\ufeff and\u00ad soft\u200e marks", "zerowidth and soft marks"),
        ("bell\x07 null\x00 escape\x1b", "bell null escape"),
        ("   \n\t\n  x  \n\n", "x"),
        ("می\u200cخواهم", "می\u200cخواهم"),  # ZWNJ is Persian spelling, not noise
    ],
)
def test_characters_and_whitespace(body: str, text: str) -> None:
    result = norm(body).text
    assert result == text
    assert unicodedata.is_normalized("NFC", result)


def test_headline_is_normalized_the_same_way() -> None:
    assert norm("x", headline="  Big&nbsp;<b>news</b>\n today ").headline == "Big news today"
    assert norm("x", headline="Cafe\u0301  opens").headline == "Café opens"
    assert norm("x", headline=None).headline is None


# --- publisher tag -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "source_name", "text"),
    [
        ("(SeaPRwire) – The port reopened.", "SeaPRwire", "The port reopened."),
        ("(SeaPRwire) - The port reopened.", "SeaPRwire", "The port reopened."),
        ("(SeaPRwire) — The port reopened.", "SeaPRwire", "The port reopened."),
        ("(SeaPRwire): The port reopened.", "SeaPRwire", "The port reopened."),
        ("(SeaPRwire)–The port reopened.", "SeaPRwire", "The port reopened."),
        ("\n(SeaPRwire) –\nThe port reopened.", "SeaPRwire", "The port reopened."),
        ("(Reuters) - (AP) - The port reopened.", "Reuters", "The port reopened."),
        ("(Update 2) - The port reopened.", None, "(Update 2) - The port reopened."),
        ("The port (SeaPRwire) – reopened.", None, "The port (SeaPRwire) – reopened."),
        ("(the port) reopened.", None, "(the port) reopened."),
    ],
)
def test_leading_publisher_tag(body: str, source_name: str | None, text: str) -> None:
    result = norm(body)
    assert (result.source_name, result.text) == (source_name, text)


# --- boilerplate ---------------------------------------------------------------------------------


def test_seed_boilerplate_and_sectors(seed_text: str) -> None:
    result = norm(seed_text)
    lines = [unicodedata.normalize("NFC", line.strip()) for line in seed_text.splitlines()]
    lines = [line for line in lines if line]
    disclaimer, sectors_line, self_description = lines[-3:]
    assert "seaprwire.com" in disclaimer
    assert "SeaPRwire" in self_description

    assert result.source_name == "SeaPRwire"
    assert result.boilerplate == (disclaimer, sectors_line, self_description)
    for passage in result.boilerplate:
        assert passage not in result.text
    assert "SeaPRwire" not in result.text
    assert len(result.sectors) == 2
    assert all(sector in sectors_line for sector in result.sectors)
    # The article itself is intact: its first line without the tag, and every line to the end.
    first = lines[0].split("–", 1)[1].strip()
    assert result.text.split("\n") == [first, *lines[1:-3]]


ARTICLE = (
    "Harbour City's port authority said on Tuesday it will open a third container terminal.",
    "The terminal is to double the port's yearly capacity, officials told reporters.",
)


def test_english_seaprwire_item() -> None:
    disclaimer = (
        "This piece comes from an outside content supplier. SeaPRwire "
        "(https://www.seaprwire.com/) gives no guarantees about it."
    )
    sectors = "Sectors: Top Story, Daily News"
    promo = "SeaPRwire offers real-time press release distribution to firms worldwide."
    body = "\n".join(("(SeaPRwire) – " + ARTICLE[0], ARTICLE[1], disclaimer, sectors, promo))
    result = norm(body, sectors=("Daily News", "Shipping"))
    assert result.source_name == "SeaPRwire"
    assert result.text == "\n".join(ARTICLE)
    assert result.boilerplate == (disclaimer, sectors, promo)
    assert result.sectors == ("Daily News", "Shipping", "Top Story")  # merged, first kept


@pytest.mark.parametrize(
    ("line", "sectors"),
    [
        ("Sectors: Top Story, Daily News", ("Top Story", "Daily News")),
        ("Sektoren: Wirtschaft, Technik", ("Wirtschaft", "Technik")),
        ("Секторы: Экономика, Технологии", ("Экономика", "Технологии")),
        ("Secteurs : Économie, Santé", ("Économie", "Santé")),
        ("Sectores: Economía, Salud", ("Economía", "Salud")),
        ("Setores: Economia, Saúde", ("Economia", "Saúde")),
        ("行业：头条新闻、每日新闻", ("头条新闻", "每日新闻")),
        ("行業：頭條新聞、每日新聞", ("頭條新聞", "每日新聞")),
        ("セクター: 経済、技術", ("経済", "技術")),
        ("분야: 경제, 기술", ("경제", "기술")),
        ("Lĩnh vực: Kinh tế, Công nghệ", ("Kinh tế", "Công nghệ")),
        ("ภาคส่วน: เศรษฐกิจ, เทคโนโลยี", ("เศรษฐกิจ", "เทคโนโลยี")),
        ("Sektor: Ekonomi, Teknologi", ("Ekonomi", "Teknologi")),
        ("القطاعات: الاقتصاد، التقنية", ("الاقتصاد", "التقنية")),
    ],
)
def test_localized_sectors_line(line: str, sectors: tuple[str, ...]) -> None:
    result = norm("\n".join((*ARTICLE, line)), source="seaprwire")
    assert result.text == "\n".join(ARTICLE)
    assert result.boilerplate == (line,)
    assert result.sectors == sectors


@pytest.mark.parametrize(
    "tail",
    [
        "SOURCE Harbour City Port Authority",
        "###",
        "# # #",
        "-30-",
        "View original content: https://www.example.com/news/terminal",
        "This article was originally published on Harbour Daily.",
        "Media contact:\nJane Roe\njane.roe@example.com\n+1 555 0100",
        "Media Contacts:",
        (
            "Forward-looking statements: this release contains forward-looking statements within "
            "the meaning of the securities laws; actual results may differ."
        ),
        "Forward-Looking Statements\nWhat is not fact here is a prediction.\nIt carries risk.",
        "Safe Harbor Statement\nThe authority undertakes no obligation to update them.",
    ],
)
def test_generic_trailing_boilerplate(tail: str) -> None:
    result = norm("\n".join((*ARTICLE, tail)))
    assert result.text == "\n".join(ARTICLE)
    assert result.boilerplate == (tail,)


def test_stacked_trailing_blocks_come_off_in_document_order() -> None:
    tails = ("Media contact:\nJane Roe\n+1 555 0100", "SOURCE Harbour City Port Authority", "###")
    result = norm("\n".join((*ARTICLE, *tails)))
    assert result.text == "\n".join(ARTICLE)
    assert result.boilerplate == tails


@pytest.mark.parametrize(
    "body",
    [
        # The publisher named mid-article, from the publisher itself.
        f"(SeaPRwire) – {ARTICLE[0]}\nThe agency used SeaPRwire to reach editors.\n{ARTICLE[1]}",
        # A news item about the publisher, from someone else: its last paragraph is news.
        ARTICLE[0] + "\nSeaPRwire said it now reaches editors in more countries.",
        # Boilerplate-like lines with real news after them stay.
        ARTICLE[0] + "\nThis article was originally published in 1990.\n" + ARTICLE[1],
        ARTICLE[0] + "\n###\n" + ARTICLE[1],
        ARTICLE[0] + "\nMedia contact:\n" + ("A long paragraph of real news follows. " * 5).strip(),
        # News about safe harbours is not a legal notice.
        ARTICLE[0] + "\nSafe harbor rules for data transfers were struck down by the court.",
        ARTICLE[0] + "\nSafe Harbor\nThe court's ruling ends the data pact.\nAppeals are likely.",
        # "Source:" is attribution, and the first line is the article's whatever it says.
        ARTICLE[0] + "\nSource: the port authority's annual report.",
        "SOURCE Harbour City Port Authority",
    ],
)
def test_article_paragraphs_are_never_stripped(body: str) -> None:
    result = norm(body)
    assert result.boilerplate == ()
    assert result.text == body.removeprefix("(SeaPRwire) – ")


# --- hash ----------------------------------------------------------------------------------------


def test_hash_is_stable_across_resends() -> None:
    headline = "Port to open third terminal"
    html = f"<p>{ARTICLE[0]}</p><p>{ARTICLE[1]}</p>"
    plain = norm("\n".join(ARTICLE), headline=headline)
    variants = [
        norm(f"  {ARTICLE[0]}  \r\n\r\n{ARTICLE[1].replace(' ', '  ')}", headline=headline),
        norm(html, headline="Port to <b>open</b> third&nbsp;terminal"),
        norm("\n".join((*ARTICLE, "SOURCE Harbour City Port Authority")), headline=headline),
        norm("(SeaPRwire) – " + "\n".join(ARTICLE), headline=headline.upper()),
    ]
    assert {variant.content_hash for variant in variants} == {plain.content_hash}
    assert len(plain.content_hash) == 32
    int(plain.content_hash, 16)


@pytest.mark.parametrize(
    ("body", "headline"),
    [
        (ARTICLE[0], "Port to open third terminal"),  # text differs
        ("\n".join(ARTICLE), "Port to open fourth terminal"),  # headline differs
        ("\n".join(ARTICLE), None),
        (ARTICLE[0] + " " + ARTICLE[1], "Port to open third terminal"),  # paragraphs differ
    ],
)
def test_hash_differs_for_different_content(body: str, headline: str | None) -> None:
    base = norm("\n".join(ARTICLE), headline="Port to open third terminal")
    assert norm(body, headline=headline).content_hash != base.content_hash


def test_seed_hashes_the_same_when_resent_as_html(seed_text: str) -> None:
    paragraphs = "".join(f"<p>{line}</p>" for line in seed_text.splitlines())
    html = f"<html><body>{paragraphs}</body></html>"
    assert norm(html).content_hash == norm(seed_text).content_hash


# --- properties ----------------------------------------------------------------------------------

PIECES = [
    "\n",
    "\r\n",
    " ",
    "\t",
    "\u00a0",
    "\u200b",
    "<p>",
    "</p>",
    "<br>",
    "&amp;",
    "&#8203;",
    "(SeaPRwire) – ",
    "###",
    "SeaPRwire",
    "Sectors: a, b",
    "Media contact:",
    "SOURCE X",
]
# Arbitrary text (lone surrogates included) mixed with the pieces the rules look for.
text_with_structure = st.lists(
    st.one_of(st.text(st.characters(exclude_categories=()), max_size=20), st.sampled_from(PIECES)),
    max_size=30,
).map("".join)


@given(text_with_structure, st.one_of(st.none(), st.text(max_size=50)))
def test_normalize_never_raises_and_returns_clean_text(body: str, headline: str | None) -> None:
    result = normalize(RawItem(body=body, headline=headline))
    assert "\n\n" not in result.text
    assert result.text == result.text.strip()
    assert unicodedata.is_normalized("NFC", result.text)
    result.text.encode("utf-8")  # no lone surrogates left


@given(text_with_structure)
def test_normalize_is_idempotent_on_its_own_text(body: str) -> None:
    once = normalize(RawItem(body=body))
    twice = normalize(RawItem(body=once.text))
    assert twice.text == once.text
    assert twice.boilerplate == ()
    assert twice.content_hash == once.content_hash
