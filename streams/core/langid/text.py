"""What the language models get to read: the text without what carries no language, split by
script and, when long, into chunks. Pure string work for ``streams.core.langid.detector``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from streams.core import native
from streams.core.langid.scripts import script_class

__all__ = ["chunks", "sanitize", "script_runs", "without_script"]

MAX_CHARS = 20_000  # the language of a wire item shows in its first pages; bounds per-item cost

# Controls (but the line breaks that chunking cuts at) and lone surrogates, which no model can
# take as UTF-8, go with the noise.
_REJECTED = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff"
_CODE_MARKS = r"0-9@_=<>{}\\|`$^~/"  # an ASCII token with one is a number, an address or code
# Blanks out what carries no language or pulls towards English: URLs, e-mail addresses, host
# names, handles, code, numbers, camelCase identifiers and brands (iPhone, getElementById), and,
# in text that has lower case, acronyms (NATO, AFP, COVID), which read as any language. Tokens are
# ASCII runs: Chinese, Japanese and Thai put no spaces between words, so a Unicode token would
# swallow the sentence around a number. Every match starts by consuming one character of a single
# class, which lets the regex engine scan for candidates in C; a leading alternation or lookbehind
# would try each position in turn, 3-10x slower on text with little ASCII. The branches then look
# back at that first character.
_NOISE_BRANCHES = (
    rf"(?<=[!-~])(?<![!-~].)(?:"  # the first character of an ASCII token, which ...
    rf"(?<=[{_CODE_MARKS}])[!-~]*|[!-~]*[{_CODE_MARKS}][!-~]*"  # ... has a code mark,
    r"|(?<=[A-Za-z0-9-])[A-Za-z0-9-]*\.(?:[A-Za-z0-9-]+\.)*[a-z]{2,}\b[!-~]*"  # ... is a host,
    r"|[!-~]*?(?<=[a-z])[A-Z][!-~]*)"  # ... is in camelCase
    r"|(?<=\d)\d*"  # digits of any script
    rf"|(?<=[{_REJECTED}])"
)
_ACRONYM = r"|(?<=[A-Z])(?<![A-Za-z].)[A-Z]+(?![a-z])"
_NOISE = re.compile(rf"[{_REJECTED}!-~\d](?:{_NOISE_BRANCHES})")
_NOISE_AND_ACRONYMS = re.compile(rf"[{_REJECTED}!-~\d](?:{_NOISE_BRANCHES}{_ACRONYM})")
# English credits and trailers that wires append to items in any language. A sentence holding one
# is dropped; the phrases are specific enough not to occur in English news prose. A match starts
# only where a sentence does: unanchored, the engine ran the sentence from each of its characters
# (quadratic, 2 ms on an item whose credit line had a hint; now 0.04 ms, same output).
_BOILERPLATE = re.compile(
    r"(?:^|(?<=[.!?\n]))[^.!?\n]*\b(?i:all rights reserved|click here|follow us on|subscribe to our"
    r"|reporting by|editing by|writing by|additional reporting|copyright \S+)\b[^.!?\n]*[.!?]?"
)
# Credits come with articles, not headlines: a headline-sized text skips the search.
_BOILERPLATE_MIN_CHARS = 60
# Searched in the lower-cased text: a case-insensitive regex scans four times slower.
_BOILERPLATE_HINT = re.compile(r"rights|click|follow|subscribe|reporting|editing|writing|copyr")


def sanitize(text: str) -> str:
    """The text (its first ``MAX_CHARS``) with noise and boilerplate blanked out.

    A text with no lower-case letter (an all-caps headline) is read in lower case instead, as
    the models learnt their languages from running text."""
    text = text[:MAX_CHARS]
    noise = _NOISE if text.isupper() else _NOISE_AND_ACRONYMS
    text = _blank(noise, text.lower() if noise is _NOISE else text)
    if len(text) >= _BOILERPLATE_MIN_CHARS and _BOILERPLATE_HINT.search(text.lower()):
        text = _BOILERPLATE.sub(" ", text)
    return text


def _blank(noise: re.Pattern[str], text: str) -> str:
    """``noise.sub(" ", text)``, by the native scan when ``core.native`` allows (the same
    matches: tests/unit/test_native_langid.py)."""
    ext = native.extension()
    if ext is not None:
        try:
            return str(ext.blank_noise(text, noise is _NOISE_AND_ACRONYMS))
        except UnicodeEncodeError:  # a lone surrogate, which only Python strings can hold
            pass
    return noise.sub(" ", text)


@cache
def _runs_of(script: str) -> re.Pattern[str]:
    letters = script_class(script)
    # Words of the script with what joins them inside a name ("Direct Investment Fund").
    return re.compile(f"[{letters}]+(?:[\\s'’.-]+[{letters}]+)*")


def script_runs(text: str, script: str) -> str:
    """The runs of ``script`` in the text, joined by spaces (the English names of an Arabic
    article, read as English text of their own)."""
    return " ".join(_runs_of(script).findall(text))


def without_script(text: str, scripts: frozenset[str]) -> str:
    """The text with the letters of ``scripts`` blanked out."""
    for script in sorted(scripts):
        text = _runs_of(script).sub(" ", text)
    return text


_SENTENCE_END = re.compile(r"(?<=[.!?।။。！？])\s+")


def chunks(text: str, min_chars: int) -> Iterator[str]:
    """Pieces of at least ``min_chars`` characters (a paragraph's last may be shorter), cut at
    sentence ends and never across a line break: a paragraph is in one language far more often
    than a page is."""
    for paragraph in text.split("\n"):
        piece: list[str] = []
        size = 0
        for sentence in _SENTENCE_END.split(paragraph):
            if sentence.strip():
                piece.append(sentence)
                size += len(sentence)
                if size >= min_chars:
                    yield " ".join(piece)
                    piece, size = [], 0
        if piece:
            yield " ".join(piece)
