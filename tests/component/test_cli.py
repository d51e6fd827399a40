"""The `wirestream` command without a broker: enrich, help and errors, as a user runs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from harness.hostile import SHAPES
from tests.conftest import ROOT, SAMPLE_FEED, SEED

WIRESTREAM = [str(Path(sys.executable).parent / "wirestream")]


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*WIRESTREAM, *args], input=stdin, capture_output=True, cwd=ROOT, timeout=120, check=False
    )


def test_enrich_files_one_line_per_item_in_order(sample_lines: list[bytes]) -> None:
    done = run("enrich", str(SAMPLE_FEED), str(SEED))
    assert done.returncode == 0, done.stderr.decode()
    lines = [orjson.loads(line) for line in done.stdout.splitlines()]
    assert len(lines) == len(sample_lines) + 1
    dead = [n for n, line in enumerate(lines) if line["schema"] == "wirestream.deadletter.v1"]
    assert len(dead) == 1
    assert lines[dead[0]]["reason"] == "invalid_json"
    assert lines[dead[0]]["line"] == dead[0] + 1
    ids = [line.get("id") for line in lines[:4]]
    assert ids == ["ws-0001", "ws-0001", "ws-0001", "ws-0001-de"]
    assert lines[1]["dedupe"]["status"] == "duplicate"  # duplicates are included offline
    assert lines[-1]["language"]["code"] == "ar"  # the seed, as one plain-text item
    assert b"\r" not in done.stderr  # no progress bar when stderr is not a terminal


def test_enrich_reads_jsonl_from_stdin() -> None:
    items = b'{"id": "a", "body": "Snow closed schools in Oslo."}\n\n{"id": "b", "text": "Rain."}\n'
    done = run("enrich", stdin=items)
    assert done.returncode == 0, done.stderr.decode()
    assert [orjson.loads(x)["id"] for x in done.stdout.splitlines()] == ["a", "b"]


def test_enrich_names_a_missing_file() -> None:
    done = run("enrich", "no/such/file.jsonl")
    assert done.returncode == 2
    assert b"no such file: no/such/file.jsonl" in done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("enrich", "--help"),
        ("produce", "--help"),
        ("tail", "--help"),
        ("stories", "--help"),
    ],
)
def test_help_explains_each_command(args: tuple[str, ...]) -> None:
    done = run(*args)
    assert done.returncode == 0
    assert b"usage: wirestream" in done.stdout


def test_bad_settings_are_reported_plainly() -> None:
    done = subprocess.run(
        [*WIRESTREAM, "enrich", str(SEED)],
        capture_output=True,
        cwd=ROOT,
        timeout=60,
        check=False,
        env={"WIRESTREAM_TOPICS_RAW_PARTITIONS": "many", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 2
    assert b"raw_partitions: 'many' is not a number" in done.stderr


def test_enrich_writes_one_line_for_every_hostile_item(tmp_path: Path) -> None:
    """Every shape of hostile input (harness/hostile.py), in one file: one line each, in order,
    and the run goes on after a rejection; a flash is enriched from its headline."""
    names = sorted(SHAPES)
    feed = tmp_path / "hostile.jsonl"
    feed.write_bytes(b"".join(SHAPES[name](100_000) + b"\n" for name in names))
    done = run("enrich", str(feed))
    assert done.returncode == 0, done.stderr.decode()
    lines = dict(zip(names, (orjson.loads(x) for x in done.stdout.splitlines()), strict=True))
    dead = {name: line["reason"] for name, line in lines.items() if "reason" in line}
    assert dead == {"publisher_tags": "empty_body"}  # nothing but tags: nothing left to enrich
    flash = lines["flash"]
    assert flash["headline"].startswith("FLASH:")
    assert {e["name"] for e in flash["entities"]} >= {"Vladimir Putin", "Moscow"}
