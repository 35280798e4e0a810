# The two commands a newcomer needs (see README.md):
#   make lab   set everything up and open the course in JupyterLab
#   make test  set everything up and run the whole test suite
# Both create .venv when it is missing and are quick when it is already set up.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The stamp files remember which pyproject.toml the environment was installed
# from, so editing the dependencies re-installs and nothing else does.
LAB_STAMP := $(VENV)/.installed-lab
TEST_STAMP := $(VENV)/.installed-test
DOCS_STAMP := $(VENV)/.installed-docs
# Jupyter refuses to run as root (as in many containers) unless told it may.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: lab test notebooks exercises site lint format bench clean-venv

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(LAB_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[lab]"
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[lab,test,docs]"
	touch $@ $(LAB_STAMP) $(DOCS_STAMP)

$(DOCS_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[docs]"
	touch $@

# PATH puts `autodidact` on the command line of JupyterLab's terminals.
lab: $(LAB_STAMP)
	$(BIN)/autodidact start
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/jupyter lab --notebook-dir=. $(ROOT_FLAG) \
		notebooks/00_start_here.ipynb

test: $(TEST_STAMP)
	$(BIN)/ruff check autodidact tests benchmarks
	$(BIN)/ruff format --check autodidact tests benchmarks
	$(BIN)/python -m pytest

# Re-runs only the notebooks whose code, or the library code they use, changed
# since their outputs were stored (`autodidact run-notebooks` re-runs them all).
notebooks: $(TEST_STAMP)
	$(BIN)/autodidact run-notebooks --stale

# The lectures and blank exercise sheets as a static website in build/site/,
# built from the stored outputs (nothing runs) and readable offline.
site: $(DOCS_STAMP)
	$(BIN)/python -m autodidact.course.site build/site

exercises: $(TEST_STAMP)
	$(BIN)/autodidact make-exercises

format: $(TEST_STAMP)
	$(BIN)/ruff format autodidact tests benchmarks
	$(BIN)/ruff check --fix autodidact tests benchmarks

bench: $(TEST_STAMP)
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python benchmarks/overhead.py
