"""pursocket against raw python-socketio, in the same run, on loopback.

Run it with ``.venv/bin/python bench/runtime.py`` (``--quick`` for a smoke run).

Each server (a pursocket ``Server`` and a plain ``socketio.AsyncServer`` doing the same
work by hand) runs under uvicorn in its own subprocess, with the same uvicorn settings,
so neither competes with the load generator for the interpreter. The rounds alternate
between the two servers and each figure is the best round, which keeps a noisy
machine from favouring whichever side happened to run during a quiet moment.

What each figure measures:

- ``c2s Msg, 1 client`` / ``50 clients``: Msg events per second that the server
  receives, validates and hands to its handler. The load generator is the same plain
  ``socketio.AsyncClient`` for both servers, so the difference is the server.
- ``Call round trips``: sequential Call round trips per second from one client, each
  side with its own client (pursocket ``Client`` against pursocket ``Server``;
  ``AsyncClient.call`` against ``AsyncServer``), because a Call has a client half
  (waiting, response validation) that users pay for too.
- ``broadcast to 200 clients``: messages delivered per second when the server
  broadcasts to 200 connected plain ``socketio.AsyncClient``\\ s.

Next to each throughput the server's CPU time per operation is printed (measured in
the server process): on a loaded machine the clients can be the bottleneck and hide
server overhead that the CPU time still shows.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypedDict

import socketio
from _common import free_port, serve_and_say_ready, wait_until_ready

from pursocket import Call, Client, Connection, Msg, Server

NAMESPACE = "/bench"
TEXT = "the quick brown fox jumps over the lazy dog"


class Hit(TypedDict):
    seq: int
    text: str


class Start(TypedDict):
    expected: int


class Stats(TypedDict):
    received: int
    cpu_seconds: float


class Fanout(TypedDict):
    count: int


class BenchC2S(TypedDict):
    start: Call[Start, None]
    stats: Call[None, Stats]
    hit: Msg[Hit]
    echo: Call[Hit, Hit]
    fanout: Msg[Fanout]


class BenchS2C(TypedDict):
    finished: Msg[Stats]
    tick: Msg[Hit]


class BenchNamespace(TypedDict):
    c2s: BenchC2S
    s2c: BenchS2C


class BenchProtocol(TypedDict):
    bench: BenchNamespace


class Counter:
    """What the server counts between a ``start`` and the last expected ``hit``."""

    def __init__(self) -> None:
        self.start({"expected": 0})

    def start(self, request: Start) -> None:
        self.expected = request["expected"]
        self.received = 0
        self.cpu_start = time.process_time()

    def stats(self) -> Stats:
        return {"received": self.received, "cpu_seconds": time.process_time() - self.cpu_start}


# --- the two servers, doing the same work --------------------------------------------


def pursocket_app() -> Any:
    server = Server(BenchProtocol)
    bench = server.namespace("bench")
    counter = Counter()
    BenchConn = Connection[BenchProtocol, Any]

    @bench.on_call("start")
    async def start(conn: BenchConn, request: Start) -> None:
        counter.start(request)

    @bench.on_call("stats")
    async def stats(conn: BenchConn, request: None) -> Stats:
        return counter.stats()

    @bench.on("hit")
    async def hit(conn: BenchConn, message: Hit) -> None:
        counter.received += 1
        if counter.received == counter.expected:
            await bench.broadcast("finished", counter.stats())

    @bench.on_call("echo")
    async def echo(conn: BenchConn, message: Hit) -> Hit:
        return message

    @bench.on("fanout")
    async def fanout(conn: BenchConn, request: Fanout) -> None:
        for seq in range(request["count"]):
            await bench.broadcast("tick", {"seq": seq, "text": TEXT})

    return server.asgi_app()


def raw_app() -> Any:
    sio = socketio.AsyncServer(async_mode="asgi", namespaces=[NAMESPACE])
    counter = Counter()

    @sio.on("start", namespace=NAMESPACE)
    async def start(sid: str, request: Start) -> None:
        counter.start(request)

    @sio.on("stats", namespace=NAMESPACE)
    async def stats(sid: str, request: None) -> Stats:
        return counter.stats()

    @sio.on("hit", namespace=NAMESPACE)
    async def hit(sid: str, message: Hit) -> None:
        counter.received += 1
        if counter.received == counter.expected:
            await sio.emit("finished", counter.stats(), namespace=NAMESPACE)

    @sio.on("echo", namespace=NAMESPACE)
    async def echo(sid: str, message: Hit) -> Hit:
        return message

    @sio.on("fanout", namespace=NAMESPACE)
    async def fanout(sid: str, request: Fanout) -> None:
        for seq in range(request["count"]):
            await sio.emit("tick", {"seq": seq, "text": TEXT}, namespace=NAMESPACE)

    return socketio.ASGIApp(sio)


APPS: dict[str, Callable[[], Any]] = {"pursocket": pursocket_app, "raw": raw_app}


async def serve(kind: str, port: int) -> None:
    await serve_and_say_ready(APPS[kind](), port, log_level="warning", access_log=False)


# --- the load generator ------------------------------------------------------------------


class ServerProcess:
    """One benchmark server in a subprocess on a free loopback port."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> ServerProcess:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--serve", self.kind, "--port", str(self.port),
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        await wait_until_ready(self.process, f"the {self.kind} server")
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()


class LoadClient:
    """A plain ``socketio.AsyncClient`` that counts what the server sends it."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False, handle_sigint=False)
        self.ticks = 0
        self.ticks_wanted = 0
        self.on_finished: Callable[[], None] = lambda: None
        self.on_all_ticks: Callable[[], None] = lambda: None
        self.sio.on("finished", self._finished, namespace=NAMESPACE)
        self.sio.on("tick", self._tick, namespace=NAMESPACE)

    def _finished(self, stats: Stats) -> None:
        self.on_finished()

    def _tick(self, message: Hit) -> None:
        self.ticks += 1
        if self.ticks == self.ticks_wanted:
            self.on_all_ticks()

    async def connect(self, url: str) -> None:
        await self.sio.connect(
            url, namespaces=[NAMESPACE], transports=["websocket"], wait_timeout=10
        )

    async def call(self, event: str, data: Any) -> Any:
        return await self.sio.call(event, data, namespace=NAMESPACE, timeout=60)


async def connect_clients(url: str, count: int) -> list[LoadClient]:
    clients = [LoadClient() for _ in range(count)]
    for start in range(0, count, 25):
        await asyncio.gather(*(client.connect(url) for client in clients[start : start + 25]))
    return clients


async def disconnect_clients(clients: list[LoadClient]) -> None:
    await asyncio.gather(*(client.sio.disconnect() for client in clients))


class Result:
    """One round: operations, wall seconds and the server's CPU seconds."""

    def __init__(self, operations: int, seconds: float, cpu_seconds: float) -> None:
        self.rate = operations / seconds
        self.cpu_per_op_us = cpu_seconds / operations * 1e6


async def msg_throughput(clients: list[LoadClient], total: int) -> Result:
    done = asyncio.get_running_loop().create_future()
    for client in clients:
        client.on_finished = lambda: done.done() or done.set_result(None)
    per_client = total // len(clients)
    expected = per_client * len(clients)
    await clients[0].call("start", {"expected": expected})

    async def send(client: LoadClient) -> None:
        for seq in range(per_client):
            await client.sio.emit("hit", {"seq": seq, "text": TEXT}, namespace=NAMESPACE)

    began = time.perf_counter()
    await asyncio.gather(*(send(client) for client in clients))
    await asyncio.wait_for(done, 120)
    seconds = time.perf_counter() - began
    stats = await clients[0].call("stats", (None,))
    return Result(expected, seconds, stats["cpu_seconds"])


async def broadcast_throughput(clients: list[LoadClient], count: int) -> Result:
    loop = asyncio.get_running_loop()
    remaining = len(clients)
    done = loop.create_future()

    def one_done() -> None:
        nonlocal remaining
        remaining -= 1
        if remaining == 0:
            done.set_result(None)

    for client in clients:
        client.ticks, client.ticks_wanted, client.on_all_ticks = 0, count, one_done
    await clients[0].call("start", {"expected": 0})
    began = time.perf_counter()
    await clients[0].sio.emit("fanout", {"count": count}, namespace=NAMESPACE)
    await asyncio.wait_for(done, 120)
    seconds = time.perf_counter() - began
    stats = await clients[0].call("stats", (None,))
    return Result(count * len(clients), seconds, stats["cpu_seconds"])


async def call_round_trips(kind: str, url: str, count: int) -> Result:
    message: Hit = {"seq": 0, "text": TEXT}
    if kind == "pursocket":
        client = Client(BenchProtocol, reconnection=False)
        bench = client.namespace("bench")
        async with client:
            await client.connect(url, transports=["websocket"])
            await bench.call("start", {"expected": 0})
            began = time.perf_counter()
            for seq in range(count):
                message["seq"] = seq
                await bench.call("echo", message)
            seconds = time.perf_counter() - began
            stats = await bench.call("stats", None)
    else:
        raw = LoadClient()
        await raw.connect(url)
        try:
            await raw.call("start", {"expected": 0})
            began = time.perf_counter()
            for seq in range(count):
                message["seq"] = seq
                await raw.call("echo", message)
            seconds = time.perf_counter() - began
            stats = await raw.call("stats", (None,))
        finally:
            await raw.sio.disconnect()
    return Result(count, seconds, stats["cpu_seconds"])


Measure = Callable[[str, ServerProcess], Awaitable[Result]]


def with_clients(count: int, run: Callable[[list[LoadClient]], Awaitable[Result]]) -> Measure:
    async def measure(kind: str, server: ServerProcess) -> Result:
        clients = await connect_clients(server.url, count)
        try:
            return await run(clients)
        finally:
            await disconnect_clients(clients)

    return measure


def scenarios(scale: float) -> list[tuple[str, str, Measure]]:
    def n(value: int) -> int:
        return max(1, int(value * scale))

    return [
        (
            "c2s Msg, 1 client",
            "msg/s",
            with_clients(1, lambda clients: msg_throughput(clients, n(20_000))),
        ),
        (
            "c2s Msg, 50 clients",
            "msg/s",
            with_clients(50, lambda clients: msg_throughput(clients, n(20_000))),
        ),
        (
            "Call round trips, 1 client",
            "calls/s",
            lambda kind, server: call_round_trips(kind, server.url, n(2_000)),
        ),
        (
            "broadcast to 200 clients",
            "deliveries/s",
            with_clients(200, lambda clients: broadcast_throughput(clients, n(300))),
        ),
    ]


async def main(rounds: int, scale: float, only: str | None) -> None:
    async with ServerProcess("pursocket") as ours, ServerProcess("raw") as raw:
        servers = {"pursocket": ours, "raw": raw}
        print(
            f"python {sys.version.split()[0]}, python-socketio {_version('python-socketio')}; "
            f"{rounds} alternating rounds per server; throughput: best round (median round); "
            "server CPU per operation: median"
        )
        header = ("", "unit", "pursocket", "raw", "ratio", "CPU us/op", "raw CPU")
        print("{:28} {:>12} {:>19} {:>19} {:>14} {:>10} {:>8}".format(*header))
        for title, unit, measure in scenarios(scale):
            if only is not None and only not in title:
                continue
            results: dict[str, list[Result]] = {"pursocket": [], "raw": []}
            for round_ in range(rounds):
                order = ("raw", "pursocket") if round_ % 2 == 0 else ("pursocket", "raw")
                for kind in order:
                    results[kind].append(await measure(kind, servers[kind]))
            best = {kind: max(r.rate for r in found) for kind, found in results.items()}
            median = {
                kind: statistics.median(r.rate for r in found) for kind, found in results.items()
            }
            cpu = {
                kind: statistics.median(r.cpu_per_op_us for r in found)
                for kind, found in results.items()
            }
            rates = [f"{best[k]:>9,.0f} ({median[k]:>7,.0f})" for k in ("pursocket", "raw")]
            ratios = (
                f"{best['pursocket'] / best['raw']:.3f} ({median['pursocket'] / median['raw']:.3f})"
            )
            print(
                f"{title:28} {unit:>12} {rates[0]:>19} {rates[1]:>19} {ratios:>14} "
                f"{cpu['pursocket']:>10.1f} {cpu['raw']:>8.1f}",
                flush=True,
            )


def _version(distribution: str) -> str:
    from importlib.metadata import version

    return version(distribution)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds per server (default 5)")
    parser.add_argument("--quick", action="store_true", help="a small smoke run")
    parser.add_argument("--only", help="run the scenarios whose title contains this text")
    parser.add_argument("--serve", choices=sorted(APPS), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.serve, args.port))
    else:
        rounds, scale = (1, 0.05) if args.quick else (args.rounds, 1.0)
        asyncio.run(main(rounds, scale, args.only))
