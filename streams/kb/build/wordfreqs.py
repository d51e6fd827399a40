"""Everyday-word frequencies (wordfreq's packaged lists), folded like keys. Build time only.

A name is a false alarm when the same letters are, far more often, an everyday word: كان
("was") for Cannes, فإن folded to فان for Van, "Reading", "Mobile". A hand list cannot keep up
with 500,000 keys in 16 languages, so the builder asks how common each key is as a word in the
wire languages and compares that with how often the place itself should be written about.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

import wordfreq

from streams.kb.normalize import fold_key

# The wire languages that wordfreq covers (Thai has no list), plus neighbours that share a
# script with them and often carry the same names.
LANGUAGES = (
    "en", "ar", "ru", "uk", "zh", "ja", "ko", "fr", "de", "es", "pt", "tr", "fa", "vi", "id", "ms",
    "it", "nl", "pl", "he", "hi", "ur", "bg",
)  # fmt: skip
# Latin and Cyrillic wire languages: their common words are what opens a sentence with a capital.
CAPITALISED_LANGUAGES = (
    "en",
    "fr",
    "de",
    "es",
    "pt",
    "tr",
    "vi",
    "id",
    "ms",
    "it",
    "nl",
    "ru",
    "uk",
)
SENTENCE_WORD_ZIPF = 3.5  # a word at least this common is no name when it opens a sentence
# Arabic words this common end a name after a title (الرئيس ترامب يريد): verbs, particles.
ARABIC_COMMON_ZIPF = 5.0


@dataclass(slots=True)
class WordFrequencies:
    """Folded word -> Zipf frequency, per language."""

    by_lang: dict[str, dict[str, float]] = field(default_factory=dict)
    common_words: set[str] = field(default_factory=set)

    def __call__(self, word: str, exclude: Collection[str] = ()) -> float:
        """The word's highest frequency in any language but those in ``exclude``."""
        return max(
            (d.get(word, 0.0) for lang, d in self.by_lang.items() if lang not in exclude),
            default=0.0,
        )


def load(languages: tuple[str, ...] = LANGUAGES) -> WordFrequencies:
    out = WordFrequencies()
    for lang in languages:
        # "small" lists the ~30-60k most frequent words: enough, since only common words matter.
        table: dict[str, float] = {}
        for word, freq in wordfreq.get_frequency_dict(lang, wordlist="small").items():
            if freq <= 0:
                continue
            z = wordfreq.freq_to_zipf(freq)
            key = fold_key(word)
            if z > table.get(key, 0.0):
                table[key] = z
            if " " in key:
                continue
            if (lang in CAPITALISED_LANGUAGES and z >= SENTENCE_WORD_ZIPF) or (
                lang == "ar" and z >= ARABIC_COMMON_ZIPF
            ):
                out.common_words.add(key)
        out.by_lang[lang] = table
    return out
