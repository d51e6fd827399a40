"""Letters and their scripts: which script each code point is in, which languages a script can
write, and which Cyrillic alphabets a text's letters rule out. Pure tables and counting, used by
``streams.core.langid``.
"""

from __future__ import annotations

import re
import unicodedata

_KANA_MIN_SHARE = 0.05  # a katakana brand name inside Chinese stays Chinese; Japanese has far more

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


def scripts_of(code: str) -> frozenset[str]:
    return _LANG_SCRIPTS.get(code, _LATIN)


def count_scripts(text: str) -> dict[str, int]:
    marks = text.translate(_SCRIPT_OF)
    return {_SCRIPTS[ord(mark) - 1]: marks.count(mark) for mark in set(marks) if mark != "\x00"}


def dominant(counts: dict[str, int]) -> tuple[str, int]:
    """The script most letters are in, with Han merged into Japanese or Korean when they show."""
    merged = dict(counts)
    han, kana, hangul = merged.pop("Hani", 0), merged.pop("Kana", 0), merged.pop("Hang", 0)
    if hangul and hangul >= kana:
        merged["Kore" if han else "Hang"] = hangul + han
        if kana:
            merged["Jpan"] = kana
    elif kana and kana >= _KANA_MIN_SHARE * (kana + han):
        merged["Jpan"] = kana + han
    elif han or kana:
        merged["Hani"] = han + kana
    # Sorted first so that a tie never depends on dict order.
    return max(sorted(merged.items()), key=lambda kv: kv[1])


# --- Cyrillic alphabets --------------------------------------------------------------------------
# cld2 calls short Russian and Ukrainian "Serbian": a letter missing from an alphabet rules it out.
_CYRL_LACKS: dict[str, str] = {
    "ru": "єіїґўјљњђћџѓќѕ",
    "uk": "ыэъёўјљњђћџѓќѕ",
    "bg": "ыэёєіїґўјљњђћџѓќѕ",
    "sr": "йьъыэёщяюєіїґўѓќѕ",
    "be": "ищъєїґјљњђћџѓќѕ",
    "mk": "йьъыэёщяюєіїґўђћ",
}
CYRL_ORDER = tuple(_CYRL_LACKS)  # by news volume: the pick when the alphabet leaves several
CYRL_LACKS_SETS = {
    code: frozenset(letters + letters.upper()) for code, letters in _CYRL_LACKS.items()
}
CYRL_DISTINCTIVE = re.compile(f"[{''.join(sorted(set().union(*CYRL_LACKS_SETS.values())))}]")
CYRL_ONE_LEFT = 0.8
CYRL_SEVERAL_LEFT = 0.55
