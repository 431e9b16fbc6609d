"""The benchmarks' quick runs measure both sides and print every figure with its ratio."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def quick_run(script: str) -> str:
    """What ``bench/<script> --quick`` prints; the run must succeed."""
    run = subprocess.run(
        [sys.executable, f"bench/{script}", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    return run.stdout


def test_runtime_bench_smoke_run() -> None:
    output = quick_run("runtime.py")
    figures = {
        match[0]: float(match[1])
        for match in re.findall(r"^(\S.*?)\s{2,}\S+/s .*? (\d+\.\d{3}) \(", output, re.M)
    }
    assert set(figures) == {
        "c2s Msg, 1 client",
        "c2s Msg, 50 clients",
        "Call round trips, 1 client",
        "broadcast to 200 clients",
    }, output
    assert all(ratio > 0 for ratio in figures.values())


def test_rooms_bench_smoke_run() -> None:
    output = quick_run("rooms.py")
    ratio = re.search(
        r"^  ratio pursocket/raw: best (\d+\.\d{3}), median (\d+\.\d{3})", output, re.M
    )
    assert ratio is not None, output
    assert float(ratio[1]) > 0 and float(ratio[2]) > 0
    assert "one broadcast to an empty room" in output
