"""Setup for the mypy plugin's YAML cases (pytest-mypy-plugins).

pytest-mypy-plugins runs the ``mypy`` found on ``PATH`` with a bare environment: while
a case runs, this interpreter's ``mypy`` comes first on ``PATH`` (so a venv with another
mypy version tests that version) and the shared fixture protocol is on ``MYPYPATH``.
Unless a testing base is given, each run gets its own (and so its own mypy cache),
because a mypy cache must not be shared by two runs at once.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

_FIXTURES = Path(__file__).parent / "fixtures"
_OWN_BASE = "_pursocket_own_testing_base"


def pytest_configure(config: pytest.Config) -> None:
    if config.option.mypy_testing_base == tempfile.gettempdir():
        config.option.mypy_testing_base = tempfile.mkdtemp(prefix="pursocket-typecheck-")
        setattr(config, _OWN_BASE, config.option.mypy_testing_base)


def pytest_unconfigure(config: pytest.Config) -> None:
    own = getattr(config, _OWN_BASE, None)
    if own is not None:
        shutil.rmtree(own, ignore_errors=True)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in ("PATH", "MYPYPATH")}
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), saved["PATH"] or ""])
    os.environ["MYPYPATH"] = str(_FIXTURES)
    try:
        return (yield)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
