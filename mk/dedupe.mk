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
#
# The story score's weights and threshold (streams/core/dedupe/story.json) are trained, with
# 5x5-fold cross-validation grouped by article, from ../shared/eval/news_pairs*.jsonl:
#
#   make train-story

DEDUPE_BENCH_ARGS ?=

BENCH_TARGETS += bench-dedupe

.PHONY: bench-dedupe train-story

bench-dedupe: $(STAMP) $(KB)  ## dedupe: same-story and near-duplicate quality, speed at 100k items (.bench/dedupe.json)
	$(BIN)/python -m bench.dedupe --out .bench/dedupe.json $(DEDUPE_BENCH_ARGS)

# nice: preparing 1,700 articles (USE embeddings) takes a CPU-minute or two on a shared machine.
train-story: $(STAMP) $(KB)  ## dedupe: fit the story score and threshold (streams/core/dedupe/story.json)
	nice -n 10 $(BIN)/python -m streams.core.dedupe.training.train
