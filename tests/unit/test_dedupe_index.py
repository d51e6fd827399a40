"""The blocking index against a plain model of it: same candidates, whatever the merges."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from streams.core.dedupe import index as dedupe_index
from streams.core.dedupe.index import CandidateIndex

TOKENS = st.lists(st.integers(0, 40), min_size=1, max_size=6)
# An operation: add an item with these tokens, or evict the oldest (None).
OPERATIONS = st.lists(st.one_of(TOKENS, st.none()), max_size=60)


def model_candidates(items: list[tuple[int, set[int]]], query: set[int]) -> set[int]:
    return {seq for seq, tokens in items if tokens & query}


@pytest.mark.parametrize("merge_at", [1, 7, 1000])
@given(operations=OPERATIONS, query=TOKENS)
def test_lookup_matches_a_plain_model(
    merge_at: int, operations: list[list[int] | None], query: list[int]
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dedupe_index, "MERGE_AT", merge_at)
        index = CandidateIndex()
        live: list[tuple[int, set[int]]] = []
        for step, tokens in enumerate(operations):
            if tokens is None:
                if live:
                    index.pop_oldest()
                    live.pop(0)
                continue
            seq = index.add(f"h:{step}", float(step), tokens)
            live.append((seq, set(tokens)))
        found = index.lookup(
            np.asarray(query, np.uint32), np.ones(len(query)), max_postings=1000, limit=1000
        )
    assert {c.seq for c in found} == model_candidates(live, set(query))
    assert len(index) == len(live)
    for candidate in found:
        assert index.key_of(candidate.seq) == candidate.key


def test_rare_shared_tokens_rank_first_and_common_ones_are_skipped() -> None:
    index = CandidateIndex()
    for n in range(50):
        index.add(f"h:{n}", float(n), [1])  # a token everyone has
    index.add("h:rare", 50.0, [1, 2])
    query = np.asarray([1, 2], np.uint32)
    ranked = index.lookup(query, np.ones(2), max_postings=1000, limit=3)
    assert ranked[0].key == "h:rare"
    only_rare = index.lookup(query, np.ones(2), max_postings=10, limit=100)
    assert [c.key for c in only_rare] == ["h:rare"]


def test_build_equals_adding_one_by_one() -> None:
    keys = [f"h:{n}" for n in range(20)]
    tokens = [[n % 3, 10 + n % 5, 99] for n in range(20)]
    added = CandidateIndex()
    for key, toks in zip(keys, tokens, strict=True):
        added.add(key, 0.0, toks)
    flat = np.asarray([t for toks in tokens for t in toks], np.uint32)
    owners = np.repeat(np.arange(20), 3)
    built = CandidateIndex.build(keys, [0.0] * 20, flat, owners)
    query = np.asarray([1, 12, 99], np.uint32)
    weights = np.ones(3)
    assert built.lookup(query, weights, max_postings=100, limit=100) == added.lookup(
        query, weights, max_postings=100, limit=100
    )
    assert built.postings(99) == added.postings(99) == list(range(20))
