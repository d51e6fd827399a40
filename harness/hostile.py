"""Hostile wire items: the shapes real feeds and attackers produce, at any size.

Each shape is a function ``size -> bytes`` that returns one raw item (a JSON object, as a
producer would send it) whose value is close to ``size`` bytes and never above it. The shapes
exercise every stage's worst case: dense KB mentions, long lists, markup, long tokens,
punctuation, combining marks, bidi controls, dense CJK, many sentences, publisher tags,
boilerplate, sectors and flashes (a headline with no body).

``make bench-hostile`` times them at 100 KB, 300 KB and 1 MB; the unit tests run each at a
small size and check that it yields exactly one outcome.
"""

from __future__ import annotations

from collections.abc import Callable

import orjson

Shape = Callable[[int], bytes]


def _body(unit: str, size: int, **fields: object) -> bytes:
    """A JSON item whose body is ``unit`` repeated to fill ``size`` bytes (JSON escapes
    counted)."""
    shell = orjson.dumps({**fields, "body": ""})
    unit_bytes = len(orjson.dumps(unit)) - 2
    reps = max(1, (size - len(shell)) // max(1, unit_bytes))
    value = orjson.dumps({**fields, "body": unit * reps})
    while len(value) > size and reps > 1:
        reps = max(1, reps - max(1, (len(value) - size) // max(1, unit_bytes) + 1))
        value = orjson.dumps({**fields, "body": unit * reps})
    return value


def _lines(make_line: Callable[[int], str], size: int, **fields: object) -> bytes:
    parts: list[str] = []
    total = len(orjson.dumps({**fields, "body": ""}))
    i = 0
    while True:
        line = make_line(i) + "\n"
        cost = len(orjson.dumps(line)) - 2
        if total + cost > size:
            break
        parts.append(line)
        total += cost
        i += 1
    return orjson.dumps({**fields, "body": "".join(parts) or "x"})


_NAMES = [
    ("Andrei", "Ivanov", "Russia"),
    ("Kenji", "Miura", "Japan"),
    ("Hassan", "Abbas", "Egypt"),
    ("Maria", "Rossi", "Italy"),
    ("Jean", "Dupont", "France"),
    ("Carlos", "Silva", "Brazil"),
    ("Anna", "Schmidt", "Germany"),
    ("Ahmet", "Yilmaz", "Turkey"),
]


def dense_mentions(size: int) -> bytes:
    return _body("Paris and Berlin. ", size)


def ranked_list(size: int) -> bytes:
    def line(i: int) -> str:
        first, last, country = _NAMES[i % len(_NAMES)]
        return f"{i + 1}. {first} {last} ( {country} ) {10 + (i % 90) / 7:.2f}"

    return _lines(line, size, headline="Results")


def people_list(size: int) -> bytes:
    return _body(
        "Vladimir Putin, Donald Trump, Emmanuel Macron, Olaf Scholz, Xi Jinping, Narendra Modi, ",
        size,
    )


def dense_arabic(size: int) -> bytes:
    return _body("التقى الرئيس بوتين مع ترامب في موسكو والقاهرة ودبي. ", size)


def html_many_tags(size: int) -> bytes:
    return _body("<b>x</b><i>y</i> ", size)


def html_deep(size: int) -> bytes:
    depth = max(1, (size - 40) // 11)
    return orjson.dumps({"body": "<div>" * depth + "Paris" + "</div>" * depth})


def html_unclosed(size: int) -> bytes:
    return _body("<p><span><a href='x'>Berlin ", size)


def long_token(size: int) -> bytes:
    return _body("A", size)


def long_word_mixed(size: int) -> bytes:
    return _body("ParisBerlinMoscowЛондон", size)


def punctuation_run(size: int) -> bytes:
    return _body("!?.,;:-—()[]\"'«»", size)


def combining_storm(size: int) -> bytes:
    return _body("e" + "\u0301\u0308\u0323" * 20 + " Paris", size)


def bidi_storm(size: int) -> bytes:
    return _body("\u200f\u202e\u2066Paris\u200e\u202c\u2069 موسكو ", size)


def dense_cjk(size: int) -> bytes:
    return _body("习近平在北京会见普京和特朗普。东京大阪上海。", size)


def many_sentences(size: int) -> bytes:
    return _body("Mr. A. B. said so. It is. ", size)


def capitalised_run(size: int) -> bytes:
    return _body("Alpha Beta of the Gamma de la Delta ", size)


def connector_run(size: int) -> bytes:
    return _body("A " + "de la " * 50, size)


def publisher_tags(size: int) -> bytes:
    return _body("(Reuters) – ", size)


def boilerplate_lines(size: int) -> bytes:
    def line(i: int) -> str:
        return "Paris news." if i == 0 else f"SOURCE Harbour Wire {i}"

    return _lines(line, size)


def sectors_storm(size: int) -> bytes:
    def line(i: int) -> str:
        return "Paris news." if i == 0 else "Sectors: Energy, Shipping, Finance"

    return _lines(line, size)


def many_lines(size: int) -> bytes:
    return _body("Paris\n", size)


def emoji_storm(size: int) -> bytes:
    return _body("👩‍👩‍👧‍👦🇺🇳 Berlin ", size)


def urls_and_emails(size: int) -> bytes:
    return _body("https://example.com/a?b=c mail@example.org 2026-12-06 +1 555 0100 ", size)


def mixed_scripts(size: int) -> bytes:
    return _body("Москва Paris 北京 القاهرة Αθήνα 서울 ", size)


def hebrew_proclitics(size: int) -> bytes:
    return _body("ובירושלים ולונדון ומפריז ", size)


def korean_particles(size: int) -> bytes:
    return _body("서울에서 부산시는 도쿄에서 ", size)


def caps_entities(size: int) -> bytes:
    return _body("PARIS, BERLIN, MOSCOW, GOOGLE, NATO, ", size)


def no_spaces_arabic(size: int) -> bytes:
    return _body("والقاهرةوموسكو", size)


def digits(size: int) -> bytes:
    return _body("1234567890 ", size)


def flash(size: int) -> bytes:
    return orjson.dumps({"headline": "FLASH: Putin and Witkoff meet in Moscow"})


def huge_headline(size: int) -> bytes:
    unit = "Putin and Witkoff meet in Moscow. "
    reps = max(1, (size - 20) // len(unit))
    return orjson.dumps({"headline": unit * reps})


def many_fields(size: int) -> bytes:
    fields: dict[str, object] = {"body": "Paris and Berlin."}
    i = 0
    while len(orjson.dumps(fields)) < size - 30:
        fields[f"k{i}"] = i
        i += 1
    return orjson.dumps(fields)


def many_sectors(size: int) -> bytes:
    n = max(1, (size - 40) // 10)
    return orjson.dumps({"body": "Paris", "sectors": [f"s{i:06d}" for i in range(n)]})


SHAPES: dict[str, Shape] = {
    shape.__name__: shape
    for shape in (
        dense_mentions,
        ranked_list,
        people_list,
        dense_arabic,
        html_many_tags,
        html_deep,
        html_unclosed,
        long_token,
        long_word_mixed,
        punctuation_run,
        combining_storm,
        bidi_storm,
        dense_cjk,
        many_sentences,
        capitalised_run,
        connector_run,
        publisher_tags,
        boilerplate_lines,
        sectors_storm,
        many_lines,
        emoji_storm,
        urls_and_emails,
        mixed_scripts,
        hebrew_proclitics,
        korean_particles,
        caps_entities,
        no_spaces_arabic,
        digits,
        flash,
        huge_headline,
        many_fields,
        many_sectors,
    )
}
