"""The native fingerprint is the reference's, byte for byte (streams/core/native.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from streams.core import native
from streams.core.dedupe.fingerprint import (
    _fingerprint_native,
    fingerprint,
    fingerprint_reference,
)
from streams.models import Entity
from tests.unit.native_texts import any_text, real_texts, wire_text


def _both(headline: str | None, text: str, entities: tuple[Entity, ...] = ()) -> None:
    ext = native.extension()
    assert ext is not None
    want = fingerprint_reference(headline, text, "en", entities, None)
    got = _fingerprint_native(ext, headline or "", text, "en", entities, embedding=None)
    assert got == want
    assert got.to_bytes() == want.to_bytes()


def test_the_extension_is_built_and_chosen() -> None:
    assert native.problem() is None
    assert native.use("auto") is not None
    assert native.use("reference") is None
    assert native.use("auto") is not None


def test_real_texts() -> None:
    texts = real_texts()
    for headline, body in texts:
        _both(headline, body)
        _both(None, body)


_entity = st.builds(
    Entity,
    text=wire_text(),
    type=st.sampled_from(["PERSON", "ORG", "LOC", "GPE", "MISC"]),
    id=st.one_of(st.none(), st.sampled_from(["wikidata:Q1", "geonames:2747891", "x"])),
    name=st.just("n"),
    start=st.integers(0, 400),
    end=st.integers(0, 400),
    count=st.just(1),
    country=st.none(),
    lat=st.one_of(st.none(), st.just(51.9)),
    lon=st.none(),
)


@given(any_text(), any_text(), st.lists(_entity, max_size=6).map(tuple))
def test_generated_texts(headline: str, body: str, entities: tuple[Entity, ...]) -> None:
    _both(headline, body, entities)


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=80))
def test_every_character(body: str) -> None:
    _both(body[:10], body)


def test_a_lone_surrogate_falls_back_to_the_reference() -> None:
    text = "Rotterdam \ud800 strike"
    assert fingerprint(None, text, "en", (), None) == fingerprint_reference(
        None, text, "en", (), None
    )
