"""Tokenizing with offsets, sentence breaks, and the per-language normal form features read.

The models were trained on CoNLL-2003 and ANERcorp tokens, so the tokenizer cuts text the way
those corpora are cut (punctuation apart, "'s" and "n't" apart, "U.S." and "1,000" whole) and a
space-joined corpus sentence comes back as its own tokens. Every token keeps its character
offsets, which is what lets a span always satisfy ``text[start:end] == surface``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

# Letters, digits and the combining marks that sit inside words (Latin accents, Arabic harakat);
# ``\w`` alone would cut "مُوسْكُو" at every vowel sign.
_MARKS = (
    "\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670"
    "\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed"
)
_W = rf"[^\W_]|[{_MARKS}]"
_WORD = rf"(?:{_W})+"

# Invisible format characters (ANERcorp is full of U+200F) belong to no token; they are skipped
# like spaces, so a span never starts or ends on one.
_INVISIBLE = "\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff"

_CLITIC = r"(?:[sSdDmMtT]|re|ve|ll|RE|VE|LL)\b"

_TOKEN_RE = re.compile(
    rf"""
    (?:[A-Za-z]\.){{2,}}(?![A-Za-z])                 # U.S. , U.N. , a.m.
    | (?:{_W})+?(?=n't\b)                            # do|n't
    | n't\b
    | ['’]{_CLITIC}                                  # 's as a token of its own, as CoNLL has it
    | [A-Z]{{1,3}}\$                                  # US$, C$
    | (?<![^\s(])[+.](?=\d)(?:{_W})+(?:(?<=\d)[.,/:](?=\d)(?:{_W})+)*  # +44, .500
    # 1996-08-22, 1,000, AL-AIN, O'Neill (not Smith's: CoNLL cuts that Smith 's)
    | {_WORD}(?:(?:[-&]|['’](?!{_CLITIC})|(?<=\d)[.,/:](?=\d))(?:{_WORD}))*
    | ([-=*_~.+])\1+                                 # a rule or ellipsis: --, ***, ...
    | [^\s{_INVISIBLE}]                              # any other visible character, alone
    """,
    re.VERBOSE,
)

_ENDS_SENTENCE = frozenset({".", "!", "?", "؟", "…", "۔", "。", "！", "？"})
# Text with no stops or line breaks (a list, a table flattened to one line) is cut into sentences
# of at most this many tokens: the tagger's window is five tokens, and Viterbi's cost per step
# grows with the longest sentence of a text.
MAX_SENTENCE = 250


def tokenize(text: str, abbreviations: frozenset[str] = frozenset()) -> list[tuple[int, int]]:
    """Token offsets in ``text``. A word directly followed by "." keeps it when the pair is a
    known abbreviation ("Mr.", "Corp."), as in the training corpora."""
    spans: list[tuple[int, int]] = []
    for m in _TOKEN_RE.finditer(text):
        start, end = m.span()
        if (
            spans
            and text[start:end] == "."
            and spans[-1][1] == start
            and text[spans[-1][0] : end] in abbreviations
        ):
            spans[-1] = (spans[-1][0], end)
            continue
        # A word-internal separator run the regex took whole is fine ("1,000"); a trailing
        # comma or period after a number ("2,") is not captured, as the pattern needs a word after.
        spans.append((start, end))
    return spans


_CHAR_RE = re.compile(rf"[^\s{_INVISIBLE}]")


def tokenize_chars(text: str) -> list[tuple[int, int]]:
    """Every visible character a token: how the Chinese corpus is cut (digits and Latin letters
    too), so Chinese text needs no spaces and no word segmenter."""
    return [m.span() for m in _CHAR_RE.finditer(text)]


def sentences(text: str, spans: list[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    """Sentence boundaries as ``(first, last + 1)`` token indices: after a full stop, question or
    exclamation mark, and at a line break."""
    first = 0
    n = len(spans)
    for i in range(n):
        end_here = (
            text[spans[i][0] : spans[i][1]] in _ENDS_SENTENCE or i + 1 - first >= MAX_SENTENCE
        )
        if not end_here and i + 1 < n:
            gap_start, gap_end = spans[i][1], spans[i + 1][0]
            if gap_end - gap_start == 1:
                end_here = text[gap_start] == "\n"
            elif gap_end > gap_start:
                end_here = "\n" in text[gap_start:gap_end]
        if end_here:
            yield first, i + 1
            first = i + 1
    if first < n:
        yield first, n


# Feature-side normal form for Arabic: no vowel signs, tatweel or invisible marks, one alef, and
# alef maqsura as yeh. Spellings vary on exactly these in news text.
_AR_DELETE = re.compile(f"[{_MARKS}\u0640{_INVISIBLE}]")
_AR_MAP = str.maketrans(
    {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ی": "ي", "ک": "ك"}
    | {chr(0x660 + d): str(d) for d in range(10)}
    | {chr(0x6F0 + d): str(d) for d in range(10)}
)


def word_bounds(words: Sequence[str], lo: int, hi: int) -> tuple[int, int]:
    """The tokens ``lo:hi`` of a name without those at its edges that hold no letter or digit.

    A name starts and ends with a word: the CRF sometimes carries a span over a comma or a dash
    ("مارك ريجيف ;"), and some corpora tag the quotes around a name with it (CoNLL-2002 Spanish
    ``" Reforma "``, WikiNEuRal Russian ``« Динамо »``). What a consumer reads, and what scoring
    compares on both sides, is the name alone.
    """
    while lo < hi and not _has_word_char(words[lo]):
        lo += 1
    while hi > lo and not _has_word_char(words[hi - 1]):
        hi -= 1
    return lo, hi


def _has_word_char(token: str) -> bool:
    return any(ch.isalnum() for ch in token)


def normalize_arabic(token: str) -> str:
    return _AR_DELETE.sub("", token).translate(_AR_MAP) or token


_INVISIBLE_RE = re.compile(f"[{_INVISIBLE}]")


def normalize_latin(token: str) -> str:
    return _INVISIBLE_RE.sub("", token) or token


# Arabic proclitics, outermost first: a conjunction, then a preposition, then the article.
_CONJ = ("", "و", "ف")
_PREP = ("", "ب", "ل", "ك")
PROCLITICS = tuple(sorted({c + p for c in _CONJ for p in _PREP} - {""}, key=len, reverse=True))


def arabic_splits(word: str, min_stem: int = 2) -> list[tuple[str, str]]:
    """Every ``(proclitics, stem)`` reading of a normalized word, the bare word first; the article
    is left on the stem ("وال" + "قاهرة" is read "و" + "القاهرة"), and "لل" as ل + ال."""
    out = [("", word)]
    for pre in PROCLITICS:
        if word.startswith(pre) and len(word) - len(pre) >= min_stem:
            stem = word[len(pre) :]
            out.append((pre, stem))
            if pre.endswith("ل") and stem.startswith("ل") and len(stem) > min_stem:
                out.append((pre, "ا" + stem))  # لل = ل + ال with the alef elided
    return out


def chunks(sents: list[Sequence[str]], max_tokens: int) -> list[list[Sequence[str]]]:
    """Runs of sentences of at most ``max_tokens`` tokens (a longer sentence is cut)."""
    out: list[list[Sequence[str]]] = [[]]
    size = 0
    for sent in sents:
        if len(sent) > max_tokens:
            raise ValueError(f"a sentence of {len(sent)} tokens is longer than {max_tokens}")
        if size + len(sent) > max_tokens and out[-1]:
            out.append([])
            size = 0
        out[-1].append(sent)
        size += len(sent)
    return out


def raw_prefix_len(token: str, letters: int) -> int:
    """Characters of ``token`` spanned by its first ``letters`` letters (marks ride along)."""
    seen = 0
    for i, ch in enumerate(token):
        if seen == letters and not _is_mark(ch):
            return i
        if not _is_mark(ch):
            seen += 1
    return len(token)


def _is_mark(ch: str) -> bool:
    return "\u064b" <= ch <= "\u065f" or ch in "\u0670\u0640" or "\u200b" <= ch <= "\u200f"
