"""Features for Chinese: a token is one character (as in the People's Daily / MSRA corpus).

Chinese has no spaces and no capitals, so what a character means depends on its neighbours:
the character itself is a word feature (cached, with a reach of two), and the character
bigrams and the trigram around each position are position features. The word lists work on
characters: a place or a name seen in training is a sequence of characters, matched as a
multi-word name ("@g=city|B", "@g=city|I"), exactly as the cased languages match "New York".
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from streams.ner.features import Lexicon, WordFeature

# Padding outside the sentence, for the n-grams of its first and last characters.
_PAD = "^"


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

    def normalize(self, token: str) -> str:
        return normalize_han(token)

    def phrase_forms(self, word: str) -> tuple[str, ...]:
        return (word,)

    def start_code(self, word: str) -> int:
        return self.lexicon.phrases.start_code(word)

    def key(self, word: str) -> str:
        return word

    def word(self, token: str) -> list[WordFeature]:
        feats: list[WordFeature] = [(2, "w=" + token), (1, "T=" + char_type(token))]
        if len(token) > 1:  # a Latin word or a number the tokenizer kept whole
            feats.append((0, "len=" + str(min(len(token), 5))))
        feats += [(1, "L=" + name) for name in self.lexicon.lists.kinds(token)]
        return feats

    def positions(self, words: Sequence[str], codes: Sequence[int] = ()) -> list[list[str]]:
        from streams.ner.features import mark_phrases

        n = len(words)
        out: list[list[str]] = [[] for _ in range(n)]
        if not n:
            return out
        w = [_PAD, _PAD, *words, _PAD, _PAD]
        for i in range(n):
            j = i + 2  # index of words[i] in w
            out[i] += [
                "@b-2=" + w[j - 2] + w[j - 1],
                "@b-1=" + w[j - 1] + w[j],
                "@b0=" + w[j] + w[j + 1],
                "@b1=" + w[j + 1] + w[j + 2],
                "@t=" + w[j - 1] + w[j] + w[j + 1],
            ]
        out[0].append("@bos")
        out[-1].append("@eos")
        mark_phrases(self, words, codes or [self.start_code(x) for x in words], out)
        return out
