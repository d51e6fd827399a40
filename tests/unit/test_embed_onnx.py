"""The ONNX embedder gives the reference's vectors (docs/dedupe.md, "Two implementations").

What "the same" means, and is tested here: float components within 1e-5 of the reference's (seen:
5e-7), and the stored 4-bit vectors byte-identical except for a component whose reference value
lies within 1e-4 of a level of a rounding boundary, which may round one level the other way (seen
on 6 of 2,681 texts, one component each). Two float32 implementations cannot promise more: their
sums round differently in the last bit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from harness.texts import leads, real_texts, wire_text
from streams.core.dedupe import embed as dedupe_embed
from streams.core.dedupe import embed_onnx
from streams.core.dedupe.embed import (
    _LEVELS,
    _LIMIT,
    UseEmbedder,
    default_embedder,
    quantize,
    shared_embedder,
)
from streams.core.dedupe.embed_onnx import OnnxEmbedder, graph_problem

FLOAT_TOLERANCE = 1e-5
BOUNDARY = 1e-4  # in quantisation levels


@pytest.fixture(scope="module")
def reference() -> UseEmbedder:
    return UseEmbedder()


@pytest.fixture(scope="module")
def fast(embed_graph: Path) -> OnnxEmbedder:
    return OnnxEmbedder(embed_graph)


def differences(ref: npt.NDArray[np.float32], got: npt.NDArray[np.float32]) -> list[str]:
    """Why ``got`` is not the reference's vector, for every row where it is not."""
    problems = []
    for row, (a, b) in enumerate(zip(ref, got, strict=True)):
        worst = float(np.abs(a - b).max())
        if worst > FLOAT_TOLERANCE:
            problems.append(f"row {row}: a component differs by {worst:.2e}")
        if quantize(a) == quantize(b):
            continue
        scaled = a / _LIMIT * _LEVELS
        level_a, level_b = (np.clip(np.rint(v / _LIMIT * _LEVELS), -8, 7) for v in (a, b))
        for k in np.nonzero(level_a != level_b)[0]:
            off_boundary = abs(abs(scaled[k] - np.floor(scaled[k])) - 0.5)
            if abs(level_a[k] - level_b[k]) != 1 or off_boundary > BOUNDARY:
                problems.append(f"row {row}: component {k} is {a[k]:.7f} vs {b[k]:.7f}")
    return problems


def test_same_vectors_on_real_texts(reference: UseEmbedder, fast: OnnxEmbedder) -> None:
    texts = [*leads(), *real_texts()[-400:], "", " ", "x", "١٣ ☃☃"]
    ref, got = reference.embed(texts), fast.embed(texts)
    assert got.shape == ref.shape == (len(texts), 512)
    assert differences(ref, got) == []
    identical = sum(quantize(a) == quantize(b) for a, b in zip(ref, got, strict=True))
    assert identical >= len(texts) - 3


@hsettings(max_examples=40)
@given(texts=st.lists(wire_text, min_size=1, max_size=3))
def test_same_vectors_on_generated_text(
    reference: UseEmbedder, fast: OnnxEmbedder, texts: list[str]
) -> None:
    assert differences(reference.embed(texts), fast.embed(texts)) == []


def test_a_wrong_graph_is_caught(reference: UseEmbedder, fast: OnnxEmbedder) -> None:
    """The comparison can fail: a vector off by one level in one component is reported."""
    ref = reference.embed(["Dockworkers in Rotterdam begin 48-hour strike"])
    nudged = ref.copy()
    nudged[0, 7] += _LIMIT / _LEVELS
    assert len(differences(ref, nudged)) == 2  # float tolerance, and the level


def test_no_texts() -> None:
    assert OnnxEmbedder().embed([]).shape == (0, 512)


# --- choosing the embedder ------------------------------------------------------------------------


@pytest.fixture
def no_graph(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    missing = tmp_path / "use-m3.onnx"
    monkeypatch.setattr(embed_onnx, "DEFAULT_GRAPH", missing)
    shared_embedder.cache_clear()
    yield missing
    shared_embedder.cache_clear()


def test_auto_and_onnx_pick_the_built_graph(embed_graph: Path) -> None:
    shared_embedder.cache_clear()
    if embed_graph != embed_onnx.DEFAULT_GRAPH:
        pytest.fail(f"the built graph is not current: {graph_problem()} (run make embed)")
    assert isinstance(default_embedder("auto"), OnnxEmbedder)
    assert isinstance(default_embedder("onnx"), OnnxEmbedder)
    assert isinstance(default_embedder("reference"), UseEmbedder)
    assert default_embedder() is default_embedder("onnx")  # one model per process


def test_without_a_graph_auto_falls_back_and_onnx_refuses(no_graph: Path) -> None:
    assert isinstance(default_embedder("auto"), UseEmbedder)
    with pytest.raises(RuntimeError, match="make embed"):
        default_embedder("onnx")


def test_a_stale_graph_is_not_used(no_graph: Path, embed_graph: Path) -> None:
    no_graph.symlink_to(embed_graph)
    meta = embed_onnx.sidecar(embed_graph).read_text(encoding="utf-8")
    embed_onnx.sidecar(no_graph).write_text(meta.replace('"0.2.1"', '"0.2.0"'), encoding="utf-8")
    assert "stale" in (graph_problem(no_graph) or "")
    assert isinstance(dedupe_embed.default_embedder("auto"), UseEmbedder)
    embed_onnx.sidecar(no_graph).write_text(meta, encoding="utf-8")
    assert graph_problem(no_graph) is None


def test_a_graph_from_other_weights_refuses_to_load(tmp_path: Path) -> None:
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Identity", ["ids"], ["vector"])],
        "other",
        [helper.make_tensor_value_info("ids", TensorProto.INT64, ["t"])],
        [helper.make_tensor_value_info("vector", TensorProto.INT64, ["t"])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 8
    helper.set_model_props(model, {**embed_onnx.expected_metadata(), embed_onnx.META_WEIGHTS: "x"})
    path = tmp_path / "other.onnx"
    path.write_bytes(model.SerializeToString())
    with pytest.raises(RuntimeError, match="weights_sha256"):
        OnnxEmbedder(path).load()


def test_the_pipeline_takes_the_settings_choice(embed_graph: Path, kb_path: Path) -> None:
    from streams.core.pipeline import Pipeline
    from streams.settings import load_settings

    shared_embedder.cache_clear()
    if embed_graph != embed_onnx.DEFAULT_GRAPH:
        pytest.fail(f"the built graph is not current: {graph_problem()} (run make embed)")
    env = {"WIRESTREAM_ENTITIES_KB_PATH": str(kb_path), "WIRESTREAM_ENTITIES_NER": "0"}
    fast = Pipeline.from_settings(load_settings({**env, "WIRESTREAM_WORKER_PROFILE": "fast"}), {})
    assert not fast.use_embeddings
    assert isinstance(fast.embedder, UseEmbedder)
    assert fast.embedder._model is None  # never loaded for the fast profile: no cost
    full = Pipeline.from_settings(load_settings(env), {})
    assert isinstance(full.embedder, OnnxEmbedder)
    forced = load_settings({**env, "WIRESTREAM_DEDUPE_EMBEDDER": "reference"})
    assert Pipeline.from_settings(forced, {}).embedder is fast.embedder  # one per process
