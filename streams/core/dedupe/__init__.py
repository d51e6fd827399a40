"""Dedupe: exact, near-duplicate, translation and same-story decisions (docs/dedupe.md).

The stage's two halves, as :mod:`streams.core.pipeline` runs them:

- :func:`fingerprint` (stateless, in ``Pipeline.prepare``): what the decision needs of an item,
  in about 550 bytes (:mod:`.fingerprint`), with the sentence embedding of :mod:`.embed`;
- :class:`Deduper` (stateful, in ``Pipeline.decide``): the decision against a :data:`Store`
  (:mod:`.decide`), through the candidate index (:mod:`.index`, :mod:`.tokens`), the pairwise
  comparison (:mod:`.similarity`) and the packed records the store holds (:mod:`.record`).
"""

from streams.core.dedupe.decide import DedupeKeys, Deduper, Store
from streams.core.dedupe.embed import Embedder, default_embedder, embedding_text
from streams.core.dedupe.fingerprint import Fingerprint, fingerprint

__all__ = [
    "DedupeKeys",
    "Deduper",
    "Embedder",
    "Fingerprint",
    "Store",
    "default_embedder",
    "embedding_text",
    "fingerprint",
]
