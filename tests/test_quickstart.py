"""``examples/quickstart.py`` runs on its own, exchanges every kind of message, and exits 0."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_quickstart_runs_and_exits() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "examples.quickstart"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    first, *rest = run.stdout.splitlines()
    assert re.fullmatch(r"server: listening on http://127\.0\.0\.1:\d+", first)
    lines = Counter(rest)
    expected = Counter(
        [
            "server: alice connected",
            "alice: connected",
            "alice: 1 online",
            "server: bob connected",
            "alice: 2 online",
            "alice: 2 online",
            "bob: connected",
            "bob: 2 online",
            'mallory: refused: The server refused namespace "lobby": a valid token is required '
            "{'hint': \"auth={'token': ...}\"}",
            "server: alice asks to join",
            "alice: join answered {'success': True}",
            "server: alice says 'hello'",
            "bob: alice said 'hello'",
            "alice: confirming 'hello'",
            "server: alice confirmed: {'success': True}",
            "bob: disconnected (client disconnect; will reconnect: False)",
            "server: bob left (client disconnect)",
            "alice: 1 online",
            "server: alice left (server disconnect)",
            "alice: disconnected (server disconnect; will reconnect: False)",
            "done",
        ]
    )
    assert expected == lines, run.stdout
    assert run.stdout.splitlines()[-1] == "done"
    assert "Traceback" not in run.stderr
