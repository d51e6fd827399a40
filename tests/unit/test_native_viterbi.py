"""The native Viterbi gives the reference's paths (streams/ner/decode.py)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from streams.core import native
from streams.ner.decode import viterbi_batch_reference


@given(
    st.integers(1, 6),
    st.lists(st.integers(1, 12), min_size=1, max_size=6),
    st.integers(0, 2**32 - 1),
    st.booleans(),
)
def test_paths_are_the_reference_paths(
    labels: int, lengths: list[int], seed: int, ties: bool
) -> None:
    ext = native.extension()
    assert ext is not None
    rng = np.random.default_rng(seed)
    shape = (len(lengths), max(lengths), labels)
    # Coarse values make equal scores common, where the first label must win as in numpy.
    emissions = (rng.integers(-3, 3, shape) if ties else rng.normal(0, 2, shape)).astype(np.float32)
    transitions = (
        rng.integers(-2, 2, (labels, labels)) if ties else rng.normal(0, 1, (labels, labels))
    ).astype(np.float32)
    got = ext.viterbi_batch(emissions, lengths, transitions)
    assert got == viterbi_batch_reference(emissions, lengths, transitions)


def test_the_english_model_tags_the_same_either_way() -> None:
    from streams.ner import load_ner
    from tests.unit.native_texts import real_texts

    ner = load_ner()
    texts = [body for _h, body in real_texts()[:200]]
    try:
        native.use("native")
        fast = [ner.propose(t, "en") for t in texts]
        native.use("reference")
        slow = [ner.propose(t, "en") for t in texts]
    finally:
        native.use("auto")
    assert fast == slow
    assert any(fast)
