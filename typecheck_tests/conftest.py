"""Setup for the mypy plugin's YAML cases (pytest-mypy-plugins).

pytest-mypy-plugins runs the ``mypy`` found on ``PATH`` with a bare environment: put
this interpreter's ``mypy`` first (so a venv with another mypy version tests that
version), and put the shared fixture protocol on ``MYPYPATH``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

_FIXTURES = Path(__file__).parent / "fixtures"

os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
os.environ["MYPYPATH"] = str(_FIXTURES)
