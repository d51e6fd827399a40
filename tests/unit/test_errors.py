"""One error tree: every exception class wirestream defines derives from WirestreamError, sits in
the tree that streams/errors.py draws, and carries the retry flag of its branch."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import streams
from streams import errors
from streams.errors import ConfigError, FormatError, ItemRejected, TransientError, WirestreamError


def _defined_exceptions() -> list[type[BaseException]]:
    found: list[type[BaseException]] = []
    for info in pkgutil.walk_packages(streams.__path__, "streams."):
        if info.name.endswith("__main__"):
            continue  # running it is its job
        module = importlib.import_module(info.name)
        found.extend(
            obj
            for obj in vars(module).values()
            if inspect.isclass(obj)
            and issubclass(obj, BaseException)
            and obj.__module__ == module.__name__
        )
    return found


EXCEPTIONS = _defined_exceptions()


def test_the_walk_finds_the_package_s_exceptions() -> None:
    names = {cls.__name__ for cls in EXCEPTIONS}
    assert {"GazetteerMissingError", "ModelFormatError", "HandoffError", "ItemRejected"} <= names


@pytest.mark.parametrize("cls", EXCEPTIONS, ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_every_exception_is_a_wirestream_error(cls: type[BaseException]) -> None:
    assert issubclass(cls, WirestreamError)


@pytest.mark.parametrize("cls", EXCEPTIONS, ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_every_exception_is_drawn_in_the_tree(cls: type[BaseException]) -> None:
    assert errors.__doc__ is not None
    assert f" {cls.__name__} " in errors.__doc__


@pytest.mark.parametrize(
    ("branch", "retriable"),
    [(ItemRejected, False), (TransientError, True), (ConfigError, False), (FormatError, False)],
)
def test_only_transient_faults_are_retried(branch: type[WirestreamError], retriable: bool) -> None:
    for cls in [branch, *(c for c in EXCEPTIONS if issubclass(c, branch))]:
        assert cls.retriable is retriable, cls
