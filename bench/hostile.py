"""What hostile input costs the server: the figures docs/reliability.md quotes.

Two scenarios:

* ``digits``: event-loop time to decode one 1 MB EVENT packet, plain text against
  text made of 100-digit runs (just under the huge-number limit), in this process.
* ``flood``: one client floods Msgs whose handler never returns (for ``--seconds``),
  against a server in a subprocess; a second client then asks the server, with a
  Call, how many asyncio tasks it runs and its peak RSS. ``--max-in-flight`` sets
  ``Server(max_in_flight=...)`` (a huge value: no bound, as before the bound).

    .venv/bin/python bench/hostile.py digits
    .venv/bin/python bench/hostile.py flood
    .venv/bin/python bench/hostile.py flood --max-in-flight 1000000000
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import time
from pathlib import Path
from typing import Any, TypedDict

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import free_port, serve_and_say_ready, wait_until_ready
from pursocket import Call, Client, Msg, Server
from pursocket._codec import packet_class
from pursocket.protocol import Direction
from pursocket.validation import build_validators


class Stats(TypedDict):
    tasks: int
    peak_rss_mb: float


class FloodC2S(TypedDict):
    slow: Msg[int]
    stats: Call[None, Stats]


class Flood(TypedDict):
    c2s: FloodC2S


class FloodProtocol(TypedDict):
    flood: Flood


def digits(rounds: int) -> None:
    """Print the best time to decode a 1 MB packet of plain text and of 100-digit runs."""
    server = Server(FloodProtocol)
    codec = packet_class(build_validators(server.model), Direction.C2S, 2_000_000)
    runs = ",".join(["1" * 100] * 9_900)
    texts = {
        "plain text": '2/flood,["slow","' + "x" * 1_000_000 + '"]',
        "100-digit runs": '2/flood,["slow",[' + runs + "]]",
    }
    for name, text in texts.items():
        best = float("inf")
        for _ in range(rounds):
            started = time.perf_counter()
            codec(encoded_packet=text)
            best = min(best, time.perf_counter() - started)
        print(
            f"{name}: {len(text):,} characters, decoded in {best * 1e3:.1f} ms (best of {rounds})"
        )


def flood_app(max_in_flight: int | None) -> Any:
    options = {} if max_in_flight is None else {"max_in_flight": max_in_flight}
    server = Server(FloodProtocol, **options)
    flood = server.namespace("flood")
    never = asyncio.Event()

    @flood.on("slow")
    async def slow(conn: Any, value: int) -> None:
        await never.wait()

    @flood.on_call("stats")
    def stats(conn: Any, request: None) -> Stats:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return {"tasks": len(asyncio.all_tasks()), "peak_rss_mb": round(peak, 1)}

    return server, server.asgi_app()


async def serve(port: int, max_in_flight: int | None) -> None:
    server, app = flood_app(max_in_flight)
    await serve_and_say_ready(app, port, log_level="error", **server.uvicorn_options())


async def flood(seconds: float, max_in_flight: int | None) -> None:
    port = free_port()
    command = [sys.executable, __file__, "serve", "--port", str(port)]
    if max_in_flight is not None:
        command += ["--max-in-flight", str(max_in_flight)]
    process = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        await wait_until_ready(process, "the flood server")
        sent = 0
        async with aiohttp.ClientSession() as http:
            ws = await http.ws_connect(
                url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
            )
            await ws.receive()
            await ws.send_str("40/flood,")
            await ws.receive()
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                try:
                    await asyncio.wait_for(ws.send_str(f'42/flood,["slow",{sent}]'), 1)
                except asyncio.TimeoutError:
                    break  # the server stopped reading: the network buffers are full
                sent += 1
            observer = Client(FloodProtocol, reconnection=False)
            observer.namespace("flood")
            async with observer:
                await observer.connect(url, wait_timeout=60)
                stats = await observer.namespace("flood").call("stats", None, timeout=60)
            await ws.close()
        bound = (
            "no bound"
            if max_in_flight and max_in_flight > 10**6
            else f"max_in_flight={max_in_flight or 100}"
        )
        print(
            f"{bound}: {sent:,} Msgs written in {seconds:g} s; server runs {stats['tasks']:,} "
            f"tasks, peak RSS {stats['peak_rss_mb']} MB"
        )
    finally:
        process.terminate()
        await process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("scenario", choices=["digits", "flood", "serve"])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--max-in-flight", type=int, default=None)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    if args.scenario == "digits":
        digits(args.rounds)
    elif args.scenario == "flood":
        asyncio.run(flood(args.seconds, args.max_in_flight))
    else:
        asyncio.run(serve(args.port, args.max_in_flight))


if __name__ == "__main__":
    main()
