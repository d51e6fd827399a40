"""How a patch replaces a faust method: always around faust's own, never around a patch.

:func:`unpatched` gives the method as faust defines it, even after a patch replaced it, so a patch
applied twice wraps faust's method again rather than its own wrapper; :func:`install` puts the
replacement in place and marks it (``__wrapped__`` points at faust's method, as
``functools.wraps`` would set it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_MARK = "__wirestream_patch__"


def is_patch(function: object) -> bool:
    return bool(getattr(function, _MARK, False))


def unpatched(owner: Any, name: str) -> Callable[..., Any]:
    """``owner.name`` as faust defines it, behind any patch of ours."""
    function: Callable[..., Any] = getattr(owner, name)
    while is_patch(function):
        function = function.__wrapped__  # type: ignore[attr-defined]
    return function


def install(owner: Any, name: str, replacement: Callable[..., Any]) -> None:
    """Put ``replacement`` in place of faust's ``owner.name``."""
    original = unpatched(owner, name)
    replacement.__wrapped__ = original  # type: ignore[attr-defined]
    replacement.__doc__ = replacement.__doc__ or original.__doc__
    setattr(replacement, _MARK, True)
    setattr(owner, name, replacement)
