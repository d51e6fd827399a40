"""Language identification (docs/langid.md): script rules, fastText, and a second opinion.

:class:`LanguageDetector` (:mod:`.detector`) is the stage's entry point. Its parts: the text
cleaning and chunking it reads through (:mod:`.text`), the script tables (:mod:`.scripts`), the
models read from their PyPI packages (:mod:`.models`), language codes and confusable groups
(:mod:`.codes`) and the marker words that settle them (:mod:`.markers`).
"""

from streams.core.langid.codes import UNDETERMINED, normalize_code
from streams.core.langid.detector import MODEL_CHARS, LanguageDetector, detect

__all__ = ["MODEL_CHARS", "UNDETERMINED", "LanguageDetector", "detect", "normalize_code"]
