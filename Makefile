# `make demo` runs the main job; `make test` runs every test. Each sets itself up from nothing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: test-upstream demo setup test lint typecheck exports-check verifytypes typecheck-oldest pytest pytest-oldest-python pytest-python312 bench clean

# The development tools are pyproject.toml's dependency group "test" (PEP 735), which
# pip installs from version 25.1 on: every venv upgrades pip first.
PIP_FOR_GROUPS := 'pip>=25.1'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade $(PIP_FOR_GROUPS)
	$(PY) -m pip install -q -e '.[server]' --group test
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

# The chat page's TypeScript (examples/chat/web/), compiled by tsc from npm into examples/chat/build/.
CHAT_JS := examples/chat/build/app.js
$(CHAT_JS): $(NPM_STAMP) $(wildcard examples/chat/web/*.ts) examples/chat/web/tsconfig.json
	node_modules/.bin/tsc -p examples/chat/web

# The chat example at http://127.0.0.1:8000 (set PURSOCKET_CHAT_REDIS_URL to share it through Redis).
demo: $(STAMP) $(NPM_STAMP) $(CHAT_JS)
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
		pytest-mypy-plugins pytest-timeout pytest-asyncio pytest-xdist uvicorn annotated-types
	touch $@

typecheck-oldest: $(OLDEST_VENV)/.installed
	$(OLDEST_VENV)/bin/python -m pytest -q -p no:cacheprovider $(WORKERS) \
		typecheck_tests tests/test_mypy_incremental.py tests/test_type_errors_doc.py

# Generated files in the repository are what `pursocket export` writes now (as a user's CI would check).
exports-check: $(STAMP)
	$(PY) -m pursocket export typescript examples.chat.protocol:ChatProtocol -o examples/chat/web/protocol.ts --check
	$(PY) -m pursocket export python examples.chat.protocol:ChatProtocol -o examples/chat/protocol_api.py --check

# pyright's view of pursocket's public surface must be 100% typed. It cannot see the
# editable install, so it reads a plain copy of the package.
verifytypes: $(STAMP) $(NPM_STAMP)
	rm -rf build/verifytypes
	$(PY) -m pip install -q --no-deps --no-build-isolation -t build/verifytypes .
	PYTHONPATH=build/verifytypes node node_modules/pyright/index.js -p . --pythonpath $(PY) --verifytypes pursocket --ignoreexternal

# Each pytest run spreads its tests over two worker processes (pytest-xdist): many wait
# on sockets, subprocesses and browsers more than they compute.
WORKERS := -n 2

pytest: $(STAMP) $(NPM_STAMP) $(CHROMIUM) $(CHAT_JS)
	$(PY) -m pytest -q $(WORKERS)

# The runtime tests again on the oldest Python that pyproject.toml supports (3.10), in
# a venv of its own, when the machine has that interpreter (pyenv's, on ours and CI's).
# What tests tools, not Python, is left to the main run: the benchmarks' smoke runs, the
# build backend, the docs' links, mypy's cache, daemon and parallel mode, and the type
# checkers and tsc on files whose verdict does not depend on the interpreter (each
# checker reads its target version from its configuration). The mypy plugin still runs
# on 3.10 in the parity corpus and docs/type-errors.md's tour.
MAIN_RUN_ONLY := $(addprefix --ignore=tests/,test_bench_runtime.py test_bench_hostile.py test_bench_typed_api.py \
		test_packaging.py test_docs_links.py test_mypy_incremental.py test_editor_completions.py) \
	$(addprefix --deselect=tests/,\
		test_typed_api.py::test_pyright_strict_reports_every_mistake_and_nothing_else \
		test_typed_api.py::test_basedpyright_strict_reports_every_mistake_and_nothing_else \
		test_typed_api.py::test_mypy_without_the_plugin_reports_every_mistake_and_nothing_else \
		test_typed_api.py::test_mypy_with_the_plugin_reports_every_mistake_once_in_its_own_words \
		test_exports.py::test_typescript_is_checked_by_tsc_strict_with_every_mistake_an_error \
		test_exports.py::test_asyncapi_passes_the_official_parser \
		test_rooms_docs.py::test_the_documented_code_and_the_chat_example_pass_the_plugin \
		test_concept_docs.py::test_pages_type_check_with_the_plugin \
		test_protocol_scaling.py::test_the_mypy_plugin_visits_each_type_once)
PYTHON_OLDEST ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.10*/bin/python3.10))
OLDEST_PY_VENV := .venv-python-oldest
$(OLDEST_PY_VENV)/.installed: pyproject.toml
	$(PYTHON_OLDEST) -m venv $(OLDEST_PY_VENV)
	$(OLDEST_PY_VENV)/bin/python -m pip install -q --upgrade $(PIP_FOR_GROUPS)
	$(OLDEST_PY_VENV)/bin/python -m pip install -q -e '.[server]' --group test
	touch $@

ifeq ($(PYTHON_OLDEST),)
pytest-oldest-python:
	@echo "pytest-oldest-python: no Python 3.10 interpreter found; set PYTHON_OLDEST to run the runtime tests on it"
else
pytest-oldest-python: $(OLDEST_PY_VENV)/.installed $(NPM_STAMP) $(CHROMIUM) $(CHAT_JS)
	$(OLDEST_PY_VENV)/bin/python -m pytest -q -p no:cacheprovider $(WORKERS) tests $(MAIN_RUN_ONLY)
endif

# Python 3.12's `type` statement (tests/py312) with the mypy plugin and at run time, in
# a small venv of its own, when the machine has that interpreter (pyenv's, on ours and
# CI's): mypy running on 3.11 cannot parse the statement.
PYTHON_312 ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12))
PY312_VENV := .venv-python312
$(PY312_VENV)/.installed: pyproject.toml
	$(PYTHON_312) -m venv $(PY312_VENV)
	$(PY312_VENV)/bin/python -m pip install -q -e '.[mypy,testing]' pytest pytest-asyncio \
		pytest-timeout annotated-types
	touch $@

ifeq ($(PYTHON_312),)
PY312_SETUP :=
pytest-python312:
	@echo "pytest-python312: no Python 3.12 interpreter found; set PYTHON_312 to check the type statement"
else
PY312_SETUP := $(PY312_VENV)/.installed
pytest-python312: $(PY312_VENV)/.installed
	$(PY312_VENV)/bin/python -m pytest -q -p no:cacheprovider tests/py312
endif

test: lint typecheck exports-check verifytypes pytest typecheck-oldest pytest-oldest-python \
	pytest-python312

# Everything `make test` installs, side by side (mostly waiting on the network):
# .ci/run runs `make -j4 setup` before `make test`.
setup: $(STAMP) $(NPM_STAMP) $(CHROMIUM) $(CHAT_JS) $(OLDEST_VENV)/.installed \
	$(if $(PYTHON_OLDEST),$(OLDEST_PY_VENV)/.installed) $(PY312_SETUP)

# Every benchmark, with the options docs/benchmarks.md and docs/reliability.md quote.
bench: $(STAMP) $(NPM_STAMP)
	$(PY) bench/runtime.py --rounds 5
	$(PY) bench/runtime.py --stacks --rounds 5
	$(PY) bench/scaleout.py --rounds 5
	$(PY) bench/memory.py
	$(PY) bench/hotpath.py
	$(PY) bench/rooms.py --trials 10
	$(PY) bench/validation.py
	$(PY) bench/soak.py
	$(PY) bench/hostile.py digits
	$(PY) bench/hostile.py flood
	$(PY) bench/hostile.py flood --max-in-flight 1000000000
	$(PY) bench/mypy_scale.py --repeat 7

# The runtime tests against the newest python-socketio and python-engineio on PyPI
# (or the releases UPSTREAM names, e.g. UPSTREAM="python-socketio==5.17.1
# python-engineio==4.14.0"), whatever pyproject.toml's ranges say, in a venv made
# afresh each time. Not part of `make test`: run it before widening those ranges, and
# widen them only as far as it passes. tests/test_upstream_contract.py names each
# private upstream method pursocket overrides, should one have changed.
UPSTREAM_VENV := .venv-upstream
UPSTREAM ?= python-socketio[asyncio_client] python-engineio
test-upstream: $(NPM_STAMP) $(CHROMIUM) $(CHAT_JS)
	rm -rf $(UPSTREAM_VENV)
	$(PYTHON) -m venv $(UPSTREAM_VENV)
	$(UPSTREAM_VENV)/bin/python -m pip install -q --upgrade $(PIP_FOR_GROUPS)
	$(UPSTREAM_VENV)/bin/python -m pip install -q -e '.[server]' --group test
	$(UPSTREAM_VENV)/bin/python -m pip install -q --upgrade $(foreach spec,$(UPSTREAM),'$(spec)')
	$(UPSTREAM_VENV)/bin/python -m pip list 2>/dev/null | grep -E '^python-(socketio|engineio) '
	$(UPSTREAM_VENV)/bin/python -m pytest -q -p no:cacheprovider tests --ignore=tests/test_bench_runtime.py

clean:
	rm -rf $(VENV) $(OLDEST_VENV) $(OLDEST_PY_VENV) $(PY312_VENV) $(UPSTREAM_VENV) node_modules .mypy_cache .pytest_cache examples/chat/build
