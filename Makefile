# The two commands of the README, and the steps they are made of.
#   make run   — install, build the store from ontology/ + data/ttl/, serve it
#   make test  — install, lint, type-check, run the whole test suite (what CI runs)

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := $(PYTHON) -m uv
BIN := .venv/bin

.PHONY: run test install test-tools load serve lint typecheck pytest bench bench-tools

run: install load serve

test: install test-tools lint typecheck pytest

# What running the service needs: uv (pinned, installed with pip), every Python dependency from
# uv.lock, and the query UI's front end (YASGUI) from npm, pinned by web/package-lock.json and
# served locally — no CDN at run time.
# Bytecode is compiled at install (pip's default, not uv's): otherwise a machine with
# PYTHONDONTWRITEBYTECODE=1 recompiles every imported module on every `kg` command (~1 s each).
install:
	@$(UV) --version 2>/dev/null | grep -qx 'uv $(UV_VERSION).*' \
		|| $(PYTHON) -m pip install --quiet uv==$(UV_VERSION)
	$(UV) sync --locked --compile-bytecode
	@test -d web/node_modules/@zazuko/yasgui \
		|| { command -v npm >/dev/null || { apt-get update && apt-get install -y nodejs npm; }; \
		     npm ci --prefix web --no-audit --no-fund --ignore-scripts; }

# What only the tests need, from Debian, installed when missing (one apt-get run):
#   rapper (raptor2-utils)       reads every release dump back: an independent parser;
#   chromium                     the browser tests (never `playwright install`: no downloads);
#   virtuoso-t (virtuoso-opensource)  the second remote SPARQL store of the backend tests.
test-tools:
	@missing=""; \
	command -v rapper >/dev/null 2>&1 || missing="$$missing raptor2-utils"; \
	test -x /usr/bin/chromium || missing="$$missing chromium"; \
	command -v virtuoso-t >/dev/null 2>&1 || missing="$$missing virtuoso-opensource"; \
	if [ -n "$$missing" ]; then \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; \
	fi

load:
	$(BIN)/kg load

serve:
	exec $(BIN)/kg serve

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
