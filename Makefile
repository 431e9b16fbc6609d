# `make demo` runs the main job; `make test` runs every test. Each sets itself up from nothing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m examples.quickstart

lint: $(STAMP)
	$(PY) -m ruff check pursocket mypy_plugin tests examples bench
	$(PY) -m ruff format --check pursocket mypy_plugin tests examples bench

typecheck: $(STAMP)
	$(PY) -m mypy pursocket mypy_plugin/pursocket_mypy

pytest: $(STAMP)
	$(PY) -m pytest -q

test: lint typecheck pytest

clean:
	rm -rf $(VENV) node_modules .mypy_cache .pytest_cache
