"""Fixtures shared by the entity and embedding test modules: the real compiled KB, an extractor on
it, and the embedding graph."""

from __future__ import annotations

from pathlib import Path

import pytest

from streams.core.entities.extractor import EntityExtractor
from streams.kb import curated, gazetteer
from streams.kb.build import build, curated_digest

_BUILT: list[Path] = []  # one KB per test process, shared by the entity test modules


def _fresh(path: Path) -> bool:
    try:
        meta = gazetteer.read_meta(path)
    except (OSError, gazetteer.GazetteerFormatError):
        return False
    built_from = meta.get("curated", {}).get("sha256")
    return isinstance(built_from, str) and built_from == curated_digest(curated.CURATED_PATH)


@pytest.fixture(scope="session")
def kb_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The packaged KB when current (built from today's curated file), else one built once for
    the whole session."""
    if _fresh(gazetteer.DEFAULT_PATH):
        return gazetteer.DEFAULT_PATH
    if not _BUILT:
        out = tmp_path_factory.mktemp("kb") / "gazetteer.bin"
        build(out)
        _BUILT.append(out)
    return _BUILT[0]


@pytest.fixture(scope="session")
def extractor(kb_path: Path) -> EntityExtractor:
    return EntityExtractor.load(kb_path)


@pytest.fixture(scope="session")
def embed_graph(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The embedding graph `make embed` built when it is current, else one built for the session."""
    from streams.core.dedupe import embed_onnx
    from streams.core.dedupe.build import embed_graph as embed_build

    if embed_onnx.graph_problem() is None:
        return embed_onnx.DEFAULT_GRAPH
    return embed_build.build(tmp_path_factory.mktemp("embed") / "use-m3.onnx")
