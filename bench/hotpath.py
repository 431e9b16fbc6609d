"""The server's hot path under cProfile: what one operation costs, in calls and tasks.

Run it with ``.venv/bin/python bench/hotpath.py`` (``--quick``: a smoke run of the first figure;
``--code DIR`` profiles the pursocket package of another checkout, such as an older
commit's ``git worktree``, with this checkout's benchmark server).

For each figure a pursocket server (``bench/bench_server.py --profile``, the fast stack,
its handlers that never wait written as ``async def``, the form that costs a task per
event, or as plain functions with ``--handlers plain``) is driven by ``bench/load.mjs``
twice, in two fresh processes: once with N operations and once with 2N. The difference
between the two profiles is what N operations cost, without the start-up and the
connections, so the figures per operation are exact counts: Python function calls, tasks
started, ``asyncio.ensure_future`` calls. Then the functions with the most own time in
the 2N run (mostly the operations), as a share of all its own time (cProfile slows
everything down, so only shares are shown; the uvloop event loop's own C code counts as
``asyncio/runners.py(run)``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pstats
import signal
import tempfile
from pathlib import Path
from typing import Any

from _common import ServerProcess, run_load

FIGURES: list[tuple[str, dict[str, Any]]] = [
    ("c2s Msg, 50 clients", {"scenario": "msg", "clients": 50, "count": 10_000}),
    ("Call round trips, sequential", {"scenario": "call", "clients": 1, "count": 2_000}),
    ("Call round trips, 50 in parallel", {"scenario": "call", "clients": 50, "count": 5_000}),
    ("broadcast to 200 clients", {"scenario": "broadcast", "clients": 200, "count": 50}),
]

#: (function name, file ending) pairs counted per operation.
ENSURE_FUTURE = ("ensure_future", "asyncio/tasks.py")


class Profile:
    """One profiled server run: its statistics and the tasks it started."""

    def __init__(self, path: Path) -> None:
        self.stats: dict[tuple[str, int, str], tuple[int, int, float, float, Any]]
        self.stats = pstats.Stats(str(path)).stats  # type: ignore[attr-defined]
        self.tasks = int(Path(f"{path}.tasks").read_text())

    def calls(self) -> int:
        return sum(entry[1] for entry in self.stats.values())

    def calls_of(self, name: str, file_ending: str) -> int:
        return sum(
            entry[1]
            for (file, _, function), entry in self.stats.items()
            if function == name and file.endswith(file_ending)
        )

    def own_times(self) -> dict[str, float]:
        return {_label(key): entry[2] for key, entry in self.stats.items()}


def _label(key: tuple[str, int, str]) -> str:
    file, line, function = key
    if file == "~":
        return function
    parts = Path(file).parts
    if "pursocket" in parts:
        parts = parts[parts.index("pursocket") :]
    elif "site-packages" in parts:
        parts = parts[parts.index("site-packages") + 1 :]
    else:
        parts = parts[-2:]
    return f"{'/'.join(parts)}:{line}({function})"


async def profile_run(
    options: dict[str, Any], count: int, where: Path, env: dict[str, str], handlers: str
) -> Profile:
    path = where / f"{options['scenario']}-{options['clients']}-{count}.prof"
    server = ServerProcess(
        "pursocket", "fast", handlers=handlers, extra=["--profile", str(path)], env=env
    )
    async with server:
        await run_load(urls=[server.url], **dict(options, count=count))
        assert server.process is not None
        server.process.send_signal(signal.SIGINT)
        await server.process.wait()
    return Profile(path)


async def main(args: argparse.Namespace) -> None:
    env = dict(os.environ)
    if args.code:
        env["PYTHONPATH"] = str(Path(args.code).resolve())
    print(
        f"pursocket from {args.code or 'this checkout'}, {args.handlers} handlers; "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    with tempfile.TemporaryDirectory() as folder:
        for title, options in FIGURES[:1] if args.quick else FIGURES:
            count = options["count"] // 50 if args.quick else options["count"]
            once = await profile_run(options, count, Path(folder), env, args.handlers)
            twice = await profile_run(options, 2 * count, Path(folder), env, args.handlers)
            operations = count * (options["clients"] if options["scenario"] == "broadcast" else 1)
            calls = (twice.calls() - once.calls()) / operations
            tasks = (twice.tasks - once.tasks) / operations
            futures = (twice.calls_of(*ENSURE_FUTURE) - once.calls_of(*ENSURE_FUTURE)) / operations
            print(
                f"\n{title}: per operation, {calls:.1f} Python function calls, {tasks:.2f} tasks started, {futures:.2f} asyncio.ensure_future calls"
            )
            spent = twice.own_times()
            total = sum(spent.values())
            print("| own time | function |")
            print("|---|---|")
            for name, value in sorted(spent.items(), key=lambda item: -item[1])[: args.top]:
                print(f"| {value / total:.1%} | `{name}` |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--code", help="profile the pursocket package in this directory")
    parser.add_argument("--top", type=int, default=12, help="functions listed (default 12)")
    parser.add_argument(
        "--handlers",
        choices=["async", "plain"],
        default="async",
        help="how the handlers that never wait are written (default async)",
    )
    parser.add_argument("--quick", action="store_true", help="a small smoke run")
    asyncio.run(main(parser.parse_args()))
