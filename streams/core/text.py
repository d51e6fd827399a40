"""Small text helpers that several stages share."""

from __future__ import annotations

__all__ = ["cut_at_space"]

_SEEK_BACK = 200  # how far before the cut a space or line break is looked for


def cut_at_space(text: str, max_chars: int) -> str:
    """The text's first ``max_chars`` characters, ending at a space or line break near the cut
    where there is one, so that no word is read in half; the text itself when it is short."""
    if len(text) <= max_chars:
        return text
    lo = max(0, max_chars - _SEEK_BACK)
    space = max(text.rfind(" ", lo, max_chars), text.rfind("\n", lo, max_chars))
    return text[: space if space > 0 else max_chars]
