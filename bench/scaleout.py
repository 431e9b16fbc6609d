"""Scale-out: pursocket server processes sharing a room through Redis.

Run it with ``.venv/bin/python bench/scaleout.py`` (``--quick`` for a smoke run; Redis
must listen at ``--redis``, ``redis://127.0.0.1:6379/5`` by default).

Each server process (``bench/bench_server.py pursocket``, the fast stack) is started on
its own port; the load generator (``bench/load.mjs``, the npm socket.io-client over
websocket) spreads its clients over the processes, every client joins the room
``hall``, and one client asks its process for a series of room broadcasts. Every
process delivers them to its own members: with python-socketio's
``AsyncRedisManager`` the emitting process publishes each broadcast to Redis and
every process, the emitting one included, delivers what it reads back. Three
set-ups, the rounds taking turns:

- ``1 process, no Redis``: the single-process manager, for reference.
- ``1 process, Redis``: the same process count, every broadcast through Redis: the
  difference is what the Redis hop costs.
- ``2 processes, Redis``: the clients split over two processes.

Figures: deliveries per second (wall clock, median round) and the servers' CPU time
per broadcast, added up over the processes (median round), and the same per delivery
(per broadcast divided by the clients).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
from contextlib import AsyncExitStack

from _common import ServerProcess, run_load

SETUPS = [
    ("1 process, no Redis", 1, False),
    ("1 process, Redis", 1, True),
    ("2 processes, Redis", 2, True),
]


async def main(args: argparse.Namespace) -> None:
    rounds, clients, count = (1, 40, 5) if args.quick else (args.rounds, args.clients, 40)
    print(
        f"{clients} websocket clients in one room, {count} room broadcasts per round, "
        f"{rounds} rounds, medians; load average {os.getloadavg()[0]:.2f} at the start",
        flush=True,
    )
    async with AsyncExitStack() as stack:
        urls = {}
        for title, processes, redis in SETUPS:
            servers = [
                await stack.enter_async_context(
                    ServerProcess(
                        "pursocket", "fast", args.redis if redis else None, f"bench-{title}"
                    )
                )
                for _ in range(processes)
            ]
            urls[title] = [server.url for server in servers]
        rates: dict[str, list[float]] = {title: [] for title in urls}
        cpu: dict[str, list[float]] = {title: [] for title in urls}
        titles = list(urls)
        for round_ in range(rounds):
            shift = round_ % len(titles)
            for title in titles[shift:] + titles[:shift]:
                result = await run_load(
                    scenario="room", urls=urls[title], clients=clients, count=count
                )
                rates[title].append(result["operations"] / result["seconds"])
                cpu[title].append(result["cpu_seconds"] / count)
        print(
            "| set-up | deliveries/s | server CPU per broadcast (all processes) "
            "| server CPU per delivery |"
        )
        print("|---|---|---|---|")
        for title in titles:
            per_broadcast = statistics.median(cpu[title])
            print(
                f"| {title} | {statistics.median(rates[title]):,.0f} | "
                f"{per_broadcast * 1e3:.2f} ms | {per_broadcast / clients * 1e6:.1f} µs |"
            )
        hop = statistics.median(cpu[titles[1]]) - statistics.median(cpu[titles[0]])
        print(f"the Redis hop: {hop * 1e3:.2f} ms of server CPU per broadcast")
    print(f"load average {os.getloadavg()[0]:.2f} at the end", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds per set-up (default 5)")
    parser.add_argument("--clients", type=int, default=1_000, help="clients (default 1,000)")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/5", help="the Redis URL")
    parser.add_argument("--quick", action="store_true", help="a small smoke run")
    asyncio.run(main(parser.parse_args()))
