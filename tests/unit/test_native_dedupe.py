"""The native dedupe paths give exactly the reference's results: blocking tokens, the index's
candidates and scores through any sequence of adds, evictions and merges, the text scores, and
whole decisions over the shared evaluation text (streams/core/native.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from streams.core import native
from streams.core.dedupe import index as dedupe_index
from streams.core.dedupe import similarity, tokens
from streams.core.dedupe.decide import DedupeKeys, Deduper
from streams.core.dedupe.fingerprint import Fingerprint, fingerprint_reference
from streams.core.dedupe.index import CandidateIndex
from tests.unit.native_texts import real_texts

_u32 = st.integers(0, 2**32 - 1)
_fp = st.builds(
    Fingerprint,
    language=st.sampled_from(["en", "de"]),
    shingles=st.integers(0, 400),
    headline_hash=st.one_of(st.just(0), _u32),
    sentences=st.lists(_u32, max_size=6).map(tuple),
    minhash=st.binary(min_size=128, max_size=128),
    embedding=st.just(b""),
    anchors=st.lists(_u32, max_size=32).map(tuple),
    words=st.one_of(st.just(b""), st.binary(min_size=64, max_size=64)),
    word_count=st.integers(0, 300),
)
# Few distinct minhash values, so that candidates agree on some of them.
_close_fp = _fp.flatmap(
    lambda fp: st.lists(
        st.sampled_from([b"\x01\x00", b"\x02\x00", b"\x03\x00"]), min_size=64, max_size=64
    ).map(lambda parts: Fingerprint(**{**_fields(fp), "minhash": b"".join(parts)}))
)


def _fields(fp: Fingerprint) -> dict[str, object]:
    return {name: getattr(fp, name) for name in Fingerprint.__slots__}


@given(_fp)
def test_blocking_tokens(fp: Fingerprint) -> None:
    ext = native.extension()
    assert ext is not None
    got = tokens.blocking_tokens(fp)
    want = tokens.blocking_tokens_reference(fp)
    assert got[0].tolist() == want[0].tolist()
    assert got[1].tolist() == want[1].tolist()


@given(st.text(max_size=40))
def test_id_token(key: str) -> None:
    ext = native.extension()
    assert ext is not None
    assert ext.id_token(key) == int(tokens.id_tokens([key])[0])


@given(st.one_of(_fp, _close_fp), st.lists(st.one_of(_fp, _close_fp), max_size=8))
def test_text_scores(query: Fingerprint, others: list[Fingerprint]) -> None:
    ext = native.extension()
    assert ext is not None
    if not others:
        return
    assert list(ext.text_scores(query, others)) == list(similarity._text_scores(query, others))


TOKENS = st.lists(st.integers(0, 60), min_size=1, max_size=8)
OPERATIONS = st.lists(st.one_of(TOKENS, st.none()), max_size=80)


@pytest.mark.parametrize("merge_at", [1, 7, 1000])
@given(
    operations=OPERATIONS,
    query=TOKENS,
    weights=st.lists(st.floats(0.05, 3.0), min_size=8, max_size=8),
    max_postings=st.integers(1, 40),
    limit=st.integers(1, 30),
)
def test_the_native_index_is_the_reference(  # noqa: PLR0917 - hypothesis passes them by name
    merge_at: int,
    operations: list[list[int] | None],
    query: list[int],
    weights: list[float],
    max_postings: int,
    limit: int,
) -> None:
    ext = native.extension()
    assert ext is not None
    mine = dedupe_index._native_class(ext)(merge_at)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dedupe_index, "MERGE_AT", merge_at)
        ref = CandidateIndex()
        for step, item in enumerate(operations):
            if item is None:
                if len(ref):
                    ref.pop_oldest()
                    mine.pop_oldest()
                continue
            assert mine.add(f"h:{step}", float(step), item) == ref.add(
                f"h:{step}", float(step), item
            )
        q = np.asarray(query, np.uint32)
        w = np.asarray(weights[: len(query)], np.float64)
        got = mine.lookup(q, w, max_postings=max_postings, limit=limit)
        want = ref.lookup(q, w, max_postings=max_postings, limit=limit)
    assert got == want
    assert (len(mine), mine.first_live, mine.next_seq) == (len(ref), ref.first_live, ref.next_seq)
    assert mine.oldest() == ref.oldest()
    for token in set(query):
        assert mine.postings(token) == ref.postings(token)
    for seq in range(-1, ref.next_seq + 1):
        assert mine.key_of(seq) == ref.key_of(seq)


def test_built_indexes_agree() -> None:
    ext = native.extension()
    assert ext is not None
    rng = np.random.default_rng(7)
    toks = rng.integers(0, 50, 400).astype(np.uint32)
    owners = rng.integers(0, 40, 400).astype(np.intp)
    keys, seen = [f"h:{i}" for i in range(40)], [float(i) for i in range(40)]
    ref = CandidateIndex.build(keys, seen, toks, owners)
    mine = dedupe_index._native_class(ext)()
    mine.load(keys, seen, toks.tolist(), owners.tolist())
    q = np.arange(50, dtype=np.uint32)
    w = np.linspace(0.1, 2.0, 50)
    assert mine.lookup(q, w, max_postings=100, limit=40) == ref.lookup(
        q, w, max_postings=100, limit=40
    )
    assert mine.posting_bytes() == ref.posting_bytes()


def _decisions(choice: native.Choice) -> list[object]:
    native.use(choice)
    deduper = Deduper({}, window_s=1e9, max_items=300)
    out = []
    texts = real_texts()
    # Each article, then an edited copy and an exact copy of some, so that every outcome occurs.
    stream = [*texts, *[(h, b[: len(b) // 2]) for h, b in texts[::7]], *texts[::11]]
    for n, (headline, body) in enumerate(stream):
        fp = fingerprint_reference(headline, body, "en", (), None)
        keys = DedupeKeys.build(f"{hash((headline, body)):x}", "src", str(n % 500))
        out.append(deduper.check(keys, fp, event_id=str(n), now=float(n)))
    return out


def test_decisions_on_real_text_are_the_same() -> None:
    try:
        native_results = _decisions("native")
        reference_results = _decisions("reference")
    finally:
        native.use("auto")
    assert native_results == reference_results
    statuses = {r.status for r in reference_results}  # type: ignore[attr-defined]
    assert len(statuses) >= 3, statuses
