# The core's native fast paths (native/, streams/core/native.py) against the Python reference,
# stage by stage, side by side in one process (bench/native.py; docs/benchmarks.md has the table).
#
#   make bench-native
#   make bench-native NATIVE_BENCH_ARGS="--items 1000 --runs 1 --profiles fast"
#
# Results: a table on stdout and .bench/native.json (git-ignored).

NATIVE_BENCH_ARGS ?=

BENCH_TARGETS += bench-native

.PHONY: bench-native

bench-native: $(STAMP) $(KB)  ## native fast paths vs the Python reference, CPU ms per item per stage (.bench/native.json)
	nice -n 10 $(BIN)/python -m bench.native $(NATIVE_BENCH_ARGS)
