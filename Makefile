# Everything runs from a local virtualenv that the targets create on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run demo docs test lint format bench soak serve check clean system-deps

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## make run: look up a sample visitor (sample workspace unless PENDO_INTEGRATION_KEY is set)
run: $(STAMP)
	$(BIN)/pendo-bot lookup $(or $(EMAIL),jane.doe@acme.example)

## make demo: the real bot on the sample workspace, in a local Slack-like page at http://127.0.0.1:3000/
demo: $(STAMP)
	$(BIN)/pendo-bot demo

## make system-deps: Debian packages that some tests drive for real (Redis, a browser); needs root.
## Without them `make test` skips those tests and says why; CI installs them and requires them.
SYSTEM_PACKAGES := redis-server chromium fonts-noto-color-emoji
system-deps:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(SYSTEM_PACKAGES)

## make test: the full offline test suite, on two workers (a test file stays on one: its fixtures are shared)
test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

## make docs: regenerate docs/what-agents-see.md's examples and the README's picture (docs/preview.png, with
## Chromium) from the renderers at a fixed sample time; `make test` fails when they are stale
docs: $(STAMP)
	$(BIN)/python -m tests.support.docs_examples
	$(BIN)/python -m tests.browser.screenshot docs/preview.png

lint: $(STAMP)
	$(BIN)/ruff check bot tests bench
	$(BIN)/ruff format --check bot tests bench
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format bot tests bench
	$(BIN)/ruff check --fix bot tests bench

## make bench: the bot in its own process under load (see bench/bench.py; BENCH_ARGS="--levels 1,20")
$(VENV)/.bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $(VENV)/.bench

bench: $(VENV)/.bench
	$(BIN)/python -m bench.bench $(BENCH_ARGS)

## make soak: 50 lookups/s for 5 min against the sample APIs with 5% injected faults (not in make test)
soak: $(STAMP)
	$(BIN)/python -m bench.soak $(SOAK_ARGS)

serve: $(STAMP)
	$(BIN)/pendo-bot serve

check: $(STAMP)
	$(BIN)/pendo-bot check

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
