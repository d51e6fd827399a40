"""Every label's bounded value set, and the histograms' buckets."""

from __future__ import annotations

from streams.core import LIMITS, STAGES

__all__ = ["LIMITS"]

# The wire languages we report by name; anything else is "other" so the series count stays fixed.
# fmt: off
LANGUAGE_LABELS = frozenset({
    "ar", "bg", "da", "de", "en", "es", "fa", "fr", "gl", "he", "hi", "id", "it", "ja", "ko",
    "mr", "ms", "ne", "nl", "no", "pl", "pt", "ru", "th", "tr", "uk", "vi", "zh", "und",
})
# fmt: on
ENTITY_TYPE_LABELS = frozenset({"PERSON", "ORG", "LOC", "GPE", "MISC"})
OUTCOMES = ("enriched", "duplicate", "deadletter")
# The core's stages, and the publish step the worker times after them.
STAGE_LABELS = (*STAGES, "publish")
# Knowledge bases whose size and reloads are reported.
KB_LABELS = ("gazetteer", "watchlist")
RELOAD_RESULTS = ("success", "failure", "unchanged")
# The model label of wirestream_model_loaded for a model that serves every language.
ALL_LANGUAGES = "all"

# Stages take microseconds to tens of milliseconds; end to end adds broker round trips.
STAGE_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
E2E_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# Wire items reach us seconds to days after publication (backfills, embargoes, re-sends).
PUBLISHED_BUCKETS = (
    1.0,
    5.0,
    15.0,
    60.0,
    300.0,
    900.0,
    3600.0,
    3 * 3600.0,
    12 * 3600.0,
    86400.0,
    3 * 86400.0,
    7 * 86400.0,
    30 * 86400.0,
)
# How many dedupe records are serialised to estimate the table's size: bounded, so that sampling
# a table of millions of entries costs the event loop the same as sampling a small one.
STATE_SAMPLE_SIZE = 256
# A healthy loop is a few milliseconds late; seconds mean work that holds it.
LOOP_LAG_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
