"""The enrichment core: pure, synchronous, typed; nothing here imports faust or Kafka.

:class:`streams.core.pipeline.Pipeline` runs the stages in order, over the frozen dataclasses of
:mod:`streams.models`: :mod:`.normalize`, :mod:`.langid`, :mod:`.entities`, and :mod:`.dedupe`
(its fingerprint, then its decision). The same core powers the worker and ``wirestream enrich``.
"""

# The stages in the order an item meets them; each is timed under this name
# (``wirestream_stage_seconds{stage}``).
STAGES = ("normalize", "langid", "entities", "fingerprint", "dedupe")
# The caps that bound one item's work, named by their settings; an event lists those that cut its
# analysis (``EnrichedEvent.limits``), and ``wirestream_limits_applied_total{limit}`` counts them.
LIMITS = ("entities.max_chars", "entities.max_mentions", "dedupe.max_chars")

__all__ = ["LIMITS", "STAGES"]
