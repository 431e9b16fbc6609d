"""Room fan-out: pursocket's ``broadcast_to_room`` against raw python-socketio, same run.

Run it with ``.venv/bin/python bench/rooms.py`` (``--quick`` for a smoke run).

One uvicorn process (started by this script) serves two Socket.IO servers side by
side: a pursocket ``Server`` at ``/socket.io/`` and a plain ``socketio.AsyncServer``
(python-socketio's default manager and stdlib JSON) at ``/raw.io/``. Each of the
1,000 clients in this process connects to both over websocket and joins the room
on both. In each trial one server broadcasts ``--messages`` Msgs to the room back
to back, either through ``ServerNamespace.broadcast_to_room`` (pursocket) or
through ``AsyncServer.emit(event, payload, to=room, namespace=...)`` (raw
python-socketio), and the trial ends when every client has received every
message. Both variants share the process, the clients and their connections.
After one uncounted warm-up trial of each, the trials alternate raw, pursocket,
pursocket, raw, ... so that neither always runs first.

The clients are minimal Engine.IO/Socket.IO websocket readers (aiohttp) that
count EVENT frames and answer pings, so that the client side costs as little as
possible and the server's fan-out is what is measured. Two figures per variant:
deliveries per second (wall clock, best and median trial), and the server
process's CPU time per broadcast. The ratio is pursocket over raw (>= 0.97 is the
goal). Last, the fixed cost of one broadcast on its own: the server's CPU time per
call of each variant to a room with no members.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import sys
import time
from typing import Literal, TypedDict

import aiohttp
import socketio
import uvicorn

from pursocket import Call, Client, Connection, Msg, Server

ROOM = "hall"
NAMESPACE = "/bench"
RAW_PATH = "raw.io"
Variant = Literal["pursocket", "raw"]


class Tick(TypedDict):
    seq: int
    text: str


class Fanout(TypedDict):
    variant: Variant
    messages: int


class Usage(TypedDict):
    cpu_seconds: float


class NoArguments(TypedDict):
    pass


class Overhead(TypedDict):
    pursocket_seconds: float
    raw_seconds: float


class BenchC2S(TypedDict):
    fanout: Call[Fanout, Usage]
    usage: Call[NoArguments, Usage]
    overhead: Call[Fanout, Overhead]


class BenchS2C(TypedDict):
    tick: Msg[Tick]


class BenchNamespace(TypedDict):
    c2s: BenchC2S
    s2c: BenchS2C


class BenchProtocol(TypedDict):
    bench: BenchNamespace


# --- the server process ---------------------------------------------------------------


def build_app() -> socketio.ASGIApp:
    """The pursocket server, with the plain python-socketio server mounted beside it."""
    server = Server(BenchProtocol)
    bench = server.namespace("bench")
    raw = socketio.AsyncServer(async_mode="asgi", namespaces=[NAMESPACE])
    started = [0.0]

    @raw.on("connect", namespace=NAMESPACE)
    async def raw_connected(sid: str, environ: object, auth: object) -> None:
        await raw.enter_room(sid, ROOM, namespace=NAMESPACE)

    @bench.on_connect
    async def connected(conn: Connection[BenchProtocol, Literal["bench"]]) -> None:
        # The controlling client stays out of the room; every other client joins it.
        if conn.auth != {"role": "control"}:
            await conn.join_room(ROOM)

    @bench.on_call("fanout")
    async def fanout(conn: Connection[BenchProtocol, Literal["bench"]], request: Fanout) -> Usage:
        started[0] = time.process_time()
        text = "x" * 64
        if request["variant"] == "pursocket":
            for seq in range(request["messages"]):
                await bench.broadcast_to_room(ROOM, "tick", {"seq": seq, "text": text})
        else:
            for seq in range(request["messages"]):
                await raw.emit("tick", {"seq": seq, "text": text}, to=ROOM, namespace=NAMESPACE)
        return {"cpu_seconds": time.process_time() - started[0]}

    @bench.on_call("usage")
    def usage(conn: Connection[BenchProtocol, Literal["bench"]], request: NoArguments) -> Usage:
        # Everything the server did since the fan-out began, the socket writes included.
        return {"cpu_seconds": time.process_time() - started[0]}

    @bench.on_call("overhead")
    async def overhead(
        conn: Connection[BenchProtocol, Literal["bench"]], request: Fanout
    ) -> Overhead:
        tick: Tick = {"seq": 0, "text": "x" * 64}
        began = time.process_time()
        for _ in range(request["messages"]):
            await bench.broadcast_to_room("nobody", "tick", tick)
        ours = time.process_time() - began
        began = time.process_time()
        for _ in range(request["messages"]):
            await raw.emit("tick", tick, to="nobody", namespace=NAMESPACE)
        theirs = time.process_time() - began
        calls = request["messages"]
        return {"pursocket_seconds": ours / calls, "raw_seconds": theirs / calls}

    return socketio.ASGIApp(raw, server.asgi_app(), socketio_path=RAW_PATH)


async def serve() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(2048)
    config = uvicorn.Config(build_app(), log_level="warning", lifespan="off", backlog=2048)
    print(f"port={listener.getsockname()[1]}", flush=True)
    await uvicorn.Server(config).serve(sockets=[listener])


# --- the load generator ---------------------------------------------------------------


class Counter:
    """Counts EVENT frames across every client; wakes the waiter at the target."""

    def __init__(self) -> None:
        self.count = 0
        self.target = 0
        self.reached = asyncio.Event()

    def expect(self, target: int) -> None:
        self.count = 0
        self.target = target
        self.reached.clear()

    def hit(self) -> None:
        self.count += 1
        if self.count == self.target:
            self.reached.set()


async def room_client(
    session: aiohttp.ClientSession,
    url: str,
    counter: Counter,
    joined: asyncio.Queue[None],
) -> None:
    """One Socket.IO client over a bare websocket: connect ``/bench``, count events."""
    async with session.ws_connect(url, max_msg_size=0) as ws:
        await ws.receive_str()  # the Engine.IO open packet
        await ws.send_str(f"40{NAMESPACE},")
        async for message in ws:
            data = message.data
            if data.startswith("42"):
                counter.hit()
            elif data == "2":
                await ws.send_str("3")
            elif data.startswith("40"):
                joined.put_nowait(None)
            elif data.startswith("44"):
                raise RuntimeError(f"the server refused a bench client: {data}")


async def run(args: argparse.Namespace) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--serve", stdout=asyncio.subprocess.PIPE
    )
    assert proc.stdout is not None
    port = int((await proc.stdout.readline()).decode().strip().removeprefix("port="))
    counter, joined = Counter(), asyncio.Queue[None]()
    connector = aiohttp.TCPConnector(limit=0)
    tasks: list[asyncio.Task[None]] = []
    try:
        async with aiohttp.ClientSession(connector=connector) as session:
            for start in range(0, args.clients, 100):
                batch = range(start, min(start + 100, args.clients))
                for path in ("socket.io", RAW_PATH):
                    url = f"ws://127.0.0.1:{port}/{path}/?EIO=4&transport=websocket"
                    tasks += [
                        asyncio.create_task(room_client(session, url, counter, joined))
                        for _ in batch
                    ]
                for _ in range(2 * len(batch)):
                    await asyncio.wait_for(joined.get(), 30)
            control = Client(BenchProtocol)
            bench = control.namespace("bench")
            await control.connect(f"http://127.0.0.1:{port}", auth={"role": "control"})
            results: dict[Variant, list[tuple[float, float]]] = {"pursocket": [], "raw": []}
            # One warm-up trial of each, not counted; then raw, pursocket, pursocket,
            # raw, ... so that neither variant always runs first.
            order: list[Variant] = ["raw", "pursocket", "pursocket", "raw"]
            for trial in range(-2, args.trials * 2):
                variant = order[trial % 4]
                counter.expect(args.messages * args.clients)
                began = time.perf_counter()
                await bench.call("fanout", {"variant": variant, "messages": args.messages})
                await asyncio.wait_for(counter.reached.wait(), 120)
                elapsed = time.perf_counter() - began
                cpu = (await bench.call("usage", {}))["cpu_seconds"]
                if trial >= 0:
                    results[variant].append((counter.target / elapsed, cpu / args.messages))
            alone = await bench.call("overhead", {"variant": "raw", "messages": 20_000})
            await control.disconnect()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        proc.terminate()
        await proc.wait()
    report(args, results, alone)


def report(
    args: argparse.Namespace,
    results: dict[Variant, list[tuple[float, float]]],
    alone: Overhead,
) -> None:
    print(
        f"broadcast to one room of {args.clients} clients, {args.messages} messages per trial, "
        f"{args.trials} trials per variant (alternating, after a warm-up), python {sys.version.split()[0]}"
    )
    summary: dict[Variant, tuple[float, float, float]] = {}
    for variant in ("raw", "pursocket"):
        rates = [rate for rate, _ in results[variant]]
        cpus = [cpu for _, cpu in results[variant]]
        summary[variant] = (max(rates), statistics.median(rates), statistics.median(cpus))
        best, median, cpu = summary[variant]
        print(
            f"  {variant:>9}: best {best:>9,.0f} deliveries/s, median {median:>9,.0f}/s, "
            f"server CPU {cpu * 1e3:6.2f} ms per broadcast (median)"
        )
    raw, ours = summary["raw"], summary["pursocket"]
    print(
        f"  ratio pursocket/raw: best {ours[0] / raw[0]:.3f}, median {ours[1] / raw[1]:.3f}, "
        f"CPU per broadcast raw/pursocket {raw[2] / ours[2]:.3f} (goal >= 0.97)"
    )
    print(
        f"  one broadcast to an empty room (server CPU per call): "
        f"raw {alone['raw_seconds'] * 1e6:.1f} us, pursocket {alone['pursocket_seconds'] * 1e6:.1f} us"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--trials", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="100 clients, 2 trials")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve())
        return
    if args.quick:
        args.clients, args.trials = 100, 2
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
