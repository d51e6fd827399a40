"""Language identification for wire text: script rules, fastText, and a second opinion when
fastText is unsure. docs/langid.md has the design's measurements; in short:

1. **Script.** A script that one language has to itself settles the text (Hangul, Thai, Greek,
   kana, ...). Han without kana is Chinese, unless it holds a kanji that only Japanese writes.
2. **fastText** (``lid.176.ftz``, 176 languages) reads the text. Its answer stands alone when it
   gives it 0.7 or more; for a language of a confusable group (Malay/Indonesian,
   Spanish/Portuguese/Galician, ...), 0.9 or more, and no language of the group with 3% or more
   unless the group's marker words side with the answer.
3. **Second opinion** otherwise: py3langid's naive Bayes model reads it too, and the marker words
   of ``langid_markers`` count inside confusable groups. A candidate's score is the product of
   the two models' probabilities times e^hits, normalised over the candidates of both (as
   independent evidence: averaging the two instead made the posterior underconfident, log loss
   0.13 against 0.07 on the second-stage texts of the evaluation set).

Candidates are always languages written in the text's script, and on Cyrillic text languages whose
alphabet has every letter the text uses. Before any of this, URLs, e-mail addresses, numbers,
code, camelCase tokens, acronyms and English credit lines are blanked out (``langid_text``).

**Confidence** is the posterior of the stage that answered: 1.0 for a script of one language (Han
without kana: Chinese at 0.9, or 0.98 from 20 characters; Japanese by its kanji at 0.9),
fastText's probability, or the ensemble's normalised score; times letters/8 for texts of fewer
than 8 letters. Below ``min_confidence`` the code is ``und``.

**Hint.** A producer's hint is a prior worth odds of 10:1 (a producer's tag is taken to be right
about 9 times in 10). It is taken when the text leaves it within that factor of the best reading,
and then raises its posterior p to 10p / (10p + 1 - p); in a text that mixes languages, when it
names one with a quarter of the letters or more. A hint the text does not support (another
script, a clear other language, a few names) changes nothing.

**Expected languages** restrict the answer to those the text supports (at least 1% posterior),
renormalised over them; when the text supports none of them the honest answer stands.

**Mixed.** Letters of another script are read on their own (the English names inside an Arabic
article); long texts are read in chunks of two sentences or more inside a paragraph (an even
sample of 24 at most), and a chunk that fastText gives to another language with 0.9 or more
counts for it. ``mixed`` lists each language with at least 5%
of the letters, or 3% for a language written in a script the primary language does not use:
letters of another script are certain evidence, not model noise, and names in them are usually
that small a share. CJK characters weigh 3 (Han) or 2 (kana, Hangul) Latin letters.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

from streams.core.langid.codes import GROUP_OF, UNDETERMINED, normalize_code
from streams.core.langid.markers import marker_hits
from streams.core.langid.mixed import MIN_FOREIGN_SCRIPT_SHARE, mixed_shares
from streams.core.langid.models import Models, load_models
from streams.core.langid.scripts import (
    GROUP_SCRIPTS,
    SCRIPT_DEFAULT,
    UNIQUE_SCRIPT_LANG,
    alphabet_rules_out,
    count_scripts,
    dominant,
    han_reading,
    scripts_of,
    weighted,
)
from streams.core.langid.text import chunks, sanitize, script_runs, without_script
from streams.models import Language, LanguageShare

__all__ = ["MODEL_CHARS", "UNDETERMINED", "LanguageDetector", "detect", "normalize_code"]

_NO_SCRIPT = "Zyyy"
_MIN_LETTERS = 8  # below this (weighted) many letters, confidence scales down: "ok" tells nothing
_TOP_K = 4  # candidates taken from each model (more cost more and change nothing measured)
# fastText's probability from which its answer stands alone: 0.7 for most languages, 0.9 for a
# language of a confusable group. On the evaluation set fastText was right on every text it gave
# 0.7 or more outside the groups (the second opinion turned two of them wrong), and wrong on 2 of
# 18 group texts between 0.7 and 0.8.
_ACCEPT = 0.7
_ACCEPT_GROUP = 0.9
_SIBLING_DOUBT = 0.03  # ... unless a language of its confusable group has this much
# A candidate that a model did not list gets an equal part of the probability the model left
# unlisted (never less than _FLOOR): a flat floor punished a language that fastText put fifth
# on a headline it could not read as much as one it ruled out.
_FLOOR = 1e-4
_FASTTEXT_LABELS = 176
_BAYES_LABELS = 142
_NB_WEIGHT = 1.0  # the naive Bayes model's weight against fastText's in the second opinion
_MARKER_WEIGHT = 1.0  # nats per marker word
MODEL_CHARS = 2_000  # what the cascade reads of a long text
_HINT_ODDS = 10.0  # a producer's tag is taken to be right about 9 times in 10
_HINT_MIN_SHARE = 0.25  # of a mixed text's letters, for the hint to lead it
_EXPECTED_MIN = 0.01
_CHUNK_CHARS = 120  # about two sentences: a paragraph in another language shows
_CHUNK_MIN_LETTERS = 20
_MAX_CHUNKS = 24  # a longer text is sampled: bounded cost per item (about 5,000 characters read)
_CHUNK_ACCEPT = 0.9
_SIBLING_CHUNK_MAX = 0.05  # a chunk goes to a sibling of the answer only if it rules the answer out


class _Reading(NamedTuple):
    """Candidate languages with their posterior, best first (summing to at most 1)."""

    posterior: dict[str, float]
    stage: str  # script | fasttext | ensemble | none


_NOTHING = _Reading({}, "none")


_WRITABLE: dict[str, dict[str, bool]] = {}  # script -> language -> written in it (a memo)


def _writable(lang: str, script: str) -> bool:
    memo = _WRITABLE.get(script)
    if memo is None:
        memo = _WRITABLE[script] = {}
    known = memo.get(lang)
    if known is None:
        known = memo[lang] = bool(GROUP_SCRIPTS.get(script, frozenset({script})) & scripts_of(lang))
    return known


def _fitting(
    listed: dict[str, float], script: str, ruled_out: frozenset[str] | None
) -> dict[str, float]:
    """The listed languages that are written in ``script`` and not ruled out, in order."""
    memo = _WRITABLE.get(script)
    if memo is None or not memo.keys() >= listed.keys():
        memo = {c: _writable(c, script) for c in listed} | _WRITABLE.get(script, {})
    if ruled_out:
        return {c: p for c, p in listed.items() if memo[c] and c not in ruled_out}
    return {c: p for c, p in listed.items() if memo[c]}


_GROUPED = frozenset(GROUP_OF)
_SOLE: dict[str, tuple[LanguageShare, ...]] = {}  # code -> ((code, 1.0),): immutable, shared


def _ranked(scores: dict[str, float]) -> dict[str, float]:
    return dict(sorted(scores.items(), key=lambda kv: (-kv[1], kv[0])))


class LanguageDetector:
    """Detects the language of one text; build once, call per message (holds no per-call state).

    Building loads the models (about a second, once per process; ``langid_models``)."""

    def __init__(self, expected: Sequence[str] | None = None, min_confidence: float = 0.5) -> None:
        codes = (normalize_code(code) for code in expected or ())
        self.expected: tuple[str, ...] = tuple(dict.fromkeys(code for code in codes if code))
        self.min_confidence = min_confidence
        self._models: Models = load_models()

    def detect(self, text: str, hint: str | None = None) -> Language:
        clean = sanitize(text)
        counts = count_scripts(clean)
        if not counts:
            return Language(UNDETERMINED, 0.0, _NO_SCRIPT)
        script, _letters = dominant(counts)
        weights = weighted(counts)
        main, main_letters, foreign = clean, sum(weights.values()), {}
        if len(weights) > 1:
            own = GROUP_SCRIPTS.get(script, frozenset({script}))
            total = main_letters
            foreign = {
                s: n
                for s, n in weights.items()
                if s not in own and n >= MIN_FOREIGN_SCRIPT_SHARE * total
            }
            if foreign:
                main = without_script(clean, frozenset(foreign))
            main_letters = total - sum(n for s, n in weights.items() if s not in own)
        reading = self.read(main, script, counts)
        hint = normalize_code(hint)
        posterior, steered = self._steer(reading.posterior, hint)
        if not posterior:
            return Language(UNDETERMINED, 0.0, script)
        code = next(iter(posterior))
        confidence = posterior[code]
        if len(main) < 2 * _CHUNK_CHARS and not foreign:  # one language, the common case
            mixed = _SOLE.get(code) or _SOLE.setdefault(code, (LanguageShare(code, 1.0),))
        else:
            letters, chunk_confidence = self._letters(main, script, code, main_letters)
            for other, n in foreign.items():
                lang = self._foreign_language(clean, other)
                letters[lang] = letters.get(lang, 0.0) + n
            if not steered:
                code, confidence = self._lead(letters, chunk_confidence, code, confidence, hint)
            mixed = mixed_shares(letters, code)
        confidence *= min(1.0, main_letters / _MIN_LETTERS)
        if confidence < self.min_confidence:
            return Language(UNDETERMINED, 0.0, script)
        return Language(code, round(confidence, 4), script, mixed)

    # --- the cascade -----------------------------------------------------------------------------

    def read(self, text: str, script: str, counts: dict[str, int]) -> _Reading:
        """The cascade on a text whose letters are mostly in ``script`` (its first
        ``MODEL_CHARS``: a language shows in a text's first paragraphs; the rest is chunked)."""
        text = text[:MODEL_CHARS]
        unique = UNIQUE_SCRIPT_LANG.get(script)
        if unique:
            return _by_script(text, unique, counts)
        ruled_out = alphabet_rules_out(text, counts.get("Cyrl", 0)) if script == "Cyrl" else None
        listed = self._models.fasttext.predict(text, _TOP_K)
        fast = _fitting(listed, script, ruled_out)
        if fast:
            top = max(fast, key=fast.__getitem__)
            group = GROUP_OF.get(top)
            if group is None and fast[top] >= _ACCEPT:
                return _Reading(fast if next(iter(fast)) == top else _ranked(fast), "fasttext")
            if fast[top] >= _ACCEPT_GROUP and not self._doubted(text, top, group, fast):
                return _Reading(fast if next(iter(fast)) == top else _ranked(fast), "fasttext")
        bayes_listed = self._models.naive_bayes.predict(text, _TOP_K)
        bayes = _fitting(bayes_listed, script, ruled_out)
        candidates = fast.keys() | bayes.keys()
        if not candidates:
            return _NOTHING
        # The groups of the two models' favourites join in whole: the marker words can lift a
        # language that neither model listed (Galician behind Spanish and Portuguese).
        for favourite in (next(iter(fast), None), next(iter(bayes), None)):
            group = GROUP_OF.get(favourite or "")
            if group:
                candidates |= {c for c in group if _writable(c, script)}
        if ruled_out:
            candidates -= ruled_out
        grouped = candidates & _GROUPED
        hits = marker_hits(text, frozenset(grouped)) if len(grouped) > 1 else {}
        log_fast_rest = math.log(_unlisted(listed, _FASTTEXT_LABELS))
        log_bayes_rest = math.log(_unlisted(bayes_listed, _BAYES_LABELS))
        log = math.log
        scores = {
            c: (
                (log(fast[c]) if c in fast else log_fast_rest)
                + _NB_WEIGHT * (log(bayes[c]) if c in bayes else log_bayes_rest)
                + _MARKER_WEIGHT * hits.get(c, 0)
            )
            for c in candidates
        }
        peak = max(scores.values())
        odds = {c: math.exp(v - peak) for c, v in scores.items()}
        norm = sum(odds.values())
        return _Reading(_ranked({c: o / norm for c, o in odds.items()}), "ensemble")

    @staticmethod
    def _doubted(text: str, top: str, group: frozenset[str] | None, fast: dict[str, float]) -> bool:
        """Whether a confident fastText answer has a confusable rival: a language of its group
        with real support that the group's marker words do not rule against."""
        if group is None:
            return False
        rivals = frozenset(c for c in group if c != top and fast.get(c, 0.0) >= _SIBLING_DOUBT)
        if not rivals:
            return False
        hits = marker_hits(text, rivals | {top})
        return hits[top] <= max(hits[c] for c in rivals)

    def _steer(
        self, posterior: dict[str, float], hint: str | None
    ) -> tuple[dict[str, float], bool]:
        """The posterior after the expected languages and the hint; and whether they changed its
        leader."""
        if not posterior or (hint is None and not self.expected):
            return posterior, False
        leader = next(iter(posterior))
        if self.expected:
            allowed = {c: p for c, p in posterior.items() if c in self.expected}
            mass = sum(allowed.values())
            if mass >= _EXPECTED_MIN:
                posterior = _ranked({c: p / mass for c, p in allowed.items()})
            if hint not in self.expected:
                hint = None
        if hint is not None and hint in posterior:
            p = posterior[hint]
            if p * _HINT_ODDS >= max(posterior.values()):
                scale = (1.0 - _with_hint(p)) / (1.0 - p) if p < 1.0 else 0.0
                boosted = {
                    c: _with_hint(p) if c == hint else q * scale for c, q in posterior.items()
                }
                posterior = _ranked(boosted)
        return posterior, next(iter(posterior)) != leader

    def _lead(
        self,
        letters: dict[str, float],
        chunk_confidence: dict[str, float],
        code: str,
        confidence: float,
        hint: str | None,
    ) -> tuple[str, float]:
        """The leader of a text that mixes languages of one script: the hint if it names one of
        its main languages (a quarter of the letters or more), else the one with most letters."""
        total = sum(letters.values()) or 1.0
        candidates = [
            lang for lang in sorted(chunk_confidence) if not self.expected or lang in self.expected
        ]
        if hint in candidates and letters[hint] >= _HINT_MIN_SHARE * total:
            return hint, _with_hint(chunk_confidence[hint])
        leader = max(candidates, key=letters.__getitem__, default=code)
        if letters.get(leader, 0.0) > letters.get(code, 0.0):
            return leader, chunk_confidence[leader]
        return code, confidence

    # --- letters per language --------------------------------------------------------------------

    def _letters(
        self, text: str, script: str, code: str, letters: int
    ) -> tuple[dict[str, float], dict[str, float]]:
        """Letters per language of the main script, and the mean confidence of each language that
        chunks were given to. Short texts are one chunk, all the answer's."""
        if len(text) < 2 * _CHUNK_CHARS:
            return {code: float(letters)}, {}
        own = GROUP_SCRIPTS.get(script, frozenset({script}))
        found: dict[str, float] = {}
        read: dict[str, float] = {}  # letters of the chunks actually read, per language
        confidence: dict[str, float] = {}
        pieces = list(chunks(text, _CHUNK_CHARS))
        if len(pieces) > _MAX_CHUNKS:  # an even sample: the shares are scaled to the whole below
            step = len(pieces) / _MAX_CHUNKS
            pieces = [pieces[int(i * step)] for i in range(_MAX_CHUNKS)]
        for piece in pieces:
            counts = count_scripts(piece)
            n = sum(w for s, w in weighted(counts).items() if s in own)
            if n < _CHUNK_MIN_LETTERS:  # a dateline, a byline: too short to read, and no matter
                found[code] = found.get(code, 0.0) + n
                continue
            lang, conf = self._chunk_language(piece, script, code, counts)
            found[lang] = found.get(lang, 0.0) + n
            read[lang] = read.get(lang, 0.0) + n
            confidence[lang] = confidence.get(lang, 0.0) + conf * n
        total = sum(found.values()) or 1.0
        scale = letters / total  # chunks drop what separated them; shares are what count
        return (
            {lang: n * scale for lang, n in found.items()},
            {lang: confidence[lang] / read[lang] for lang in read},
        )

    def _chunk_language(
        self, piece: str, script: str, code: str, counts: dict[str, int]
    ) -> tuple[str, float]:
        fast = self._models.fasttext.predict(piece, 3)
        fast = {c: p for c, p in fast.items() if _writable(c, script)}
        top = max(fast, key=fast.__getitem__) if fast else code
        if top == code or fast[top] < _CHUNK_ACCEPT:
            return code, fast.get(code, 0.0)
        if top in GROUP_OF.get(code, ()):
            reading = self.read(piece, script, counts).posterior
            if reading.get(code, 0.0) >= _SIBLING_CHUNK_MAX:
                return code, reading.get(code, 0.0)
        return top, fast[top]

    def _foreign_language(self, text: str, script: str) -> str:
        """The language of the runs of another script (its usual language if they say little)."""
        runs = script_runs(text, script)
        counts = count_scripts(runs)
        if counts:
            posterior = self.read(runs, dominant(counts)[0], counts).posterior
            if posterior and next(iter(posterior.values())) >= 0.5:
                return next(iter(posterior))
        return SCRIPT_DEFAULT.get(script, UNDETERMINED)


def _with_hint(p: float) -> float:
    """The posterior p of a language once a producer's hint names it (prior odds _HINT_ODDS)."""
    return _HINT_ODDS * p / (_HINT_ODDS * p + 1.0 - p)


def _unlisted(listed: dict[str, float], labels: int) -> float:
    """An equal part of the probability a model left outside its listed candidates."""
    return max(_FLOOR, (1.0 - sum(listed.values())) / max(1, labels - len(listed)))


def _by_script(text: str, lang: str, counts: dict[str, int]) -> _Reading:
    """The reading of a text in a script of one language; Han is Chinese or Japanese."""
    if lang != "zh":
        return _Reading({lang: 1.0}, "script")
    return _Reading(han_reading(text, counts.get("Hani", 0)), "script")


_DEFAULT: list[LanguageDetector] = []


def detect(text: str, hint: str | None = None) -> Language:
    """Detect with the default detector (no expected languages, min confidence 0.5), built on
    first use so that importing this module loads no model."""
    if not _DEFAULT:
        _DEFAULT.append(LanguageDetector())
    return _DEFAULT[0].detect(text, hint)
