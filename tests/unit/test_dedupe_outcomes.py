"""Every outcome class of the dedupe stage, end to end through the real pipeline and model.

The articles are short examples written for these tests: one story (a storm closes a port), copies
of it edited as wire desks do, a German translation, another outlet's article about the same
story, and an unrelated article.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from streams.core.pipeline import Pipeline, Prepared
from streams.models import DedupeStatus, RawItem
from streams.settings import Settings

HEADLINE = "Storm closes the port of Valparaíso for two days"
PARAGRAPHS = (
    "The port of Valparaíso in Chile closed on Tuesday after a storm brought waves of up to six "
    "metres to the central coast, the harbour authority said.",
    "Captain Ignacio Barros, who heads the authority, told reporters that 14 container ships were "
    "waiting at anchor and that the port would reopen on Thursday if the wind eased.",
    "Exporters of copper and fruit said the closure would delay about 3,200 containers bound for "
    "Asia. The national weather office expects the storm to move south overnight.",
    "Fishermen in the nearby town of San Antonio were told to keep their boats in harbour until "
    "further notice.",
)
BODY = "\n\n".join(PARAGRAPHS)
GERMAN = RawItem(
    headline="Sturm legt den Hafen von Valparaíso für zwei Tage lahm",
    body="Der Hafen von Valparaíso in Chile ist am Dienstag geschlossen worden, nachdem ein Sturm "
    "bis zu sechs Meter hohe Wellen an die Zentralküste gebracht hatte, teilte die Hafenbehörde "
    "mit.\n\nKapitän Ignacio Barros, der Leiter der Behörde, sagte, 14 Containerschiffe warteten "
    "vor Anker; der Hafen werde am Donnerstag wieder öffnen, wenn der Wind nachlasse.\n\n"
    "Exporteure von Kupfer und Obst erklärten, die Schließung verzögere rund 3.200 Container mit "
    "Ziel Asien. Der nationale Wetterdienst erwartet, dass der Sturm über Nacht nach Süden zieht.",
    id="de-1",
    language_hint="de",
)
OTHER_OUTLET = RawItem(
    headline="Chilean port shut as storm batters the coast",
    body="Chile's busiest port, Valparaíso, stopped loading ships on Tuesday as heavy seas hit the "
    "coast. Harbour chief Ignacio Barros said 14 vessels were anchored offshore waiting for calmer "
    "weather and that he hoped operations could restart on Thursday. Copper exporters warned of "
    "delays to shipments to China and Japan.",
    id="other-1",
    source="Pacific Desk",
)
UNRELATED = RawItem(
    headline="Norway's central bank keeps its interest rate unchanged",
    body="Norway's central bank held its policy rate at 4.5 percent on Thursday, saying inflation "
    "was easing more slowly than expected. Governor Ida Wolden Bache said the bank would probably "
    "cut rates later in the year. The krone weakened slightly against the euro after the decision.",
    id="nb-1",
)


def original(**changes: Any) -> RawItem:
    fields: dict[str, Any] = {"body": BODY, "headline": HEADLINE, "id": "v-1", "source": "Wire"}
    return RawItem(**(fields | changes))


OUTCOMES = [
    ("re-send", original(), DedupeStatus.DUPLICATE),
    ("same content, other id", original(id="v-2"), DedupeStatus.DUPLICATE),
    ("HTML instead of text", original(id="v-3", body="".join(f"<p>{p}</p>" for p in PARAGRAPHS)),
     DedupeStatus.DUPLICATE),
    ("correction under the same id", original(body=BODY.replace("14", "15")),
     DedupeStatus.NEAR_DUPLICATE),
    ("typo fixed", original(id="v-4", body=BODY.replace("harbour authority", "harbor authority")),
     DedupeStatus.NEAR_DUPLICATE),
    ("paragraph added", original(id="v-5", body=BODY + "\n\nThe navy sent a patrol boat to help."),
     DedupeStatus.NEAR_DUPLICATE),
    ("paragraph removed", original(id="v-6", body="\n\n".join(PARAGRAPHS[:2] + PARAGRAPHS[3:])),
     DedupeStatus.NEAR_DUPLICATE),
    ("new headline", original(id="v-7", headline="UPDATE 1-Valparaíso port closed by storm"),
     DedupeStatus.NEAR_DUPLICATE),
    ("truncated", original(id="v-8", body="\n\n".join(PARAGRAPHS[:2])),
     DedupeStatus.NEAR_DUPLICATE),
    ("other boilerplate", original(id="v-9", body=BODY + "\n\nSOURCE Wire\n###"),
     DedupeStatus.DUPLICATE),
    ("German translation", GERMAN, DedupeStatus.TRANSLATION),
    ("another outlet's article", OTHER_OUTLET, DedupeStatus.SAME_STORY),
    ("unrelated article", UNRELATED, DedupeStatus.UNIQUE),
]  # fmt: skip


@pytest.fixture(scope="module")
def shared() -> Pipeline:
    return Pipeline.from_settings(Settings(), {})


@pytest.fixture(scope="module")
def first(shared: Pipeline) -> Prepared:
    return shared.prepare(original())


def fresh(shared: Pipeline, store: dict[str, Any] | None = None) -> Pipeline:
    return Pipeline(shared.detector, shared.extractor, {} if store is None else store, 3600.0)


@pytest.mark.parametrize(("case", "raw", "status"), OUTCOMES, ids=[c[0] for c in OUTCOMES])
def test_outcome(
    shared: Pipeline, first: Prepared, case: str, raw: RawItem, status: DedupeStatus
) -> None:
    pipeline = fresh(shared)
    seen = pipeline.decide(first, received_at=0.0, origin="0:1").dedupe
    got = pipeline.decide(shared.prepare(raw), received_at=1.0, origin="0:2").dedupe
    assert got.status is status, case
    if status is DedupeStatus.UNIQUE:
        assert (got.duplicate_of, got.similarity) == (None, 0.0)
        assert got.story_id != seen.story_id
    else:
        assert got.story_id == seen.story_id
        assert got.duplicate_of == "v-1"
        assert got.similarity is not None
        assert 0.4 <= got.similarity <= 1.0


def test_one_story_id_across_a_story(shared: Pipeline, first: Prepared) -> None:
    """Each item names the earlier item it matched; all share the first item's story."""
    pipeline = fresh(shared)
    story = pipeline.decide(first, received_at=0.0, origin="0:0").dedupe.story_id
    copy = original(id="v-5", body=BODY + "\n\nThe navy sent a patrol boat to help.")
    results = [
        pipeline.decide(shared.prepare(raw), received_at=n, origin=f"0:{n}").dedupe
        for n, raw in enumerate([copy, GERMAN, OTHER_OUTLET, UNRELATED], start=1)
    ]
    assert [r.story_id == story for r in results] == [True, True, True, False]
    assert all(r.duplicate_of in {"v-1", "v-5", "de-1"} for r in results[:3])


def test_a_restarted_worker_recognises_a_translation(shared: Pipeline, first: Prepared) -> None:
    store: dict[str, Any] = {}
    before = fresh(shared, store)
    story = before.decide(first, received_at=0.0, origin="0:1").dedupe.story_id
    # What a changelog gives back: the JSON key, the raw record bytes.
    recovered = {orjson.loads(orjson.dumps(k)): bytes(v) for k, v in store.items()}
    after = fresh(shared, recovered)
    assert after.restore() == 1
    got = after.decide(shared.prepare(GERMAN), received_at=5.0, origin="0:2").dedupe
    assert (got.status, got.story_id) == (DedupeStatus.TRANSLATION, story)
