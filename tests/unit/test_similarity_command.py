"""``wirestream similarity``: pairs in, one scored line per pair out."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from streams.cli import main

STORY = (
    "Dockworkers at the port of Rotterdam began a 48-hour strike on Monday over plans to automate "
    "container handling, the FNV union said. About 600 workers stopped work at the terminals."
)
GERMAN = (
    "Die Hafenarbeiter in Rotterdam sind am Montag in einen 48-stündigen Streik gegen Pläne zur "
    "Automatisierung des Containerumschlags getreten, teilte die Gewerkschaft FNV mit. Rund 600 "
    "Beschäftigte legten an den Terminals die Arbeit nieder."
)
OTHER = (
    "The city council of Lyon approved a new bicycle lane network on Wednesday. The plan adds "
    "forty kilometres of protected lanes by 2028 and removes parking from three central streets."
)


def run(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes], lines: list[bytes]
) -> tuple[int, list[dict[str, object]]]:
    path = tmp_path / "pairs.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    code = main(["similarity", str(path)])
    out = capsysbinary.readouterr().out
    return code, [orjson.loads(line) for line in out.splitlines()]


# (a, b, the status b gets after a, the similarity's range)
PAIRS = [
    ({"body": STORY, "id": "x1"}, {"body": STORY, "id": "x1"}, "duplicate", (1.0, 1.0)),
    (STORY, STORY + " Talks resume on Friday.", "near_duplicate", (0.8, 1.0)),
    (
        {"body": STORY, "language": "en"},
        {"body": GERMAN, "language": "de"},
        "translation",
        (0.4, 1),
    ),
    ({"body": STORY}, {"body": OTHER}, "unique", (0.0, 0.4)),
]


@pytest.mark.parametrize("pair", PAIRS, ids=[p[2] for p in PAIRS])
def test_pairs_are_scored(
    tmp_path: Path,
    capsysbinary: pytest.CaptureFixture[bytes],
    pair: tuple[object, object, str, tuple[float, float]],
) -> None:
    a, b, status, (low, high) = pair
    code, rows = run(tmp_path, capsysbinary, [orjson.dumps({"id": "p", "a": a, "b": b})])
    assert code == 0
    assert rows[0]["id"] == "p"
    assert rows[0]["status"] == status
    similarity = rows[0]["similarity"]
    assert isinstance(similarity, float)
    assert low <= similarity <= high


def test_bad_pairs_are_reported_in_line_and_fail_the_run(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    lines = [
        b"{not json",
        orjson.dumps({"id": "no-b", "a": STORY}),
        orjson.dumps({"id": "empty", "a": {"body": ""}, "b": STORY}),
        orjson.dumps({"id": "ok", "a": STORY, "b": OTHER}),
    ]
    code, rows = run(tmp_path, capsysbinary, lines)
    assert code == 1
    assert [row["id"] for row in rows] == [1, "no-b", "empty", "ok"]
    assert ["error" in row for row in rows] == [True, True, True, False]


def test_missing_file(tmp_path: Path) -> None:
    assert main(["similarity", str(tmp_path / "nope.jsonl")]) == 2


def test_help_explains_the_contract(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["similarity", "--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    for word in ('"a"', '"b"', "similarity", "status", "same_story", "stdin"):
        assert word in text
