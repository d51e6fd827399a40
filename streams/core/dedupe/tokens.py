"""Blocking tokens: the 32-bit keys under which the index files an item, and their weights.

An item is filed under each MinHash band (4 values of 16 bits: two copies with Jaccard 0.8 share
at least one of 16 bands with probability 0.9998, two unrelated texts almost never), the hashes of
its headline and of its first sentences (a copy edited elsewhere), its strongest anchors (a
translation shares names and places, not text), and the producer's id. A role's salt keeps equal
values of different roles apart.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from streams.core import native
from streams.core.dedupe.fingerprint import (
    CLASS_BITS,
    CLASS_WEIGHT,
    ENTITY,
    PERMUTATIONS,
    PLACE,
    Fingerprint,
    mix64,
)

BAND_ROWS = 4
BANDS = PERMUTATIONS // BAND_ROWS
MAX_ANCHOR_TOKENS = 16  # broad places and weak anchors are left out: too common to block on
BAND_WEIGHT = 1.0
LEAD_WEIGHT = 3.0  # a shared sentence or headline says more than one shared band

_BAND, _HEADLINE, _LEAD, _ANCHOR, _ID = (np.uint64(role << 56) for role in (1, 2, 3, 4, 5))
_BAND_SALTS = np.arange(BANDS, dtype=np.uint64) << np.uint64(48) | _BAND
_SHIFT16 = np.array([0, 16, 32, 48], dtype=np.uint64)
_HIGH = np.uint64(32)


def blocking_tokens(fp: Fingerprint) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.float64]]:
    """The tokens to file ``fp`` under (and to look it up by), with each token's weight."""
    ext = native.extension()
    if ext is not None:
        tokens, weights = ext.blocking_tokens(
            fp.minhash, fp.headline_hash, fp.sentences, fp.anchors
        )
        return np.frombuffer(tokens, np.uint32), np.frombuffer(weights, np.float64)
    return blocking_tokens_reference(fp)


def blocking_tokens_reference(
    fp: Fingerprint,
) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.float64]]:
    """The Python reference of :func:`blocking_tokens`."""
    tokens, weights, _owners = blocking_postings([fp])
    return tokens, weights


def blocking_postings(
    fps: Sequence[Fingerprint],
) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.float64], npt.NDArray[np.intp]]:
    """Tokens of many fingerprints at once (a restore files 100,000), with weights and owners.

    ``owners[i]`` is the position in ``fps`` of the fingerprint that ``tokens[i]`` belongs to.
    """
    n = len(fps)
    rows = np.frombuffer(b"".join(fp.minhash for fp in fps), dtype="<u2").astype(np.uint64)
    bands = np.bitwise_or.reduce(rows.reshape(n, BANDS, BAND_ROWS) << _SHIFT16, axis=2)
    values = [(bands ^ _BAND_SALTS).ravel()]
    weights = [np.full(n * BANDS, BAND_WEIGHT)]
    owners = [np.repeat(np.arange(n), BANDS)]
    heads = [i for i, fp in enumerate(fps) if fp.headline_hash]
    values.append(np.array([fps[i].headline_hash for i in heads], np.uint64) | _HEADLINE)
    values.append(np.array([h for fp in fps for h in fp.sentences], np.uint64) | _LEAD)
    counts = [len(fp.sentences) for fp in fps]
    weights.append(np.full(len(heads) + sum(counts), LEAD_WEIGHT))
    owners += [np.array(heads, np.intp), np.repeat(np.arange(n), counts)]
    strong = [_blocking_anchors(fp.anchors) for fp in fps]
    flat = [a for anchors in strong for a in anchors]
    values.append((np.array(flat, np.uint64) >> np.uint64(3)) | _ANCHOR)
    weights.append(np.array([CLASS_WEIGHT[a & CLASS_BITS] for a in flat], np.float64))
    owners.append(np.repeat(np.arange(n), [len(anchors) for anchors in strong]))
    tokens = (mix64(np.concatenate(values)) >> _HIGH).astype(np.uint32)
    return tokens, np.concatenate(weights), np.concatenate(owners).astype(np.intp)


def _blocking_anchors(anchors: Sequence[int]) -> list[int]:
    """Linked places and names first (the same id in every language), then name-like words."""
    strong = [a for a in anchors if a & CLASS_BITS >= PLACE]
    strong.sort(key=lambda a: not a & ENTITY)  # stable: each group keeps its order
    return strong[:MAX_ANCHOR_TOKENS]


def id_token(id_key: str) -> int:
    """The token of a producer's id (looked up exactly, never scored)."""
    ext = native.extension()
    if ext is not None:
        return int(ext.id_token(id_key))
    return int(id_tokens([id_key])[0])


def id_tokens(id_keys: Sequence[str]) -> npt.NDArray[np.uint32]:
    crcs = np.fromiter((zlib.crc32(k.encode("utf-8")) for k in id_keys), np.uint64, len(id_keys))
    return (mix64(crcs | _ID) >> _HIGH).astype(np.uint32)
