# End-to-end benchmark through a real Kafka broker, against baselines run side by side
# (bench/e2e.py; docs/benchmarks.md has the figures and how to read them).
#
#   make bench                    every stage benchmark, then the end-to-end one
#   make bench-e2e                the same (the stage benchmarks first: see below)
#   make bench-e2e-only           only the end-to-end benchmark
#   make bench-e2e-only BENCH_QUICK=1          smoke run: 2,000 items, 1 run, short latency phase
#   make bench-e2e-only BENCH_ITEMS=5000 BENCH_RUNS=1
#
# Both install the bench extra (the peer baseline, bench/baselines/python_peer.py, needs spaCy).
# Results: a table on stdout and .bench/latest.json (git-ignored).

BENCH_ITEMS ?= 50000
BENCH_RUNS ?= 3
BENCH_QUICK ?=
BENCH_E2E_ARGS ?=
BENCH_E2E_CMD = $(BIN)/python -m bench.e2e --items $(BENCH_ITEMS) --runs $(BENCH_RUNS) \
	$(if $(BENCH_QUICK),--quick) $(BENCH_E2E_ARGS)

BENCH_TARGETS += bench-e2e

# The end-to-end run goes last: it depends on every other benchmark target. mk/*.mk files are
# read in name order, so the other targets may not be in BENCH_TARGETS yet when this file is
# read; secondary expansion ($$) reads the list once every makefile has been read.
.SECONDEXPANSION:
.PHONY: bench-e2e bench-e2e-only

bench-e2e: $(BENCH_STAMP) $(KB) $$(filter-out bench-e2e,$$(BENCH_TARGETS))  ## end-to-end benchmark through real Kafka (after the stage benchmarks)
	deploy/kafka/kafka.sh fetch
	$(BENCH_E2E_CMD)

bench-e2e-only: $(BENCH_STAMP) $(KB)  ## only the end-to-end benchmark (BENCH_ITEMS, BENCH_RUNS, BENCH_QUICK=1)
	deploy/kafka/kafka.sh fetch
	$(BENCH_E2E_CMD)
