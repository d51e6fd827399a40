"""Entities: people, organisations and places in any language, linked to canonical ids
(docs/entities.md).

:class:`EntityExtractor` (:mod:`.extractor`) is the stage's entry point: one automaton pass over
the KB (:mod:`.match`), the deployment's watchlists (:mod:`.watchlist`), statistical NER models
(a :class:`SpanProposer`, ``streams.ner``) and orthographic rules (:mod:`.rules`), merged into
one set of mentions.
"""

from streams.core.entities.extractor import (
    EntityExtractor,
    EntityLimits,
    EntityResult,
    Mention,
    SpanProposer,
)

__all__ = ["EntityExtractor", "EntityLimits", "EntityResult", "Mention", "SpanProposer"]
