"""Turn entries (places and curated entities) into the automaton and tables the extractor loads.

All the costly decisions happen here, once: which names to trust, which spellings and case forms
to store, which keys are everyday words, and how candidates for one key are ranked. Used by the
KB build (streams.kb.build) and, without word frequencies, for watchlists at run time.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

import daachorse

from streams.kb import gazetteer, stoplists
from streams.kb.aliases import (
    ACRONYM,
    ARABIC_ARTICLE,
    ARTICLE,
    BARE,
    COMMON,
    FLAG_BITS,
    LOWER_ANY,
    LOWER_OK,
    MatchKey,
    match_keys,
)
from streams.kb.entry import Kind, Origin, Place
from streams.kb.gazetteer import COUNTRY_PRIOR, CURATED_PRIOR, MAX_KEY_LEN, Tables
from streams.kb.normalize import Script, fold_key, is_cased, script_of

if TYPE_CHECKING:
    from streams.kb.build.wordfreqs import WordFrequencies

# A three-letter name (two for Han/kana/Hangul) is kept only for a place big enough to be what
# the letters usually mean. Arabic needs more: most three-letter Arabic words are roots of others.
SHORT_KEY_MIN_POPULATION = 100_000
SHORT_ARABIC_KEY_MIN_POPULATION = 300_000
_SUBDIVISION_PRIOR = 5.0  # a middling city: a city that shares the name wins ("New York")

# When a key is an everyday word rather than the entity's name (wordfreq's Zipf scale: +1 is x10):
# - Arabic and Hebrew script, which have no capitals to tell a name: the key is dropped when the
#   word is very common (Zipf >= 5.5: كان, لما, مدينة, وإن folded to وان) and far more common
#   than the entity should be written about. Famous places stay below the floor (غزة 5.1, موسكو
#   4.8); Han, kana and Hangul names are left to boundaries and stoplists (서울 is 5.7 as a word
#   because it is the name, which frequency cannot tell apart).
# - cased scripts: the candidate is marked COMMON (it then needs a capital and must not open a
#   sentence) when the word is far more common in some language that is not spoken where the
#   entity is: "Reading", "Mobile", "Nice" in English; "paris" in French is the city itself.
UNCASED_WORD_FLOOR = 5.5
UNCASED_WORD_MARGIN = 1.0
# - a town abroad (population below this, in a country where Arabic is not official) whose
#   Arabic-script name is a common Arabic word needs a lower floor: يوميا "daily" is Umeå, بأنه
#   "that it" is Bāneh, فكرة "idea" is Făgăraș. Famous places abroad are big or capitals
#   (Washington, Geneva) and stay above the population line.
FOREIGN_TOWN_MAX_POPULATION = 150_000
FOREIGN_TOWN_WORD_FLOOR = 4.0
CASED_WORD_MARGIN = 1.5
# How often an entity is written about, on the Zipf scale: a city of population p about
# log10(p) - 2.3 (Moscow ~4.8 in Arabic, as measured), a country about 5.5.
_CITY_ZIPF_OFFSET = 2.3
_COUNTRY_ZIPF = 5.5
_SUBDIVISION_ZIPF = 3.0
# Curated names are chosen by people, and news mentions them a lot (رويترز, Google, Trump are
# frequent words in wordfreq's news-heavy lists), so only names far more common than any entity
# count as everyday words: a slip in the file, like العربية ("Arabic") for Al Arabiya.
_CURATED_ZIPF_UNCASED = 6.0  # a curated Arabic or Hebrew name is dropped above this
_CURATED_ZIPF_CASED = 5.3  # a curated Latin/Cyrillic name is marked COMMON above this

# A word this common that reads as proclitic + name (كما, بين) is checked against the name.
_PREFIXED_MIN_ZIPF = 3.0
# ... and ال + name only when the name alone is this common a word (see _prefixed_stop).
_ARTICLE_REST_ZIPF = 4.0
# Arabic proclitics: conjunction و/ف, then preposition ب/ل/ك, then the article.
_CONJ = ("", "و", "ف")
_PREP = ("", "ب", "ل", "ك")
ARABIC_BARE_PREFIXES = frozenset(c + p for c in _CONJ for p in _PREP) - {""}
ARABIC_ARTICLE_PREFIXES = frozenset(
    {c + p + ARABIC_ARTICLE for c in _CONJ for p in _PREP if p != "ل"} | {c + "لل" for c in _CONJ}
)
# Inflected Cyrillic forms are stored for entries Russian or Ukrainian news writes about: the
# post-Soviet countries' places, big places anywhere, countries, regions and curated entries.
_INFLECTED_COUNTRY_CODES = "RU UA BY KZ UZ KG TJ TM AZ AM GE MD LV LT EE"
_INFLECTED_COUNTRIES = frozenset(_INFLECTED_COUNTRY_CODES.split())
_INFLECT_MIN_POPULATION = 200_000


@dataclass(slots=True)
class Compiled:
    automaton: bytes
    tables: Tables
    dropped: Counter[str] = field(default_factory=Counter)


def prior(entry: Place) -> float:
    if entry.kind is Kind.SUBDIVISION:
        return _SUBDIVISION_PRIOR
    if entry.kind is Kind.CURATED:
        return CURATED_PRIOR
    base = math.log10(max(entry.population, 0) + 10)
    return base + COUNTRY_PRIOR if entry.kind is Kind.COUNTRY else base


def expected_zipf(entry: Place) -> float:
    """How common the entity's name should be in text, were it only the entity's name."""
    if entry.kind is Kind.COUNTRY:
        return _COUNTRY_ZIPF
    if entry.kind is Kind.SUBDIVISION:
        return _SUBDIVISION_ZIPF
    if entry.kind is Kind.CURATED:
        return _CURATED_ZIPF_UNCASED  # chosen by people: as common as any name may be
    return math.log10(max(entry.population, 0) + 10) - _CITY_ZIPF_OFFSET


def _inflect(entry: Place) -> bool:
    return (
        entry.kind is not Kind.CITY
        or entry.country in _INFLECTED_COUNTRIES
        or entry.population >= _INFLECT_MIN_POPULATION
    )


def _short_enough(mk: MatchKey, entry: Place, origin: Origin) -> bool:
    """Whether a short key may name this place (see SHORT_KEY_MIN_POPULATION)."""
    if entry.kind is Kind.CURATED:
        return True
    short = 2 if mk.script in (Script.NOSPACE, Script.HANGUL) else 3
    if mk.letters > short:
        return True
    if entry.kind is Kind.COUNTRY:
        return origin is Origin.CANONICAL
    if entry.kind is Kind.SUBDIVISION:
        return False
    floor = (
        SHORT_ARABIC_KEY_MIN_POPULATION if mk.script is Script.ARABIC else SHORT_KEY_MIN_POPULATION
    )
    return entry.population >= floor


@dataclass(slots=True)
class _Keys:
    cands: dict[str, dict[int, int]] = field(default_factory=dict)  # key -> {entry: flags}
    modes: dict[str, int] = field(default_factory=dict)
    words: dict[str, str] = field(default_factory=dict)  # key -> folded name alone

    def add(self, mk: MatchKey, idx: int) -> None:
        c = self.cands.setdefault(mk.key, {})
        c[idx] = c.get(idx, 0) | mk.flags
        self.modes[mk.key] = mk.mode
        self.words[mk.key] = mk.word

    def remove(self, key: str, idx: int) -> None:
        c = self.cands[key]
        del c[idx]
        if not c:
            del self.cands[key]


def _collect(entries: Sequence[Place], dropped: Counter[str]) -> _Keys:
    keys = _Keys()
    for idx, entry in enumerate(entries):
        for raw, origin in entry.names:
            mks = match_keys(raw, origin, entry.mains, inflect=_inflect(entry))
            if not mks:
                dropped["unusable_name"] += 1
            for mk in mks:
                if len(mk.key) > MAX_KEY_LEN:
                    dropped["too_long"] += 1
                elif not _short_enough(mk, entry, origin):
                    dropped["short_for_small_place"] += 1
                else:
                    keys.add(mk, idx)
    return keys


def _apply_stoplist(entries: Sequence[Place], keys: _Keys, dropped: Counter[str]) -> None:
    """Stopwords lose the way they are written: "هند" stops the bare name, not "الهند"."""
    for words in stoplists.ALWAYS.values():
        for word in words.split():
            for mk in match_keys(word, Origin.CANONICAL, (word,), inflect=False):
                written = mk.flags & (BARE | ARTICLE)
                for idx, flags in list(keys.cands.get(mk.key, {}).items()):
                    if entries[idx].kind is Kind.CURATED:
                        continue
                    if flags & (BARE | ARTICLE) & ~written:
                        keys.cands[mk.key][idx] = flags & ~written
                    else:
                        keys.remove(mk.key, idx)
                        dropped["stoplist"] += 1


def _apply_word_frequencies(
    entries: Sequence[Place], keys: _Keys, freqs: WordFrequencies, dropped: Counter[str]
) -> None:
    """Drop (Arabic, Hebrew) or mark COMMON (cased scripts) names that are mostly everyday words."""
    for key in list(keys.cands):
        word = keys.words[key]
        if " " in word:
            continue  # phrases are not in the word lists, and rarely everyday phrases
        cased = is_cased(word[0])
        if not cased and script_of(word[0]) not in (Script.ARABIC, Script.HEBREW):
            continue
        for idx, flags in list(keys.cands[key].items()):
            entry = entries[idx]
            if flags & ACRONYM or not _everyday(word, flags, entry, freqs, cased=cased):
                continue
            if cased:
                keys.cands[key][idx] = flags | COMMON
                dropped["common_word_marked"] += 1
            else:
                keys.remove(key, idx)
                dropped["common_word"] += 1
                if key not in keys.cands:
                    break


def _everyday(word: str, flags: int, entry: Place, freqs: WordFrequencies, *, cased: bool) -> bool:
    if cased:
        z = freqs(word, exclude=official_languages(entry.country))
        if entry.kind is Kind.CURATED:
            return z >= _CURATED_ZIPF_CASED
        return z > expected_zipf(entry) + CASED_WORD_MARGIN
    z = freqs(ARABIC_ARTICLE + word) if flags & ARTICLE else 0.0
    if flags & BARE:
        z = max(z, freqs(word))
    if entry.kind is Kind.CURATED:
        return z >= _CURATED_ZIPF_UNCASED
    floor = FOREIGN_TOWN_WORD_FLOOR if _foreign_town(word, entry) else UNCASED_WORD_FLOOR
    return z >= floor and z > expected_zipf(entry) + UNCASED_WORD_MARGIN


def _foreign_town(word: str, entry: Place) -> bool:
    return (
        entry.kind is Kind.CITY
        and entry.population < FOREIGN_TOWN_MAX_POPULATION
        and script_of(word[0]) is Script.ARABIC
        and "ar" not in official_languages(entry.country)
    )


@cache
def official_languages(country: str | None) -> frozenset[str]:
    if not country:
        return frozenset()
    # Build time only (watchlists compile without frequencies), so babel is imported here.
    from babel.languages import get_official_languages

    return frozenset(get_official_languages(country, de_facto=True))


def _prefixed_stop(
    entries: Sequence[Place], keys: _Keys, freqs: WordFrequencies | None
) -> set[str]:
    """Arabic words that read as proclitic + name but are everyday words (كما, لما, بين ...)."""
    out = {fold_key(w) for w in stoplists.ALWAYS["ar"].split()}
    if freqs is None:
        return out
    arabic_words: dict[str, float] = {}
    # Arabic alone for the bare rest: in Persian قاهره is the name of Cairo itself.
    arabic = freqs.by_lang.get("ar", {})
    for lang in ("ar", "fa", "ur"):
        for word, z in freqs.by_lang.get(lang, {}).items():
            arabic_words[word] = max(z, arabic_words.get(word, 0.0))
    for word, z in arabic_words.items():
        if z < _PREFIXED_MIN_ZIPF or not ("\u0600" <= word[:1] <= "\u06ff") or " " in word:
            continue
        for cut in range(1, 5):
            prefix, rest = word[:cut], word[cut:]
            if prefix in ARABIC_ARTICLE_PREFIXES:
                need = ARTICLE
            elif prefix in ARABIC_BARE_PREFIXES:
                need = BARE
            else:
                continue
            cands = keys.cands.get(rest + " ", {})
            best = max(
                (expected_zipf(entries[i]) for i, f in cands.items() if f & need), default=None
            )
            if best is None or z <= best - 0.5 + UNCASED_WORD_MARGIN:
                continue
            # The article alone glued to a name is the name as written, as common as news makes
            # it (القاهرة, Cairo): an everyday word only when the bare rest is one too (الخميس
            # "Thursday", الجديدة "the new"), while قاهرة or خرطوم alone are rare.
            if prefix == ARABIC_ARTICLE and arabic.get(rest, 0.0) < _ARTICLE_REST_ZIPF:
                continue
            out.add(word)
    return out


def _automaton(
    entries: Sequence[Place], keys: _Keys
) -> tuple[bytes, array[int], array[int], array[int], array[int]]:
    priors = [prior(p) for p in entries]
    patterns = sorted(keys.cands)
    offsets: array[int] = array("I", [0])
    members: array[int] = array("I")
    values: array[int] = array("I")
    modes: array[int] = array("B")
    for key in patterns:
        cands = keys.cands[key]
        # Best prior first, so a match with no context to go on takes the first candidate.
        ranked = sorted(cands, key=lambda i: (-priors[i], entries[i].id))
        codes = [i << FLAG_BITS | cands[i] for i in ranked]
        if len(codes) == 1:
            values.append(gazetteer.pack_value(codes[0], group=False))
        else:
            values.append(gazetteer.pack_value(len(offsets) - 1, group=True))
            members.extend(codes)
            offsets.append(len(members))
        lower_any = any(f & LOWER_OK for f in cands.values())
        modes.append(keys.modes[key] | (LOWER_ANY if lower_any else 0))
    if not patterns:
        patterns = ["\x00"]  # daachorse needs one pattern; this one never occurs in folded text
        values.append(0)
        modes.append(0)
    pma = daachorse.CharwiseDoubleArrayAhoCorasick(patterns)
    return pma.serialize(), offsets, members, values, modes


def _label(entry: Place) -> str:
    if entry.kind is Kind.COUNTRY:
        return "continent" if entry.country is None else "country"
    if entry.kind is Kind.CURATED:
        return f"curated_{entry.type.lower()}"
    return "city" if entry.kind is Kind.CITY else "subdivision"


def compile_entries(
    entries: Sequence[Place],
    meta: dict[str, Any] | None = None,
    freqs: WordFrequencies | None = None,
) -> Compiled:
    """Everything but the IO: the automaton, its tables, and why names were dropped."""
    dropped: Counter[str] = Counter()
    keys = _collect(entries, dropped)
    _apply_stoplist(entries, keys, dropped)
    if freqs is not None:
        _apply_word_frequencies(entries, keys, freqs, dropped)
    prefixed = _prefixed_stop(entries, keys, freqs)
    automaton, offsets, members, values, modes = _automaton(entries, keys)
    linked = {i for c in keys.cands.values() for i in c}
    tables = Tables(
        ids=[p.id for p in entries],
        names=[p.name for p in entries],
        types=[p.type for p in entries],
        countries=[p.country for p in entries],
        lats=array("d", (math.nan if p.lat is None else p.lat for p in entries)),
        lons=array("d", (math.nan if p.lon is None else p.lon for p in entries)),
        priors=array("f", (prior(p) for p in entries)),
        group_offsets=offsets,
        group_members=members,
        key_values=values,
        key_modes=modes,
        prefixed_stop=frozenset(prefixed),
        stop_when_language={
            lang: frozenset(fold_key(w) for w in words.split())
            for lang, words in stoplists.WHEN_LANGUAGE.items()
        },
        common_words=frozenset(freqs.common_words if freqs is not None else ()),
        meta={
            **(meta or {}),
            "entities": dict(Counter(_label(entries[i]) for i in linked)),
            "keys": len(keys.cands),
            "candidates": dict(Counter(_label(entries[i]) for c in keys.cands.values() for i in c)),
        },
    )
    return Compiled(automaton, tables, dropped)
