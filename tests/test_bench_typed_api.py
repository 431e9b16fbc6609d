"""bench/typed_api_scale.py runs: both checkers accept both modules, and it prints every figure."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench" / "typed_api_scale.py"


def test_the_quick_run_checks_both_modules_clean_and_prints_every_ratio() -> None:
    # The benchmark stops with the checker's report if either module does not check clean.
    result = subprocess.run(
        [sys.executable, str(BENCH), "--quick"], capture_output=True, text=True, timeout=300
    )
    assert (result.returncode, result.stderr) == (0, "")
    lines = result.stdout.splitlines()
    ratio = r"\d+\.\d\d s   plain typed functions +\d+\.\d\d s   ratio \d+\.\d\d   \(median of 1\)"
    expected = [
        r"protocol: 3 namespaces x 4 events, 40 call sites; generated stub: \d+ lines",
        rf"pyright  wall generated API +{ratio}",
        rf"pyright  CPU  generated API +{ratio}",
        rf"mypy     wall generated API +{ratio}",
        rf"mypy     CPU  generated API +{ratio}",
        r"import of the generated module: \d+\.\d ms from its cached bytecode, \d+\.\d ms "
        r"compiled from source \(best of 3 fresh interpreters\)",
    ]
    assert len(lines) == len(expected), result.stdout
    unmatched = [
        line
        for line, pattern in zip(lines, expected, strict=True)
        if not re.fullmatch(pattern, line)
    ]
    assert unmatched == []
