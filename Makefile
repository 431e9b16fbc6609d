# `make demo` runs the main job; `make test` runs every test. Each sets itself up from nothing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck typecheck-oldest pytest bench clean

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
	$(PY) -m ruff check pursocket mypy_plugin typecheck_tests tests examples bench
	$(PY) -m ruff format --check pursocket mypy_plugin typecheck_tests tests examples bench

typecheck: $(STAMP)
	$(PY) -m mypy pursocket mypy_plugin/pursocket_mypy

# The mypy plugin's tests again under the oldest mypy that pyproject.toml supports
# (the lower bound of the "mypy" extra), in a venv of its own.
OLDEST_VENV := .venv-mypy-oldest
OLDEST_MYPY := $(shell sed -n 's/^mypy = \["mypy>=\([0-9.]*\),.*/\1/p' pyproject.toml)
$(OLDEST_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(OLDEST_VENV)
	$(OLDEST_VENV)/bin/python -m pip install -q -e . "mypy==$(OLDEST_MYPY)" pytest \
		pytest-mypy-plugins pytest-timeout pytest-asyncio uvicorn
	touch $@

typecheck-oldest: $(OLDEST_VENV)/.installed
	$(OLDEST_VENV)/bin/python -m pytest -q -p no:cacheprovider --mypy-testing-base=$(CURDIR)/$(OLDEST_VENV) \
		typecheck_tests tests/test_mypy_incremental.py tests/test_type_errors_doc.py

pytest: $(STAMP) $(NPM_STAMP) $(CHROMIUM)
	$(PY) -m pytest -q

test: lint typecheck pytest typecheck-oldest

clean:
	rm -rf $(VENV) $(OLDEST_VENV) node_modules .mypy_cache .pytest_cache
