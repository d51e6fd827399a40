"""The native noise scan of ``sanitize`` takes the regex's very matches (streams/core/native.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from streams.core import native
from streams.core.langid import scripts
from streams.core.langid import text as langid_text
from tests.unit.native_texts import any_text, real_texts

_PIECES = (
    "www.example.com", "example.com,", "e.g.", "U.S.", "a.b.cd", "x..com", "host.c0m", "Mr.Smith",
    "reuters.com»", "foo.comé", "foo.com-bar", "-x.io", "iPhone", "getElementById", "PlayStation",
    "NATO", "NATOs", "(NATO)", "ABc", "AB", "A", "COVID-19", "user@mail.org", "@handle", "a_b",
    "3.5%", "٣٤", "١٢a1", "²", "x²", "\x00", "\x07", "\x85", "\x9f", "\t", "\n", " ", "é", "Ä",
    "中文", "«", "»", "—", "/path/to", "<b>", "$5", "~", "`", "|", "{x}", "=", "\u00a0", "-",
    "EU-wide", "ÉU", "oK", "ok.", ".org", "a.", "..", "...", "x.y.z.co", "ÆB", "'AB'", "AB2",
)  # fmt: skip
_noisy = st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=4)), max_size=40).map(
    "".join
)


def _same(ext: object, text: str) -> None:
    for acronyms, pattern in (
        (True, langid_text._NOISE_AND_ACRONYMS),
        (False, langid_text._NOISE),
    ):
        assert ext.blank_noise(text, acronyms) == pattern.sub(" ", text)  # type: ignore[attr-defined]


@given(st.one_of(_noisy, any_text()))
def test_generated_texts(text: str) -> None:
    ext = native.extension()
    assert ext is not None
    _same(ext, text)


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=60))
def test_every_character(text: str) -> None:
    ext = native.extension()
    assert ext is not None
    _same(ext, text)


def test_real_texts() -> None:
    ext = native.extension()
    assert ext is not None
    for headline, body in real_texts():
        _same(ext, f"{headline}\n{body}")


def test_sanitize_is_the_reference_either_way() -> None:
    texts = [f"{h}\n{b}" for h, b in real_texts()[:300]] + [
        "ALL CAPS HEADLINE NATO 2026",
        "x\ud800y",
    ]
    try:
        native.use("native")
        fast = [langid_text.sanitize(t) for t in texts]
        native.use("reference")
        slow = [langid_text.sanitize(t) for t in texts]
    finally:
        native.use("auto")
    assert fast == slow


@given(st.one_of(any_text(), st.text(alphabet=st.characters(codec="utf-8"), max_size=60)))
def test_script_counts(text: str) -> None:
    assert native.extension() is not None
    assert scripts.count_scripts(text) == scripts.count_scripts_reference(text)


def test_script_counts_of_real_texts() -> None:
    assert native.extension() is not None
    for headline, body in real_texts():
        text = f"{headline}\n{body}"
        assert scripts.count_scripts(text) == scripts.count_scripts_reference(text)
