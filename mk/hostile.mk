# Hostile input (bench/hostile.py; docs/benchmarks.md "Hostile input"): CPU per item for every
# shape of harness/hostile.py at 100 KB, 300 KB and 1 MB, and the growth per doubling.
#
#   make bench-hostile
#   make bench-hostile HOSTILE_BENCH_ARGS="--sizes 50000,1000000 --shapes dense_mentions"
#
# Results: a table on stdout and .bench/hostile.json (git-ignored).

HOSTILE_BENCH_ARGS ?=

BENCH_TARGETS += bench-hostile

.PHONY: bench-hostile

bench-hostile: $(STAMP) $(KB)  ## hostile input: CPU per item by shape and size, growth per doubling (.bench/hostile.json)
	nice -n 5 $(BIN)/python -m bench.hostile $(HOSTILE_BENCH_ARGS)
