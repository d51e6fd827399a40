"""Which language's NER model reads a text: the detected one, or a sensible fallback.

The model of the detected language when there is one. When detection is unsure, the text can still
carry a model: a short line, an all-capitals headline (language ID blanks acronyms, so little is
left to read), a results table or a list of names (names and numbers read as whatever language
their spelling suggests: a Bundesliga table as German, badminton players as Indonesian). Then,
in order:

1. the producer's hint (``RawItem.language_hint``), if a model covers it and it is written in
   the text's script;
2. the usual language of the text's script (Latin: English, Arabic: Arabic, ...: the langid
   table ``SCRIPT_DEFAULT``), if a model covers it.

Detection is unsure when it says ``und``, when its confidence is below ``SURE``, or when most of
the words are capitalised (``NAME_LIST_SHARE``): a text of names tells little of its language. A
language read with confidence that no model covers gets no model: the KB and the rules read it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from streams.models import Language

# Below this confidence the detected language is a guess (the detector's own floor is 0.5).
SURE = 0.8
# A text whose cased words are mostly capitalised is a list of names, a table or a headline.
NAME_LIST_SHARE = 0.6
_NAME_LIST_MIN_WORDS = 3
_CASED_WORD = re.compile(r"[^\W\d_]{2,}")
_NO_SCRIPT = "Zyyy"


def names_only(text: str) -> bool:
    """Whether most cased words of the text are capitalised (names, a table, all capitals)."""
    words = [w for w in _CASED_WORD.findall(text[:2000]) if w[0].isupper() or w[0].islower()]
    if len(words) < _NAME_LIST_MIN_WORDS:
        return bool(words)  # one or two words: a name, or a line too short to read
    capitalised = sum(1 for w in words if w[0].isupper())
    return capitalised >= NAME_LIST_SHARE * len(words)


def model_language(
    language: Language, text: str, hint: str | None, covers: Callable[[str], bool]
) -> str | None:
    """The language whose model should read ``text`` (see the module docstring), or None."""
    # Imported here: the language ID package loads its models' code, which an extractor used
    # without the pipeline (benchmarks, tools) does not need; the pipeline has it loaded.
    from streams.core.langid.codes import normalize_code
    from streams.core.langid.scripts import SCRIPT_DEFAULT, count_scripts, dominant, scripts_of

    code = language.code
    if code != "und" and covers(code):
        return code
    if code != "und" and language.confidence >= SURE and not names_only(text):
        return None  # read with confidence, and no model for it
    script = language.script
    if script == _NO_SCRIPT:
        counts = count_scripts(text[:2000])
        if not counts:
            return None
        script = dominant(counts)[0]
    hinted = normalize_code(hint)
    for candidate in (hinted, SCRIPT_DEFAULT.get(script)):
        if candidate and script in scripts_of(candidate) and covers(candidate):
            return candidate
    return None
