# The book's two set-up commands are `make book` and `make test` (see README.md).
# Both create the virtual environment .venv on first use (Python 3.11+).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
BUILD  := _build

.DEFAULT_GOAL := help
.PHONY: help venv book test test-fast data bench lab clean clean-all

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

venv: $(STAMP)  ## create .venv and install the pinned dependencies and the package

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

book: $(STAMP)  ## build the HTML book (strict: any warning fails the build)
	$(BIN)/jupyter-book build . -W -n --keep-going
	@echo "The book is at file://$(CURDIR)/$(BUILD)/html/index.html"

test: $(STAMP)  ## run the whole test suite (includes a fresh strict build of the book)
	$(BIN)/python -m pytest

test-fast: $(STAMP)  ## the tests that take seconds (no notebook execution, no book build)
	$(BIN)/python -m pytest -m "not slow"

# `make data` writes into THIS checkout: its own src/ is imported (PYTHONPATH), whatever .venv's editable
# install points to, and every path is spelled from $(CURDIR).
DATA_OUT := $(CURDIR)/data/simulated
HERE     := PYTHONPATH=$(CURDIR)/src

data: $(STAMP)  ## regenerate data/simulated/ (dataset, codebook, claims ledger) from its fixed seed, byte for byte
	$(HERE) $(BIN)/python -c 'import sys; from psyalliance.simulate import main; main(sys.argv[1:])' \
		--out $(DATA_OUT) --expect-root $(CURDIR)
	$(HERE) $(BIN)/python -c 'import sys; from psyalliance.ledger import main; main(sys.argv[1:])' \
		--data $(DATA_OUT)/levin2024_simulated.csv --out $(DATA_OUT)/claims_ledger.csv --expect-root $(CURDIR)

bench: $(STAMP)  ## print speed figures (name: value unit)
	$(BIN)/python benchmarks/run.py

lab: $(STAMP)  ## open the chapter notebooks in JupyterLab
	$(BIN)/jupyter lab notebooks/

clean:  ## remove the built book and caches (keeps .venv)
	rm -rf $(BUILD) .pytest_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +

clean-all: clean  ## also remove the virtual environment
	rm -rf $(VENV)
