"""Features for Chinese: a token is one character (as in the People's Daily / MSRA corpus).

Chinese has no spaces and no capitals, so what a character means depends on its neighbours. The
unit whose features are computed (and cached by the tagger, like a word elsewhere) is a
character together with the one before it, written ``prev + UNIT_SEP + char``: its features are
the character, its type and the bigram ending at it, and with a reach of two every label sees
the five characters and the five bigrams around it. Character n-grams as per-position features
would cost a dict of some 600,000 strings (150 MB) and a lookup per n-gram per character; as
cached unit features they cost a hashed table and one cache row per distinct bigram. The word
lists work on characters: a place or a name seen in training is a sequence of characters,
matched as a multi-word name ("@g=city|B", "@g=city|I"), as "New York" is in cased languages.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from streams.ner.features import Lexicon, WordFeature

# Padding before the sentence, for the bigram of its first character.
_PAD = "^"
UNIT_SEP = "\x1f"
_MAX_CHARS = 30_000  # CJK ideographs in use are fewer; a bound on what hostile text can add


def normalize_han(token: str) -> str:
    """Full-width Latin letters, digits and punctuation as their ASCII forms (NFKC), so that
    "２０２４" and "2024" read alike; Han characters are left as they are."""
    if len(token) == 1 and "\u3400" <= token <= "\u9fff":
        return token
    return unicodedata.normalize("NFKC", token) or token


def char_type(token: str) -> str:
    ch = token[:1]
    if "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff":
        return "h"
    if ch.isdigit():
        return "d"
    if ch.isalpha():
        return "L" if ch.isupper() else "l"
    return "p"


class ChineseFeatures:
    """Character n-grams and character-sequence list matches."""

    language = "zh"

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        # A character's list kinds and phrase-start code, looked up once: a text has a few
        # thousand distinct characters but tens of thousands of distinct units.
        self._chars: dict[str, tuple[tuple[str, ...], int]] = {}

    def _char_info(self, char: str) -> tuple[tuple[str, ...], int]:
        info = self._chars.get(char)
        if info is None:
            if len(self._chars) >= _MAX_CHARS:
                self._chars.clear()
            info = (self.lexicon.lists.kinds(char), self.lexicon.phrases.start_code(char))
            self._chars[char] = info
        return info

    def units(self, words: Sequence[str]) -> list[str]:
        """Each character with the one before it (see the module docstring)."""
        return [(words[i - 1] if i else _PAD) + UNIT_SEP + w for i, w in enumerate(words)]

    def normalize(self, token: str) -> str:
        return UNIT_SEP.join(normalize_han(part) for part in token.split(UNIT_SEP))

    def phrase_forms(self, word: str) -> tuple[str, ...]:
        return (_char(word),)

    def start_code(self, word: str) -> int:
        return self._char_info(_char(word))[1]

    def key(self, word: str) -> str:
        return _char(word)

    def word(self, token: str) -> list[WordFeature]:
        prev, _, char = token.rpartition(UNIT_SEP)
        feats: list[WordFeature] = [
            (2, "w=" + char),
            (1, "T=" + char_type(char)),
            (2, "b=" + (prev or _PAD) + char),
        ]
        if len(char) > 1:  # a Latin word or a number kept whole
            feats.append((0, "len=" + str(min(len(char), 5))))
        feats += [(1, "L=" + name) for name in self._char_info(char)[0]]
        return feats

    def positions(self, words: Sequence[str], codes: Sequence[int] = ()) -> list[list[str]]:
        from streams.ner.features import sentence_positions

        return sentence_positions(self, words, codes)


def _char(unit: str) -> str:
    """The character of a unit (a bare character is its own)."""
    return unit.rpartition(UNIT_SEP)[2]
