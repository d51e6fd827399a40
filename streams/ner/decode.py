"""Label encodings and Viterbi decoding of a linear-chain CRF over many sentences at once."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from streams.core import native

Floats = npt.NDArray[np.float32]


def to_bilou(tags: Sequence[str]) -> list[str]:
    """IOB2 -> BILOU: a one-token entity is U-, the last token of a longer one L-."""
    out = list(tags)
    for i, tag in enumerate(tags):
        continues = i + 1 < len(tags) and tags[i + 1].startswith("I-")
        if tag.startswith("B-") and not continues:
            out[i] = "U-" + tag[2:]
        elif tag.startswith("I-") and not continues:
            out[i] = "L-" + tag[2:]
    return out


def to_iob(tags: Sequence[str]) -> list[str]:
    """BILOU (or IOB2, unchanged) -> IOB2."""
    return ["B-" + t[2:] if t[0] == "U" else "I-" + t[2:] if t[0] == "L" else t for t in tags]


def viterbi_batch(
    emissions: Floats, lengths: Sequence[int], transitions: Floats
) -> list[list[int]]:
    """Best label sequence of each sentence: natively when ``core.native`` allows (the same
    paths: :func:`viterbi_batch_reference` defines them), else the reference."""
    ext = native.extension()
    if ext is not None:
        paths: list[list[int]] = ext.viterbi_batch(
            np.ascontiguousarray(emissions, np.float32),
            list(lengths),
            np.ascontiguousarray(transitions, np.float32),
        )
        return paths
    return viterbi_batch_reference(emissions, lengths, transitions)


def viterbi_batch_reference(
    emissions: Floats, lengths: Sequence[int], transitions: Floats
) -> list[list[int]]:
    """Best label sequence of each sentence.

    ``emissions`` is ``(batch, max_len, labels)``, padded past each sentence's length;
    ``transitions[a, b]`` scores label ``b`` after ``a``. All sentences advance together, one
    vectorized step per position, so a document costs as many numpy calls as its longest
    sentence has tokens rather than as many as it has tokens in all. Sentences are taken
    longest first, so the ones still running at a step are always a leading slice.
    """
    batch, max_len, _ = emissions.shape
    order = sorted(range(batch), key=lambda b: -lengths[b])
    lens = [lengths[b] for b in order]
    em = emissions[order]
    # running[t]: how many sentences (longest first) have a token at position t.
    running = []
    k = batch
    for t in range(max_len):
        while k and lens[k - 1] <= t:
            k -= 1
        running.append(k)
    score = em[:, 0, :].copy()
    back: list[npt.NDArray[np.intp]] = [np.empty(0, dtype=np.intp)]
    for t in range(1, max_len):
        k = running[t]
        cand = score[:k, :, None] + transitions[None, :, :]  # (k, from, to)
        back.append(cand.argmax(axis=1))
        score[:k] = cand.max(axis=1) + em[:k, t, :]
    cur = score.argmax(axis=1)
    paths = np.empty((batch, max_len), dtype=np.intp)
    for t in range(max_len - 1, 0, -1):
        k = running[t]
        paths[:k, t] = cur[:k]
        cur[:k] = back[t][np.arange(k), cur[:k]]
    paths[:, 0] = cur
    out: list[list[int]] = [[] for _ in range(batch)]
    for row, b in enumerate(order):
        out[b] = paths[row, : lens[row]].tolist()
    return out


def marginals(emissions: Floats, transitions: Floats) -> npt.NDArray[np.float64]:
    """P(label at t = k | sentence) for one sentence, by forward-backward in log space.

    ``emissions`` is ``(len, labels)``. Viterbi gives the best path; this says how sure the
    model is of each of its labels (used to hold back doubtful lone-word names).
    """
    em = emissions.astype(np.float64)
    trans = transitions.astype(np.float64)
    n = em.shape[0]
    alpha = np.empty_like(em)
    beta = np.zeros_like(em)
    alpha[0] = em[0]
    for t in range(1, n):
        alpha[t] = _logsumexp(alpha[t - 1][:, None] + trans, axis=0) + em[t]
    for t in range(n - 2, -1, -1):
        beta[t] = _logsumexp(trans + (em[t + 1] + beta[t + 1])[None, :], axis=1)
    log_z = _logsumexp(alpha[-1][None, :], axis=1)[0]
    out: npt.NDArray[np.float64] = np.exp(alpha + beta - log_z)
    return out


def _logsumexp(x: npt.NDArray[np.float64], axis: int) -> npt.NDArray[np.float64]:
    top = x.max(axis=axis, keepdims=True)
    out: npt.NDArray[np.float64] = top + np.log(np.exp(x - top).sum(axis=axis, keepdims=True))
    return out.squeeze(axis)


def tag_spans(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """Token spans ``(first, last + 1, type)`` of IOB tags, read as conlleval does: an I- that
    does not continue an entity of its type starts one."""
    spans: list[tuple[int, int, str]] = []
    start = -1
    kind = ""
    for i, tag in enumerate((*tags, "O")):
        prefix, _, this = tag.partition("-")
        if start >= 0 and (prefix != "I" or this != kind):
            spans.append((start, i, kind))
            start = -1
        if prefix in ("B", "I") and start < 0:
            start, kind = i, this
    return spans
