"""The features both training and tagging read: one module, so the two can never disagree.

A token's features are of two kinds:

- *word* features depend on the token's text alone (its form, shape, affixes, lexicon hits). Each
  has a reach: it is also seen by the tokens up to ``reach`` positions away, as a feature of that
  relative offset. Because they depend only on the text, the tagger computes them once per
  distinct word and caches their summed weights (see ``streams.ner.model``); that is what makes
  tagging fast.
- *position* features depend on the sentence around the token (first word of a sentence, word
  bigrams, multi-word lexicon matches) and are computed for each token.

Attribute strings are ``"<offset>|<feature>"`` for word features and ``"@<feature>"`` for position
features; the model file stores the weights of exactly these strings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from streams.ner.features_zh import ChineseFeatures
from streams.ner.table import PhraseTable, WordLists, phrase_key
from streams.ner.text import arabic_splits, normalize_arabic, normalize_latin

OFFSETS = (-2, -1, 0, 1, 2)
WordFeature = tuple[int, str]  # (reach, feature)
# What the positions before the first token and after the last one "are", as a word feature.
PAD = "w=<pad>"


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Word lists a model was trained with and ships with (see ``streams.ner.training.lexicon``)."""

    # list name -> its words, keyed as ``key()`` keys them (one-word names, and the words of
    # longer names in the "+" lists).
    lists: WordLists = field(default_factory=lambda: WordLists.build({}))
    # list name -> multi-word names, as tuples of keyed words.
    phrases: PhraseTable = field(default_factory=lambda: PhraseTable.build({}))
    abbreviations: frozenset[str] = frozenset()
    # Word -> (Brown cluster path, low bits first; log-probability bucket), case-sensitive.
    clusters: WordTable | None = None


class WordTable(Protocol):
    def get(self, word: str) -> tuple[int, int] | None: ...


def shape(token: str) -> str:
    out = []
    for ch in token:
        if ch.isupper():
            out.append("X")
        elif ch.isalpha():
            out.append("x")
        elif ch.isdigit():
            out.append("d")
        else:
            out.append(ch)
    return "".join(out)


def short_shape(full: str) -> str:
    out: list[str] = []
    for ch in full:
        if not out or out[-1] != ch:
            out.append(ch)
    return "".join(out)


def sentence_positions(
    feats: Featurizer, words: Sequence[str], codes: Sequence[int] = ()
) -> list[list[str]]:
    """Each word's features from its place in the sentence: its ends (``@bos``, ``@eos``) and the
    list names it is part of (:func:`mark_phrases`); ``codes`` as there, computed if not given."""
    out: list[list[str]] = [[] for _ in words]
    if words:
        out[0].append("@bos")
        out[-1].append("@eos")
        mark_phrases(feats, words, codes or [feats.start_code(w) for w in words], out)
    return out


def mark_phrases(
    feats: Featurizer, words: Sequence[str], codes: Sequence[int], out: list[list[str]]
) -> None:
    """Mark the words of every multi-word list name: "@g=city|B", then "@g=city|I".

    ``codes[i]`` is the phrase-start code of word ``i`` (0 for the many that start none); a name
    may start at any of a word's ``phrase_forms`` (an Arabic word without its proclitics). All
    candidates of the sentence are checked against the lists in one batch.
    """
    table = feats.lexicon.phrases
    keys: list[str] | None = None
    cands: list[tuple[int, int, int]] = []  # (start, length, list), one entry per reading
    texts: list[str] = []
    for i, code in enumerate(codes):
        if not code:
            continue
        if keys is None:  # most sentences start no name: key their words only when one does
            keys = [feats.phrase_forms(w)[0] for w in words]
        firsts = feats.phrase_forms(words[i])
        for length, k in table.candidates(code):
            if i + length > len(words):
                continue
            rest = tuple(keys[i + 1 : i + length])
            for first in firsts:
                cands.append((i, length, k))
                texts.append(phrase_key(k, (first, *rest)))
    if not cands:
        return
    marked: set[tuple[int, int, int]] = set()
    for cand, hit in zip(cands, table.has_many(texts).tolist(), strict=True):
        if not hit or cand in marked:
            continue
        marked.add(cand)
        i, length, k = cand
        kind = table.names[k]
        out[i].append(f"@g={kind}|B")
        for j in range(i + 1, i + length):
            out[j].append(f"@g={kind}|I")


class EnglishFeatures:
    """Features for cased Latin-script text (trained on CoNLL-2003)."""

    language = "en"

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon

    def units(self, words: Sequence[str]) -> list[str]:
        """What word features are computed (and cached) for: each word itself."""
        return list(words)

    def normalize(self, token: str) -> str:
        return normalize_latin(token)

    def phrase_forms(self, word: str) -> tuple[str, ...]:
        """The keyed forms a multi-word name may start with at this word."""
        return (word.lower(),)

    def start_code(self, word: str) -> int:
        return self.lexicon.phrases.start_code(word.lower())

    def key(self, word: str) -> str:
        """The form word lists are keyed by."""
        return word.lower()

    def word(self, token: str) -> list[WordFeature]:
        low = token.lower()
        full = shape(token)
        short = short_shape(full)
        feats: list[WordFeature] = [
            (2, "w=" + low),
            (2, "s=" + short),
            (1, "x3=" + low[-3:]),
            (0, "W=" + token),
            (0, "S=" + (full if len(full) <= 6 else full[:3] + full[-3:])),
        ]
        feats += [(0, f"p{i}=" + low[:i]) for i in range(1, 5) if len(low) > i]
        feats += [(0, f"x{i}=" + low[-i:]) for i in (1, 2, 4) if len(low) > i]
        feats += [(1, "L=" + name) for name in self.lexicon.lists.kinds(low)]
        table = self.lexicon.clusters
        if table is not None:
            feats += self._cluster_features(token, low, table)
        return feats

    def _cluster_features(self, token: str, low: str, table: WordTable) -> list[WordFeature]:
        hit = table.get(token)
        if len(token) > 1 and token.isupper() and (hit is None or not hit[0]):
            # Headlines and datelines are in capitals ("JAPAN GET LUCKY WIN"): read the word
            # as it would be written in running text.
            hit = table.get(token.title()) or hit
        feats: list[WordFeature] = []
        if hit is None:
            feats.append((1, "c=none"))
        else:
            path, prob = hit
            feats.append((0, f"pr={prob}"))
            if path:
                # Paths are stored low bit first, so a prefix of the path is its low bits.
                feats += [(2, f"c{k}={path & ((1 << k) - 1)}") for k in (4, 5, 6)]
                feats += [(1, f"c{k}={path & ((1 << k) - 1)}") for k in (8, 10, 12, 14)]
                feats.append((1, f"c={path}"))
        if token != low:
            low_hit = table.get(low)
            if low_hit is None:
                feats.append((0, "lp=none"))
            elif hit is not None:
                feats.append((0, f"lr={max(-4, min(4, hit[1] - low_hit[1]))}"))
        return feats

    def positions(self, words: Sequence[str], codes: Sequence[int] = ()) -> list[list[str]]:
        """Position features; ``codes`` are the words' ``start_code``s when the caller has them."""
        n = len(words)
        out: list[list[str]] = [[] for _ in range(n)]
        if n:
            out[0].append("@bos|" + short_shape(shape(words[0])))
            out[-1].append("@eos")
            mark_phrases(self, words, codes or [self.start_code(w) for w in words], out)
        return out


_APOSTROPHE_SUFFIX = re.compile(r"(?<=\w)['’]([^\W\d_]+)$")


def split_suffix(token: str) -> tuple[str, str]:
    """Turkish "Londra'yı" -> ("Londra", "yı"); a token without one -> (token, "")."""
    m = _APOSTROPHE_SUFFIX.search(token)
    if m is None or not m.group(1).islower():  # O'Neill is a name, not O + a suffix
        return token, ""
    return token[: m.start()], m.group(1)


class SuffixFeatures(EnglishFeatures):
    """Cased text whose names take case suffixes after an apostrophe (Turkish: "Londra'yı",
    "Erdoğan'ın"). The name is read as itself (its form, lists, word table) plus the suffix, and
    lists are keyed by the name without it, so every case form of a name hits the same entry.
    Turkish writes the apostrophe only after proper names, which makes it a signal of its own."""

    language = "tr"

    def phrase_forms(self, word: str) -> tuple[str, ...]:
        return (self.key(word),)

    def start_code(self, word: str) -> int:
        return self.lexicon.phrases.start_code(self.key(word))

    def key(self, word: str) -> str:
        return split_suffix(word)[0].lower()

    def word(self, token: str) -> list[WordFeature]:
        stem, suffix = split_suffix(token)
        if not suffix:
            return super().word(token)
        return [*super().word(stem), (1, "sfx=" + suffix.lower()), (1, "apos")]


class ArabicFeatures:
    """Features for Arabic (trained on ANERcorp): no capitals, so stems and affixes carry it."""

    language = "ar"

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon

    def units(self, words: Sequence[str]) -> list[str]:
        return list(words)

    def normalize(self, token: str) -> str:
        return normalize_arabic(token)

    def phrase_forms(self, word: str) -> tuple[str, ...]:
        """The word, then each reading without proclitics (و|الولايات المتحدة)."""
        return tuple(stem for _, stem in arabic_splits(word))

    def start_code(self, word: str) -> int:
        code = 0
        for form in self.phrase_forms(word):
            code |= self.lexicon.phrases.start_code(form)
        return code

    def key(self, word: str) -> str:
        return word

    def word(self, token: str) -> list[WordFeature]:
        feats: list[WordFeature] = [(2, "w=" + token), (0, "S=" + _script_shape(token))]
        splits = arabic_splits(token)
        for pre, stem in splits[1:]:
            feats.append((1, "st=" + stem))
            feats.append((0, "pre=" + pre))
        bare = splits[-1][1] if len(splits) > 1 else token
        core = bare[2:] if bare.startswith("ال") and len(bare) > 4 else bare
        feats += [(0, f"p{i}=" + core[:i]) for i in range(1, 4) if len(core) > i]
        feats += [(0, f"x{i}=" + core[-i:]) for i in range(1, 4) if len(core) > i]
        # Letter trigrams inside the word: transliterated foreign names have their own letter
        # patterns (-ز-, -يف, -سكي) wherever they fall.
        padded = f"<{core}>"
        feats += [
            (0, "g=" + g) for g in sorted({padded[i : i + 3] for i in range(len(padded) - 2)})
        ]
        feats.append((1, "x2=" + token[-2:]))
        kinds = {kind for _, stem in splits for kind in self.lexicon.lists.kinds(stem)}
        feats += [(1, "L=" + name) for name in sorted(kinds)]
        table = self.lexicon.clusters
        if table is not None:
            hit = table.get(token)
            feats.append((0, f"pr={hit[1] if hit else 'none'}"))
            # How common the likeliest reading is: a name stays rare without its proclitic,
            # an everyday word becomes common (ولكن -> لكن).
            probs = [h[1] for _, stem in splits[1:] if (h := table.get(stem)) is not None]
            if probs:
                feats.append((0, f"ps={min(probs)}"))
        return feats

    def positions(self, words: Sequence[str], codes: Sequence[int] = ()) -> list[list[str]]:
        return sentence_positions(self, words, codes)


def _script_shape(token: str) -> str:
    """Arabic letters as "a", Latin by case, digits as "d", collapsed: a Latin or numeric token in
    Arabic text is a strong hint either way."""
    out: list[str] = []
    for ch in token:
        if "\u0600" <= ch <= "\u06ff":
            c = "a"
        elif ch.isdigit():
            c = "d"
        elif ch.isalpha():
            c = "X" if ch.isupper() else "x"
        else:
            c = ch
        if not out or out[-1] != c:
            out.append(c)
    return "".join(out)


Featurizer = EnglishFeatures | SuffixFeatures | ArabicFeatures | ChineseFeatures


def featurizer(language: str, lexicon: Lexicon) -> Featurizer:
    """The feature set for a language: Arabic-script ones get the Arabic set, Chinese the
    character one, others the cased one (Latin or Cyrillic: capitals, affixes and shapes)."""
    if language in ("ar", "fa", "ur"):
        return ArabicFeatures(lexicon)
    if language == "zh":
        return ChineseFeatures(lexicon)
    if language in ("tr", "az"):
        return SuffixFeatures(lexicon)
    return EnglishFeatures(lexicon)


def attributes(feats: Featurizer, tokens: Sequence[str]) -> list[list[str]]:
    """Training-side attribute strings of a sentence (the tagger computes the same sums from
    cached per-word weights instead)."""
    words = [feats.normalize(u) for u in feats.units(tokens)]
    per_word = [feats.word(w) for w in words]
    positions = feats.positions(words)
    n = len(words)
    out: list[list[str]] = []
    for i in range(n):
        attrs = list(positions[i])
        for k in OFFSETS:
            j = i + k
            if 0 <= j < n:
                attrs += [f"{k}|{f}" for reach, f in per_word[j] if abs(k) <= reach]
            else:
                attrs.append(f"{k}|{PAD}")
        out.append(attrs)
    return out
