# WaveDiff — the two set-up commands are `make train` and `make test`.
# Both create .venv and install what is missing first (torch from TORCH_SPEC, then the project).
PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0
# Optional wheel index for torch (e.g. a CUDA build); empty = the default index.
TORCH_INDEX ?=
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ARGS ?=

.PHONY: install train test test-slow browser bench benchmark studio tensorboard clean help

help:  ## list targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "$(TORCH_SPEC)" $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
	$(PY) -m pip install --quiet -e ".[dev,sweeps,studio,real]"
	@touch $(STAMP)

install: $(STAMP)  ## create .venv: torch ($(TORCH_SPEC)) first, then wavediff[dev,sweeps,studio,real]

train: $(STAMP)  ## train the small default model on MJD data (a GPU if visible, else the CPU), sample, record
	$(VENV)/bin/wavediff train $(ARGS)

test: $(STAMP)  ## lint (ruff) and the fast test suite (minutes on 2 CPU cores; slowest 15 listed)
	$(VENV)/bin/ruff check src scripts tests
	$(PY) -m pytest $(ARGS)

test-slow: $(STAMP) browser  ## long tests only (includes the Studio's browser test)
	$(PY) -m pytest -m slow $(ARGS)

browser: $(STAMP)  ## Playwright + Debian's chromium for the Studio's browser test
	$(PY) -m pip install --quiet "playwright>=1.40"
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

studio: $(STAMP)  ## WaveDiff Studio web UI on http://127.0.0.1:8000 (ARGS="--port 8080")
	$(VENV)/bin/wavediff studio $(ARGS)

bench: $(STAMP)  ## speed benchmark: prints a table, writes outputs/bench/bench.json
	$(VENV)/bin/wavediff bench $(ARGS)

benchmark: $(STAMP)  ## quality benchmark (data sets x generators, resumable): docs/benchmark.md and README's table
	$(VENV)/bin/wavediff benchmark publish=docs readme=README.md $(ARGS)

tensorboard: $(STAMP)  ## TensorBoard over every run in outputs/
	$(VENV)/bin/tensorboard --logdir outputs

clean:  ## remove outputs, caches and the venv
	rm -rf outputs multirun .pytest_cache .ruff_cache $(VENV) src/*.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
