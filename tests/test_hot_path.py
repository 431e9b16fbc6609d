"""The server's hot path starts no more than one task per inbound event, none for a sync handler.

A bare websocket client (aiohttp, speaking Engine.IO/Socket.IO by hand, which starts no
task per frame itself) sends a burst of events to a real uvicorn server in this
process, and a task factory on the loop records every task started until the Call
that ends the burst is answered.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, Literal, TypedDict

import aiohttp

from pursocket import Call, Connection, Msg, Server
from pursocket.testing import ServeFixture

BURST = 100


class Seq(TypedDict):
    seq: int


class HotC2S(TypedDict):
    tally: Msg[Seq]
    note: Msg[Seq]
    done: Call[None, int]


class HotS2C(TypedDict):
    pass


class HotNamespace(TypedDict):
    c2s: HotC2S
    s2c: HotS2C


class HotProtocol(TypedDict):
    hot: HotNamespace


HotConn = Connection[HotProtocol, Literal["hot"]]


def build(ordered: bool) -> tuple[Server[HotProtocol], list[int]]:
    server = Server(HotProtocol, ordered=ordered)
    hot = server.namespace("hot")
    seen: list[int] = []

    @hot.on("tally")
    async def tally(conn: HotConn, message: Seq) -> None:
        seen.append(message["seq"])

    @hot.on("note")
    def note(conn: HotConn, message: Seq) -> None:
        seen.append(message["seq"])

    @hot.on_call("done")
    async def done(conn: HotConn, request: None) -> int:
        return len(seen)

    return server, seen


@contextmanager
def tasks_started() -> Iterator[list[str]]:
    """The names of the coroutines of every task the running loop starts meanwhile."""
    loop = asyncio.get_running_loop()
    started: list[str] = []
    previous = loop.get_task_factory()

    def factory(loop: asyncio.AbstractEventLoop, coro: Any, **options: Any) -> asyncio.Task[Any]:
        started.append(getattr(coro, "__qualname__", repr(coro)))
        return asyncio.Task(coro, loop=loop, **options)

    loop.set_task_factory(factory)
    try:
        yield started
    finally:
        loop.set_task_factory(previous)


@asynccontextmanager
async def bare_client(url: str) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
    """A websocket connected to the namespace /hot, with nothing running behind it."""
    async with aiohttp.ClientSession() as session:
        endpoint = f"{url}/socket.io/?EIO=4&transport=websocket"
        async with session.ws_connect(endpoint) as ws:
            assert (await ws.receive_str()).startswith("0{")
            await ws.send_str("40/hot,")
            assert (await ws.receive_str()).startswith('40/hot,{"sid":')
            yield ws


async def burst_then_call(ws: aiohttp.ClientWebSocketResponse, event: str) -> str:
    """Send BURST ``event`` Msgs, then Call ``done``; return the ACK frame."""
    for seq in range(BURST):
        await ws.send_str(f'42/hot,["{event}",{json.dumps({"seq": seq})}]')
    await ws.send_str('42/hot,7["done",null]')
    while True:
        frame = await ws.receive_str(timeout=10)
        if frame.startswith("43"):
            return frame


async def measure(
    pursocket_serve: ServeFixture, event: str, *, ordered: bool
) -> tuple[str, list[str], list[int]]:
    server, seen = build(ordered)
    url = await pursocket_serve(server)
    async with bare_client(url) as ws:
        with tasks_started() as started:
            ack = await burst_then_call(ws, event)
    return ack, started, seen


async def test_one_task_per_event_for_async_handlers(
    pursocket_serve: ServeFixture,
) -> None:
    ack, started, seen = await measure(pursocket_serve, "tally", ordered=False)
    assert ack == f"43/hot,7[{BURST}]"
    assert seen == list(range(BURST))
    # One task per event (each runs concurrently with the others), nothing else.
    assert len(started) == BURST + 1, started


async def test_no_task_for_sync_msg_handlers(pursocket_serve: ServeFixture) -> None:
    ack, started, seen = await measure(pursocket_serve, "note", ordered=False)
    assert ack == f"43/hot,7[{BURST}]"
    assert seen == list(range(BURST))
    # The sync handler runs as each frame is read; only the async Call handler gets a task.
    assert len(started) == 1, started


async def test_no_task_for_sync_msg_handlers_in_order(
    pursocket_serve: ServeFixture,
) -> None:
    ack, started, seen = await measure(pursocket_serve, "note", ordered=True)
    assert ack == f"43/hot,7[{BURST}]"
    assert seen == list(range(BURST))
    assert len(started) == 1, started


async def test_sync_handlers_never_overtake_an_earlier_event(
    pursocket_serve: ServeFixture,
) -> None:
    server, seen = build(ordered=False)
    url = await pursocket_serve(server)
    async with bare_client(url) as ws:
        await ws.send_str('42/hot,["tally",{"seq":-1}]')  # async handler: a task
        ack = await burst_then_call(ws, "note")  # sync handlers, arriving after it
    assert ack == f"43/hot,7[{BURST + 1}]"
    assert seen == [-1, *range(BURST)]


async def test_events_that_arrived_before_a_disconnect_start_before_it(
    pursocket_serve: ServeFixture,
) -> None:
    server, seen = build(ordered=False)
    handled_at_disconnect: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    @server.namespace("hot").on_disconnect
    def left(conn: HotConn, reason: object) -> None:
        handled_at_disconnect.set_result(len(seen))

    url = await pursocket_serve(server)
    async with bare_client(url) as ws:
        for seq in range(BURST):  # async handlers: each in a task of its own
            await ws.send_str(f'42/hot,["tally",{json.dumps({"seq": seq})}]')
        await ws.send_str("41/hot,")
        assert await asyncio.wait_for(handled_at_disconnect, 10) == BURST
    assert seen == list(range(BURST))
