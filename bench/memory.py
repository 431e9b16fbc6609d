"""Server memory per idle websocket connection: pursocket and raw python-socketio.

Run it with ``.venv/bin/python bench/memory.py`` (``--clients 1000 10000`` by default;
``--quick`` for a smoke run).

For each server (``bench/bench_server.py``: pursocket on its default stack, raw
python-socketio on plain uvicorn and on the same fast stack) and each client count, a
fresh server process is started and warmed up (50 clients connect and leave, so that
lazily imported code and first-use caches are in place); then the load generator
(``bench/load.mjs``, the npm socket.io-client) connects the clients over websocket to
the ``/bench`` namespace and keeps them idle. The figure is the growth of the server
process's resident memory (``VmRSS``) between the warmed-up server and the server
holding every connection, divided by the number of connections.

Connecting is not what is measured, so the clients get up to ``CONNECT_SECONDS`` to
connect (raw python-socketio on plain uvicorn needs minutes for 10,000 on a loaded
2-core machine), and the open-file limit is raised for the servers and the load
generator, which inherit it (loopback only).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource

from _common import BENCH, ServerProcess, run_load

#: How long the load generator may take to connect the clients.
CONNECT_SECONDS = 1800

SERVERS = [("pursocket", "pursocket", "fast"), ("raw plain", "raw", "plain"), ("raw fast", "raw", "fast")]  # fmt: skip


async def bytes_per_connection(kind: str, stack: str, clients: int, warm_up: int) -> float:
    """Resident memory the server ``kind`` on ``stack`` grows by per idle connection."""
    async with ServerProcess(kind, stack) as server:
        await run_load(scenario="call", urls=[server.url], clients=warm_up, count=warm_up)
        before = server.rss_bytes()
        options = json.dumps(
            {
                "scenario": "idle",
                "urls": [server.url],
                "clients": clients,
                "timeout": CONNECT_SECONDS,
            }
        )
        load = await asyncio.create_subprocess_exec(
            "node", str(BENCH / "load.mjs"), options,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert load.stdin is not None and load.stdout is not None
        line = await asyncio.wait_for(load.stdout.readline(), CONNECT_SECONDS + 60)
        if json.loads(line or b"{}").get("connected") != clients:
            raise RuntimeError(f"load.mjs did not connect {clients} clients: {line!r}")
        after = server.rss_bytes()
        load.stdin.close()
        await load.wait()
    return (after - before) / clients


def allow_open_files(connections: int) -> None:
    """Raise this process's open-file limit (inherited by its children) for ``connections``."""
    wanted = connections + 1_000  # the server's and the load generator's other files
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= wanted:
        return
    if hard != resource.RLIM_INFINITY and hard < wanted:
        raise SystemExit(
            f"{connections:,} connections need {wanted:,} open files per process, but the "
            f"hard limit is {hard:,}: raise it (ulimit -Hn) or pass fewer --clients"
        )
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


async def main(args: argparse.Namespace) -> None:
    counts, warm_up = ([20], 5) if args.quick else (args.clients, 50)
    allow_open_files(max(counts))
    print(f"load average {os.getloadavg()[0]:.2f} at the start", flush=True)
    print("| server | " + " | ".join(f"{n:,} connections" for n in counts) + " |")
    print("|---|" + "---|" * len(counts))
    for name, kind, stack in SERVERS:
        sizes = [await bytes_per_connection(kind, stack, n, warm_up) for n in counts]
        print(f"| {name} | " + " | ".join(f"{size / 1024:,.1f} KiB" for size in sizes) + " |")
    print(f"load average {os.getloadavg()[0]:.2f} at the end", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--quick", action="store_true", help="a small smoke run")
    asyncio.run(main(parser.parse_args()))
