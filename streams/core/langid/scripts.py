"""Letters and their scripts: which script each code point is in, which languages a script can
write, how much a CJK character weighs, which Cyrillic alphabets a text's letters rule out, and
which kanji only Japanese writes. Pure tables and counting, used by
``streams.core.langid.detector``.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from types import ModuleType
from typing import Any

from streams.core import native

_KANA_MIN_SHARE = 0.05  # a katakana brand name inside Chinese stays Chinese; Japanese has far more
# A Chinese character or a Hangul syllable carries what a Latin word of two or three letters
# does (translations into Chinese have about a third of the English letter count), so letters are
# weighed by script before one is called dominant or a language's share is counted: the brand
# "PlayStation" in a Chinese headline is 11 letters against 9 characters, and still the minority.
SCRIPT_WEIGHT = {"Hani": 3, "Kana": 2, "Hang": 2}

# --- scripts -------------------------------------------------------------------------------------

# Each letter script: the languages written in it, and its code point ranges. The first language
# gets a script's letters when cld2 named no language written in it (so Latin runs inside Arabic
# text count as English).
_SCRIPT_TABLE: dict[str, tuple[str, tuple[tuple[int, int], ...]]] = {
    "Latn": (
        "en sr uz az tk ku",
        (
            (0x41, 0x5A),
            (0x61, 0x7A),
            (0xAA, 0xAA),
            (0xBA, 0xBA),
            (0xC0, 0x2AF),
            (0x1D00, 0x1DBF),
            (0x1E00, 0x1EFF),
            (0x2C60, 0x2C7F),
            (0xA720, 0xA7FF),
            (0xAB30, 0xAB6F),
            (0xFB00, 0xFB06),
            (0xFF21, 0xFF3A),
            (0xFF41, 0xFF5A),
        ),
    ),
    "Grek": ("el", ((0x370, 0x3FF), (0x1F00, 0x1FFF))),
    "Cyrl": (
        "ru uk bg sr be mk kk ky mn tg tt ba ab uz az tk",
        ((0x400, 0x52F), (0x1C80, 0x1C8F), (0x2DE0, 0x2DFF), (0xA640, 0xA69F)),
    ),
    "Armn": ("hy", ((0x531, 0x58F), (0xFB13, 0xFB17))),
    "Hebr": ("he yi", ((0x591, 0x5FF), (0xFB1D, 0xFB4F))),
    "Arab": (
        "ar fa ur ps sd ug ku",
        ((0x600, 0x6FF), (0x750, 0x77F), (0x870, 0x8FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF)),
    ),
    "Syrc": ("syr", ((0x700, 0x74F),)),
    "Thaa": ("dv", ((0x780, 0x7BF),)),
    "Deva": ("hi mr ne sa bh", ((0x900, 0x97F), (0xA8E0, 0xA8FF))),
    "Beng": ("bn as", ((0x980, 0x9FF),)),
    "Guru": ("pa", ((0xA00, 0xA7F),)),
    "Gujr": ("gu", ((0xA80, 0xAFF),)),
    "Orya": ("or", ((0xB00, 0xB7F),)),
    "Taml": ("ta", ((0xB80, 0xBFF),)),
    "Telu": ("te", ((0xC00, 0xC7F),)),
    "Knda": ("kn", ((0xC80, 0xCFF),)),
    "Mlym": ("ml", ((0xD00, 0xD7F),)),
    "Sinh": ("si", ((0xD80, 0xDFF),)),
    "Thai": ("th", ((0xE00, 0xE7F),)),
    "Laoo": ("lo", ((0xE80, 0xEFF),)),
    "Tibt": ("bo dz", ((0xF00, 0xFFF),)),
    "Mymr": ("my", ((0x1000, 0x109F),)),
    "Geor": ("ka", ((0x10A0, 0x10FF), (0x1C90, 0x1CBF), (0x2D00, 0x2D2F))),
    "Hang": (
        "ko",
        ((0x1100, 0x11FF), (0x3130, 0x318F), (0xA960, 0xA97F), (0xAC00, 0xD7FF), (0xFFA0, 0xFFDC)),
    ),
    "Ethi": ("am ti", ((0x1200, 0x139F), (0x2D80, 0x2DDF))),
    "Cher": ("chr", ((0x13A0, 0x13FF),)),
    "Cans": ("iu", ((0x1400, 0x167F),)),
    "Khmr": ("km", ((0x1780, 0x17FF),)),
    "Mong": ("mn", ((0x1800, 0x18AF),)),
    "Kana": ("ja", ((0x3041, 0x309F), (0x30A1, 0x30FF), (0x31F0, 0x31FF), (0xFF66, 0xFF9D))),
    "Hani": (
        "zh ja ko",
        (
            (0x2E80, 0x2FDF),
            (0x3005, 0x3007),
            (0x3021, 0x3029),
            (0x3038, 0x303B),
            (0x3100, 0x312F),
            (0x3400, 0x4DBF),
            (0x4E00, 0x9FFF),
            (0xF900, 0xFAFF),
            (0x20000, 0x3134F),
        ),
    ),
}
_SCRIPTS: tuple[str, ...] = tuple(_SCRIPT_TABLE)


def _build_script_table() -> str:
    """One char per code point: NUL for non-letters, else chr(1 + its script's index in _SCRIPTS).

    A str, so that ``text.translate`` maps a whole text in C (ASCII text takes a fast path)."""
    table = bytearray(0x110000)
    for index, (_langs, ranges) in enumerate(_SCRIPT_TABLE.values(), start=1):
        for first, last in ranges:
            for cp in range(first, last + 1):
                # Marks count: Indic and Thai vowel signs are part of the word. Digits, punctuation
                # and unassigned points inside a block do not.
                if unicodedata.category(chr(cp))[0] in "LM":
                    table[cp] = index
    return table.decode("latin-1")


def _invert() -> dict[str, frozenset[str]]:
    scripts: dict[str, frozenset[str]] = {}
    for script, (langs, _ranges) in _SCRIPT_TABLE.items():
        for lang in langs.split():
            scripts[lang] = scripts.get(lang, frozenset()) | {script}
    return scripts


_SCRIPT_OF = _build_script_table()
SCRIPT_DEFAULT = {script: langs.split()[0] for script, (langs, _r) in _SCRIPT_TABLE.items()}
_LANG_SCRIPTS = _invert()
_LATIN = frozenset({"Latn"})  # of every language not listed
# Dominant scripts (after the CJK merge) that one language has to itself. Kana alone counts as
# Jpan; most Mongolian is written in Cyrillic, so its own script says little.
UNIQUE_SCRIPT_LANG = {
    "Jpan": "ja",
    "Hani": "zh",
    "Kore": "ko",
    **{
        script: langs
        for script, (langs, _r) in _SCRIPT_TABLE.items()
        if " " not in langs and script not in {"Kana", "Mong"}
    },
}
GROUP_SCRIPTS = {"Jpan": frozenset({"Hani", "Kana"}), "Kore": frozenset({"Hang", "Hani"})}


def script_class(script: str) -> str:
    """The code point ranges of a script, as the inside of a regex character class."""
    ranges = _SCRIPT_TABLE[script][1]
    return "".join(f"{re.escape(chr(first))}-{re.escape(chr(last))}" for first, last in ranges)


def scripts_of(code: str) -> frozenset[str]:
    return _LANG_SCRIPTS.get(code, _LATIN)


def count_scripts(text: str) -> dict[str, int]:
    """Letters per script: natively when ``core.native`` allows (the same counts), else by the
    reference, :func:`count_scripts_reference`."""
    counter = _native_counter(native.extension())
    if counter is not None:
        try:
            counts: dict[str, int] = counter.count(text)
        except UnicodeEncodeError:  # a lone surrogate, which only Python strings can hold
            pass
        else:
            return counts
    return count_scripts_reference(text)


def count_scripts_reference(text: str) -> dict[str, int]:
    marks = text.translate(_SCRIPT_OF)
    return {_SCRIPTS[ord(mark) - 1]: marks.count(mark) for mark in set(marks) if mark != "\x00"}


@functools.cache
def _native_counter(ext: ModuleType | None) -> Any:
    """The extension's counter over this module's table (built once per process)."""
    return None if ext is None else ext.ScriptCounter(_SCRIPT_OF.encode("latin-1"), list(_SCRIPTS))


def weighted(counts: dict[str, int]) -> dict[str, int]:
    """Letters per script, CJK characters weighed by ``SCRIPT_WEIGHT``."""
    return {script: n * SCRIPT_WEIGHT.get(script, 1) for script, n in counts.items()}


def dominant(counts: dict[str, int]) -> tuple[str, int]:
    """The script most (weighted) letters are in, with Han merged into Japanese or Korean when
    they show."""
    if len(counts) == 1:  # one script, the common case
        ((script, n),) = counts.items()
        if script not in SCRIPT_WEIGHT:
            return script, n
    merged = weighted(counts)
    han, kana, hangul = merged.pop("Hani", 0), merged.pop("Kana", 0), merged.pop("Hang", 0)
    if hangul and hangul >= kana:
        merged["Kore" if han else "Hang"] = hangul + han
        if kana:
            merged["Jpan"] = kana
    elif kana and kana / 2 >= _KANA_MIN_SHARE * (kana / 2 + han / 3):  # in characters
        merged["Jpan"] = kana + han
    elif han or kana:
        merged["Hani"] = han + kana
    # Sorted first so that a tie never depends on dict order.
    return max(sorted(merged.items()), key=lambda kv: kv[1])


# --- Cyrillic alphabets --------------------------------------------------------------------------
# Short Russian, Ukrainian and Bulgarian look alike to the models: a letter missing from an
# alphabet rules that language out.
_CYRL_LACKS: dict[str, str] = {
    "ru": "єіїґўјљњђћџѓќѕ",
    "uk": "ыэъёўјљњђћџѓќѕ",
    "bg": "ыэёєіїґўјљњђћџѓќѕ",
    "sr": "йьъыэёщяюєіїґўѓќѕ",
    "be": "ищъєїґјљњђћџѓќѕ",
    "mk": "йьъыэёщяюєіїґўђћ",
}
CYRL_LACKS_SETS = {
    code: frozenset(letters + letters.upper()) for code, letters in _CYRL_LACKS.items()
}
CYRL_DISTINCTIVE = re.compile(f"[{''.join(sorted(set().union(*CYRL_LACKS_SETS.values())))}]")


def alphabet_rules_out(text: str, cyrillic: int) -> frozenset[str]:
    """Cyrillic languages whose alphabet lacks letters the text uses, more than a stray name's
    worth (one per 200 Cyrillic letters)."""
    found = CYRL_DISTINCTIVE.findall(text)
    if not found:
        return frozenset()
    need = max(1, cyrillic // 200)
    return frozenset(
        lang for lang, lacks in CYRL_LACKS_SETS.items() if sum(c in lacks for c in found) >= need
    )


# --- Chinese or Japanese -------------------------------------------------------------------------
# Kanji that Japanese writes and neither Simplified nor Traditional Chinese does: the shinjitai
# simplifications (Japanese 経, Chinese 经 and 經), kokuji made in Japan (働, 込), and the
# repetition mark 々. One of them settles a headline of kanji only, such as 日経平均続落.
JAPAN_ONLY_HAN = frozenset(
    "円駅気経続売発転総済図対県権鉄価営実楽読帰歳戦払様険検験広拡変辺込働畑峠枠匂労関沢亜悪"
    "圧囲栄塩応桜仮絵覚観巻勧歓拠挙駆恵掲渓継軽剣圏顕厳効鉱黒砕斎剤雑賛歯児釈収従渋獣縦粛処"
    "焼証奨乗浄剰畳譲醸図粋酔髄瀬斉摂専銭繊荘捜挿巣騒増蔵臓帯滝択単団弾遅鋳庁徴聴逓伝稲闘"
    "弐悩脳覇廃拝髪抜晩仏塀歩豊満黙薬訳揺謡頼覧竜両猟緑涙塁戻霊齢暦歴錬々〆"
)
_KANJI_ONLY_JAPANESE = 20  # Japanese prose does not run this many characters without kana
_JAPAN_ONLY_SHARE = 0.02  # of the Han characters: a Chinese article may quote a Japanese name


def han_reading(text: str, han: int) -> dict[str, float]:
    """Chinese or Japanese, for text in Han without kana (``han`` characters of it)."""
    japanese = sum(text.count(c) for c in JAPAN_ONLY_HAN.intersection(text))
    if japanese and japanese >= _JAPAN_ONLY_SHARE * han:
        return {"ja": 0.9, "zh": 0.1}
    # A few kanji alone can be a Japanese headline (a producer's hint may say so); a long run of
    # them is Chinese.
    ja = 0.1 if han < _KANJI_ONLY_JAPANESE else 0.02
    return {"zh": 1.0 - ja, "ja": ja}
