"""The faust surface we patch, audited against the installed faust: one version gate, every
patched target where we expect it with the parameters we wrote against, applied once."""

from __future__ import annotations

import inspect
from typing import Any

import faust
import pytest

from streams.errors import ConfigError
from streams.worker import patches
from streams.worker.patches.hook import is_patch, unpatched


def test_faust_is_the_version_the_patches_were_written_for() -> None:
    assert faust.__version__ == patches.FAUST_VERSION


@pytest.mark.parametrize("patch", patches.PATCHES, ids=lambda p: p.target)
def test_every_target_exists_with_the_parameters_we_expect(patch: patches.Patch) -> None:
    owner = patch.owner()
    assert hasattr(owner, patch.name), f"{patch.target} is gone: re-check the patch"
    if patch.parameters is None:
        return
    original = unpatched(owner, patch.name)
    assert tuple(inspect.signature(original).parameters) == patch.parameters


@pytest.mark.parametrize("patch", patches.PATCHES, ids=lambda p: p.target)
def test_applying_twice_wraps_faust_once(patch: patches.Patch) -> None:
    patches.apply()
    patches.apply()
    current = getattr(patch.owner(), patch.name)
    if patch.parameters is None:
        return  # a plain value, set rather than wrapped
    assert is_patch(current)
    assert not is_patch(current.__wrapped__)


def test_another_faust_version_is_refused_and_the_targets_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(faust, "__version__", "0.16.0")
    with pytest.raises(ConfigError) as refused:
        patches.apply()
    message = str(refused.value)
    assert "0.16.0" in message
    assert all(patch.target in message for patch in patches.PATCHES)


def test_the_version_gate_is_the_only_one() -> None:
    # One gate for every patch: no module of the package compares faust's version itself.
    from streams.worker.patches import rebalance, transactions

    for module in (rebalance, transactions):
        source: Any = inspect.getsource(module)
        assert "__version__" not in source, module.__name__
