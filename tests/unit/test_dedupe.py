"""The dedupe decision on fingerprints: exact keys, replays, the window, eviction, restore, records.

Fingerprints here carry no embedding (built without a model), so only exact keys and text
similarity are in play; the outcome classes that need the model are in test_dedupe_outcomes.py.
"""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from streams.core.dedupe.decide import DedupeKeys, Deduper, Seen
from streams.core.dedupe.fingerprint import Fingerprint, fingerprint
from streams.core.dedupe.record import VERSION
from streams.core.normalize import content_hash
from streams.errors import FormatError
from streams.models import DedupeStatus

WINDOW = 3600.0
_VOCAB = [f"{a}{b}{c}" for a in "bdfgklmnprstvz" for b in "aeiou" for c in "lmnrst"]


def text(seed: int, words: int = 60) -> str:
    """A text of real-looking words that shares almost no 3-word run with another seed's."""
    rng = random.Random(seed)
    return " ".join(rng.choice(_VOCAB) for _ in range(words))


def item(
    body: str, item_id: str | None = None, source: str = "wire"
) -> tuple[DedupeKeys, Fingerprint]:
    keys = DedupeKeys.build(content_hash(None, body), source, item_id)
    return keys, fingerprint(None, body, "en", (), None)


def check(deduper: Deduper, body: str, now: float, origin: str, item_id: str | None = None) -> Any:
    keys, fp = item(body, item_id)
    return deduper.check(keys, fp, event_id=item_id or origin, now=now, origin=origin)


@pytest.fixture
def store() -> dict[str, Any]:
    return {}


def test_first_item_is_unique_with_a_content_derived_story(store: dict[str, Any]) -> None:
    keys, fp = item(text(1))
    result = Deduper(store, WINDOW).check(keys, fp, event_id="e1", now=0.0)
    assert result.status is DedupeStatus.UNIQUE
    assert result.story_id == keys.content_hash[:16]
    assert (result.duplicate_of, result.similarity) == (None, 0.0)


@pytest.mark.parametrize(
    ("first", "second", "status"),
    [
        ((None, text(1)), (None, text(1)), DedupeStatus.DUPLICATE),  # same content, no ids
        (("1", text(1)), ("2", text(1)), DedupeStatus.DUPLICATE),  # same content, other id
        (("1", text(1)), ("1", text(1)), DedupeStatus.DUPLICATE),  # exact re-send
        (("1", text(1)), ("1", text(2)), DedupeStatus.NEAR_DUPLICATE),  # correction, same id
        (("1", text(1)), ("2", text(1) + " " + text(3, 8)), DedupeStatus.NEAR_DUPLICATE),  # edit
        (("1", text(1)), ("2", text(2)), DedupeStatus.UNIQUE),
        ((None, text(1)), (None, text(2)), DedupeStatus.UNIQUE),
    ],
)
def test_outcomes(
    store: dict[str, Any],
    first: tuple[str | None, str],
    second: tuple[str | None, str],
    status: DedupeStatus,
) -> None:
    deduper = Deduper(store, WINDOW)
    one = check(deduper, first[1], 0.0, "0:1", first[0])
    two = check(deduper, second[1], 1.0, "0:2", second[0])
    assert two.status is status
    if status is DedupeStatus.UNIQUE:
        assert two.story_id != one.story_id
        assert (two.duplicate_of, two.similarity) == (None, 0.0)
    else:
        assert two.story_id == one.story_id
        assert two.duplicate_of == (first[0] or "0:1")
        assert two.similarity is not None
        assert 0.0 <= two.similarity <= 1.0


def test_ids_are_scoped_by_source(store: dict[str, Any]) -> None:
    deduper = Deduper(store, WINDOW)
    a_keys, a_fp = item(text(1), "1", "wire-a")
    b_keys, b_fp = item(text(2), "1", "wire-b")
    deduper.check(a_keys, a_fp, event_id="e1", now=0.0)
    assert deduper.check(b_keys, b_fp, event_id="e2", now=1.0).status is DedupeStatus.UNIQUE


def test_corrections_point_at_the_first_version(store: dict[str, Any]) -> None:
    deduper = Deduper(store, WINDOW)
    first = check(deduper, text(1), 0.0, "0:1", "x")
    check(deduper, text(2), 1.0, "0:2", "x")
    third = check(deduper, text(3), 2.0, "0:3", "x")
    assert (third.status, third.story_id) == (DedupeStatus.NEAR_DUPLICATE, first.story_id)
    assert third.duplicate_of == "x"


def test_window_expires_old_items(store: dict[str, Any]) -> None:
    deduper = Deduper(store, WINDOW)
    check(deduper, text(1), 0.0, "0:1")
    assert check(deduper, text(1), WINDOW - 1, "0:2").status is DedupeStatus.DUPLICATE
    assert check(deduper, text(1), WINDOW * 3, "0:3").status is DedupeStatus.UNIQUE
    assert len(store) == 1  # the expired record was evicted, the new one took its key


@pytest.mark.parametrize("max_items", [1, 3, 10])
def test_the_store_is_bounded_by_count_oldest_first(store: dict[str, Any], max_items: int) -> None:
    deduper = Deduper(store, WINDOW, max_items=max_items)
    for n in range(max_items + 5):
        check(deduper, text(n), float(n), f"0:{n}")
        assert len(store) <= max_items
    assert len(deduper.index) == max_items
    newest = max_items + 4
    assert check(deduper, text(newest), 100.0, "1:0").status is DedupeStatus.DUPLICATE
    assert check(deduper, text(0), 101.0, "1:1").status is DedupeStatus.UNIQUE  # evicted


@pytest.mark.parametrize(
    ("earlier", "replayed", "status"),
    [
        ([], (None, text(1)), DedupeStatus.UNIQUE),
        ([], ("1", text(1)), DedupeStatus.UNIQUE),
        ([("1", text(1))], ("1", text(2)), DedupeStatus.NEAR_DUPLICATE),  # a correction
        ([(None, text(1))], (None, f"{text(1)} {text(11, 6)}"), DedupeStatus.NEAR_DUPLICATE),
    ],
)
def test_a_replay_gets_its_first_result(
    store: dict[str, Any],
    earlier: list[tuple[str | None, str]],
    replayed: tuple[str | None, str],
    status: DedupeStatus,
) -> None:
    """After a crash the uncommitted message comes back; it must not turn into a duplicate."""
    deduper = Deduper(store, WINDOW)
    for n, (item_id, body) in enumerate(earlier):
        check(deduper, body, float(n), f"2:{n}", item_id)
    item_id, body = replayed
    first = check(deduper, body, 10.0, "3:77", item_id)
    assert first.status is status
    assert check(deduper, body, 15.0, "3:77", item_id) == first
    assert check(deduper, body, 16.0, "3:78", item_id).status is DedupeStatus.DUPLICATE


def test_a_restarted_deduper_knows_what_was_seen_before(store: dict[str, Any]) -> None:
    """The index is rebuilt from the store: edited copies and ids are recognised after a restart."""
    before = Deduper(store, WINDOW)
    original = check(before, text(1), 0.0, "0:1", "a")
    for n in range(2, 30):
        check(before, text(n), float(n), f"0:{n}", f"id{n}")
    after = Deduper(dict(store), WINDOW)  # a new process over the recovered table
    assert after.restore() == 29
    copy = check(after, text(1) + " " + text(99, 8), 40.0, "0:40", "b")
    assert (copy.status, copy.story_id) == (DedupeStatus.NEAR_DUPLICATE, original.story_id)
    correction = check(after, text(50), 41.0, "0:41", "a")
    assert (correction.status, correction.duplicate_of) == (DedupeStatus.NEAR_DUPLICATE, "a")


def test_restore_applies_the_bounds_and_drops_foreign_keys(store: dict[str, Any]) -> None:
    deduper = Deduper(store, WINDOW, max_items=100)
    for n in range(10):
        check(deduper, text(n), float(n * 1000), f"0:{n}")
    store["i:wire:old"] = ["s", "e", "h", 0.0, None, None]  # an id key of the exact-only version
    store["h:broken"] = "not a record"
    before = dict(store)
    again = Deduper(store, WINDOW, max_items=2)
    assert again.restore() == 2
    assert store == before  # a faust table cannot be written outside an event: nothing yet
    assert check(again, text(9), 9001.0, "1:1").status is DedupeStatus.DUPLICATE
    assert sorted(store) == sorted(item(text(n))[0].hash_key for n in (8, 9))
    assert check(again, text(7), 9002.0, "1:2").status is DedupeStatus.UNIQUE


def test_restore_forgets_what_the_window_no_longer_holds(store: dict[str, Any]) -> None:
    deduper = Deduper(store, WINDOW)
    check(deduper, text(1), 0.0, "0:1")
    check(deduper, text(2), WINDOW * 2, "0:2")
    again = Deduper(store, WINDOW)
    assert again.restore(now=WINDOW * 2) == 1
    assert check(again, text(1), WINDOW * 2 + 1, "1:1").status is DedupeStatus.UNIQUE


def test_records_of_the_exact_only_version_still_match_exactly(store: dict[str, Any]) -> None:
    keys, fp = item(text(1))
    store[keys.hash_key] = ["story0000000000", "old-1", keys.content_hash, 0.0, "0:1", None]
    result = Deduper(store, WINDOW).check(keys, fp, event_id="new", now=1.0, origin="0:9")
    assert (result.status, result.duplicate_of) == (DedupeStatus.DUPLICATE, "old-1")


def test_records_are_packed_bytes_of_at_most_700(store: dict[str, Any]) -> None:
    """The store holds up to max_items records in memory: one bytes value each, no JSON."""
    deduper = Deduper(store, WINDOW)
    for n in range(5):
        keys, fp = item(text(n, 400), f"id-{n}")
        deduper.check(keys, fp, event_id=f"id-{n}", now=float(n), origin=f"0:{n}")
    for record in store.values():
        assert isinstance(record, bytes)
        assert Seen.from_record(record).to_record() == record
        assert len(record) <= 700


@pytest.mark.parametrize(
    "legacy",
    [
        pytest.param(lambda r: r, id="list"),
        pytest.param(orjson.dumps, id="json-bytes-from-a-changelog"),
    ],
)
def test_records_of_the_json_list_version_are_still_read(legacy: Any) -> None:
    _keys, fp = item(text(1))
    fields = ["s" * 16, "e-1", 5.0, "0:1", "translation", "e-0", 0.81, "i::x", fp.to_text()]
    seen = Seen.from_record(legacy(fields))
    assert (seen.status, seen.similarity, seen.decoded()) == (DedupeStatus.TRANSLATION, 0.81, fp)
    assert Seen.from_record(seen.to_record()) == seen


def _seen(event_id: str, source: str | None, **fields: Any) -> Seen:
    # The two shapes the record packs specially: hex story ids, id keys ending in the event id.
    id_key = fields.pop("id_key")
    if source is not None:
        id_key = f"i:{source}:{event_id}"
    return Seen(event_id=event_id, id_key=id_key, **fields)


SEENS = st.builds(
    _seen,
    event_id=st.text(max_size=40),
    source=st.none() | st.text(max_size=20),
    story_id=st.text(max_size=40) | st.binary(min_size=8, max_size=8).map(bytes.hex),
    seen_at=st.floats(allow_nan=False, allow_infinity=False),
    origin=st.none() | st.text(max_size=20),
    status=st.sampled_from(list(DedupeStatus)),
    duplicate_of=st.none() | st.text(max_size=40),
    similarity=st.none() | st.integers(0, 10_000).map(lambda n: n / 10_000),
    id_key=st.none() | st.text(max_size=80),
    fingerprint=st.none() | st.binary(min_size=1, max_size=600),
)


@given(seen=SEENS)
def test_packed_records_round_trip(seen: Seen) -> None:
    assert Seen.from_record(seen.to_record()) == seen


def test_packed_records_take_ids_of_any_length() -> None:
    long_id = "x" * 200_000  # the input contract does not bound an item id
    seen = Seen("s", long_id, 1.0, "0:1", DedupeStatus.UNIQUE, None, 0.0, f"i:w:{long_id}", None)
    record = seen.to_record()
    assert Seen.from_record(record) == seen
    assert len(record) < 200_100  # the id once: the id key does not repeat it


@given(data=st.binary(max_size=64), fingerprint=st.binary(max_size=64))
def test_damaged_records_are_ignored_not_raised(data: bytes, fingerprint: bytes) -> None:
    packed = Seen("s", "e", 1.0, None, DedupeStatus.UNIQUE, None, 0.0, None, fingerprint)
    store = {"h:" + "0" * 32: bytes([VERSION]) + data, "h:" + "1" * 32: packed.to_record()}
    assert Deduper(store, WINDOW).restore() in (1, 2)


FINGERPRINTS = st.builds(
    Fingerprint,
    language=st.sampled_from(["en", "de", "und", "zh"]),
    shingles=st.integers(0, 0xFFFF),
    headline_hash=st.integers(0, 2**32 - 1),
    sentences=st.lists(st.integers(0, 2**32 - 1), max_size=6).map(tuple),
    minhash=st.binary(min_size=128, max_size=128),
    embedding=st.sampled_from([b"", bytes(range(256))]),
    anchors=st.lists(st.integers(0, 2**32 - 1), max_size=32).map(tuple),
    words=st.sampled_from([b"", bytes(range(64))]),
    word_count=st.integers(1, 0xFFFF),
).map(lambda fp: fp if fp.words else replace(fp, word_count=0))


@given(fp=FINGERPRINTS)
def test_fingerprints_round_trip_in_at_most_630_bytes(fp: Fingerprint) -> None:
    assert Fingerprint.from_text(fp.to_text()) == fp
    assert len(fp.to_bytes()) <= 630


@given(fp=FINGERPRINTS)
def test_version_1_fingerprints_are_still_read(fp: Fingerprint) -> None:
    """Version 1 is version 2 without the word MinHash: the store's older records stay usable."""
    old = replace(fp, words=b"", word_count=0)
    data = old.to_bytes()
    assert data[0] == 2
    assert Fingerprint.from_bytes(bytes([1]) + data[1:]) == old


def test_unknown_fingerprint_versions_are_refused() -> None:
    _keys, fp = item(text(1))
    with pytest.raises(FormatError, match="version 3"):
        Fingerprint.from_bytes(bytes([3]) + fp.to_bytes()[1:])


def test_sequence_numbers_running_out_renumber_the_index(
    store: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("streams.core.dedupe.decide.MAX_SEQ", 8)
    deduper = Deduper(store, WINDOW, max_items=3)
    for n in range(20):
        check(deduper, text(n), float(n), f"0:{n}")
        assert deduper.index.next_seq <= 8
    assert check(deduper, text(19), 30.0, "1:0").status is DedupeStatus.DUPLICATE
    edited = check(deduper, f"{text(18)} {text(40, 6)}", 31.0, "1:1")
    assert edited.status is DedupeStatus.NEAR_DUPLICATE
