"""User watchlists: loading, line-numbered validation errors, reload, and how they meet the KB.

Fast: a tiny hand-made KB, never the full one.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from streams.core.entities.extractor import EntityExtractor
from streams.kb import gazetteer
from streams.kb.compile import compile_entries
from streams.kb.entry import Kind, Origin, Place

GOOD = "\n".join(
    [
        "# a deployment's own entities",
        json.dumps(
            {
                "id": "wikidata:Q9000001",
                "type": "PERSON",
                "name": "Ilse Varnhagen",
                "names": {"en": ["Varnhagen"], "ru": ["Ильзе Варнхаген"]},
            }
        ),
        json.dumps(
            {
                "id": None,
                "type": "ORG",
                "name": "Kestrel Logistics",
                "names": {"ar": ["كيستريل للخدمات اللوجستية"]},
            }
        ),
        "",
        json.dumps(
            {
                "id": "geonames:1",
                "type": "LOC",
                "name": "Springfield",
                "names": {"ar": ["سبرينغفيلد"]},
            }
        ),
    ]
)

BAD = """\
{"id": null, "type": "ORG", "name": "Kestrel Logistics"}
{"type": "PER", "name": "Somebody"}
{"type": "ORG"}
not json at all
{"type": "ORG", "name": "Brightwater Holdings", "id": "Q12"}
{"type": "ORG", "name": "Harlow Freight"}
{"type": "ORG", "name": "Tidewell", "names": {"en": "Tidewell Group"}, "colour": "blue"}
"""


@pytest.fixture
def kb(tmp_path: Path) -> EntityExtractor:
    springfield = Place("geonames:1", "Springfield", Kind.CITY, "US", 39.8, -89.6, 100_000)
    springfield.names.append(("Springfield", Origin.CANONICAL))
    springfield.mains = ("Springfield",)
    compiled = compile_entries([springfield])
    path = tmp_path / "kb.bin"
    gazetteer.write(path, compiled.automaton, compiled.tables)
    return EntityExtractor.load(path)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_good_watchlist_loads_and_links(kb: EntityExtractor, tmp_path: Path) -> None:
    watching = kb.with_watchlist(write(tmp_path / "watchlist.jsonl", GOOD))
    result = watching.watchlist
    assert result is not None
    assert (result.loaded, result.entries, result.errors, result.ok) == (True, 3, (), True)
    assert result.keys >= 5
    text = "Ilse Varnhagen visited Springfield. Varnhagen met Kestrel Logistics."
    assert [(e.text, e.type, e.id, e.count) for e in watching.extract(text, "en")] == [
        ("Ilse Varnhagen", "PERSON", "wikidata:Q9000001", 2),
        ("Springfield", "LOC", "geonames:1", 1),
        ("Kestrel Logistics", "ORG", "wirestream:kestrel-logistics", 1),
    ]
    # Same id as a KB place: one entity, whichever list matched; inflected Russian is found too.
    assert [e.id for e in watching.extract("سبرينغفيلد و Springfield", "ar")] == ["geonames:1"]
    assert [e.name for e in watching.extract("Встреча с Ильзе Варнхаген", "ru")] == [
        "Ilse Varnhagen"
    ]
    # The extractor it was made from is unchanged.
    assert kb.watchlist is None
    assert [e.id for e in kb.extract("Ilse Varnhagen", "en") if e.id] == []


def test_bad_lines_are_reported_with_their_line_numbers(
    kb: EntityExtractor, tmp_path: Path
) -> None:
    watching = kb.with_watchlist(write(tmp_path / "watchlist.jsonl", BAD))
    result = watching.watchlist
    assert result is not None
    assert result.loaded
    assert not result.ok
    assert result.entries == 2  # lines 1 and 6
    assert [e.split(": ", 1)[0] for e in result.errors] == [
        "watchlist.jsonl:2",
        "watchlist.jsonl:3",
        "watchlist.jsonl:4",
        "watchlist.jsonl:5",
        "watchlist.jsonl:7",
    ]
    assert result.errors[0] == (
        "watchlist.jsonl:2: 'type' must be one of PERSON, ORG, LOC, GPE, MISC, got 'PER'"
    )
    assert "'name' must be a non-empty string" in result.errors[1]
    assert "not valid JSON" in result.errors[2]
    assert "'id' must be" in result.errors[3]
    assert "unknown field 'colour'" in result.errors[4]
    assert [e.text for e in watching.extract("Harlow Freight and Kestrel Logistics", "en")] == [
        "Harlow Freight",
        "Kestrel Logistics",
    ]


def test_reload_picks_up_changes_and_keeps_the_old_list_when_unreadable(
    kb: EntityExtractor, tmp_path: Path
) -> None:
    path = write(tmp_path / "watchlist.jsonl", '{"type": "ORG", "name": "Kestrel Logistics"}\n')
    watching = kb.with_watchlist(path)
    assert watching.reload_watchlist_if_changed() is None  # nothing changed
    assert [e.type for e in watching.extract("Kestrel Logistics hired.", "en")] == ["ORG"]

    write(path, '{"type": "PERSON", "name": "Ilse Varnhagen"}\n')
    os.utime(path, ns=(1, 1))  # a different mtime even on coarse clocks
    result = watching.reload_watchlist_if_changed()
    assert result is not None
    assert (result.entries, result.ok) == (1, True)
    found = watching.extract("Ilse Varnhagen and Kestrel Logistics", "en")
    ilse, kestrel = found
    assert (ilse.text, ilse.type, ilse.name) == ("Ilse Varnhagen", "PERSON", "Ilse Varnhagen")
    # No longer listed: still reported (unlinked, by the capitalised-words rule).
    assert (kestrel.text, kestrel.id) == ("Kestrel Logistics", None)

    path.unlink()
    failed = watching.reload_watchlist()
    assert not failed.loaded
    assert "cannot read" in failed.errors[0]
    assert watching.watchlist is not None
    assert watching.watchlist.entries == 1  # the previous list stays in force
    assert [e.type for e in watching.extract("Ilse Varnhagen", "en")] == ["PERSON"]


def test_reload_without_a_path_is_an_error(kb: EntityExtractor) -> None:
    with pytest.raises(ValueError, match="no watchlist path"):
        kb.reload_watchlist()


def test_load_with_a_watchlist_path(kb: EntityExtractor, tmp_path: Path) -> None:
    path = write(tmp_path / "w.jsonl", GOOD)
    compiled = compile_entries([])
    kb_file = tmp_path / "empty.bin"
    gazetteer.write(kb_file, compiled.automaton, compiled.tables)
    extractor = EntityExtractor.load(kb_file, watchlist_path=path)
    assert [e.id for e in extractor.extract("Ilse Varnhagen", "en")] == ["wikidata:Q9000001"]


PORTFOLIO = "\n".join(
    json.dumps(line)
    for line in (
        {"id": None, "type": "ORG", "name": "Kestrel Logistics"},
        {"id": "wikidata:Q9000001", "type": "PERSON", "name": "Ilse Varnhagen"},
    )
)
EXECUTIVES = "\n".join(
    json.dumps(line)
    for line in (
        # The same person under another spelling: one entity, on both lists.
        {
            "id": "wikidata:Q9000001",
            "type": "PERSON",
            "name": "Ilse Varnhagen",
            "names": {"de": ["Varnhagen"]},
        },
        {"id": "geonames:1", "type": "LOC", "name": "Springfield"},
    )
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Kestrel Logistics hired.", [("Kestrel Logistics", ("portfolio",))]),
        ("Varnhagen spoke.", [("Varnhagen", ("executives", "portfolio"))]),
        ("Ilse Varnhagen spoke.", [("Ilse Varnhagen", ("executives", "portfolio"))]),
        # A KB match whose id a list names is on that list too.
        ("Springfield voted.", [("Springfield", ("executives",))]),
        ("Nobody listed here.", []),
    ],
)
def test_entities_name_the_lists_they_are_on(
    kb: EntityExtractor, tmp_path: Path, text: str, expected: list[tuple[str, tuple[str, ...]]]
) -> None:
    lists = {
        "portfolio": write(tmp_path / "portfolio.jsonl", PORTFOLIO),
        "executives": write(tmp_path / "executives.jsonl", EXECUTIVES),
    }
    watching = kb.with_watchlist(lists)
    found = [(e.text, e.watchlists) for e in watching.extract(text, "en") if e.watchlists]
    assert found == expected
    result = watching.watchlist
    assert result is not None
    assert (result.ok, result.entries) == (True, 4)


def test_one_path_is_the_list_named_watchlist(kb: EntityExtractor, tmp_path: Path) -> None:
    watching = kb.with_watchlist(write(tmp_path / "w.jsonl", PORTFOLIO))
    assert [e.watchlists for e in watching.extract("Kestrel Logistics", "en")] == [("watchlist",)]
    assert [e.watchlists for e in kb.extract("Springfield", "en")] == [()]


def test_an_unreadable_list_keeps_its_entries_while_the_others_reload(
    kb: EntityExtractor, tmp_path: Path
) -> None:
    portfolio = write(tmp_path / "portfolio.jsonl", PORTFOLIO)
    executives = write(tmp_path / "executives.jsonl", EXECUTIVES)
    watching = kb.with_watchlist({"portfolio": portfolio, "executives": executives})
    portfolio.unlink()
    write(executives, json.dumps({"type": "ORG", "name": "Harlow Freight"}))
    os.utime(executives, ns=(1, 1))
    result = watching.reload_watchlist_if_changed()
    assert result is not None
    assert not result.loaded
    assert "portfolio.jsonl: cannot read" in result.errors[0]
    found = {e.text: e.watchlists for e in watching.extract("Kestrel Logistics and Harlow Freight")}
    assert found == {"Kestrel Logistics": ("portfolio",), "Harlow Freight": ("executives",)}
    assert watching.reload_watchlist_if_changed() is None  # nothing changed since
