"""The server against real clients over real sockets on 127.0.0.1."""

from __future__ import annotations

import asyncio
import re
from typing import Any, Literal, TypedDict

import pytest

from pursocket import (
    CallError,
    CallTimeout,
    Client,
    ConnectError,
    Connection,
    ConnectionRefused,
    DisconnectReason,
    Msg,
    ProtocolError,
    Server,
)
from pursocket.testing import ConnectFixture, RecordingClient, ServeFixture
from tests.conftest import Inbox
from tests.protocols import AppProtocol, ChatMessage, JoinRequest, JoinResult, UserCount

LobbyConn = Connection[AppProtocol, Literal["lobby"]]


# --- delivery to exactly the intended clients ---------------------------------------------


@pytest.mark.parametrize(
    ("how", "sender_gets", "others_get"),
    [
        ("emit", [{"count": 1}], []),
        ("broadcast", [{"count": 2}], [{"count": 2}]),
        ("broadcast_except_sender", [], [{"count": 3}]),
    ],
)
async def test_delivery_reaches_exactly_the_intended_clients(
    pursocket_serve: ServeFixture,
    pursocket_connect: ConnectFixture,
    how: str,
    sender_gets: list[UserCount],
    others_get: list[UserCount],
) -> None:
    server = Server(AppProtocol)
    lobby = server.namespace("lobby")

    @lobby.on_call("join")
    async def join(conn: LobbyConn, req: JoinRequest) -> JoinResult:
        if how == "emit":
            await conn.emit("userCount", {"count": 1})
        elif how == "broadcast":
            await lobby.broadcast("userCount", {"count": 2})
        else:
            await conn.broadcast_except_sender("userCount", {"count": 3})
        return {"success": True}

    url = await pursocket_serve(server)
    sender, *others = [await pursocket_connect(AppProtocol, url, "lobby") for _ in range(3)]
    # The handler has sent everything by the time its answer arrives.
    assert await sender.call("join", {"name": how}) == {"success": True}
    for client, expected in [(sender, sender_gets), *((other, others_get) for other in others)]:
        for payload in expected:
            assert await client.next("userCount") == payload
        await client.nothing_more("userCount")


async def test_namespaces_are_isolated(
    pursocket_serve: ServeFixture, pursocket_connect: ConnectFixture
) -> None:
    server = Server(AppProtocol)
    lobby, game = server.namespace("lobby"), server.namespace("game")
    lobby_chats, game_chats = Inbox(), Inbox()

    @lobby.on("chat")
    def lobby_chat(conn: LobbyConn, msg: ChatMessage) -> None:
        lobby_chats.put(msg)

    @game.on("chat")
    async def game_chat(conn: Any, msg: ChatMessage) -> None:
        await game.broadcast("userCount", {"count": 5})
        await conn.emit("userCount", {"count": 6})
        await conn.broadcast_except_sender("userCount", {"count": 7})
        game_chats.put(msg)  # last: the test waits for the handler to be done

    url = await pursocket_serve(server)
    # One connection in both namespaces (recorders of each on one client), one in lobby.
    both = Client(AppProtocol, reconnection=False)
    both_lobby = RecordingClient(both, both.namespace("lobby"))
    both_game = RecordingClient(both, both.namespace("game"))
    lobby_only = await pursocket_connect(AppProtocol, url, "lobby")
    async with both:
        await both.connect(url, transports=["websocket"])
        await both_game.emit("chat", {"text": "in game"})
        await game_chats.wait_for(1)
        assert await both_game.next("userCount") == {"count": 5}
        assert await both_game.next("userCount") == {"count": 6}
        for recorder in (both_game, both_lobby, lobby_only):
            await recorder.nothing_more("userCount")
    assert game_chats.items == [{"text": "in game"}]
    assert lobby_chats.items == []


# --- Calls the server answers and Calls it makes ------------------------------------------


@pytest.mark.parametrize("style", ["async", "sync"])
async def test_server_answers_a_call_and_makes_one(
    pursocket_serve: ServeFixture, pursocket_connect: ConnectFixture, style: str
) -> None:
    server = Server(AppProtocol)
    lobby = server.namespace("lobby")
    answers = Inbox()

    if style == "async":

        @lobby.on_call("join")
        async def join(conn: LobbyConn, req: JoinRequest) -> JoinResult:
            answers.put(await conn.call("confirm", {"text": req["name"]}))
            return {"success": req["name"] == "Alice"}

    else:

        @lobby.on_call("join")
        def join(conn: LobbyConn, req: JoinRequest) -> JoinResult:
            return {"success": req["name"] == "Alice"}

    url = await pursocket_serve(server)
    peer = await pursocket_connect(AppProtocol, url, "lobby")

    @peer.on_call("confirm")
    def confirm(req: ChatMessage) -> JoinResult:
        return {"success": req["text"] == "Alice"}

    assert await peer.call("join", {"name": "Alice"}) == {"success": True}
    assert await peer.call("join", {"name": "Bob"}) == {"success": False}
    if style == "async":
        assert answers.items == [{"success": True}, {"success": False}]


async def test_server_call_times_out(
    pursocket_serve: ServeFixture, pursocket_connect: ConnectFixture
) -> None:
    server = Server(AppProtocol)
    lobby = server.namespace("lobby")
    outcome = Inbox()

    @lobby.on("chat")
    async def chat(conn: LobbyConn, msg: ChatMessage) -> None:
        try:
            await conn.call("confirm", msg, timeout=0.2)
        except CallTimeout as exc:
            outcome.put(exc)

    url = await pursocket_serve(server)
    peer, release = await pursocket_connect(AppProtocol, url, "lobby"), asyncio.Event()

    @peer.on_call("confirm")
    async def confirm(req: ChatMessage) -> JoinResult:
        await release.wait()
        return {"success": True}

    await peer.emit("chat", {"text": "hi"})
    (timeout,) = await outcome.wait_for(1)
    release.set()
    assert isinstance(timeout, TimeoutError)
    assert str(timeout) == 'Call "confirm" in namespace "lobby" got no answer within 0.2 s'
    assert (timeout.namespace, timeout.event, timeout.timeout) == ("lobby", "confirm", 0.2)


async def test_server_call_fails_at_once_when_the_client_goes(
    pursocket_serve: ServeFixture,
    pursocket_connect: ConnectFixture,
) -> None:
    server = Server(AppProtocol)
    lobby = server.namespace("lobby")
    outcome = Inbox()

    @lobby.on("chat")
    async def chat(conn: LobbyConn, msg: ChatMessage) -> None:
        try:
            await conn.call("confirm", msg, timeout=60)
        except CallError as exc:
            outcome.put(exc)
        try:
            await conn.call("confirm", msg, timeout=60)
        except CallError as exc:
            outcome.put(exc)

    url = await pursocket_serve(server)
    peer, asked, release = (
        await pursocket_connect(AppProtocol, url, "lobby"),
        Inbox(),
        asyncio.Event(),
    )

    @peer.on_call("confirm")
    async def confirm(req: ChatMessage) -> JoinResult:
        asked.put(req)
        await release.wait()
        return {"success": True}

    await peer.emit("chat", {"text": "hi"})
    await asked.wait_for(1)
    await peer.disconnect()
    # Far sooner than the call's 60 s timeout; wait_for fails the test otherwise.
    first, second = await outcome.wait_for(2, timeout=5)
    release.set()
    assert (first.code, first.namespace, first.event) == ("disconnected", "lobby", "confirm")
    assert second.code == "disconnected"  # a call on a closed connection fails immediately


# --- connecting, refusing, disconnecting ---------------------------------------------------


async def test_connect_handler_sees_auth_and_the_client_sid(pursocket_serve: ServeFixture) -> None:
    server = Server(AppProtocol)
    lobby = server.namespace("lobby")
    seen = Inbox()

    @lobby.on_connect
    def connected(conn: LobbyConn) -> None:
        seen.put(conn)

    url = await pursocket_serve(server)
    client = Client(AppProtocol, reconnection=False)
    client_lobby = client.namespace("lobby")
    assert client_lobby.sid is None
    async with client:
        await client.connect(url, auth={"token": "t"})
        (conn,) = await seen.wait_for(1)
        assert conn.auth == {"token": "t"}
        assert conn.sid == client_lobby.sid
        assert conn.connected
        assert lobby.connections() == (conn,)
        assert conn.environ["asgi.scope"]["client"][0] == "127.0.0.1"


async def test_connect_handler_refuses_with_message_and_data(pursocket_serve: ServeFixture) -> None:
    server = Server(AppProtocol)
    lobby = server.namespace("lobby")

    @lobby.on_connect
    async def connected(conn: LobbyConn) -> None:
        if conn.auth != {"token": "secret"}:
            raise ConnectionRefused("a valid token is required", {"retry": False})

    url = await pursocket_serve(server)
    client = Client(AppProtocol, reconnection=False)
    client.namespace("lobby")
    with pytest.raises(ConnectError) as refused:
        await client.connect(url, auth={"token": "wrong"})
    assert refused.value.message == (
        'The server refused namespace "lobby": a valid token is required'
    )
    assert refused.value.data == {"retry": False}
    assert not client.connected
    assert lobby.connections() == ()

    async with client:
        await client.connect(url, auth={"token": "secret"})
        assert client.connected


async def test_connect_handler_that_fails_refuses_and_leaves_nothing(
    pursocket_serve: ServeFixture,
) -> None:
    server = Server(AppProtocol)
    lobby = server.namespace("lobby")

    @lobby.on_connect
    async def connected(conn: LobbyConn) -> None:
        raise RuntimeError("bug in the app")

    url = await pursocket_serve(server)
    client = Client(AppProtocol, reconnection=False)
    client.namespace("lobby")
    with pytest.raises(ConnectError, match="Internal server error"):
        await client.connect(url)
    assert lobby.connections() == ()
    assert server.sio.manager.rooms.get("/lobby", {}).get(None, {}) == {}


async def test_unknown_namespace_is_refused(pursocket_serve: ServeFixture) -> None:
    url = await pursocket_serve(Server(AppProtocol))
    client = Client(WiderProtocol, reconnection=False)
    client.namespace("admin")
    with pytest.raises(ConnectError) as refused:
        await client.connect(url)
    assert refused.value.message == (
        'The server refused namespace "admin": Unknown namespace "/admin"; '
        'protocol AppProtocol declares "/lobby", "/game"'
    )


async def test_server_disconnects_a_client(
    pursocket_serve: ServeFixture, pursocket_connect: ConnectFixture
) -> None:
    server = Server(AppProtocol)
    lobby = server.namespace("lobby")
    server_side, client_side, conns = Inbox(), Inbox(), Inbox()

    lobby.on_connect(conns.put)

    @lobby.on_disconnect
    def left(conn: LobbyConn, reason: DisconnectReason) -> None:
        server_side.put((conn, reason))

    url = await pursocket_serve(server)
    peer = await pursocket_connect(AppProtocol, url, "lobby")
    peer.namespace.on_disconnect(client_side.put)
    (conn,) = await conns.wait_for(1)
    await conn.disconnect()
    assert await client_side.wait_for(1) == [DisconnectReason.SERVER_DISCONNECT]
    assert await server_side.wait_for(1) == [(conn, DisconnectReason.SERVER_DISCONNECT)]
    assert not conn.connected
    assert lobby.connections() == ()
    with pytest.raises(CallError, match="disconnected"):
        await conn.call("confirm", {"text": "still there?"})


async def test_shutdown_disconnects_everyone_and_fails_waiting_calls(
    pursocket_serve: ServeFixture,
    pursocket_connect: ConnectFixture,
) -> None:
    server = Server(AppProtocol)
    lobby = server.namespace("lobby")
    outcome, asked = Inbox(), Inbox()

    @lobby.on("chat")
    async def chat(conn: LobbyConn, msg: ChatMessage) -> None:
        try:
            await conn.call("confirm", msg, timeout=60)
        except CallError as exc:
            outcome.put(exc.code)

    url = await pursocket_serve(server)
    release = asyncio.Event()
    group = [await pursocket_connect(AppProtocol, url, "lobby") for _ in range(3)]
    reasons = Inbox()
    for peer in group:
        peer.namespace.on_disconnect(reasons.put)

    @group[0].on_call("confirm")
    async def confirm(req: ChatMessage) -> JoinResult:
        asked.put(req)
        await release.wait()
        return {"success": True}

    await group[0].emit("chat", {"text": "hi"})
    await asked.wait_for(1)
    await server.shutdown()
    assert await reasons.wait_for(3) == [DisconnectReason.SERVER_DISCONNECT] * 3
    assert await outcome.wait_for(1, timeout=5) == ["shutdown"]
    assert lobby.connections() == ()
    release.set()


# --- handlers -----------------------------------------------------------------------------


async def test_handlers_declared_before_connect_get_what_on_connect_sends(
    pursocket_serve: ServeFixture,
) -> None:
    server = Server(AppProtocol)
    lobby = server.namespace("lobby")
    answers = Inbox()

    @lobby.on_connect
    async def connected(conn: LobbyConn) -> None:
        await conn.emit("userCount", {"count": 1})
        await lobby.broadcast("userCount", {"count": 2})

    @lobby.on_call("join")
    def join(conn: LobbyConn, req: JoinRequest) -> JoinResult:
        answers.put(req)
        return {"success": True}

    url = await pursocket_serve(server)
    client, replies = Client(AppProtocol, reconnection=False), Inbox()
    clobby = client.namespace("lobby")

    @clobby.on_connect
    def up() -> None:
        replies.put("connected")

    @clobby.on("userCount")
    async def count(update: UserCount) -> None:
        # A handler may answer what it receives at once, even on a brand-new connection.
        replies.put(await clobby.call("join", {"name": str(update["count"])}))

    async with client:
        await client.connect(url)
        # The connect handler first, then what came before and during it, in order.
        assert await replies.wait_for(3) == ["connected"] + [{"success": True}] * 2
        assert answers.items == [{"name": "1"}, {"name": "2"}]


async def test_messages_sent_right_after_connect_reach_the_server(
    pursocket_serve: ServeFixture,
    pursocket_connect: ConnectFixture,
) -> None:
    server = Server(AppProtocol)
    lobby = server.namespace("lobby")
    chats = Inbox()
    lobby.on("chat")(lambda conn, msg: chats.put(msg))
    url = await pursocket_serve(server)
    group = [await pursocket_connect(AppProtocol, url, "lobby") for _ in range(5)]
    for number, peer in enumerate(group):
        await peer.emit("chat", {"text": str(number)})
    received = await chats.wait_for(5)
    assert sorted(msg["text"] for msg in received) == ["0", "1", "2", "3", "4"]


def test_decorators_return_the_handler_unchanged() -> None:
    lobby = Server(AppProtocol).namespace("lobby")

    def on_chat(conn: LobbyConn, msg: ChatMessage) -> None: ...

    async def on_join(conn: LobbyConn, req: JoinRequest) -> JoinResult:
        return {"success": True}

    def on_connect(conn: LobbyConn) -> None: ...

    def on_disconnect(conn: LobbyConn, reason: DisconnectReason) -> None: ...

    assert lobby.on("chat")(on_chat) is on_chat
    assert lobby.on_call("join")(on_join) is on_join
    assert lobby.on_connect(on_connect) is on_connect
    assert lobby.on_disconnect(on_disconnect) is on_disconnect


def test_namespace_is_the_same_object_every_time() -> None:
    server = Server(AppProtocol)
    assert server.namespace("lobby") is server.namespace("lobby")
    assert server.namespace("lobby").path == "/lobby"
    with pytest.raises(ProtocolError, match='Unknown namespace "admin" in protocol AppProtocol'):
        server.namespace("admin")


@pytest.mark.parametrize(
    ("register", "message"),
    [
        (
            lambda lobby: lobby.on("shout"),
            'Unknown event "shout" in namespace "lobby" (c2s) of protocol AppProtocol; '
            'declared c2s events: "chat", "join", "slow"',
        ),
        (
            lambda lobby: lobby.on("userCount"),
            '"userCount" is a server-to-client (s2c) event of namespace "lobby" in protocol '
            "AppProtocol; it cannot be used as a client-to-server (c2s) event",
        ),
        (
            lambda lobby: lobby.on("join"),
            '"join" is a Call event of namespace "lobby" (c2s) in protocol AppProtocol, '
            "not a Msg event",
        ),
        (
            lambda lobby: lobby.on_call("chat"),
            '"chat" is a Msg event of namespace "lobby" (c2s) in protocol AppProtocol, '
            "not a Call event",
        ),
    ],
)
def test_registering_a_handler_the_protocol_does_not_declare(register: Any, message: str) -> None:
    lobby = Server(AppProtocol).namespace("lobby")
    with pytest.raises(ProtocolError, match=f"^{re.escape(message)}$"):
        register(lobby)(lambda *args: None)


def test_registering_a_second_handler_for_an_event() -> None:
    lobby = Server(AppProtocol).namespace("lobby")
    lobby.on("chat")(lambda conn, msg: None)
    with pytest.raises(
        ProtocolError,
        match=re.escape(
            'A handler for "chat" is already registered in namespace "lobby" (c2s) on the server'
        ),
    ):
        lobby.on("chat")(lambda conn, msg: None)


@pytest.mark.parametrize(
    ("send", "message"),
    [
        (
            lambda lobby, conn: lobby.broadcast("chat", {"text": "x"}),
            '"chat" is a client-to-server (c2s) event of namespace "lobby"',
        ),
        (
            lambda lobby, conn: conn.emit("confirm", {"text": "x"}),
            '"confirm" is a Call event of namespace "lobby" (s2c) in protocol AppProtocol, '
            "not a Msg event",
        ),
        (
            lambda lobby, conn: conn.call("userCount", {"count": 1}),
            '"userCount" is a Msg event of namespace "lobby" (s2c) in protocol AppProtocol, '
            "not a Call event",
        ),
        (
            lambda lobby, conn: conn.broadcast_except_sender("nope", {}),
            'Unknown event "nope" in namespace "lobby" (s2c)',
        ),
    ],
)
async def test_sending_an_event_the_protocol_does_not_declare(
    pursocket_serve: ServeFixture, pursocket_connect: ConnectFixture, send: Any, message: str
) -> None:
    server = Server(AppProtocol)
    lobby = server.namespace("lobby")
    conns = Inbox()
    lobby.on_connect(conns.put)
    url = await pursocket_serve(server)
    await pursocket_connect(AppProtocol, url, "lobby")
    (conn,) = await conns.wait_for(1)
    with pytest.raises(ProtocolError, match=re.escape(message)):
        await send(lobby, conn)


async def test_a_hundred_concurrent_clients(
    pursocket_serve: ServeFixture, pursocket_connect: ConnectFixture
) -> None:
    server = Server(AppProtocol)
    lobby = server.namespace("lobby")

    @lobby.on_call("join")
    async def join(conn: LobbyConn, req: JoinRequest) -> JoinResult:
        await conn.emit("userCount", {"count": len(lobby.connections())})
        return {"success": True}

    url = await pursocket_serve(server)
    group = await asyncio.gather(
        *(pursocket_connect(AppProtocol, url, "lobby") for _ in range(100))
    )
    assert len(lobby.connections()) == 100
    results = await asyncio.gather(
        *(client.call("join", {"name": str(n)}) for n, client in enumerate(group))
    )
    assert results == [{"success": True}] * 100
    for client in group:
        assert await client.next("userCount") == {"count": 100}
    await asyncio.gather(*(client.nothing_more("userCount") for client in group))


class AdminC2S(TypedDict):
    chat: Msg[ChatMessage]


class Admin(TypedDict):
    c2s: AdminC2S


class WiderProtocol(AppProtocol):
    """``AppProtocol`` plus a namespace the server does not know."""

    admin: Admin
