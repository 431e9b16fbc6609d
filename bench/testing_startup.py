"""How long a test waits for ``pursocket.testing``: ``serve`` plus one ``connect``, and leaving both.

Run it with ``.venv/bin/python bench/testing_startup.py`` (``--rounds N``). Each round
serves one ``Server`` with ``serve`` (uvicorn on a free 127.0.0.1 port, in this event
loop) and connects one recording client over websocket, as a test does; the first
round warms up imports and is not counted. Prints the median time until the client is
connected, and until both have been left again.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import TypedDict

from pursocket import Msg, Server
from pursocket.testing import connect, serve


class LobbyC2S(TypedDict):
    chat: Msg[str]


class Lobby(TypedDict):
    c2s: LobbyC2S


class AppProtocol(TypedDict):
    lobby: Lobby


async def measure(rounds: int) -> tuple[list[float], list[float]]:
    """(time to connected, time to torn down) of each round after the warm-up, in seconds."""
    server = Server(AppProtocol)
    ready, total = [], []
    for round_number in range(rounds + 1):
        started = time.perf_counter()
        async with serve(server) as url, connect(AppProtocol, url, "lobby"):
            connected = time.perf_counter()
        finished = time.perf_counter()
        if round_number:
            ready.append(connected - started)
            total.append(finished - started)
    return ready, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="counted rounds (default 20)")
    rounds = parser.parse_args().rounds
    ready, total = asyncio.run(measure(rounds))
    print(
        f"serve + connect: median {statistics.median(ready) * 1000:.1f} ms, "
        f"with teardown {statistics.median(total) * 1000:.1f} ms ({rounds} rounds)"
    )


if __name__ == "__main__":
    main()
