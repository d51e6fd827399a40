# The project's own NER models (streams/ner; docs/ner.md has the method, figures and how to add a
# language). Models are committed, so tests and the worker never need training.
#
#   make train-ner              train every shipped language from ../shared/train (about an
#                               hour on one core: en, ar, then de es nl fr ru pt it zh tr)
#   make train-ner LANG=xx      one language: ../shared/train/ner/xx/train.conll (scored on its
#                               dev.conll), or ner_xx_train.conll (+ _dev) for en and ar
#   make bench-ner              P/R/F1 per type, tokens/s, RSS -> .bench/ner.json
#   make bench-ner-memory       the pipeline's RSS with every model, loaded and at peak
#                               -> .bench/ner_memory.json
#   make bench-worker-memory    a real worker's peak RSS on a real broker, every model loaded
#                               and text of every language -> .bench/worker_memory.json
#   (what the models give through the whole pipeline is `make bench-entities`: mk/entities.mk)
#
# LANG is also the locale variable every shell exports, so only a LANG given on the make command
# line picks a language.

NER_LANGS := en ar de es nl fr ru pt it zh tr
NER_TRAIN_LANGS := $(if $(filter command line,$(origin LANG)),$(LANG),$(NER_LANGS))
# Training-only packages (the worker needs neither): CRFsuite, and the word clusters and
# probabilities that ship with spaCy's lookup tables.
NER_TRAIN_PACKAGES := python-crfsuite==0.9.12 spacy-lookups-data==1.0.5
NER_BENCH_ARGS ?=

BENCH_TARGETS += bench-ner bench-ner-memory bench-worker-memory

.PHONY: train-ner bench-ner bench-ner-memory bench-worker-memory ner-train-deps

ner-train-deps: $(STAMP)
	$(BIN)/pip install --quiet -c constraints.txt $(NER_TRAIN_PACKAGES)

# nice: CRF training is single-threaded but long; it should not starve a shared machine.
train-ner: ner-train-deps  ## train the NER models (LANG=xx for one language)
	@for lang in $(NER_TRAIN_LANGS); do \
		nice -n 10 $(BIN)/python -m streams.ner.training.train --lang $$lang || exit 1; \
	done

bench-ner: $(STAMP) $(KB)  ## NER models: P/R/F1 per type, tokens/s, RSS (.bench/ner.json)
	$(BIN)/python -m bench.ner $(NER_BENCH_ARGS)

bench-ner-memory: $(STAMP) $(KB)  ## the pipeline's RSS with every NER model (.bench/ner_memory.json)
	$(BIN)/python -m bench.ner_memory

bench-worker-memory: $(STAMP) $(KB) kafka-fetch  ## a real worker's peak RSS, every NER model (.bench/worker_memory.json)
	$(BIN)/python -m bench.ner_memory --worker
