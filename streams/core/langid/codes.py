"""Language codes for ``streams.core.langid.detector``: producers' tags and the models' labels,
mapped to the one code the output contract uses (ISO 639-1, ISO 639-3 where a language has no 639-1
code).
"""

from __future__ import annotations

import re

UNDETERMINED = "und"

# Retired ISO 639-1 codes, and the ISO 639-2/3 codes of the publishers' languages.
_ALIASES = {
    "iw": "he",
    "ji": "yi",
    "in": "id",
    "jw": "jv",
    "mo": "ro",
    "sh": "hbs",  # Serbo-Croatian: neither sr nor hr would be honest
    "nb": "no",  # Bokmal is what "Norwegian" means on the wire; Nynorsk keeps nn
    "fil": "tl",
    "eng": "en",
    "ara": "ar",
    "arb": "ar",
    "zho": "zh",
    "chi": "zh",
    "cmn": "zh",
    "jpn": "ja",
    "kor": "ko",
    "rus": "ru",
    "ukr": "uk",
    "bul": "bg",
    "deu": "de",
    "ger": "de",
    "fra": "fr",
    "fre": "fr",
    "spa": "es",
    "por": "pt",
    "glg": "gl",
    "ita": "it",
    "nld": "nl",
    "dut": "nl",
    "pol": "pl",
    "tur": "tr",
    "vie": "vi",
    "tha": "th",
    "heb": "he",
    "hin": "hi",
    "mar": "mr",
    "nep": "ne",
    "npi": "ne",
    "fas": "fa",
    "per": "fa",
    "pes": "fa",
    "dan": "da",
    "nor": "no",
    "nob": "no",
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


# The models' own labels where they are not the contract's code. Both models label regional
# Arabic, which wire Arabic (Modern Standard) is often taken for in short texts, and both know
# varieties that the wire reports under their macrolanguage.
MODEL_LABELS = {
    **_ALIASES,
    "arz": "ar",  # Egyptian Arabic
    "ary": "ar",  # Moroccan Arabic
    "als": "gsw",  # fastText's "als" is Wikipedia's code for Alemannic, not ISO's Tosk Albanian
    "gug": "gn",
    "uzs": "uz",
    "bh": "bho",  # retired 639-1 "Bihari", whose Wikipedia is Bhojpuri
}
# Labels that name no language: py3langid's "no linguistic content".
NOT_LANGUAGES = frozenset({"zxx", "und"})

# Languages that the models confuse with each other on short text, because they share most of
# their words or letters. Inside a group the marker words of ``langid_markers`` add evidence, and
# the confident first stage of the cascade is not trusted when its runner-up is a group sibling
# with real support.
GROUPS: tuple[frozenset[str], ...] = (
    frozenset({"ms", "id"}),
    frozenset({"uk", "ru", "bg", "be", "mk", "sr"}),
    frozenset({"fa", "ar", "ur"}),
    frozenset({"hi", "mr", "ne"}),
    frozenset({"es", "pt", "gl"}),
    frozenset({"no", "da", "nn", "sv"}),
)
GROUP_OF: dict[str, frozenset[str]] = {lang: group for group in GROUPS for lang in group}
