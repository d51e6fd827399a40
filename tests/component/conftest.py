from __future__ import annotations

from typing import Any

import pytest

from streams.core.pipeline import Pipeline
from streams.settings import Settings


@pytest.fixture(scope="session")
def pipeline_factory() -> Any:
    """Pipelines sharing one set of models and KB (loaded once), each with a fresh dedupe store."""
    settings = Settings()
    shared = Pipeline.from_settings(settings, {})

    def make(cls: type[Pipeline] = Pipeline) -> Pipeline:
        return cls(shared.detector, shared.extractor, {}, settings.dedupe.window_s)

    return make
