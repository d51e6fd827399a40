"""Language identification on pycld2, corrected by what the letters' scripts make certain.

cld2 is fast and good on paragraphs, but it scores bytes, ignores script runs it cannot place (the
English names inside an Arabic article come back as "unknown") and mixes up neighbours that the
alphabet alone tells apart (Chinese without kana called Japanese, Russian called Serbian). So one
pass over the code points counts letters per script, and those counts settle what they can.

Confidence (0..1) of a cld2 candidate is the product of
- its share: cld2's percent for it over the percents of every language cld2 recognised;
- 0.75 when cld2 flags the answer unreliable (close runner-up or thin evidence);
- an evidence factor from cld2's normalised score (quadgram score per KB of text): saturates at 1
  from a score of 400, falls to 0.6 for a score near 0;
- 0.7 when cld2 answered only in best-effort mode (text too short for its normal mode);
- letters / 8 for texts of fewer than 8 letters.
A script that belongs to one language only scores its share of the letters (x0.7 under 3 letters).
When the Cyrillic alphabet overrules cld2 and no cld2 candidate fits, the letters score 0.8 if they
leave one language, 0.55 if they leave several. A producer's hint, when the text agrees, counts as
independent evidence of strength 0.5: ``1 - (1 - c) * 0.5``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

import pycld2

from streams.core.scripts import (
    CYRL_DISTINCTIVE,
    CYRL_LACKS_SETS,
    CYRL_ONE_LEFT,
    CYRL_ORDER,
    CYRL_SEVERAL_LEFT,
    GROUP_SCRIPTS,
    SCRIPT_DEFAULT,
    UNIQUE_SCRIPT_LANG,
    count_scripts,
    dominant,
    scripts_of,
)
from streams.models import Language, LanguageShare

__all__ = ["UNDETERMINED", "LanguageDetector", "detect", "normalize_code"]

UNDETERMINED = "und"
_NO_SCRIPT = "Zyyy"
_MAX_CHARS = 20_000  # the language of a wire item shows in its first pages; bounds per-item cost
_MIN_SHARE = 0.05
# Letters of a script the primary language does not use are certain evidence, not cld2 noise, so
# a lower floor keeps the English names inside an Arabic article (about 4-5% of its letters).
_MIN_FOREIGN_SCRIPT_SHARE = 0.03
_HINT_WEIGHT = 0.5
_HINT_MIN_PERCENT = 25.0
_UNIQUE_SCRIPT_MIN_SHARE = 0.5
_MIN_LETTERS = 8  # below this, cld2's answer is scaled down: "ok" or "a" tells nothing

# --- codes ---------------------------------------------------------------------------------------

_CLD2_CODES = frozenset(code for _name, code in pycld2.LANGUAGES)
_FROM_CLD2 = {"iw": "he", "jw": "jv", "zh-Hant": "zh", "sr-ME": "sr"}
_TO_CLD2 = {"he": "iw", "jv": "jw"}
_NOT_LANGUAGES = frozenset({"un", "xxx", "tlh", "zzb", "zze", "zzh", "zzp"})
_ALIASES = {  # retired ISO 639-1 codes, and the ISO 639-2/3 codes of the publisher's languages
    "iw": "he",
    "ji": "yi",
    "in": "id",
    "jw": "jv",
    "mo": "ro",
    "sh": "sr",
    "fil": "tl",
    "eng": "en",
    "ara": "ar",
    "zho": "zh",
    "chi": "zh",
    "cmn": "zh",
    "jpn": "ja",
    "kor": "ko",
    "rus": "ru",
    "ukr": "uk",
    "deu": "de",
    "ger": "de",
    "fra": "fr",
    "fre": "fr",
    "spa": "es",
    "por": "pt",
    "vie": "vi",
    "tha": "th",
    "ind": "id",
    "msa": "ms",
    "may": "ms",
    "zsm": "ms",
}
_CODE_SHAPE = re.compile(r"[a-z]{2,3}")


def normalize_code(code: str | None) -> str | None:
    """ISO 639-1 for a language tag ("en-US", "iw", "zh-Hant", "ara"); None if unusable."""
    if not code:
        return None
    primary = re.split(r"[-_]", code.strip().lower(), maxsplit=1)[0]
    primary = _ALIASES.get(primary, primary)
    return primary if _CODE_SHAPE.fullmatch(primary) and primary != UNDETERMINED else None


# --- cleaning ------------------------------------------------------------------------------------

_REJECTED = "\x00-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"  # by cld2, in the BMP
_CODE_MARKS = r"0-9@_=<>{}\\|`$^~/"  # an ASCII token with one is a number, an address or code
# Blanks out what cld2 rejects, then what carries no language or pulls towards English: URLs, e-mail
# addresses, host names, handles, code and numbers. Tokens are ASCII runs: Chinese, Japanese and
# Thai put no spaces between words, so a Unicode token would swallow the sentence around a number.
# Every match starts by consuming one character of a single class, which lets the regex engine scan
# for candidates in C; a leading alternation or lookbehind would try each position in turn, 3-10x
# slower on text with little ASCII. The branches then look back at that first character.
_NOISE = re.compile(
    rf"[{_REJECTED}!-~\d](?:"
    rf"(?<=[!-~])(?<![!-~].)(?:"  # the first character of an ASCII token, which ...
    rf"(?<=[{_CODE_MARKS}])[!-~]*|[!-~]*[{_CODE_MARKS}][!-~]*"  # ... has a code mark,
    r"|(?<=[A-Za-z0-9-])[A-Za-z0-9-]*\.(?:[A-Za-z0-9-]+\.)*[a-z]{2,}\b[!-~]*)"  # ... is a host
    r"|(?<=\d)\d*"  # digits of any script
    rf"|(?<=[{_REJECTED}]))"
)
# Noncharacters beyond the BMP (U+1FFFE...) make cld2 raise too. They are too rare to slow _NOISE
# down for: their UTF-8 ends in BF BE or BF BF, which bytes.find spots, and only then are they cut.
_ASTRAL_NONCHARACTERS = re.compile(
    "[" + "".join(chr(p << 16 | 0xFFFE) + chr(p << 16 | 0xFFFF) for p in range(1, 17)) + "]"
)


def _sanitize(text: str) -> tuple[str, bytes]:
    """The text with noise blanked out, and its UTF-8 for cld2."""
    clean = _NOISE.sub(" ", text[:_MAX_CHARS])
    data = clean.encode("utf-8")
    if b"\xbf\xbe" in data or b"\xbf\xbf" in data:
        clean = _ASTRAL_NONCHARACTERS.sub(" ", clean)
        data = clean.encode("utf-8")
    return clean, data


# --- cld2 ----------------------------------------------------------------------------------------


class _Guess(NamedTuple):
    """cld2's candidates as (code, percent of the letters, normalised score), best first."""

    candidates: tuple[tuple[str, float, float], ...]
    reliable: bool
    best_effort: bool
    brevity: float  # 1.0, or less for texts too short for any n-gram model to mean much

    @property
    def top(self) -> str | None:
        return self.candidates[0][0] if self.candidates else None

    def confidence(self, code: str) -> float:
        total = sum(pct for _c, pct, _s in self.candidates)
        for cand, pct, score in self.candidates:
            if cand == code and total:
                conf = pct / total * min(1.0, 0.6 + score / 1000) * self.brevity
                if not self.reliable:
                    conf *= 0.75
                if self.best_effort:
                    conf *= 0.7
                return conf
        return 0.0

    def promote(self, code: str) -> _Guess:
        """The guess led by ``code``, which takes the old leader's percent if cld2 lacked it."""
        found = [c for c in self.candidates if c[0] == code]
        rest = [c for c in self.candidates if c[0] != code]
        if not found:
            found, rest = [(code, rest[0][1], rest[0][2]) if rest else (code, 100, 0.0)], rest[1:]
        return self._replace(candidates=(found[0], *rest))


_NOTHING = _Guess((), reliable=False, best_effort=False, brevity=0.0)


class _Text(NamedTuple):
    clean: str
    data: bytes  # clean, as UTF-8, encoded once for every cld2 call
    counts: dict[str, int]  # letters per script
    script: str  # the dominant script
    letters: int


class _Pick(NamedTuple):
    """The answer so far, with the guess (led by it) that the mixed shares are computed from."""

    code: str | None
    confidence: float
    guess: _Guess


def _cld2(text: _Text, prior: str | None = None) -> _Guess:
    """cld2's reading of the text, optionally with ``prior`` (an ISO code) as its hint."""
    options: dict[str, str] = {}
    if prior is not None:
        cld2_code = _TO_CLD2.get(prior, prior)
        if cld2_code not in _CLD2_CODES:  # pycld2 raises on a hint it does not know
            return _NOTHING
        options["hintLanguage"] = cld2_code
    try:
        reliable, _found, details = pycld2.detect(text.data, isPlainText=True, **options)
        best_effort = details[0][1] == "un"
        if best_effort:
            reliable, _found, details = pycld2.detect(
                text.data, isPlainText=True, bestEffort=True, **options
            )
    except pycld2.error:
        return _NOTHING
    merged: dict[str, tuple[float, float]] = {}
    for _name, raw_code, pct, score in details:
        if pct <= 0 or raw_code in _NOT_LANGUAGES or raw_code.startswith("xx-"):
            continue
        code = _FROM_CLD2.get(raw_code, raw_code)
        old_pct, old_score = merged.get(code, (0.0, 0.0))  # zh and zh-Hant fold into one
        merged[code] = (old_pct + pct, max(old_score, score))
    # cld2 counts bytes: two per Arabic or Cyrillic letter, three per Chinese one, one per Latin
    # one. Recounted in letters, the leader of a mixed text is the language most of it is in.
    letters = _letters_by_language(text.counts, {c: pct for c, (pct, _s) in merged.items()})
    total = sum(letters.values())
    if total:
        merged = {c: (100 * letters[c] / total, s) for c, (_p, s) in merged.items() if letters[c]}
    ranked = tuple((c, p, s) for c, (p, s) in sorted(merged.items(), key=lambda kv: -kv[1][0]))
    return _Guess(ranked, bool(reliable), best_effort, min(1.0, text.letters / _MIN_LETTERS))


def _letters_by_language(
    counts: dict[str, int], percents: dict[str, float], fill: bool = False
) -> dict[str, float]:
    """A script's letters go to the languages written in it, by their percents; with ``fill``,
    letters of a script that none of them uses go to the script's usual language."""
    letters = dict.fromkeys(percents, 0.0)
    for script, n in counts.items():
        fitting = [(c, pct) for c, pct in percents.items() if script in scripts_of(c)]
        total = sum(pct for _c, pct in fitting)
        if total:
            for code, pct in fitting:
                letters[code] += n * pct / total
        elif fill and script in SCRIPT_DEFAULT:
            lang = SCRIPT_DEFAULT[script]
            letters[lang] = letters.get(lang, 0.0) + n
    return letters


def _writable(text: _Text, lang: str) -> bool:
    """Whether ``lang`` is written in the text's dominant script."""
    return bool(GROUP_SCRIPTS.get(text.script, frozenset({text.script})) & scripts_of(lang))


# --- detector ------------------------------------------------------------------------------------


class LanguageDetector:
    """Detects the language of one text; build once, call per message (holds no per-call state)."""

    def __init__(self, expected: Sequence[str] | None = None, min_confidence: float = 0.5) -> None:
        codes = (normalize_code(code) for code in expected or ())
        self.expected: tuple[str, ...] = tuple(dict.fromkeys(code for code in codes if code))
        self.min_confidence = min_confidence

    def detect(self, text: str, hint: str | None = None) -> Language:
        clean, data = _sanitize(text)
        counts = count_scripts(clean)
        letters = sum(counts.values())
        if not letters:
            return Language(UNDETERMINED, 0.0, _NO_SCRIPT)
        script, script_letters = dominant(counts)
        source = _Text(clean, data, counts, script, letters)
        guess = _cld2(source)
        pick = _Pick(guess.top, guess.confidence(guess.top or ""), guess)

        unique = UNIQUE_SCRIPT_LANG.get(script)
        if unique and script_letters >= _UNIQUE_SCRIPT_MIN_SHARE * letters:
            by_script = script_letters / letters * (1.0 if letters >= 3 else 0.7)
            pick = _Pick(unique, max(guess.confidence(unique), by_script), guess.promote(unique))
        elif script == "Cyrl":
            pick = _check_cyrillic(clean, pick)
        pick = self._apply_hint(source, pick, normalize_code(hint))
        pick = self._apply_expected(source, pick)

        if pick.code is None or pick.confidence < self.min_confidence:
            return Language(UNDETERMINED, 0.0, script)
        mixed = _mixed(counts, pick.guess, pick.code)
        return Language(pick.code, round(pick.confidence, 4), script, mixed)

    def _apply_hint(self, text: _Text, pick: _Pick, hint: str | None) -> _Pick:
        if hint is None or (self.expected and hint not in self.expected):
            return pick
        conf = pick.confidence
        if hint != pick.code:
            agreed = _hint_agreement(text, pick.guess, hint)
            if agreed is None:
                return pick
            conf = agreed
        return _Pick(hint, 1 - (1 - conf) * (1 - _HINT_WEIGHT), pick.guess.promote(hint))

    def _apply_expected(self, text: _Text, pick: _Pick) -> _Pick:
        if not self.expected or pick.code in self.expected:
            return pick
        guess = pick.guess
        for cand, _pct, _score in guess.candidates:
            if cand in self.expected:
                return _Pick(cand, guess.confidence(cand), guess.promote(cand))
        for lang in self.expected:  # in the operator's order
            if _writable(text, lang):
                boosted = _cld2(text, prior=lang)
                if boosted.top == lang:
                    return _Pick(lang, boosted.confidence(lang), guess.promote(lang))
        return pick  # nothing expected fits the text: an honest answer beats a forced one


def _hint_agreement(text: _Text, guess: _Guess, hint: str) -> float | None:
    """The text's own confidence in ``hint`` if the text agrees with it, else None."""
    # Agreement: the hint is one of cld2's main candidates (English names in an Arabic article
    # make English a candidate, but not a main one), ...
    if any(cand == hint and pct >= _HINT_MIN_PERCENT for cand, pct, _s in guess.candidates):
        return guess.confidence(hint)
    if not _writable(text, hint):
        return None
    # ... or, with the hint as its prior, cld2 reads the text as the hint's language, ...
    boosted = _cld2(text, prior=hint)
    if boosted.top == hint:
        return boosted.confidence(hint)
    # ... or cld2 cannot read the text at all (too short), and the script fits.
    if (not guess.candidates or guess.best_effort) and not boosted.candidates:
        return 0.0
    return None


def _check_cyrillic(clean: str, pick: _Pick) -> _Pick:
    """Rule out Cyrillic languages whose alphabet lacks a letter the text uses."""
    present = frozenset(CYRL_DISTINCTIVE.findall(clean))

    def allowed(lang: str) -> bool:
        lacks = CYRL_LACKS_SETS.get(lang)
        return lacks is None or not lacks & present

    guess = pick.guess
    if pick.code is not None and "Cyrl" in scripts_of(pick.code) and allowed(pick.code):
        return pick
    for cand, _pct, _score in guess.candidates:
        if "Cyrl" in scripts_of(cand) and allowed(cand):
            return _Pick(cand, guess.confidence(cand), guess.promote(cand))
    left = [lang for lang in CYRL_ORDER if allowed(lang)]
    if not left:
        return pick
    conf = CYRL_ONE_LEFT if len(left) == 1 else CYRL_SEVERAL_LEFT
    return _Pick(left[0], conf, guess.promote(left[0]))


def _mixed(counts: dict[str, int], guess: _Guess, primary: str) -> tuple[LanguageShare, ...]:
    """Each language's share of the letters (Latin runs that cld2 left unnamed count as English)."""
    percents = {code: pct for code, pct, _score in guess.candidates}
    letters = _letters_by_language(counts, percents, fill=True)
    total = sum(letters.values()) or 1.0
    primary_scripts = scripts_of(primary)
    kept = {
        lang: n / total
        for lang, n in letters.items()
        if n / total >= _MIN_SHARE
        or (n / total >= _MIN_FOREIGN_SCRIPT_SHARE and not scripts_of(lang) & primary_scripts)
    }
    kept_total = sum(kept.values()) or 1.0
    ranked = sorted(kept.items(), key=lambda kv: (-kv[1], kv[0]))
    return tuple(LanguageShare(lang, round(share / kept_total, 4)) for lang, share in ranked)


_DEFAULT = LanguageDetector()


def detect(text: str, hint: str | None = None) -> Language:
    """Detect with the default detector (no expected languages, min confidence 0.5)."""
    return _DEFAULT.detect(text, hint)
