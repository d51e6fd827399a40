# Entities benchmark (bench/entities.py; docs/entities.md has the figures): span precision,
# recall and F1 for PERSON, ORG, LOC on ../shared/eval/ner_en.conll and ner_ar.conll, docs/s on
# seed-sized documents on one core, KB load time and RSS.
#
#   make bench-entities
#   make bench-entities ENTITIES_BENCH_ARGS="--runs 3"
#
# Results: a table on stdout and .bench/entities.json (git-ignored).

ENTITIES_BENCH_ARGS ?=

BENCH_TARGETS += bench-entities

.PHONY: bench-entities

bench-entities: $(STAMP) $(KB)  ## entities: span P/R/F1, docs/s, load time, RSS (.bench/entities.json)
	$(BIN)/python -m bench.entities $(ENTITIES_BENCH_ARGS)
