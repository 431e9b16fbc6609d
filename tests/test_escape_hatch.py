"""``server.sio`` and ``client.sio``: python-socketio's own features beside the protocol.

What the protocol declares is pursocket's; everything else reaches the handlers
registered on ``sio`` (``docs/escape-hatch.md``): events the protocol does not
declare, namespaces it does not declare, ``"*"`` catch-alls and class-based
namespaces. Plain python-socketio clients play the legacy peers.
"""

from __future__ import annotations

import asyncio
from typing import Any

import socketio

from pursocket import Client, Server
from pursocket.testing import ServeFixture
from tests.conftest import Inbox
from tests.protocols import AppProtocol, ChatMessage
from tests.trust_helpers import raw_client


def lobby_server() -> tuple[Server[AppProtocol], Inbox]:
    """A server whose declared ``chat`` handler records what it gets."""
    server = Server(AppProtocol)
    chats = Inbox()

    @server.namespace("lobby").on("chat")
    def chat(conn: Any, message: ChatMessage) -> None:
        chats.put(message)

    return server, chats


async def test_an_undeclared_event_reaches_a_handler_registered_on_sio(
    pursocket_serve: ServeFixture,
) -> None:
    server, chats = lobby_server()
    legacy = Inbox()

    @server.sio.on("legacy", namespace="/lobby")
    async def on_legacy(sid: str, *args: Any) -> Any:
        legacy.put((sid, args))
        return "ok", len(args)

    url = await pursocket_serve(server)
    raw = await raw_client(url, "/lobby")
    try:
        await raw.emit("legacy", ("a", 2), namespace="/lobby")
        answer = await raw.call("legacy", ["b"], namespace="/lobby", timeout=5)
        await raw.emit("chat", {"text": "declared"}, namespace="/lobby")
        assert await chats.wait_for(1) == [{"text": "declared"}]
        sid = raw.get_sid("/lobby")
        assert await legacy.wait_for(2) == [(sid, ("a", 2)), (sid, (["b"],))]
        # python-socketio's own acknowledgement: a returned tuple is several arguments.
        assert answer == ("ok", 1)
    finally:
        await raw.disconnect()


async def test_a_declared_event_never_reaches_a_handler_registered_on_sio(
    pursocket_serve: ServeFixture,
) -> None:
    server, chats = lobby_server()
    shadow = Inbox()
    server.sio.on("chat", lambda sid, data: shadow.put(data), namespace="/lobby")
    url = await pursocket_serve(server)
    raw = await raw_client(url, "/lobby")
    try:
        await raw.emit("chat", {"text": 1}, namespace="/lobby")  # invalid: refused
        await raw.emit("chat", {"text": "valid"}, namespace="/lobby")
        assert await chats.wait_for(1) == [{"text": "valid"}]
        barrier = await raw.call("join", {"name": "x"}, namespace="/lobby", timeout=5)
    finally:
        await raw.disconnect()
    assert barrier == {
        "__pursocket_error__": {
            "code": "no_handler",
            "message": ('no handler is registered for "join" in namespace "lobby"'),
            "details": None,
        }
    }
    assert shadow.items == []


async def test_a_catch_all_takes_the_undeclared_events_of_a_declared_namespace(
    pursocket_serve: ServeFixture,
) -> None:
    server, chats = lobby_server()
    caught, offences = Inbox(), Inbox()
    server.sio.on("*", lambda event, sid, *args: caught.put((event, args)), namespace="/lobby")
    server.namespace("lobby").on_invalid(lambda conn, offence: offences.put(offence.code))
    url = await pursocket_serve(server)
    raw = await raw_client(url, "/lobby")
    try:
        await raw.emit("anything", {"x": 1}, namespace="/lobby")
        await raw.emit("chat", {"text": 5}, namespace="/lobby")  # declared: refused
        await raw.emit("chat", {"text": "hi"}, namespace="/lobby")
        assert await chats.wait_for(1) == [{"text": "hi"}]
        assert await caught.wait_for(1) == [("anything", ({"x": 1},))]
        assert await offences.wait_for(1) == ["invalid_payload"]
    finally:
        await raw.disconnect()


async def test_without_a_handler_on_sio_an_undeclared_event_is_refused(
    pursocket_serve: ServeFixture,
) -> None:
    server, _ = lobby_server()
    url = await pursocket_serve(server)
    raw = await raw_client(url, "/lobby")
    try:
        answer = await raw.call("legacy", 1, namespace="/lobby", timeout=5)
    finally:
        await raw.disconnect()
    assert answer["__pursocket_error__"]["code"] == "unknown_event"


async def test_a_namespace_the_protocol_does_not_declare_is_served_by_sio(
    pursocket_serve: ServeFixture,
) -> None:
    server, _ = lobby_server()
    connected, events = Inbox(), Inbox()
    server.sio.on("connect", lambda sid, environ, auth: connected.put(auth), namespace="/old")
    server.sio.on("ping", lambda sid, data: events.put(data) or "pong", namespace="/old")
    url = await pursocket_serve(server)
    raw = await raw_client(
        url,
        "/old",
    )
    try:
        assert await raw.call("ping", [1, 2], namespace="/old", timeout=5) == "pong"
        # A reserved name never reaches the lifecycle handler registered for it.
        await raw.emit("connect", {"forged": True}, namespace="/old")
        assert await raw.call("ping", 3, namespace="/old", timeout=5) == "pong"
    finally:
        await raw.disconnect()
    assert connected.items == [None]
    assert events.items == [[1, 2], 3]


class Legacy(socketio.AsyncNamespace):  # type: ignore[misc]
    """A python-socketio class-based namespace, as an existing app has them."""

    def __init__(self, namespace: str, seen: Inbox) -> None:
        super().__init__(namespace)
        self.seen = seen

    async def on_connect(self, sid: str, environ: Any, auth: Any) -> None:
        self.seen.put(("connect", auth))

    async def on_echo(self, sid: str, data: Any) -> Any:
        self.seen.put(("echo", data))
        return data

    async def on_disconnect(self, sid: str, reason: Any) -> None:
        self.seen.put(("disconnect", reason))


async def test_class_based_namespaces_work_beside_the_protocol(
    pursocket_serve: ServeFixture,
) -> None:
    server, chats = lobby_server()
    seen = Inbox()
    server.sio.register_namespace(Legacy("/legacy", seen))
    url = await pursocket_serve(server)
    old = socketio.AsyncClient(handle_sigint=False, reconnection=False)
    client = Client(AppProtocol, reconnection=False)
    lobby = client.namespace("lobby")
    async with client:
        await old.connect(url, namespaces=["/legacy"], auth={"v": 1}, transports=["websocket"])
        try:
            await client.connect(url)
            assert await old.call("echo", {"n": 1}, namespace="/legacy", timeout=5) == {"n": 1}
            await lobby.emit("chat", {"text": "typed"})
            assert await chats.wait_for(1) == [{"text": "typed"}]
        finally:
            await old.disconnect()
        connect, echo, (disconnect, _) = await seen.wait_for(3)
    assert connect == ("connect", {"v": 1})
    assert echo == ("echo", {"n": 1})
    assert disconnect == "disconnect"


async def test_an_undeclared_namespace_without_handlers_is_still_refused_by_name(
    pursocket_serve: ServeFixture,
) -> None:
    url = await pursocket_serve(lobby_server()[0])
    refusals = Inbox()
    raw = socketio.AsyncClient(handle_sigint=False, reconnection=False)
    raw.on("connect_error", refusals.put, namespace="/nowhere")
    try:
        await raw.connect(url, namespaces=["/nowhere"], transports=["websocket"])
    except socketio.exceptions.ConnectionError:
        pass
    finally:
        await raw.disconnect()
    assert await refusals.wait_for(1) == [
        {"message": 'Unknown namespace "/nowhere"; protocol AppProtocol declares "/lobby", "/game"'}
    ]


async def test_the_client_hands_undeclared_server_events_to_sio_handlers(
    pursocket_serve: ServeFixture,
) -> None:
    server, _ = lobby_server()
    connected = Inbox()
    server.namespace("lobby").on_connect(connected.put)
    url = await pursocket_serve(server)
    client = Client(AppProtocol)
    lobby = client.namespace("lobby")
    notices, counts = Inbox(), Inbox()
    client.sio.on("notice", lambda *args: notices.put(args), namespace="/lobby")
    client.sio.on("userCount", lambda data: notices.put(("shadow", data)), namespace="/lobby")
    lobby.on("userCount")(counts.put)
    async with client:
        await client.connect(url)
        [conn] = await connected.wait_for(1)
        # An event the protocol does not declare, sent through the server's escape hatch.
        await server.sio.emit("notice", ("maintenance", 5), to=conn.sid, namespace="/lobby")
        await conn.emit("userCount", {"count": 2})
        assert await notices.wait_for(1) == [("maintenance", 5)]
        assert await counts.wait_for(1) == [{"count": 2}]
    await asyncio.sleep(0)
    assert notices.items == [("maintenance", 5)]
