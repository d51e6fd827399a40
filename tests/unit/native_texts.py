"""Texts that the native-against-reference tests share: real wire and evaluation text from
``../shared/eval/*.jsonl`` and the sample feed, and hypothesis strategies for text shaped like a
wire item's (names, numbers, sentences, scripts, marks) or drawn from all of Unicode."""

from __future__ import annotations

import functools

import orjson
from hypothesis import strategies as st

from tests.conftest import SAMPLE_FEED, SHARED

EVAL = SHARED / "eval"


@functools.cache
def real_texts() -> tuple[tuple[str, str], ...]:
    """(headline, body) pairs: every article, langid text and sample item, read at test time."""
    out: list[tuple[str, str]] = []
    for name in ("news_pairs.jsonl", "news_pairs_large.jsonl"):
        for line in (EVAL / name).read_bytes().splitlines():
            row = orjson.loads(line)
            out += [(row["title1"], row["text1"]), (row["title2"], row["text2"])]
    for line in (EVAL / "langid.jsonl").read_bytes().splitlines():
        out.append(("", orjson.loads(line)["text"]))
    for line in SAMPLE_FEED.read_bytes().splitlines():
        try:
            row = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue  # the sample's malformed message
        body = row.get("body") or row.get("text") or ""
        out.append((row.get("headline") or row.get("title") or "", body))
    if len(out) < 2000:
        raise AssertionError(f"expected the shared evaluation texts, got {len(out)}")
    return tuple(out)


_PIECES = (
    "Rotterdam", "Dockworkers", "ÉCOLE", "Łódź", "Kılıç", "Straße", "İstanbul", "ﬁnance", "Ǆemal",
    "O'Neil", "d’Artagnan", "Jean-Luc", "north-east", "États-Unis", "Ωmega", "Москва", "Путин",
    "الرئيس", "مُوسْكُو", "東京株式市場", "ソニー", "서울에서", "ไทย", "1,234.5", "2026", "1999",
    "٣٤", "48-hour", "3.5", "10,000", "x²", "e\u0301cole", "Reuters.", "NATO", "iPhone", "_id",
    "A", "Mr", "\u200bzero", "ΣΊΣΥΦΟΣ", "ǅ", "ß", "ꞵ",
)  # fmt: skip
_GLUE = (" ", " ", " ", ". ", "! ", "? ", "\n", ", ", " — ", "。", "؟ ", "\t", ": ", "\u00a0", "")


def wire_text() -> st.SearchStrategy[str]:
    """Text made of names, words, numbers and punctuation in several scripts."""
    word = st.one_of(
        st.sampled_from(_PIECES),
        st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'’-", max_size=9),
        st.text(min_size=1, max_size=6),
    )
    part = st.tuples(word, st.sampled_from(_GLUE)).map("".join)
    return st.lists(part, max_size=60).map("".join)


def any_text() -> st.SearchStrategy[str]:
    return st.one_of(wire_text(), st.text(max_size=300))
