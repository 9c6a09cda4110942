# The book's two set-up commands are `make book` and `make test` (see README.md).
# Both create the virtual environment .venv on first use, with Python 3.11 (`make book PYTHON=python3.11`
# picks another interpreter than python3; 3.12+ is allowed, but the pins were made and tested with 3.11).

PYTHON ?= python3
PYTHON_MIN := 3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
BUILD  := _build
LINKCHECK := $(BUILD)/linkcheck

.DEFAULT_GOAL := help
.PHONY: help venv axe book test test-lab test-assignments test-fast test-cache lint fix linkcheck data lavaan-reference lavaan-random lavaan-random-check lavaan-bollen-stine lavaan-fiml-se bench lab clean clean-all assignments student-data glued-values

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

venv: $(STAMP)  ## create .venv and install the pinned dependencies and the package

$(STAMP): requirements.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "make: no $(PYTHON) on PATH; this book needs Python $(PYTHON_MIN) (give another: make book PYTHON=/path/to/python3.11)"; exit 1; }
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if v >= (3, 11) else "make: $(PYTHON) is Python %d.%d; this book needs Python $(PYTHON_MIN) or newer (the pins were made with $(PYTHON_MIN)). Install it, or point make at one: make book PYTHON=python$(PYTHON_MIN)" % v)'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m tools.quiet_nbgrader
	touch $(STAMP)

# The build's kernels load psyalliance.figures.figtext (book/_ipython): each figure's PNG records its smallest text size
# and dpi, which the phone-width browser test reads. The IPython folder is a copy under _build (kernels write there).
IPYDIR := $(BUILD)/ipython

book: $(STAMP)  ## build the HTML book (strict) and the reader notebooks for JupyterLab (_build/reader/)
	mkdir -p $(IPYDIR)/profile_default
	cp book/_ipython/profile_default/ipython_kernel_config.py $(IPYDIR)/profile_default/
	IPYTHONDIR=$(CURDIR)/$(IPYDIR) $(BIN)/jupyter-book build . -W -n --keep-going
	@echo "The book is at file://$(CURDIR)/$(BUILD)/html/index.html"
	@echo "The reader notebooks (for JupyterLab) are in $(CURDIR)/$(BUILD)/reader/"

# One BLAS thread a process while testing: the book build, its kernels and pytest run at once on 2 cores,
# and OpenBLAS threads spinning against each other made chapter 09 take 367 s instead of 31 s.
ONE_THREAD := OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1

# axe-core, the accessibility rule engine of tests/test_browser_pages.py: the exact version and its hash are in
# tests/axe/package-lock.json; npm installs it once into .venv/axe, and the tests never download anything.
AXE_DIR := $(VENV)/axe
AXE_JS  := $(AXE_DIR)/node_modules/axe-core/axe.min.js

axe: $(AXE_JS)  ## install the pinned axe-core (tests/axe/package-lock.json) with npm into .venv/axe
$(AXE_JS): tests/axe/package.json tests/axe/package-lock.json
	mkdir -p $(AXE_DIR)
	cp tests/axe/package.json tests/axe/package-lock.json $(AXE_DIR)/
	npm ci --prefix $(AXE_DIR) --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

test: $(STAMP)  ## run the whole test suite (includes a fresh strict build of the book)
	@if command -v npm >/dev/null; then $(MAKE) --no-print-directory axe; \
	else echo "make test: no npm, so the accessibility test (axe-core) is skipped; with CI set it fails"; fi
	$(ONE_THREAD) $(BIN)/python -m pytest

test-lab: $(STAMP)  ## every chapter in JupyterLab (Run All, then what a reader sees); make test runs 3 of them
	$(ONE_THREAD) PSYALLIANCE_LAB=$${PSYALLIANCE_LAB:-all} $(BIN)/python -m pytest tests/test_browser_lab.py

test-assignments: $(STAMP)  ## every student and instructor notebook on the book's and a student's dataset; make test runs chapter 05
	$(ONE_THREAD) PSYALLIANCE_ASSIGNMENTS=$${PSYALLIANCE_ASSIGNMENTS:-all} $(BIN)/python -m pytest tests/test_assignment_runs.py

test-fast: $(STAMP)  ## the tests that need no notebook execution nor book build (about 3 min: 212 s of CPU measured; longer on a shared machine)
	$(BIN)/python -m pytest -m "not slow"

test-cache: $(STAMP)  ## a package/data change shows in the next build: builds a copy of the book 4 times (~4 min; .ci/run runs it)
	$(ONE_THREAD) PSYALLIANCE_CACHE_TEST=1 $(BIN)/python -m pytest tests/test_code_follows.py

lint: $(STAMP)  ## ruff, no outputs in any notebook, YAML, no large file (pre-commit's local hooks; .ci/run runs it)
	PRE_COMMIT_HOME=$(CURDIR)/$(VENV)/pre-commit-cache $(BIN)/pre-commit run --all-files \
		|| { echo "make lint failed (above). make fix repairs ruff's fixable findings and clears notebook outputs."; exit 1; }

fix: $(STAMP)  ## repair what make lint finds and can repair: ruff check --fix, outputs cleared from every notebook
	$(BIN)/ruff check --fix --force-exclude .
	$(BIN)/python -m tools.notebook_hygiene --fix

linkcheck: $(STAMP)  ## check the book's external links (needs the network); fails only on broken ones
	rm -rf $(LINKCHECK)/_build/html
	-$(BIN)/jupyter-book build . --builder linkcheck --path-output $(LINKCHECK)
	$(BIN)/python -m tools.linkcheck_report $(LINKCHECK)/_build/html/output.json

# `make data` writes into THIS checkout: its own src/ is imported (PYTHONPATH), whatever .venv's editable
# install points to, and every path is spelled from $(CURDIR).
DATA_OUT := $(CURDIR)/data/simulated
HERE     := PYTHONPATH=$(CURDIR)/src

data: $(STAMP)  ## regenerate data/simulated/ (dataset, codebook, claims ledger) from its fixed seed, byte for byte
	$(HERE) $(BIN)/python -c 'import sys; from psyalliance.simulation.simulate import main; main(sys.argv[1:])' \
		--out $(DATA_OUT) --expect-root $(CURDIR)
	$(HERE) $(BIN)/python -c 'import sys; from psyalliance.audit.ledger import main; main(sys.argv[1:])' \
		--data $(DATA_OUT)/levin2024_simulated.csv --out $(DATA_OUT)/claims_ledger.csv --expect-root $(CURDIR)

LAVAAN_IN  ?= $(BUILD)/lavaan-input
LAVAAN_OUT ?= tests/lavaan/reference

lavaan-reference: $(STAMP)  ## refit every model with R lavaan into tests/lavaan/reference/ (needs Rscript and r-cran-lavaan)
	$(BIN)/python -m psyalliance.sem.lavaan export $(LAVAAN_IN)
	Rscript tests/lavaan/make_reference.R $(LAVAAN_IN) $(LAVAAN_OUT)

# Random recursive path models (psyalliance.sem.randommodels): a small fixed set whose lavaan output is committed
# (tests/test_random_models.py compares fit_model with it in `make test`), and a larger fresh set that .ci/run
# refits with lavaan and compares (exit status 1 on any number outside tolerance).
RANDOM_FIXED_SEEDS := 0-3
RANDOM_DIR   := tests/lavaan/random
RANDOM_SEEDS ?= 100-124# keep equal to psyalliance.sem.randommodels.CI_SEEDS, which the book quotes
RANDOM_OUT   ?= $(BUILD)/lavaan-random-fresh

lavaan-random: $(STAMP)  ## refit the fixed random models with R lavaan into tests/lavaan/random/ (needs Rscript)
	$(BIN)/python -m psyalliance.sem.randommodels export $(BUILD)/lavaan-random-input $(RANDOM_FIXED_SEEDS)
	Rscript tests/lavaan/make_reference.R $(BUILD)/lavaan-random-input $(RANDOM_DIR) \
		"make lavaan-random (python -m psyalliance.sem.randommodels export DIR $(RANDOM_FIXED_SEEDS); Rscript tests/lavaan/make_reference.R DIR $(RANDOM_DIR))"
	cp $(BUILD)/lavaan-random-input/models.csv $(RANDOM_DIR)/models.csv

lavaan-random-check: $(STAMP)  ## fit fresh random models (RANDOM_SEEDS) with lavaan and fit_model; compare every number
	$(BIN)/python -m psyalliance.sem.randommodels export $(RANDOM_OUT)/input $(RANDOM_SEEDS)
	Rscript tests/lavaan/make_reference.R $(RANDOM_OUT)/input $(RANDOM_OUT)/lavaan "make lavaan-random-check RANDOM_SEEDS=$(RANDOM_SEEDS)"
	$(ONE_THREAD) $(BIN)/python -m psyalliance.sem.randommodels compare $(RANDOM_OUT)/lavaan $(RANDOM_SEEDS)

BS_DIR := tests/lavaan/bollen_stine

lavaan-bollen-stine: $(STAMP)  ## lavaan's Bollen-Stine bootstrap p of M2 into tests/lavaan/bollen_stine/ (needs R lavaan; minutes)
	$(BIN)/python -c 'from psyalliance.sem.registry import MODELS; open("$(BS_DIR)/m2_cycle.txt", "w").write(MODELS["m2_cycle"])'
	Rscript $(BS_DIR)/make_reference.R data/simulated/levin2024_simulated.csv $(BS_DIR)/m2_cycle.txt $(BS_DIR)/reference.csv

lavaan-fiml-se:  ## lavaan's FIML standard errors (observed information) of M1 into tests/lavaan/fiml_se/ (needs R lavaan)
	Rscript tests/lavaan/fiml_se/make_reference.R

bench: $(STAMP)  ## print speed figures (name: value unit)
	$(BIN)/python benchmarks/run.py

GLUED_FIXTURE := tests/fixtures/glued_values.json

glued-values: book  ## remake tests/fixtures/glued_values.json (every chapter's glued values) from the build: only when a number is MEANT to change
	$(BIN)/python -m tools.glued_values $(BUILD) --out $(GLUED_FIXTURE)

assignments: book  ## student and instructor notebooks and zips from the built book (_build/assignments/)
	$(BIN)/python -m psyalliance.teaching.course $(BUILD)/reader $(BUILD)/assignments

ROSTER ?=
student-data: $(STAMP)  ## a simulated dataset per student and the answer key: make student-data ROSTER=roster.txt
	@test -n "$(ROSTER)" || { echo "usage: make student-data ROSTER=roster.txt (one student id per line)"; exit 2; }
	$(BIN)/python -m psyalliance.teaching.studentdata $(ROSTER) --out $(BUILD)/students

LAB_PORT ?= 8888
LAB_IP   ?= 127.0.0.1
lab: book  ## the reader notebooks in JupyterLab; prints the URL (as root too; LAB_IP=0.0.0.0 on a remote machine)
	$(BIN)/python -m tools.lab $(BUILD)/reader --port $(LAB_PORT) --ip $(LAB_IP)

clean:  ## remove the built book and caches (keeps .venv)
	rm -rf $(BUILD) .pytest_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +

clean-all: clean  ## also remove the virtual environment
	rm -rf $(VENV)
