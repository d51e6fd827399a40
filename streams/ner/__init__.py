"""The project's own statistical NER: typed entity spans for languages we trained a model for.

Pure and synchronous (no faust, no Kafka), like ``streams.core``::

    model = NerModel.load("en")          # None, with a warning, if missing or damaged
    model.propose("Talks in Geneva ...", "en")   # ((9, 15, "LOC"), ...)

    ner = NerProposer()                  # one object for every language; loads models lazily
    ner.propose(text, "ar")              # () for a language without a model

Both satisfy the entities stage's ``SpanProposer`` protocol:
``propose(text, language) -> Sequence[tuple[int, int, str]]``. ``load_status()`` tells the metrics
layer which models loaded.
"""

from __future__ import annotations

import threading

from streams.ner.model import MODELS_DIR, NerModel, Span, load_status

__all__ = [
    "MODELS_DIR",
    "SHIPPED",
    "NerModel",
    "NerProposer",
    "Span",
    "available_languages",
    "load_ner",
    "load_status",
]


# The languages the project ships a model for: a missing file for one of these is a packaging
# fault and is warned about; any other language simply has no model unless a file is added.
SHIPPED = ("en", "ar", "de", "es", "nl", "fr", "ru", "pt", "it", "zh", "tr")


def available_languages() -> tuple[str, ...]:
    """Languages to try a model for: the shipped ones and any other file in the package."""
    return tuple(sorted(set(SHIPPED) | {p.stem for p in MODELS_DIR.glob("*.wsner")}))


class NerProposer:
    """Spans from whichever language's model fits; each model is loaded once, on first use."""

    def __init__(self, languages: tuple[str, ...] | None = None) -> None:
        self._allowed = frozenset(languages) if languages is not None else None
        self._models: dict[str, NerModel | None] = {}
        self._lock = threading.Lock()

    def model(self, language: str | None) -> NerModel | None:
        base = (language or "").replace("_", "-").split("-", 1)[0].lower()
        if not base or base == "und" or (self._allowed is not None and base not in self._allowed):
            return None
        with self._lock:
            if base not in self._models:
                known = base in available_languages()
                self._models[base] = NerModel.load(base) if known else None
            return self._models[base]

    def covers(self, language: str | None) -> bool:
        return self.model(language) is not None

    def propose(self, text: str, language: str | None) -> tuple[Span, ...]:
        model = self.model(language)
        return model.propose(text, language) if model is not None else ()


def load_ner(languages: tuple[str, ...] | None = None) -> NerProposer:
    """A proposer with the models of ``languages`` (None: every available one; the setting
    ``entities.ner_languages``) loaded now, as the worker wants at start: load time
    is paid before the first item, and ``load_status()`` is complete for the metrics. A missing
    or damaged model is a warning (its language falls back to the KB and rules), never an error.
    """
    proposer = NerProposer(languages)
    for language in available_languages() if languages is None else languages:
        proposer.model(language)
    return proposer
