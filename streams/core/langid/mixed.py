"""The ``mixed`` field: which languages a text is written in, and in what shares of its letters.

Letters of another script are certain evidence, not model noise, and names written in them are
usually a small share of a text: hence the lower threshold for them.
"""

from __future__ import annotations

from streams.core.langid.scripts import scripts_of
from streams.models import LanguageShare

MIN_SHARE = 0.05
MIN_FOREIGN_SCRIPT_SHARE = 0.03


def mixed_shares(letters: dict[str, float], code: str) -> tuple[LanguageShare, ...]:
    """The languages of a text by their share of its letters, the primary ``code`` always, any
    other with at least :data:`MIN_SHARE`, or :data:`MIN_FOREIGN_SCRIPT_SHARE` when written in a
    script the primary language does not use."""
    total = sum(letters.values()) or 1.0
    own = scripts_of(code)
    kept = {
        lang: n / total
        for lang, n in letters.items()
        if lang == code
        or n / total >= MIN_SHARE
        or (n / total >= MIN_FOREIGN_SCRIPT_SHARE and not scripts_of(lang) & own)
    }
    kept_total = sum(kept.values()) or 1.0
    ranked = sorted(kept.items(), key=lambda kv: (-kv[1], kv[0]))
    # Never a share of 0 after rounding: a listed language has letters.
    return tuple(
        LanguageShare(lang, max(round(share / kept_total, 4), 0.0001)) for lang, share in ranked
    )
