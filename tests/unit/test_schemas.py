"""The JSON Schema files are the documented contract: they must agree with the code."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import orjson
import pytest

from streams.core.stories import Change
from streams.errors import DeadLetterReason
from streams.models import DedupeStatus

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


def load(name: str) -> dict[str, object]:
    return json.loads((SCHEMAS / name).read_text())


@pytest.mark.parametrize(
    "name", ["raw-item.v1.json", "enriched.v1.json", "deadletter.v1.json", "story.v1.json"]
)
def test_schemas_are_valid_json_schema(name: str) -> None:
    jsonschema.Draft202012Validator.check_schema(load(name))


def test_enums_match_the_code() -> None:
    enriched = load("enriched.v1.json")
    status = enriched["properties"]["dedupe"]["properties"]["status"]["enum"]  # type: ignore[index]
    assert set(status) == {s.value for s in DedupeStatus}
    reasons = load("deadletter.v1.json")["properties"]["x-deadletter-reason"]["enum"]  # type: ignore[index]
    assert set(reasons) == {r.value for r in DeadLetterReason}
    story = load("story.v1.json")["properties"]
    assert set(story["last_change"]["enum"]) == {c.value for c in Change}  # type: ignore[index]
    assert set(story["statuses"]["required"]) == {s.value for s in DedupeStatus}  # type: ignore[index]


def test_sample_feed_items_follow_the_input_schema(sample_lines: list[bytes]) -> None:
    validator = jsonschema.Draft202012Validator(load("raw-item.v1.json"))
    objects = []
    for line in sample_lines:
        try:
            objects.append(orjson.loads(line))
        except orjson.JSONDecodeError:
            continue  # the plain-text item and the deliberately malformed one
    assert len(objects) >= 12
    for obj in objects:
        validator.validate(obj)
