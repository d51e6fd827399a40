"""Wire item -> clean text: markup, invisible characters and publisher boilerplate taken out.

What is removed is returned next to the text (the publisher tag as ``source_name``, boilerplate
passages verbatim, sector labels parsed), so nothing is lost, and the text that is left hashes the
same however a producer re-sends it: other whitespace, markup, or boilerplate.

Boilerplate is only ever taken from the edges: a publisher tag at the very start, and a block of
recognised passages at the very end. A paragraph of real news that merely resembles boilerplate,
or that mentions the publisher, stays when any real paragraph follows it.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from html import unescape

from selectolax.lexbor import LexborHTMLParser

from streams.models import NormalizedItem, RawItem

__all__ = ["content_hash", "normalize"]

# --- markup --------------------------------------------------------------------------------------

_HTML_TAGS = (
    "html|head|body|p|div|br|span|a|b|i|u|em|strong|ul|ol|li|h[1-6]|table|thead|tbody|tfoot|tr|"
    "td|th|caption|script|style|noscript|img|section|article|header|footer|blockquote|pre|figure|"
    "figcaption|hr|meta|link|title|iframe|font|sup|sub|small|center|dl|dt|dd|nav|aside|main|time|"
    "abbr|cite|q|code|address|details|summary"
)
_LOOKS_LIKE_HTML = re.compile(rf"<(?:!doctype\b|!--|/?(?:{_HTML_TAGS})\b[^<>]*>)", re.IGNORECASE)
_BLOCK_TAGS = (
    "p|div|br|li|ul|ol|h[1-6]|table|tr|td|th|caption|blockquote|section|article|header|footer|"
    "figure|figcaption|pre|hr|dl|dt|dd|address|aside|nav|main|details|summary|form|fieldset|legend"
)
_BLOCK_TAG = re.compile(rf"<(?=/?(?:{_BLOCK_TAGS})\b)", re.IGNORECASE)
# A noncharacter marks block boundaries through the parser: Unicode reserves them for internal use,
# and the invisible-character pass has deleted any that came in with the text.
_BREAK = "\ufdd0"
_SOURCE_WHITESPACE = re.compile(r"[ \t\n\r\f]+")  # HTML's whitespace: ASCII only
_DROPPED_ELEMENTS = ["script", "style", "noscript", "template", "head"]
_DROPPED_OPEN = re.compile(rf"<({'|'.join(_DROPPED_ELEMENTS)})\b[^<>]*>", re.IGNORECASE)
_DROPPED_CLOSE = {name: re.compile(rf"</{name}\s*>", re.IGNORECASE) for name in _DROPPED_ELEMENTS}
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^<>]*?(/?)>")
_ANY_TAG = re.compile(r"<!--.*?-->|</?[a-zA-Z][^<>]*>|<![^<>]*>", re.DOTALL)
# Elements that have no closing tag, or whose closing tag the parser implies (a new <p> closes
# the open one): they never make the open-element stack deeper.
_NO_END_TAG = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
        "p",
        "li",
        "dt",
        "dd",
        "tr",
        "td",
        "th",
        "option",
        "optgroup",
        "rb",
        "rt",
        "rp",
        "thead",
        "tbody",
        "tfoot",
        "colgroup",
        "caption",
    }
)
MAX_HTML_DEPTH = 512

# --- characters ----------------------------------------------------------------------------------

_LINE_BREAKS = re.compile("\r\n?|[\x0b\x0c\x85\u2028\u2029]")
# Controls, zero-width and bidi formatting characters, BOM, soft hyphen, lone surrogates and the
# BMP's noncharacters. ZWJ and ZWNJ (U+200C/D) stay: Persian and Indic spelling and emoji need them.
# Only BMP characters, so the class compiles to a bitmap: one astral code point in it costs 5x.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u00ad\u180e\u200b\u200e\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]"
)
# Runs of Python's whitespace (str.isspace) but the line feed. Spelled out for the bitmap, and a
# lone space is not a match: rewriting each of them with itself took two thirds of the time.
_WHITESPACE = "\t\r\x0b\x0c\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_SPACES = re.compile(f"[ {_WHITESPACE}](?:(?<=[{_WHITESPACE}])[ {_WHITESPACE}]*|[ {_WHITESPACE}]+)")

# --- publisher tag -------------------------------------------------------------------------------

# "(SeaPRwire) – ", "(Reuters) - ", "(PRNewswire): ": a short name in parentheses, then a dash or
# a colon. No digits or sentence punctuation in the name, so "(Update 2) -" is not a publisher.
_PUBLISHER_TAG = re.compile(r"\(\s*([^\W\d_][^()\n\d.!?;]{0,48}?)\s*\)\s*[-‐‑‒–—―:：]\s*")

# --- trailing boilerplate ------------------------------------------------------------------------

# Distributors whose items end in self-promotion: a trailing paragraph naming one is boilerplate
# when the item came from it, or always when it gives the distributor's web address.
_DISTRIBUTOR_NAME = re.compile(r"seaprwire", re.IGNORECASE)
_DISTRIBUTOR_URL = re.compile(r"seaprwire\.com", re.IGNORECASE)

_SECTOR_LABELS = (
    "Sectors",
    "Sector",
    "القطاعات",
    "القطاع",
    "Секторы",
    "Сектор",
    "Sektoren",
    "Sektor",
    "Secteurs",
    "Secteur",
    "Sectores",
    "Setores",
    "Settori",
    "行业",
    "行業",
    "セクター",
    "분야",
    "Lĩnh vực",
    "ภาคส่วน",
)
_SECTORS_LINE = re.compile(
    r"(?:{})\s*[:：]\s*(?P<items>[^:：]{{1,300}})".format(
        "|".join(re.escape(unicodedata.normalize("NFC", label)) for label in _SECTOR_LABELS)
    ),
    re.IGNORECASE,
)
_SECTOR_SEPARATORS = re.compile(r"[,،、，;]")
_MAX_SECTOR = 60

_ONE_LINE_BOILERPLATE = re.compile(
    r"SOURCE\s+\S.{0,120}"  # PR Newswire's closing line; upper case only, "Source:" is content
    r"|(?:#\s*){3}|-\s*30\s*-"  # end-of-release marks
    r"|(?i:view (?:original content|source version)\b.{0,40}?:\s*\S+.*)"
    r"|(?i:(?:this|the) (?:article|story|post|piece|content|release) (?:was|is|has been) "
    r"(?:originally|first) published\b.*|originally published (?:on|at|in|by)\b.*)"
)
# A legal notice names itself and then speaks like one; "Safe Harbor" alone can be news (shipping,
# the EU-US data framework), so the legal wording is required too.
_LEGAL_NOTICE = re.compile(
    r"(?i:forward[- ]looking (?:statements?|information)|safe[- ]harbou?r)"
    r"(?=.*(?i:within the meaning of|safe[- ]harbou?r|undertakes? no (?:obligation|duty)"
    r"|actual results (?:may|could|might) differ|Private Securities Litigation Reform Act))"
)
# Headers that open a block running to the end: contact details, or a legal notice.
_CONTACT_HEADER = re.compile(
    r"(?i:(?:(?:media|press|investor|investors|news media)(?: relations)?\s+)?"
    r"(?:contacts?|inquiries|enquiries))\s*(?::.*|)"
)
_LEGAL_HEADER = re.compile(
    r"(?i:(?:cautionary (?:note|statement|language)s? (?:regarding|concerning|about|on) )?"
    r"(?:forward[- ]looking (?:statements?|information)|safe[- ]harbou?r statements?)"
    r"(?: under .{1,80})?)\s*[:.]?"
)
_BLOCK_WINDOW = 15  # a header more lines than this from the end is inside the article
_CONTACT_LINE_MAX = 160


def normalize(item: RawItem) -> NormalizedItem:
    lines = _clean_lines(item.body)
    source_name, lines = _take_publisher_tag(lines)
    from_distributor = any(
        value is not None and _DISTRIBUTOR_NAME.search(value) is not None
        for value in (source_name, item.source, item.url)
    )
    lines, boilerplate, sectors = _take_trailing_boilerplate(lines, from_distributor)
    headline = None if item.headline is None else " ".join(_clean_lines(item.headline))
    text = "\n".join(lines)
    return NormalizedItem(
        headline=headline,
        text=text,
        boilerplate=boilerplate,
        sectors=_unique((*(_inline(sector) for sector in item.sectors), *sectors)),
        source_name=source_name,
        content_hash=content_hash(headline, text),
    )


def content_hash(headline: str | None, text: str) -> str:
    """The exact-dedupe key: case, whitespace and markup differences do not change it."""
    key = f"{headline or ''}\n{text}".casefold()
    return hashlib.blake2b(key.encode("utf-8"), digest_size=16).hexdigest()


# --- steps ---------------------------------------------------------------------------------------


def _clean_lines(raw: str) -> list[str]:
    text = _INVISIBLE.sub("", _LINE_BREAKS.sub("\n", raw))
    # Looked for after the invisible characters are gone, so "<p\u200b>" cannot turn into a tag
    # on a second pass; entities can bring them back, hence the pass over the markup's text.
    if _LOOKS_LIKE_HTML.search(text):
        text = _INVISIBLE.sub("", _LINE_BREAKS.sub("\n", _html_to_text(text)))
    text = _SPACES.sub(" ", unicodedata.normalize("NFC", text))
    return [line for line in (line.strip(" ") for line in text.split("\n")) if line]


def _inline(raw: str) -> str:
    return " ".join(_clean_lines(raw))


def _html_to_text(html: str) -> str:
    # Source whitespace is insignificant in HTML, so it becomes spaces; only block boundaries,
    # marked before parsing, become line breaks.
    marked = _BLOCK_TAG.sub(_BREAK + "<", _SOURCE_WHITESPACE.sub(" ", html))
    if _nesting_exceeds(marked, MAX_HTML_DEPTH):
        return _strip_tags(marked).replace(_BREAK, "\n")
    tree = LexborHTMLParser(marked)
    tree.strip_tags(_DROPPED_ELEMENTS, recursive=True)
    root = tree.body or tree.root
    text = root.text() if root is not None else ""
    return text.replace(_BREAK, "\n")


def _nesting_exceeds(html: str, limit: int) -> bool:
    """Whether elements open deeper than ``limit``, counting the tags that need a closing tag.

    An HTML parser keeps a stack of open elements and searches it at many tags, so its time grows
    with the square of the depth: 80,000 nested ``<div>`` took lexbor 18 s. Browsers cap the
    depth (Chromium at 512); real articles stay under 50."""
    depth = 0
    for match in _TAG.finditer(html):
        closing, name, self_closing = match.groups()
        name = name.lower()
        if self_closing or name in _NO_END_TAG:
            continue
        if closing:
            depth = max(0, depth - 1)
            continue
        depth += 1
        if depth > limit:
            return True
    return False


def _strip_tags(html: str) -> str:
    """Markup to text in one linear pass, for markup too deep for a parser: dropped elements
    go whole, other tags go, character references are decoded."""
    kept: list[str] = []
    at = 0
    for match in _DROPPED_OPEN.finditer(html):
        if match.start() < at:
            continue  # inside an element already dropped
        kept.append(html[at : match.start()])
        close = _DROPPED_CLOSE[match.group(1).lower()].search(html, match.end())
        at = len(html) if close is None else close.end()  # unclosed: it runs to the end
    kept.append(html[at:])
    return unescape(_ANY_TAG.sub("", "".join(kept)))


def _take_publisher_tag(lines: list[str]) -> tuple[str | None, list[str]]:
    """Strip leading "(Name) –" tags (syndicated items can carry several); the first is returned."""
    source_name: str | None = None
    for index, line in enumerate(lines):
        at = 0
        while (match := _PUBLISHER_TAG.match(line, at)) is not None:
            source_name = source_name or match.group(1)
            at = match.end()
        if at < len(line):  # the article starts on this line (at 0 when it had no tag)
            return source_name, [line[at:], *lines[index + 1 :]] if at else lines[index:]
    return source_name, []


def _take_trailing_boilerplate(
    lines: list[str], from_distributor: bool
) -> tuple[list[str], tuple[str, ...], tuple[str, ...]]:
    """Peel recognised passages off the end until a line of the article is reached."""
    end = len(lines)
    taken: list[str] = []  # from the end backwards, reversed once at the end
    sectors: list[tuple[str, ...]] = []
    while end > 1:  # the first line is the article's, whatever it says
        line = lines[end - 1]
        match = _SECTORS_LINE.fullmatch(line)
        parsed = _parse_sectors(match.group("items")) if match else ()
        if parsed:
            sectors.append(parsed)
            start = end - 1
        elif _is_boilerplate_line(line, from_distributor):
            start = end - 1
        else:
            found = _block_start(lines, end)
            if found is None:
                break
            start = found
        taken.append("\n".join(lines[start:end]))
        end = start
    return lines[:end], tuple(reversed(taken)), tuple(s for line in reversed(sectors) for s in line)


def _is_boilerplate_line(line: str, from_distributor: bool) -> bool:
    if _DISTRIBUTOR_URL.search(line) or (from_distributor and _DISTRIBUTOR_NAME.search(line)):
        return True
    return bool(_ONE_LINE_BOILERPLATE.fullmatch(line) or _LEGAL_NOTICE.search(line))


def _block_start(lines: list[str], end: int) -> int | None:
    """Where a contact or legal-notice block that runs to ``end`` begins, if one does."""
    for start in range(end - 1, max(0, end - _BLOCK_WINDOW) - 1, -1):
        if start == 0:
            return None
        line = lines[start]
        if _LEGAL_HEADER.fullmatch(line):
            return start
        if _CONTACT_HEADER.fullmatch(line):
            body = lines[start + 1 : end]
            if all(len(entry) <= _CONTACT_LINE_MAX for entry in body):
                return start
            return None
    return None


def _parse_sectors(items: str) -> tuple[str, ...]:
    parts = [part.strip() for part in _SECTOR_SEPARATORS.split(items)]
    if not parts or any(not part or len(part) > _MAX_SECTOR for part in parts):
        return ()
    return tuple(parts)


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    seen: set[str] = set()
    kept: list[str] = []
    for value in values:
        key = value.casefold()
        if value and key not in seen:
            seen.add(key)
            kept.append(value)
    return tuple(kept)
