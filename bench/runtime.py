"""pursocket against raw python-socketio and Node socket.io, side by side in one run.

Run it with ``.venv/bin/python bench/runtime.py`` (``--quick`` for a smoke run,
``--stacks`` for what each part of the fast serving stack buys, ``--before DIR`` for
pursocket against the pursocket package of another checkout, such as an older
commit's ``git worktree``).

Every server runs in its own process on loopback, and every figure is driven by the
same load generator in a process of its own: ``bench/load.mjs``, the official npm
``socket.io-client`` over websocket, which is fast enough that the servers, not the
clients, are what is measured. The servers (``bench/bench_server.py``,
``bench/node_server.mjs``) do the same work:

- ``pursocket``: a pursocket ``Server`` (validation on) on its default stack, the one
  ``pip install "pursocket[server]"`` brings (uvicorn with uvloop, httptools and
  websockets).
- ``raw plain``: a plain ``socketio.AsyncServer`` on ``pip install uvicorn`` alone (the
  stdlib event loop, h11, wsproto), as python-socketio's docs deploy it.
- ``raw fast``: the same raw server on pursocket's fast stack.
- ``pursocket plain``: pursocket on the plain stack (the stack's share of the gain).
- ``node``: the official Node socket.io 4.x server, the ceiling.

The Python servers' handlers that never wait (counting, echoing) are plain functions,
as pursocket's docs recommend for them; ``--async-handlers`` writes them as
``async def`` instead, in both servers (see ``bench/bench_server.py``).

Figures: c2s Msgs per second (1 and 50 clients sending as fast as they can); Call
round trips per second (one client calling one after another, and 50 clients doing so
at once); deliveries per second of a broadcast to 200 clients and of a room broadcast
to 1,000. Each figure is the median of ``--rounds`` rounds (5 by default), the servers
taking turns within a round in an order that rotates from round to round. Next to it
is the server's CPU time per operation (median), measured in the server process: on a
2-core machine shared with the load generator, it shows server cost that throughput
can hide.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
from contextlib import AsyncExitStack
from typing import Any

from _common import ServerProcess, run_load

#: (column, server kind, stack) of the default run.
COLUMNS = [
    ("pursocket", "pursocket", "fast"),
    ("raw plain", "raw", "plain"),
    ("raw fast", "raw", "fast"),
    ("pursocket plain", "pursocket", "plain"),
    ("node", "node", ""),
]

#: (column, stack) of the ``--stacks`` run: pursocket on the plain stack, with one part
#: of the fast stack at a time, with all three, with compression off alone, and on the
#: fast stack (all three and compression off).
STACK_COLUMNS = [
    ("plain", "plain"),
    ("+ uvloop", "uvloop,h11,wsproto,deflate"),
    ("+ httptools", "asyncio,httptools,wsproto,deflate"),
    ("+ websockets", "asyncio,h11,websockets-sansio,deflate"),
    ("all three", "uvloop,httptools,websockets-sansio,deflate"),
    ("no compression", "asyncio,h11,wsproto"),
    ("fast", "fast"),
]

#: (title, unit, load.mjs options): the figures of the default run.
SCENARIOS: list[tuple[str, str, dict[str, Any]]] = [
    ("c2s Msg, 1 client", "msg/s", {"scenario": "msg", "clients": 1, "count": 20_000}),
    ("c2s Msg, 50 clients", "msg/s", {"scenario": "msg", "clients": 50, "count": 20_000}),
    ("Call round trips, sequential", "calls/s", {"scenario": "call", "clients": 1, "count": 3_000}),
    ("Call round trips, 50 in parallel", "calls/s", {"scenario": "call", "clients": 50, "count": 10_000}),
    ("broadcast to 200 clients", "deliveries/s", {"scenario": "broadcast", "clients": 200, "count": 300}),
    ("room fan-out to 1,000 clients", "deliveries/s", {"scenario": "room", "clients": 1_000, "count": 40}),
]  # fmt: skip

#: The figures of the ``--stacks`` run; long-polling is where the HTTP parser matters.
STACK_SCENARIOS: list[tuple[str, str, dict[str, Any]]] = [
    SCENARIOS[1],
    SCENARIOS[4],
    (
        "Call round trips, sequential, long-polling",
        "calls/s",
        {"scenario": "call", "clients": 1, "count": 1_000, "transports": ["polling"]},
    ),
]


def scaled(options: dict[str, Any], scale: float) -> dict[str, Any]:
    """``options`` with the message count (and the client count, at most 50) scaled down."""
    smaller = dict(options, count=max(1, int(options["count"] * scale)))
    if scale < 1:
        smaller["clients"] = min(options["clients"], 50)
    return smaller


class Round:
    """One measurement: operations per second and the server's CPU time per operation."""

    def __init__(self, result: dict[str, Any]) -> None:
        self.rate = result["operations"] / result["seconds"]
        self.cpu_us = result["cpu_seconds"] / result["operations"] * 1e6


async def measure(
    servers: dict[str, ServerProcess], options: dict[str, Any], rounds: int
) -> dict[str, tuple[float, float]]:
    """Median rate and median CPU per operation of each server, rounds taking turns."""
    found: dict[str, list[Round]] = {name: [] for name in servers}
    names = list(servers)
    for round_ in range(rounds):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            result = await run_load(urls=[servers[name].url], **options)
            found[name].append(Round(result))
    return {
        name: (
            statistics.median(r.rate for r in results),
            statistics.median(r.cpu_us for r in results),
        )
        for name, results in found.items()
    }


def print_header(names: list[str], ratios: list[tuple[str, str]]) -> None:
    header = ["", *names, *(f"{a} / {b}" for a, b in ratios), *(f"CPU µs/op {n}" for n in names)]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header), flush=True)


def print_row(
    title: str, unit: str, row: dict[str, tuple[float, float]], ratios: list[tuple[str, str]]
) -> None:
    cells = [f"{title} ({unit})"]
    cells += [f"{rate:,.0f}" for rate, _ in row.values()]
    cells += [f"{row[a][0] / row[b][0]:.2f}" for a, b in ratios]
    cells += [f"{cpu:.1f}" for _, cpu in row.values()]
    print("| " + " | ".join(cells) + " |", flush=True)


async def main(args: argparse.Namespace) -> None:
    rounds, scale = (1, 0.05) if args.quick else (args.rounds, 1.0)
    handlers = "async" if args.async_handlers else "plain"
    environments: dict[str, dict[str, str]] = {}
    if args.stacks:
        columns = [(name, "pursocket", stack) for name, stack in STACK_COLUMNS]
        scenarios = STACK_SCENARIOS
        ratios = [(STACK_COLUMNS[-1][0], STACK_COLUMNS[0][0])]
    elif args.before:
        columns = [("pursocket", "pursocket", "fast"), ("pursocket before", "pursocket", "fast")]
        environments["pursocket before"] = dict(os.environ, PYTHONPATH=args.before)
        scenarios = SCENARIOS
        ratios = [("pursocket", "pursocket before")]
    else:
        columns = COLUMNS
        scenarios = SCENARIOS
        ratios = [("pursocket", "raw plain"), ("pursocket", "raw fast"), ("pursocket", "node")]
    if args.only:
        scenarios = [s for s in scenarios if args.only in s[0]]
    print(
        f"python {sys.version.split()[0]}, python-socketio {_version('python-socketio')}, "
        f"uvicorn {_version('uvicorn')}, node {await _node_version()}; {handlers} handlers; "
        f"{rounds} rounds, medians; load average {os.getloadavg()[0]:.2f} at the start",
        flush=True,
    )
    async with AsyncExitStack() as stack:
        processes = [
            ServerProcess(kind, server_stack, handlers=handlers, env=environments.get(name))
            for name, kind, server_stack in columns
        ]
        await asyncio.gather(*(stack.enter_async_context(p) for p in processes))
        servers = {name: process for (name, _, _), process in zip(columns, processes, strict=True)}
        print_header(list(servers), ratios)
        for title, unit, options in scenarios:
            row = await measure(servers, scaled(options, scale), rounds)
            print_row(title, unit, row, ratios)
    print(f"load average {os.getloadavg()[0]:.2f} at the end", flush=True)


def _version(distribution: str) -> str:
    from importlib.metadata import version

    return version(distribution)


async def _node_version() -> str:
    process = await asyncio.create_subprocess_exec(
        "node", "--version", stdout=asyncio.subprocess.PIPE
    )
    out, _ = await process.communicate()
    return out.decode().strip()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds per server (default 5)")
    parser.add_argument("--quick", action="store_true", help="a small smoke run")
    parser.add_argument("--stacks", action="store_true", help="pursocket on each serving stack")
    parser.add_argument("--only", help="run the figures whose title contains this text")
    parser.add_argument(
        "--async-handlers",
        action="store_true",
        help="the handlers that never wait written as async def (plain functions by default)",
    )
    parser.add_argument(
        "--before", metavar="DIR", help="pursocket against the pursocket package in DIR"
    )
    asyncio.run(main(parser.parse_args()))
