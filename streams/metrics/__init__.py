"""Prometheus metrics, defined on an injected registry so that tests stay isolated.

Every label has a bounded value set (:mod:`.labels`): languages outside
:data:`LANGUAGE_LABELS` count as ``other``, entity types and reasons are enums, and every
bounded series is created at zero at start so that ``rate()`` sees the first increase.
docs/metrics.md is the catalogue (name, type, labels, meaning); tests/unit/test_metrics_catalogue.py
keeps it and :mod:`.catalogue` in step.
"""

from streams.metrics.build import build_commit
from streams.metrics.catalogue import Metrics
from streams.metrics.labels import (
    ALL_LANGUAGES,
    ENTITY_TYPE_LABELS,
    KB_LABELS,
    LANGUAGE_LABELS,
    OUTCOMES,
    RELOAD_RESULTS,
    STAGE_LABELS,
    STATE_SAMPLE_SIZE,
)

__all__ = [
    "ALL_LANGUAGES",
    "ENTITY_TYPE_LABELS",
    "KB_LABELS",
    "LANGUAGE_LABELS",
    "OUTCOMES",
    "RELOAD_RESULTS",
    "STAGE_LABELS",
    "STATE_SAMPLE_SIZE",
    "Metrics",
    "build_commit",
]
