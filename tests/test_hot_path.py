"""The server's hot path: a task per event only for an async def handler, none per recipient.

A bare websocket client (aiohttp, speaking Engine.IO/Socket.IO by hand, which starts no
task per frame itself) sends a burst of events to a real uvicorn server in this
process, and a task factory on the loop records every task started until the Call
that ends the burst is answered. Broadcasts through Redis and RabbitMQ are delivered
by two such servers, each with python-socketio's manager for that broker, to bare
clients, while the same factory counts.
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import json
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from typing import Any, Literal, TypedDict

import aiohttp
import pytest

from pursocket import Call, Connection, Msg, Server
from pursocket.testing import ServeFixture
from tests.brokers import drop_channel, manager, require_broker

BURST = 100


class Seq(TypedDict):
    seq: int


class HotC2S(TypedDict):
    tally: Msg[Seq]
    note: Msg[Seq]
    pause: Msg[Seq]
    mark: Msg[Seq]
    done: Call[None, int]
    enter: Call[None, None]
    bounded: Call[None, list[bool]]


class Bulk(TypedDict):
    seq: int
    text: str


class HotS2C(TypedDict):
    tick: Msg[Seq]
    bulk: Msg[Bulk]


class HotNamespace(TypedDict):
    c2s: HotC2S
    s2c: HotS2C


class HotProtocol(TypedDict):
    hot: HotNamespace


HotConn = Connection[HotProtocol, Literal["hot"]]


ROOM = "hall"
#: Set by the ``mark`` handler: what one event's handler sets, no other event sees.
MARK: contextvars.ContextVar[int] = contextvars.ContextVar("MARK", default=-1)
#: The tasks the broker's client starts while the test below broadcasts BURST times from
#: one of two servers: redis-py one per publish before Python 3.12 (it sends under
#: asyncio.wait_for, which runs its coroutine in a task until 3.12) and none from 3.12;
#: aio-pika two per message each server reads back (the publisher reads its own too,
#: and ignores it).
BROKER_CLIENT_TASKS = {
    "redis": collections.Counter(
        {"redis.asyncio.connection:AbstractConnection._send_packed_command": BURST}
        if sys.version_info < (3, 12)
        else {}
    ),
    "aiopika": collections.Counter(
        {"aio_pika.queue:QueueIterator.on_message": 2 * BURST, "aio_pika.queue:consumer": 2 * BURST}
    ),
}


def build(ordered: bool, **options: Any) -> tuple[Server[HotProtocol], list[int]]:
    server = Server(HotProtocol, ordered=ordered, **options)
    hot = server.namespace("hot")
    seen: list[int] = []

    @hot.on("tally")
    async def tally(conn: HotConn, message: Seq) -> None:
        seen.append(message["seq"])

    @hot.on("note")
    def note(conn: HotConn, message: Seq) -> None:
        seen.append(message["seq"])

    @hot.on("pause")
    async def pause(conn: HotConn, message: Seq) -> None:
        seen.append(message["seq"])  # where it started
        await asyncio.sleep(0)  # waits once: the rest runs in a task

    @hot.on("mark")
    async def mark(conn: HotConn, message: Seq) -> None:
        seen.append(MARK.get())  # never what another event's handler set
        MARK.set(message["seq"])
        await asyncio.sleep(0)
        seen.append(MARK.get() - message["seq"])  # 0: its own, after it waited

    @hot.on_call("done")
    def done(conn: HotConn, request: None) -> int:
        return len(seen)

    @hot.on_call("bounded")
    async def bounded(conn: HotConn, request: None) -> list[bool]:
        # What a handler's own task is sure of: the task that started it finishes it,
        # so cancelling that task later, as asyncio.timeout() does when it expires,
        # cancels the handler's waiting (not the connection's reader).
        first = asyncio.current_task()
        assert first is not None
        asyncio.get_running_loop().call_later(0.01, first.cancel)
        try:
            await asyncio.sleep(60)
            cancelled = False
        except asyncio.CancelledError:
            cancelled = True
        return [asyncio.current_task() is first, cancelled]

    @hot.on_call("enter")
    async def enter(conn: HotConn, request: None) -> None:
        await conn.join_room(ROOM)

    return server, seen


@contextmanager
def tasks_started() -> Iterator[list[str]]:
    """The names of the coroutines of every task the running loop starts meanwhile.

    A name is ``module:qualified name`` for a coroutine of a module outside pursocket,
    python-socketio and python-engineio (a broker client's, say), the qualified name
    alone otherwise.
    """
    loop = asyncio.get_running_loop()
    started: list[str] = []
    previous = loop.get_task_factory()

    def factory(loop: asyncio.AbstractEventLoop, coro: Any, **options: Any) -> asyncio.Task[Any]:
        name = getattr(coro, "__qualname__", repr(coro))
        module = getattr(getattr(coro, "cr_frame", None), "f_globals", {}).get("__name__", "")
        if module.partition(".")[0] not in ("pursocket", "socketio", "engineio"):
            name = f"{module}:{name}"
        started.append(name)
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


#: The tasks BURST events for an ``async def`` handler start: one each, which from
#: Python 3.12 starts eagerly, made directly rather than by the loop's task factory.
#: Before 3.12 the plain Call that ends the burst has one too: run at once, it would
#: overtake the events whose tasks have not started yet.
ASYNC_HANDLER_TASKS = [] if sys.version_info >= (3, 12) else ["EventRunner._finish"] * (BURST + 1)


@pytest.mark.parametrize("event", ["pause", "tally"])
async def test_one_task_per_event_for_an_async_handler(
    pursocket_serve: ServeFixture, event: str
) -> None:
    ack, started, seen = await measure(pursocket_serve, event, ordered=False)
    assert ack == f"43/hot,7[{BURST}]"
    assert seen == list(range(BURST))
    # Each runs in a task of its own (so each runs concurrently with the others, and
    # is the task its timeouts and task groups see), whether it waits or not.
    assert started == ASYNC_HANDLER_TASKS, started


async def test_a_handler_is_the_task_that_finishes_it(pursocket_serve: ServeFixture) -> None:
    server, _ = build(ordered=False)
    url = await pursocket_serve(server)
    async with bare_client(url) as ws:
        await ws.send_str('42/hot,3["bounded",null]')
        assert await ws.receive_str(timeout=10) == "43/hot,3[[true,true]]"
        # The connection is still read from: its reader was not what timed out.
        await ws.send_str('42/hot,4["done",null]')
        assert await ws.receive_str(timeout=10) == "43/hot,4[0]"


async def test_no_task_for_sync_msg_handlers(pursocket_serve: ServeFixture) -> None:
    ack, started, seen = await measure(pursocket_serve, "note", ordered=False)
    assert ack == f"43/hot,7[{BURST}]"
    assert seen == list(range(BURST))
    assert started == [], started


async def test_no_task_for_sync_handlers_in_order(pursocket_serve: ServeFixture) -> None:
    ack, started, seen = await measure(pursocket_serve, "note", ordered=True)
    assert ack == f"43/hot,7[{BURST}]"
    assert seen == list(range(BURST))
    assert started == [], started


async def test_events_start_in_arrival_order_behind_one_that_waits(
    pursocket_serve: ServeFixture,
) -> None:
    for ordered in (False, True):
        server, seen = build(ordered=ordered)
        url = await pursocket_serve(server)
        async with bare_client(url) as ws:
            await ws.send_str('42/hot,["pause",{"seq":-1}]')  # waits: goes on in a task
            ack = await burst_then_call(ws, "note")  # sync handlers, arriving after it
        assert ack == f"43/hot,7[{BURST + 1}]"
        assert seen == [-1, *range(BURST)]


async def test_each_event_runs_in_a_context_of_its_own(pursocket_serve: ServeFixture) -> None:
    _, _, seen = await measure(pursocket_serve, "mark", ordered=False)

    async def all_resumed() -> None:
        while len(seen) < 2 * BURST:  # the handlers' tasks run as this one yields
            await asyncio.sleep(0)

    await asyncio.wait_for(all_resumed(), 10)
    assert collections.Counter(seen) == {-1: BURST, 0: BURST}


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
        for seq in range(BURST):  # handlers that wait: each goes on in a task
            await ws.send_str(f'42/hot,["pause",{json.dumps({"seq": seq})}]')
        await ws.send_str("41/hot,")
        assert await asyncio.wait_for(handled_at_disconnect, 10) == BURST
    assert seen == list(range(BURST))


async def test_what_queues_behind_a_paused_transport_arrives_whole_and_in_order(
    pursocket_serve: ServeFixture,
) -> None:
    # A packet goes out at once while nothing waits before it; once the client stops
    # reading and the server's transport pauses, the send in progress is finished by
    # the connection's writer, before what was queued behind it.
    server, _ = build(ordered=False)
    url = await pursocket_serve(server)
    text = "x" * 100_000
    async with bare_client(url) as ws:
        for seq in range(100):  # 10 MB, more than the buffers between server and client
            await server.namespace("hot").broadcast("bulk", {"seq": seq, "text": text})
        for seq in range(100):
            frame = await ws.receive_str(timeout=10)
            assert frame == f'42/hot,["bulk",{{"seq":{seq},"text":"{text}"}}]'


async def ticks(ws: aiohttp.ClientWebSocketResponse, count: int, timeout: float = 10) -> list[int]:
    """The sequence numbers of the next ``count`` ``tick`` Msgs ``ws`` receives."""
    seen: list[int] = []
    while len(seen) < count:
        frame = await ws.receive_str(timeout=timeout)
        if frame.startswith('42/hot,["tick",'):
            seen.append(json.loads(frame.removeprefix("42/hot,"))[1]["seq"])
    return seen


async def enter_room(ws: aiohttp.ClientWebSocketResponse) -> None:
    await ws.send_str('42/hot,1["enter",null]')
    while await ws.receive_str(timeout=10) != "43/hot,1[null]":
        pass


@pytest.mark.parametrize("kind", ["redis", "aiopika"])
async def test_a_message_queue_manager_delivers_without_a_task_per_recipient(
    pursocket_serve: ServeFixture, kind: str
) -> None:
    # Two servers on one channel, as two processes would be: A broadcasts, and each
    # delivers to its own members (A while it publishes, B as it reads the channel).
    await require_broker(kind)
    channel = f"pursocket-test-{uuid.uuid4().hex}"
    servers = [build(ordered=False, client_manager=manager(kind, channel))[0] for _ in "AB"]
    urls = [await pursocket_serve(server) for server in servers]
    hall = servers[0].namespace("hot")
    try:
        async with AsyncExitStack() as clients:
            members = [
                await clients.enter_async_context(bare_client(urls[index % 2]))
                for index in range(BURST // 10)
            ]
            for ws in members:
                await enter_room(ws)
            # B hears the channel once it has subscribed, a moment not observable
            # from outside: broadcast until a tick reaches B's members.
            for attempt in range(60):
                await hall.broadcast_to_room(ROOM, "tick", {"seq": -1 - attempt})
                try:
                    await ticks(members[1], 1, timeout=0.5)
                    break
                except asyncio.TimeoutError:
                    continue
            else:
                raise AssertionError(f"the two servers never linked through {kind}")
            for ws in members:  # what linking left behind
                await ws.send_str('42/hot,2["done",null]')
                while not (await ws.receive_str(timeout=10)).startswith("43/hot,2"):
                    pass

            with tasks_started() as started:
                for seq in range(BURST):
                    await hall.broadcast_to_room(ROOM, "tick", {"seq": seq})
                delivered = [await ticks(ws, BURST) for ws in members]
    finally:
        await drop_channel(kind, channel)
    # Every member got every broadcast, in the order they were sent.
    assert delivered == [list(range(BURST))] * len(members)
    # python-socketio's own local delivery would start one task per recipient. The
    # broker's client may start its own for each message it publishes or reads.
    socketio_tasks = [name for name in started if ":" not in name]
    assert socketio_tasks == [], started
    assert collections.Counter(started) == BROKER_CLIENT_TASKS[kind], started
