# The two commands of the README, and the steps they are made of.
#   make run   — install, build the store from ontology/ + data/ttl/, serve it
#   make test  — install, lint, type-check, run the whole test suite (what CI runs)

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := $(PYTHON) -m uv
BIN := .venv/bin

.PHONY: run test install load serve lint typecheck pytest bench bench-tools

run: install load serve

test: install lint typecheck pytest

# uv itself is pinned and installed with pip; every Python dependency comes from uv.lock.
install:
	@$(UV) --version 2>/dev/null | grep -qx 'uv $(UV_VERSION).*' \
		|| $(PYTHON) -m pip install --quiet uv==$(UV_VERSION)
	$(UV) sync --locked
	@# rapper (raptor2-utils) reads every release dump back in the tests: an independent parser.
	@command -v rapper >/dev/null 2>&1 || { apt-get update && apt-get install -y raptor2-utils; }
	@# The web pages' front end (YASGUI) from npm, pinned by web/package-lock.json; served locally.
	@test -d web/node_modules/@zazuko/yasgui \
		|| { command -v npm >/dev/null || { apt-get update && apt-get install -y nodejs npm; }; \
		     npm ci --prefix web --no-audit --no-fund --ignore-scripts; }
	@# Debian's Chromium for the browser tests (never `playwright install`: no downloads).
	@test -x /usr/bin/chromium || { apt-get update && apt-get install -y chromium; }
	@# Virtuoso, the second remote SPARQL store the backend tests run against (issue 8).
	@command -v virtuoso-t >/dev/null 2>&1 || { apt-get update \
		&& DEBIAN_FRONTEND=noninteractive apt-get install -y virtuoso-opensource; }

load:
	$(BIN)/kg load

# `kg serve` (the SPARQL endpoint, issue 4) is used as soon as the CLI has it.
serve:
	@if $(BIN)/kg serve --help >/dev/null 2>&1; then \
		exec $(BIN)/kg serve; \
	else \
		echo "make run: the store is built; 'kg serve' is not available yet (issue 4)."; \
	fi

lint:
	$(BIN)/ruff check kg tests bench

typecheck:
	$(BIN)/mypy --strict kg

pytest:
	$(BIN)/pytest

# The benchmark suite (bench/): prints a table and writes BENCHMARKS.md; BENCH_ARGS=--quick for a
# small run. Its HTTP load generator, wrk, is a Debian package, installed only when missing.
bench: install bench-tools
	$(BIN)/python -m bench $(BENCH_ARGS)

bench-tools:
	@command -v wrk >/dev/null 2>&1 || { apt-get update && apt-get install -y wrk; }
