"""Fitting and cross-validating the dedupe stage's story score (``make train-story``).

- :mod:`.pairs`: rated pairs from ``../shared/eval``, their articles grouped so that no article
  is on both sides of a fold, and each pair measured as the dedupe stage does.
- :mod:`.fit`: logistic regression on numpy, grouped folds, the threshold rule.
- :mod:`.train`: cross-validates, fits on everything, writes
  ``streams/core/dedupe/story.json``.

Never imported by the worker: the runtime reads only the JSON (:mod:`streams.core.dedupe.story`).
"""
