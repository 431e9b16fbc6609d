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

# The official npm socket.io packages (package.json): interop tests and the chat page use them.
NPM_STAMP := node_modules/.installed
$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $(NPM_STAMP)

# Debian's Chromium for the chat example's browser tests (never a downloaded browser).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium

# The chat example at http://127.0.0.1:8000 (set PURSOCKET_CHAT_REDIS_URL to share it through Redis).
demo: $(STAMP) $(NPM_STAMP)
	$(PY) -m examples.chat.server --host 127.0.0.1 --port 8000

lint: $(STAMP)
	$(PY) -m ruff check pursocket mypy_plugin tests examples bench
	$(PY) -m ruff format --check pursocket mypy_plugin tests examples bench

typecheck: $(STAMP)
	$(PY) -m mypy pursocket mypy_plugin/pursocket_mypy

pytest: $(STAMP) $(NPM_STAMP) $(CHROMIUM)
	$(PY) -m pytest -q

test: lint typecheck pytest

clean:
	rm -rf $(VENV) node_modules .mypy_cache .pytest_cache
