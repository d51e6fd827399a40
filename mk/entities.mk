# Entities benchmark (bench/entities.py; docs/entities.md has the figures): what consumers get,
# entity-level F1 per 20-sentence document through the pipeline for every language with data
# (bench/entity_docs.py: ../shared/eval/ner_{en,ar}.conll, ../shared/train/ner_en_dev.conll and
# ../shared/train/ner/<lang>/dev.conll), beside the model alone, the KB alone and spaCy's
# en_core_web_sm (the bench extra); span precision, recall and F1 for PERSON, ORG, LOC; docs/s
# on seed-sized documents on one core; KB load time and RSS.
#
#   make bench-entities
#   make bench-entities ENTITIES_BENCH_ARGS="--runs 3"
#   make bench-entities ENTITIES_BENCH_ARGS="--sets en,ar"
#
# Results: a table on stdout and .bench/entities.json (git-ignored).

ENTITIES_BENCH_ARGS ?=

BENCH_TARGETS += bench-entities

.PHONY: bench-entities

bench-entities: $(BENCH_STAMP) $(KB)  ## entities: document F1 per language, span P/R/F1, docs/s, RSS (.bench/entities.json)
	nice $(BIN)/python -m bench.entities $(ENTITIES_BENCH_ARGS)
