"""The benchmarks' quick runs measure both sides and print every figure with its ratio."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_runtime_bench_smoke_run() -> None:
    run = subprocess.run(
        [sys.executable, "bench/runtime.py", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    figures = {
        match[0]: float(match[1])
        for match in re.findall(r"^(\S.*?)\s{2,}\S+/s .*? (\d+\.\d{3}) \(", run.stdout, re.M)
    }
    assert set(figures) == {
        "c2s Msg, 1 client",
        "c2s Msg, 50 clients",
        "Call round trips, 1 client",
        "broadcast to 200 clients",
    }, run.stdout
    assert all(ratio > 0 for ratio in figures.values())


def test_rooms_bench_smoke_run() -> None:
    run = subprocess.run(
        [sys.executable, "bench/rooms.py", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    ratio = re.search(
        r"^  ratio pursocket/raw: best (\d+\.\d{3}), median (\d+\.\d{3})", run.stdout, re.M
    )
    assert ratio is not None, run.stdout
    assert float(ratio[1]) > 0 and float(ratio[2]) > 0
    assert "one broadcast to an empty room" in run.stdout
