"""Bounded work per item: every hostile shape yields one outcome, caps are reported, and the
entity merge (once quadratic in the mentions) matches its reference on random input."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.hostile import SHAPES
from streams.codec import decode_raw
from streams.core import LIMITS
from streams.core.entities import extractor as entities_module
from streams.core.entities import match, merge
from streams.core.entities.extractor import EntityExtractor, EntityLimits
from streams.core.entities.merge import ResolvedMention, merge_model
from streams.core.normalize import normalize
from streams.core.pipeline import DEDUPE_MAX_CHARS, Pipeline
from streams.core.text import cut_at_space
from streams.errors import DeadLetterReason, ItemRejected
from streams.kb.gazetteer import COUNTRY_PRIOR
from streams.models import RawItem
from streams.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
TYPES = ("PERSON", "ORG", "LOC", "GPE", "MISC")


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return Pipeline.from_settings(Settings(), {})


# Shapes whose every byte is markup or boilerplate: nothing is left to enrich.
EMPTY_AFTER_NORMALIZE = {"publisher_tags"}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_every_hostile_shape_yields_one_outcome(pipeline: Pipeline, shape: str) -> None:
    value = SHAPES[shape](20_000)
    assert len(value) <= 20_000
    raw = decode_raw(value, 1 << 20)
    if shape in EMPTY_AFTER_NORMALIZE:
        with pytest.raises(ItemRejected) as caught:
            pipeline.enrich(raw, received_at=1.0)
        assert caught.value.reason is DeadLetterReason.EMPTY_BODY
        return
    result = pipeline.enrich(raw, received_at=1.0)
    assert result.event is not None
    text = result.event.text or result.event.headline or ""
    for entity in result.event.entities:
        assert text[entity.start : entity.end] == entity.text


def test_a_flash_is_enriched_from_its_headline(pipeline: Pipeline) -> None:
    raw = decode_raw(b'{"headline": "FLASH: Putin and Witkoff meet in Moscow"}', 1 << 20)
    event = pipeline.enrich(raw, received_at=1.0).event
    assert event is not None
    assert event.text == ""
    assert event.language.code == "en"
    assert event.headline is not None
    found = {e.name for e in event.entities}
    assert {"Vladimir Putin", "Moscow"} <= found
    for entity in event.entities:  # offsets index the headline when there is no body
        assert event.headline[entity.start : entity.end] == entity.text


def test_two_flashes_are_two_stories(pipeline: Pipeline) -> None:
    first = pipeline.enrich(
        decode_raw(b'{"headline": "FLASH: Putin and Witkoff meet in Moscow"}', 1 << 20),
        received_at=1.0,
    )
    second = pipeline.enrich(
        decode_raw(b'{"headline": "FLASH: Earthquake of magnitude 7 hits Chile"}', 1 << 20),
        received_at=2.0,
    )
    again = pipeline.enrich(
        decode_raw(b'{"headline": "FLASH: Putin and Witkoff meet in Moscow"}', 1 << 20),
        received_at=3.0,
    )
    assert first.dedupe.story_id != second.dedupe.story_id
    assert again.dedupe.status.value == "duplicate"


def test_caps_are_reported_in_the_event(pipeline: Pipeline) -> None:
    small = Pipeline(
        pipeline.detector,
        EntityExtractor.load(limits=EntityLimits(max_chars=2_000, max_mentions=5)),
        {},
        3600.0,
        dedupe_max_chars=1_000,
    )
    body = "Paris and Berlin. " * 400
    event = small.enrich(RawItem(body=body), received_at=1.0).event
    assert event is not None
    assert event.limits == ("entities.max_chars", "entities.max_mentions", DEDUPE_MAX_CHARS)
    assert sum(e.count for e in event.entities) == 5
    unbounded = pipeline.enrich(RawItem(body="Paris and Berlin."), received_at=1.0).event
    assert unbounded is not None
    assert unbounded.limits == ()


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("one two three four", 10, "one two"),
        ("one two\nthree four", 12, "one two"),
        ("x" * 30, 10, "x" * 10),  # no space near the cut: a hard cut
    ],
)
def test_cut_at_space(text: str, limit: int, expected: str) -> None:
    assert cut_at_space(text, limit) == expected


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ("<div>" * 2_000 + "Paris &amp; Rome" + "</div>" * 2_000, "Paris & Rome"),
        ("<b>" * 1_000 + "Bold<script>x()</script> text", "Bold text"),
        ("<p>one</p>" * 3 + "<div>" * 600 + "<p>two", "one\none\none\ntwo"),
    ],
)
def test_markup_too_deep_for_a_parser_is_stripped_linearly(body: str, text: str) -> None:
    assert normalize(RawItem(body=body)).text == text


def test_publisher_tags_are_taken_in_one_pass() -> None:
    item = normalize(RawItem(body="(Reuters) – (AP) – \n(AFP): Markets rose.\nMore."))
    assert (item.source_name, item.text) == ("Reuters", "Markets rose.\nMore.")


# --- the entity merge against the quadratic reference it replaced ---------------------------


def _reference_merge(
    mentions: list[ResolvedMention], spans: list[tuple[int, int, str]], text: str, kb: Any
) -> list[ResolvedMention]:
    """The same decisions on clusters found the obvious way: any two items that overlap."""
    items: list[Any] = [*mentions, *merge.clean_spans(spans, text)]
    cluster = list(range(len(items)))
    for i, a in enumerate(items):
        for j, b in enumerate(items[:i]):
            if a[0] < b[1] and b[0] < a[1]:
                old, new = cluster[i], cluster[j]
                cluster = [new if c == old else c for c in cluster]
    datelines = merge.datelines(sorted(mentions), text, kb)
    out: list[ResolvedMention] = []
    for c in sorted(set(cluster)):
        members = [items[i] for i in range(len(items)) if cluster[i] == c]
        found = sorted(m for m in members if isinstance(m, ResolvedMention))
        spans_in = sorted(m for m in members if not isinstance(m, ResolvedMention))
        out.extend(merge.decide(found, spans_in, text, kb, datelines))
    return out


@st.composite
def _layout(draw: st.DrawFn) -> tuple[list[ResolvedMention], list[tuple[int, int, str]], Any]:
    """Non-overlapping KB mentions and non-overlapping model spans over 200 characters."""

    def runs(count: int) -> list[tuple[int, int]]:
        cuts = sorted(draw(st.sets(st.integers(0, 200), min_size=2 * count, max_size=2 * count)))
        return list(zip(cuts[0::2], cuts[1::2], strict=True))

    kb_runs = runs(draw(st.integers(0, 12)))
    priors = draw(
        st.lists(
            st.sampled_from([1.0, COUNTRY_PRIOR]), min_size=len(kb_runs), max_size=len(kb_runs)
        )
    )
    mentions = [
        ResolvedMention(a, b, f"id{i}", 0, i, draw(st.sampled_from(TYPES)))
        for i, (a, b) in enumerate(kb_runs)
    ]
    spans = [(a, b, draw(st.sampled_from(TYPES))) for a, b in runs(draw(st.integers(0, 12)))]
    return mentions, spans, SimpleNamespace(priors=priors, countries=[None] * len(priors))


@given(_layout())
def test_the_merge_matches_its_quadratic_reference(
    layout: tuple[list[ResolvedMention], list[tuple[int, int, str]], Any],
) -> None:
    mentions, spans, kb = layout
    text = "x" * 200
    fast = merge_model(mentions, spans, text, kb)
    slow = _reference_merge(mentions, spans, text, kb)
    assert sorted(fast) == sorted(slow)


def test_the_caps_are_named_alike_in_the_core_the_schema_and_the_metrics() -> None:
    schema = json.loads((ROOT / "schemas" / "enriched.v1.json").read_text())
    assert set(schema["properties"]["limits"]["items"]["enum"]) == set(LIMITS)
    assert {entities_module.MAX_CHARS, entities_module.MAX_MENTIONS, DEDUPE_MAX_CHARS} == set(
        LIMITS
    )


@pytest.mark.parametrize(
    ("text", "open_right"),
    [
        ("서울은", True),  # a particle that ends the text
        ("서울에서 회의", True),
        ("서울은행", False),  # not a particle: another word
        ("서울" + "가" * 10_000, False),  # read no further than the longest particle
    ],
)
def test_a_korean_particle_is_read_up_to_the_next_space_or_the_end(
    text: str, open_right: bool
) -> None:
    assert match._open_right(text, 2, match.HANGUL_SUFFIX) is open_right
