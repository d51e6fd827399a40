# Dedupe and story clustering benchmark (bench/dedupe.py; docs/dedupe.md has the figures):
# same-story quality on ../shared/eval/news_pairs.jsonl beside two anchors computed in the same
# run (word-3-shingle Jaccard, USE-multilingual cosine), near-duplicate precision and recall on
# edited copies of real articles generated at run time (seeded), the dedupe decision's speed
# against 100,000 remembered items, restore time, and bytes per remembered item.
#
#   make bench-dedupe
#   make bench-dedupe DEDUPE_BENCH_ARGS="--window 20000 --queries 500"
#
# Results: tables on stdout and .bench/dedupe.json (git-ignored).

DEDUPE_BENCH_ARGS ?=

BENCH_TARGETS += bench-dedupe

.PHONY: bench-dedupe

bench-dedupe: $(STAMP) $(KB)  ## dedupe: same-story and near-duplicate quality, speed at 100k items (.bench/dedupe.json)
	$(BIN)/python -m bench.dedupe --out .bench/dedupe.json $(DEDUPE_BENCH_ARGS)
