"""The Python benchmark servers: pursocket and raw python-socketio doing the same work.

Run as ``python bench/bench_server.py KIND PORT [--stack STACK] [--handlers STYLE]
[--redis URL]``: it binds 127.0.0.1:PORT, prints ``ready`` and serves until terminated.
``KIND`` is ``pursocket`` (a pursocket ``Server``, validation on) or ``raw`` (a plain
``socketio.AsyncServer`` whose handlers do the same work by hand).
``bench/node_server.mjs`` is the same server in Node socket.io, and ``bench/load.mjs``
drives all three.

``STACK`` is the serving stack under uvicorn:

- ``fast``: pursocket's default stack: what uvicorn picks by itself once
  ``pursocket[server]`` is installed (uvloop's event loop, httptools' HTTP parser, the
  websockets library's websocket protocol), with per-message compression off
  (``--ws-per-message-deflate false``), as the Node socket.io server has it.
- ``plain``: what ``pip install uvicorn`` alone gives, with uvicorn's defaults: the
  stdlib event loop, h11 and wsproto (pure Python), and per-message compression of
  every websocket frame when the client offers it (browsers and the npm client do).
- ``LOOP,HTTP,WS[,deflate]`` (``asyncio,h11,websockets-sansio`` for example): any mix,
  to measure what each part buys; ``deflate`` turns per-message compression on.

``STYLE`` is how the handlers that never wait (counting, echoing) are written, the same
in both servers: ``plain`` (the default) as plain functions, as pursocket's docs
recommend for them (pursocket runs such a handler as its frame is read, with no task;
python-socketio runs it in a task per event either way), or ``async`` as ``async def``
functions doing the same work (a task per event in both servers before Python 3.12).

``--redis URL`` (with ``--channel NAME``) gives the server python-socketio's ``AsyncRedisManager`` on that Redis,
so several processes share rooms (bench/scaleout.py). ``--profile FILE`` runs the server
under cProfile and writes its statistics to ``FILE`` when it is stopped (SIGINT), and
the number of tasks its event loop started to ``FILE.tasks``.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import cProfile
import functools
import socket
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypedDict

import socketio
import uvicorn

from pursocket import Call, Connection, Msg, Server

NAMESPACE = "/bench"
ROOM = "hall"
TEXT = "the quick brown fox jumps over the lazy dog"

#: The named stacks (see the module docstring).
STACKS = {
    "fast": "uvloop,httptools,websockets-sansio",
    "plain": "asyncio,h11,wsproto,deflate",
}


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
    join: Call[None, None]
    fanout: Msg[Fanout]
    roomfanout: Msg[Fanout]


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


#: The tasks a plain-function handler starts, kept alive until they end.
_BACKGROUND: set[asyncio.Task[Any]] = set()


def in_background(job: Coroutine[Any, Any, Any]) -> None:
    """Run ``job`` in a task of its own: how a plain-function handler sends."""
    task = asyncio.ensure_future(job)
    _BACKGROUND.add(task)
    task.add_done_callback(_BACKGROUND.discard)


def as_async(handler: Callable[..., Any]) -> Callable[..., Any]:
    """``handler``, a plain function, as an ``async def`` one doing the same work."""

    @functools.wraps(handler)
    async def run(*args: Any) -> Any:
        return handler(*args)

    return run


#: How a server writes a handler that never waits, given as a plain function.
HandlerStyle = Callable[[Callable[..., Any]], Callable[..., Any]]

#: ``--handlers``: how each server's handlers that never wait are written.
HANDLER_STYLES: dict[str, HandlerStyle] = {
    "plain": lambda handler: handler,
    "async": as_async,
}


def pursocket_app(manager: Any, style: HandlerStyle) -> Any:
    server = Server(BenchProtocol, **({} if manager is None else {"client_manager": manager}))
    bench = server.namespace("bench")
    counter = Counter()
    BenchConn = Connection[BenchProtocol, Any]

    @bench.on_call("start")
    @style
    def start(conn: BenchConn, request: Start) -> None:
        counter.start(request)

    @bench.on_call("stats")
    @style
    def stats(conn: BenchConn, request: None) -> Stats:
        return counter.stats()

    @bench.on("hit")
    @style
    def hit(conn: BenchConn, message: Hit) -> None:
        counter.received += 1
        if counter.received == counter.expected:
            in_background(bench.broadcast("finished", counter.stats()))

    @bench.on_call("echo")
    @style
    def echo(conn: BenchConn, message: Hit) -> Hit:
        return message

    @bench.on_call("join")
    async def join(conn: BenchConn, request: None) -> None:
        await conn.join_room(ROOM)

    @bench.on("fanout")
    async def fanout(conn: BenchConn, request: Fanout) -> None:
        for seq in range(request["count"]):
            await bench.broadcast("tick", {"seq": seq, "text": TEXT})

    @bench.on("roomfanout")
    async def roomfanout(conn: BenchConn, request: Fanout) -> None:
        for seq in range(request["count"]):
            await bench.broadcast_to_room(ROOM, "tick", {"seq": seq, "text": TEXT})

    return server.asgi_app()


def raw_app(manager: Any, style: HandlerStyle) -> Any:
    sio = socketio.AsyncServer(
        async_mode="asgi",
        namespaces=[NAMESPACE],
        **({} if manager is None else {"client_manager": manager}),
    )
    counter = Counter()

    @sio.on("start", namespace=NAMESPACE)
    @style
    def start(sid: str, request: Start) -> None:
        counter.start(request)

    @sio.on("stats", namespace=NAMESPACE)
    @style
    def stats(sid: str, request: None) -> Stats:
        return counter.stats()

    @sio.on("hit", namespace=NAMESPACE)
    @style
    def hit(sid: str, message: Hit) -> None:
        counter.received += 1
        if counter.received == counter.expected:
            in_background(sio.emit("finished", counter.stats(), namespace=NAMESPACE))

    @sio.on("echo", namespace=NAMESPACE)
    @style
    def echo(sid: str, message: Hit) -> Hit:
        return message

    @sio.on("join", namespace=NAMESPACE)
    async def join(sid: str, request: None) -> None:
        await sio.enter_room(sid, ROOM, namespace=NAMESPACE)

    @sio.on("fanout", namespace=NAMESPACE)
    async def fanout(sid: str, request: Fanout) -> None:
        for seq in range(request["count"]):
            await sio.emit("tick", {"seq": seq, "text": TEXT}, namespace=NAMESPACE)

    @sio.on("roomfanout", namespace=NAMESPACE)
    async def roomfanout(sid: str, request: Fanout) -> None:
        for seq in range(request["count"]):
            await sio.emit("tick", {"seq": seq, "text": TEXT}, to=ROOM, namespace=NAMESPACE)

    return socketio.ASGIApp(sio)


APPS = {"pursocket": pursocket_app, "raw": raw_app}


def stack_settings(stack: str) -> dict[str, Any]:
    """uvicorn's settings for a named stack or a ``LOOP,HTTP,WS[,deflate]`` mix."""
    loop, http, ws, *deflate = STACKS.get(stack, stack).split(",")
    return {"loop": loop, "http": http, "ws": ws, "ws_per_message_deflate": deflate == ["deflate"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("kind", choices=sorted(APPS))
    parser.add_argument("port", type=int)
    parser.add_argument("--stack", default="fast")
    parser.add_argument("--handlers", choices=sorted(HANDLER_STYLES), default="plain")
    parser.add_argument("--redis", help="share rooms through AsyncRedisManager on this Redis")
    parser.add_argument("--channel", default="pursocket-bench", help="the Redis channel")
    parser.add_argument("--profile", help="run under cProfile and write its stats to this file")
    args = parser.parse_args()
    manager = None
    if args.redis:
        manager = socketio.AsyncRedisManager(args.redis, channel=args.channel)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", args.port))
    listener.listen(4096)
    app = APPS[args.kind](manager, HANDLER_STYLES[args.handlers])
    config = uvicorn.Config(
        app if args.profile is None else counting_tasks(app),
        **stack_settings(args.stack),
        log_level="warning",
        access_log=False,
        lifespan="off",
        backlog=4096,
    )
    # The listener already queues connections; uvicorn accepts them once it runs.
    print("ready", flush=True)
    if args.profile is None:
        uvicorn.Server(config).run(sockets=[listener])
        return
    with cProfile.Profile() as profile, contextlib.suppress(KeyboardInterrupt):
        # uvicorn raises the SIGINT it stopped on again once it has shut down.
        uvicorn.Server(config).run(sockets=[listener])
    profile.dump_stats(args.profile)
    Path(f"{args.profile}.tasks").write_text(f"{sum(TASKS_STARTED.values())}\n")


#: How many tasks the server started, by coroutine name (counted under ``--profile``).
TASKS_STARTED: collections.Counter[str] = collections.Counter()


def counting_tasks(app: Any) -> Any:
    """``app``, with every task the event loop starts counted in TASKS_STARTED."""

    async def counted(scope: Any, receive: Any, send: Any) -> None:
        loop = asyncio.get_running_loop()
        if loop.get_task_factory() is None:

            def factory(loop: Any, coro: Any, **options: Any) -> asyncio.Task[Any]:
                TASKS_STARTED[getattr(coro, "__qualname__", "?")] += 1
                return asyncio.Task(coro, loop=loop, **options)

            loop.set_task_factory(factory)
        await app(scope, receive, send)

    return counted


if __name__ == "__main__":
    main()
