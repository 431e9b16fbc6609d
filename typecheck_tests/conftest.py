"""Setup for the mypy plugin's YAML cases (pytest-mypy-plugins).

pytest-mypy-plugins runs the ``mypy`` found on ``PATH`` with a bare environment: put
this interpreter's ``mypy`` first (so a venv with another mypy version tests that
version), and put the shared fixture protocol on ``MYPYPATH``. Unless a testing base
is given, each run gets its own (and so its own mypy cache), because a mypy cache
must not be shared by two runs at once.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

_FIXTURES = Path(__file__).parent / "fixtures"

os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
os.environ["MYPYPATH"] = str(_FIXTURES)

_OWN_BASE = "_pursocket_own_testing_base"


def pytest_configure(config: pytest.Config) -> None:
    if config.option.mypy_testing_base == tempfile.gettempdir():
        config.option.mypy_testing_base = tempfile.mkdtemp(prefix="pursocket-typecheck-")
        setattr(config, _OWN_BASE, config.option.mypy_testing_base)


def pytest_unconfigure(config: pytest.Config) -> None:
    own = getattr(config, _OWN_BASE, None)
    if own is not None:
        shutil.rmtree(own, ignore_errors=True)
