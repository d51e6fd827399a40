"""The core's native fast paths, and the one switch between them and the Python reference.

Hot loops of the core run in a Rust extension, ``wirestream_native`` (built from ``native/`` by
``make setup``; docs/benchmarks.md, "Native fast paths"). Each native function gives exactly what
the Python function it stands in for gives, which stays as the reference and defines the output
(``tests/unit/test_native_*.py`` check them against each other on generated and real text).

``core.native`` (``WIRESTREAM_CORE_NATIVE``) chooses, for the whole process:

- ``auto`` (the default): the extension when it is installed and was built from the Unicode
  tables of this Python's version, else the reference, with a warning;
- ``native``: the extension, or an error saying why not;
- ``reference``: the Python reference everywhere (for debugging, or to compare).

The core asks :func:`extension` at each call: the switch is read once per process, on first use
or by :func:`use` (``Pipeline.from_settings`` calls it).
"""

from __future__ import annotations

import importlib
import threading
import unicodedata
from types import ModuleType
from typing import Literal

Choice = Literal["auto", "native", "reference"]
MODULE = "wirestream_native"

_lock = threading.Lock()
_chosen: list[ModuleType | None] = []  # empty until chosen; then [the extension] or [None]


def problem() -> str | None:
    """Why the extension cannot be used here, or None when it can."""
    try:
        ext = importlib.import_module(MODULE)
    except ImportError as exc:
        return f"the native extension is not installed ({exc}); `make setup` builds it (cargo)"
    version = getattr(ext, "UNIDATA_VERSION", None)
    if version != unicodedata.unidata_version:
        return (
            f"the native extension was built from Unicode {version} tables, this Python has "
            f"{unicodedata.unidata_version}: run native/gen_tables.py and rebuild"
        )
    return None


def use(choice: Choice) -> ModuleType | None:
    """Choose for the process; returns the extension, or None for the reference."""
    with _lock:
        _chosen.clear()
        _chosen.append(_resolve(choice))
        return _chosen[0]


def extension() -> ModuleType | None:
    """The extension when the native paths are on, else None (the reference runs)."""
    if _chosen:
        return _chosen[0]
    return use("auto")


def active() -> bool:
    return extension() is not None


def _resolve(choice: Choice) -> ModuleType | None:
    if choice == "reference":
        return None
    why = problem()
    if why is None:
        return importlib.import_module(MODULE)
    if choice == "native":
        raise RuntimeError(f'core.native = "native": {why}')
    from streams.logs import get_logger

    get_logger("streams.native").warning("native_reference_fallback", reason=why)
    return None
