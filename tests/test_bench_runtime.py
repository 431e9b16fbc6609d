"""The benchmarks' quick runs: each one runs and prints every figure it promises.

No timing is asserted: only that each benchmark runs against real servers (pursocket
and raw python-socketio on the fast and on the plain stack, Node socket.io, Redis) and
that every figure comes out as a positive number.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def quick_run(script: str, *options: str) -> str:
    """What ``bench/<script> --quick`` prints; the run must succeed."""
    run = subprocess.run(
        [sys.executable, f"bench/{script}", "--quick", *options],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stderr
    return run.stdout


def table(output: str) -> dict[str, list[str]]:
    """The rows of the markdown table in ``output``, by their first cell."""
    rows = [line.strip("|").split(" | ") for line in output.splitlines() if line.startswith("| ")]
    return {row[0].strip(): [cell.strip() for cell in row[1:]] for row in rows[1:]}


def positive(cell: str) -> bool:
    number = re.fullmatch(r"([\d,]+(?:\.\d+)?)( KiB| ms| µs)?", cell)
    return number is not None and float(number[1].replace(",", "")) > 0


def test_runtime_bench_smoke_run() -> None:
    output = quick_run("runtime.py")
    rows = table(output)
    assert list(rows) == [
        "c2s Msg, 1 client (msg/s)",
        "c2s Msg, 50 clients (msg/s)",
        "Call round trips, sequential (calls/s)",
        "Call round trips, 50 in parallel (calls/s)",
        "broadcast to 200 clients (deliveries/s)",
        "room fan-out to 1,000 clients (deliveries/s)",
    ], output
    # 5 servers' rates, 3 ratios, 5 servers' CPU per operation.
    assert all(len(cells) == 13 and all(map(positive, cells)) for cells in rows.values()), output


def test_runtime_bench_async_handlers_smoke_run() -> None:
    output = quick_run("runtime.py", "--async-handlers", "--only", "1 client")
    assert "; async handlers; " in output.splitlines()[0], output
    rows = table(output)
    assert list(rows) == ["c2s Msg, 1 client (msg/s)"], output
    assert all(len(cells) == 13 and all(map(positive, cells)) for cells in rows.values()), output


def test_runtime_bench_stacks_smoke_run() -> None:
    output = quick_run("runtime.py", "--stacks", "--only", "50 clients")
    rows = table(output)
    assert list(rows) == ["c2s Msg, 50 clients (msg/s)"], output
    # 7 stacks' rates, 1 ratio, 7 stacks' CPU per operation.
    assert all(len(cells) == 15 and all(map(positive, cells)) for cells in rows.values()), output


def test_runtime_bench_before_smoke_run() -> None:
    # This checkout against itself: the column of another checkout's package runs.
    output = quick_run("runtime.py", "--before", str(ROOT), "--only", "sequential")
    rows = table(output)
    assert list(rows) == ["Call round trips, sequential (calls/s)"], output
    # 2 servers' rates, 1 ratio, 2 servers' CPU per operation.
    assert all(len(cells) == 5 and all(map(positive, cells)) for cells in rows.values()), output


def test_scaleout_bench_smoke_run() -> None:
    output = quick_run("scaleout.py")
    rows = table(output)
    assert list(rows) == ["1 process, no Redis", "1 process, Redis", "2 processes, Redis"]
    assert all(len(cells) == 3 and all(map(positive, cells)) for cells in rows.values()), output
    assert re.search(r"^the Redis hop: -?\d+\.\d\d ms", output, re.M), output


def test_memory_bench_smoke_run() -> None:
    output = quick_run("memory.py")
    rows = table(output)
    assert list(rows) == ["pursocket", "raw plain", "raw fast"], output
    assert all(
        len(cells) == 1 and re.fullmatch(r"-?[\d,]+\.\d KiB", cells[0]) for cells in rows.values()
    ), output


def test_hotpath_bench_smoke_run() -> None:
    output = quick_run("hotpath.py")
    summary = re.search(
        r"^c2s Msg, 50 clients: per operation, (\d+\.\d) Python function calls, "
        r"(-?\d+\.\d\d) tasks started, (-?\d+\.\d\d) asyncio.ensure_future calls$",
        output,
        re.M,
    )
    assert summary is not None, output
    assert float(summary[1]) > 0, output
    assert "| own time | function |" in output


def test_rooms_bench_smoke_run() -> None:
    output = quick_run("rooms.py")
    ratio = re.search(
        r"^  ratio pursocket/raw: best (\d+\.\d{3}), median (\d+\.\d{3})", output, re.M
    )
    assert ratio is not None, output
    assert float(ratio[1]) > 0 and float(ratio[2]) > 0
    assert "one broadcast to an empty room" in output
