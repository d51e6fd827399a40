"""A model's word-feature weights, compact in memory: hashed feature names and sparse rows.

A word feature has a weight for each window offset and label, but most of those are zero
(the feature was seen at one offset only, or L1 drove it to zero): 4 % of the English model's
dense array is not. So the rows are stored sparse (CSR: each feature's non-zero ``offset x
label`` slots and their values), and the feature names as sorted 64-bit hashes (``table.
word_hash``) instead of a dict of strings. The English model held 27 MB of dense weights and a
dict of 80,000 names (some 10 MB); the same weights cost about 1.5 MB this way.

Model files of format v2 store exactly these arrays (``word_keys``, ``word_ptr``, ``word_slot``,
``word_values``); v1 files (dense ``word_weights`` and ``word_features`` names) are converted on
load.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from streams.ner.table import word_hash


class WordWeights:
    """Feature name -> its weights over (offset, label), summed over a word's features."""

    def __init__(
        self,
        keys: npt.NDArray[np.uint64],
        ptr: npt.NDArray[np.int64],
        slot: npt.NDArray[np.uint16],
        values: npt.NDArray[np.float32],
        shape: tuple[int, int],
    ) -> None:
        if ptr.shape != (len(keys) + 1,) or slot.shape != values.shape:
            raise ValueError("sparse weight arrays do not match")
        if len(keys) > 1 and not bool(np.all(keys[1:] > keys[:-1])):
            raise ValueError("feature keys must be sorted and distinct")
        if len(slot) and int(slot.max()) >= shape[0] * shape[1]:
            raise ValueError("a weight's slot lies outside offsets x labels")
        self.keys = keys
        self.ptr = ptr
        self.slot = slot
        self.values = values
        self.shape = shape

    @classmethod
    def from_dense(cls, names: Sequence[str], dense: npt.NDArray[Any]) -> WordWeights:
        """From a (features, offsets, labels) array and its feature names (a v1 file)."""
        n, offsets, labels = dense.shape
        hashes = np.array([word_hash(name) for name in names], dtype=np.uint64)
        order = np.argsort(hashes, kind="stable")
        flat = np.asarray(dense, dtype=np.float32).reshape(n, offsets * labels)[order]
        rows, cols = np.nonzero(flat)
        ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=ptr[1:])
        return cls(
            hashes[order],
            ptr,
            cols.astype(np.uint16),
            flat[rows, cols].astype(np.float32),
            (offsets, labels),
        )

    @classmethod
    def from_arrays(
        cls, arrays: dict[str, npt.NDArray[Any]], shape: tuple[int, int]
    ) -> WordWeights:
        """From a v2 file's arrays (copied: the loaded file's buffer is not kept)."""
        return cls(
            np.array(arrays["word_keys"], dtype=np.uint64),
            np.array(arrays["word_ptr"], dtype=np.int64),
            np.array(arrays["word_slot"], dtype=np.uint16),
            np.array(arrays["word_values"], dtype=np.float32),
            shape,
        )

    def arrays(self) -> dict[str, npt.NDArray[Any]]:
        return {
            "word_keys": self.keys,
            "word_ptr": self.ptr,
            "word_slot": self.slot,
            "word_values": self.values,
        }

    def __len__(self) -> int:
        return len(self.keys)

    def ids(self, feats: Sequence[str]) -> npt.NDArray[np.intp]:
        """Row numbers of the features the model has (the others have no weight)."""
        if not feats or not len(self.keys):
            return np.zeros(0, dtype=np.intp)
        hashes = np.array([word_hash(f) for f in feats], dtype=np.uint64)
        pos = np.searchsorted(self.keys, hashes)
        pos[pos >= len(self.keys)] = 0
        found: npt.NDArray[np.intp] = pos[self.keys[pos] == hashes]
        return found

    def sum(self, feats: Sequence[str]) -> npt.NDArray[np.float32]:
        """The summed weights of ``feats``, shaped (offsets, labels)."""
        width = self.shape[0] * self.shape[1]
        ids = self.ids(feats)
        if not len(ids):
            return np.zeros(self.shape, dtype=np.float32)
        starts = self.ptr[ids]
        lengths = self.ptr[ids + 1] - starts
        total = int(lengths.sum())
        # Positions of every non-zero of the chosen rows, in one vectorised step.
        first = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
        idx = first + np.arange(total)
        summed = np.bincount(self.slot[idx], weights=self.values[idx], minlength=width)
        out: npt.NDArray[np.float32] = summed.astype(np.float32).reshape(self.shape)
        return out

    def sum_many(self, feats: Sequence[Sequence[str]]) -> npt.NDArray[np.float32]:
        """``sum`` for many words at once, shaped (words, offsets, labels): one hash per
        feature, and a handful of numpy calls for the whole batch."""
        width = self.shape[0] * self.shape[1]
        out_shape = (len(feats), *self.shape)
        flat_feats = [f for fs in feats for f in fs]
        if not flat_feats or not len(self.keys):
            return np.zeros(out_shape, dtype=np.float32)
        owner = np.repeat(np.arange(len(feats)), [len(fs) for fs in feats])
        hashes = np.fromiter(map(word_hash, flat_feats), dtype=np.uint64, count=len(flat_feats))
        pos = np.searchsorted(self.keys, hashes)
        pos[pos >= len(self.keys)] = 0
        hit = self.keys[pos] == hashes
        ids, own = pos[hit], owner[hit]
        starts = self.ptr[ids]
        lengths = self.ptr[ids + 1] - starts
        first = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
        idx = first + np.arange(int(lengths.sum()))
        cells = np.repeat(own, lengths) * width + self.slot[idx]
        summed = np.bincount(cells, weights=self.values[idx], minlength=len(feats) * width)
        out: npt.NDArray[np.float32] = summed.astype(np.float32).reshape(out_shape)
        return out

    @property
    def nbytes(self) -> int:
        return int(self.keys.nbytes + self.ptr.nbytes + self.slot.nbytes + self.values.nbytes)
