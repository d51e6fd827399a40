"""Language ID's credit-line cut (``streams.core.langid.text``) against the regex it replaced."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from streams.core.langid.text import _BOILERPLATE

# The credit-line regex as first written: unanchored, quadratic in the sentence length, and the
# reference that the anchored one in langid_text must agree with.
_UNANCHORED_BOILERPLATE = re.compile(
    r"[^.!?\n]*\b(?i:all rights reserved|click here|follow us on|subscribe to our"
    r"|reporting by|editing by|writing by|additional reporting|copyright \S+)\b[^.!?\n]*[.!?]?"
)
_CREDIT_PIECES = st.sampled_from(
    ["Reporting by", "Editing by", "copyright 2026.", "All rights reserved", "click here", " ",
     "x", "é", ".", "!", "?", "\n", "Le conseil", "writing by"]
)  # fmt: skip


@given(st.lists(st.one_of(_CREDIT_PIECES, st.text(max_size=8)), max_size=14).map("".join))
def test_credit_lines_are_cut_exactly_as_the_unanchored_regex_cut_them(text: str) -> None:
    assert _BOILERPLATE.sub(" ", text) == _UNANCHORED_BOILERPLATE.sub(" ", text)
