"""The client against a real server over real sockets on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import socket
from contextlib import AsyncExitStack
from typing import Any, Literal
from urllib.parse import urlsplit

import pytest

from pursocket import (
    CallError,
    CallTimeout,
    Client,
    ConnectError,
    Connection,
    DisconnectReason,
    ProtocolError,
    Server,
)
from pursocket.testing import ServeFixture, serve
from tests.conftest import Inbox
from tests.protocols import AppProtocol, ChatMessage, JoinRequest, JoinResult, UserCount

LobbyConn = Connection[AppProtocol, Literal["lobby"]]


def blocking_server(started: Inbox, release: asyncio.Event) -> Server[AppProtocol]:
    """A server whose ``slow`` Call never answers before ``release`` is set."""
    server = Server(AppProtocol)

    @server.namespace("lobby").on_call("slow")
    async def slow(conn: LobbyConn, req: UserCount) -> UserCount:
        started.put(conn)
        await release.wait()
        return req

    return server


@pytest.mark.parametrize("style", ["async", "sync"])
async def test_client_handlers_receive_messages_and_answer_calls(
    pursocket_serve: ServeFixture, style: str
) -> None:
    server = Server(AppProtocol)
    lobby = server.namespace("lobby")
    answers = Inbox()

    @lobby.on("chat")
    async def chat(conn: LobbyConn, msg: ChatMessage) -> None:
        await conn.emit("userCount", {"count": len(msg["text"])})
        answers.put(await conn.call("confirm", msg))

    url = await pursocket_serve(server)
    client = Client(AppProtocol, reconnection=False)
    clobby = client.namespace("lobby")
    counts = Inbox()
    if style == "async":

        @clobby.on("userCount")
        async def count(update: UserCount) -> None:
            counts.put(update)

        @clobby.on_call("confirm")
        async def confirm(req: ChatMessage) -> JoinResult:
            return {"success": req["text"] == "four"}

    else:

        @clobby.on("userCount")
        def count(update: UserCount) -> None:
            counts.put(update)

        @clobby.on_call("confirm")
        def confirm(req: ChatMessage) -> JoinResult:
            return {"success": req["text"] == "four"}

    async with client:
        await client.connect(url)
        await clobby.emit("chat", {"text": "four"})
        assert await counts.wait_for(1) == [{"count": 4}]
        assert await answers.wait_for(1) == [{"success": True}]


async def test_client_call_times_out(pursocket_serve: ServeFixture) -> None:
    started, release = Inbox(), asyncio.Event()
    url = await pursocket_serve(blocking_server(started, release))
    client = Client(AppProtocol, reconnection=False)
    lobby = client.namespace("lobby")
    async with client:
        await client.connect(url)
        with pytest.raises(CallTimeout) as timed_out:
            await lobby.call("slow", {"count": 1}, timeout=0.25)
        release.set()
    assert isinstance(timed_out.value, TimeoutError)
    assert str(timed_out.value) == 'Call "slow" in namespace "lobby" got no answer within 0.25 s'
    assert (timed_out.value.namespace, timed_out.value.event) == ("lobby", "slow")
    assert timed_out.value.timeout == 0.25


async def test_client_call_fails_at_once_when_the_server_drops_the_connection(
    pursocket_serve: ServeFixture,
) -> None:
    started, release = Inbox(), asyncio.Event()
    url = await pursocket_serve(blocking_server(started, release))
    client = Client(AppProtocol, reconnection=False)
    lobby = client.namespace("lobby")
    async with client:
        await client.connect(url)
        call = asyncio.create_task(lobby.call("slow", {"count": 1}, timeout=60))
        (conn,) = await started.wait_for(1)
        await conn.disconnect()
        # Far sooner than the call's 60 s timeout; wait_for fails the test otherwise.
        with pytest.raises(CallError) as failed:
            await asyncio.wait_for(call, 5)
        release.set()
    assert (failed.value.code, failed.value.namespace, failed.value.event) == (
        "disconnected",
        "lobby",
        "slow",
    )
    with pytest.raises(CallError, match=r"\(disconnected\): the namespace is not connected"):
        await lobby.call("slow", {"count": 1})


async def test_client_call_fails_at_once_when_the_server_goes_away(
    pursocket_serve: ServeFixture,
) -> None:
    started, release = Inbox(), asyncio.Event()
    serving = AsyncExitStack()
    url = await serving.enter_async_context(serve(blocking_server(started, release)))
    client = Client(AppProtocol, reconnection=False)
    lobby = client.namespace("lobby")
    reasons = Inbox()
    lobby.on_disconnect(reasons.put)
    async with client:
        await client.connect(url)
        call = asyncio.create_task(lobby.call("slow", {"count": 1}, timeout=60))
        await started.wait_for(1)
        await serving.aclose()
        with pytest.raises(CallError, match="disconnected"):
            await asyncio.wait_for(call, 5)
        release.set()
        (reason,) = await reasons.wait_for(1)
    assert reason is DisconnectReason.SERVER_DISCONNECT


@pytest.mark.parametrize("transports", [None, ["polling"], ["websocket"]])
async def test_disconnect_reasons_when_the_client_leaves(
    pursocket_serve: ServeFixture, transports: list[str] | None
) -> None:
    server = Server(AppProtocol)
    server_side = Inbox()
    server.namespace("lobby").on_disconnect(lambda conn, reason: server_side.put(reason))
    url = await pursocket_serve(server)
    client, client_side = Client(AppProtocol, reconnection=False), Inbox()
    client.namespace("lobby").on_disconnect(client_side.put)
    await client.connect(url, transports=transports)
    # Promptly, also on long-polling: not after the 25 s ping interval.
    await asyncio.wait_for(client.disconnect(), 5)
    assert await client_side.wait_for(1) == [DisconnectReason.CLIENT_DISCONNECT]
    (reason,) = await server_side.wait_for(1)
    assert reason is DisconnectReason.CLIENT_DISCONNECT
    assert not client.connected


async def test_disconnect_reason_when_the_transport_breaks(pursocket_serve: ServeFixture) -> None:
    server = Server(AppProtocol)
    conns, server_side = Inbox(), Inbox()
    lobby = server.namespace("lobby")
    lobby.on_connect(conns.put)
    lobby.on_disconnect(lambda conn, reason: server_side.put(reason))
    url = await pursocket_serve(server)
    client = Client(AppProtocol)  # reconnection on: the reason says it will retry
    client_side = Inbox()
    client.namespace("lobby").on_disconnect(client_side.put)
    async with client:
        await client.connect(url, transports=["websocket"])
        await conns.wait_for(1)
        # Close the socket under the client, as a network failure would.
        await client.sio.eio.ws.close()
        (reason,) = await client_side.wait_for(1)
        assert reason is DisconnectReason.TRANSPORT_ERROR
        assert reason.will_auto_reconnect
        assert await server_side.wait_for(1) == [DisconnectReason.TRANSPORT_CLOSE]


def test_will_auto_reconnect() -> None:
    final = {DisconnectReason.SERVER_DISCONNECT, DisconnectReason.CLIENT_DISCONNECT}
    for reason in DisconnectReason:
        assert reason.will_auto_reconnect is (reason not in final)
    assert DisconnectReason.from_socketio("ping timeout") is DisconnectReason.PING_TIMEOUT
    assert DisconnectReason.from_socketio("transport error") is DisconnectReason.TRANSPORT_ERROR
    assert DisconnectReason.from_socketio(None) is DisconnectReason.UNKNOWN
    assert DisconnectReason.from_socketio("something new") is DisconnectReason.UNKNOWN


async def test_async_with_disconnects_on_exit(pursocket_serve: ServeFixture) -> None:
    server = Server(AppProtocol)
    left = Inbox()
    server.namespace("lobby").on_disconnect(lambda conn, reason: left.put(conn.sid))
    url = await pursocket_serve(server)
    async with Client(AppProtocol) as client:
        lobby = client.namespace("lobby")
        await client.connect(url)
        sid = lobby.sid
        assert client.connected and sid is not None
    assert not client.connected
    assert lobby.sid is None
    assert await left.wait_for(1) == [sid]


async def test_client_never_installs_a_sigint_handler(pursocket_serve: ServeFixture) -> None:
    url = await pursocket_serve(Server(AppProtocol))
    before = signal.getsignal(signal.SIGINT)
    client = Client(AppProtocol, handle_sigint=True)
    client.namespace("lobby")
    async with client:
        await client.connect(url)
        assert signal.getsignal(signal.SIGINT) is before
    assert signal.getsignal(signal.SIGINT) is before


async def test_connect_waits_for_a_slow_connect_handler(pursocket_serve: ServeFixture) -> None:
    server = Server(AppProtocol)
    release = asyncio.Event()
    attempts = Inbox()

    @server.namespace("lobby").on_connect
    async def connected(conn: LobbyConn) -> None:
        attempts.put(conn)
        await release.wait()

    url = await pursocket_serve(server)
    impatient = Client(AppProtocol, reconnection=False)
    impatient.namespace("lobby")
    with pytest.raises(
        ConnectError,
        match=re.escape(
            f'Could not connect to {url}: the server did not accept namespace "lobby" '
            "within 0.3 s (pass a larger wait_timeout for slow connect handlers)"
        ),
    ):
        await impatient.connect(url, wait_timeout=0.3)

    patient = Client(AppProtocol, reconnection=False)
    patient.namespace("lobby")
    # Longer than python-socketio's own 1 s default: pursocket's 10 s default waits it out.
    asyncio.get_running_loop().call_later(1.5, release.set)
    async with patient:
        await patient.connect(url)
        assert patient.connected
    assert len(attempts.items) == 2


async def test_connect_fails_as_soon_as_the_server_closes_the_connection(
    pursocket_serve: ServeFixture,
) -> None:
    # The server ends the Engine.IO session (a CLOSE packet) while its connect handler
    # runs: connect raises then, not after its wait_timeout, and nothing reconnects.
    server = Server(AppProtocol)
    closing = Inbox()

    @server.namespace("lobby").on_connect
    async def connected(conn: LobbyConn) -> None:
        eio_sid = server.sio.manager.eio_sid_from_sid(conn.sid, "/lobby")
        closing.put(eio_sid)
        await server.sio.eio.disconnect(eio_sid)

    url = await pursocket_serve(server)
    client = Client(AppProtocol)
    client.namespace("lobby")
    with pytest.raises(ConnectError) as closed:
        await asyncio.wait_for(client.connect(url, wait_timeout=10), 3)
    assert closed.value.message == (
        f"Could not connect to {url}: the server closed the connection (server disconnect) "
        'before it accepted namespace "lobby"'
    )
    assert len(closing.items) == 1
    assert not client.connected
    assert client.sio._reconnect_task is None


async def test_connect_to_nothing_is_a_connect_error() -> None:
    client = Client(AppProtocol, reconnection=False)
    client.namespace("lobby")
    with socket.socket() as bound_but_not_listening:
        bound_but_not_listening.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{bound_but_not_listening.getsockname()[1]}"
        with pytest.raises(ConnectError, match=f"^Could not connect to {re.escape(url)}: "):
            await client.connect(url)


async def test_connect_twice_is_refused_and_keeps_the_connection(
    pursocket_serve: ServeFixture,
) -> None:
    url = await pursocket_serve(Server(AppProtocol))
    client = Client(AppProtocol)
    client.namespace("lobby")
    async with client:
        await client.connect(url)
        with pytest.raises(ConnectError, match="already connected; call disconnect"):
            await client.connect(url)
        assert client.connected


async def test_connect_needs_a_declared_namespace() -> None:
    with pytest.raises(ProtocolError, match=re.escape("client.namespace(...)")):
        await Client(AppProtocol).connect("http://127.0.0.1:9")


async def test_connects_every_declared_namespace_with_its_own_sid(
    pursocket_serve: ServeFixture,
) -> None:
    server = Server(AppProtocol)
    sids = Inbox()
    server.namespace("lobby").on_connect(lambda conn: sids.put(("lobby", conn.sid)))
    server.namespace("game").on_connect(lambda conn: sids.put(("game", conn.sid)))
    url = await pursocket_serve(server)
    client = Client(AppProtocol)
    lobby, game = client.namespace("lobby"), client.namespace("game")
    async with client:
        await client.connect(url)
        assert sorted(await sids.wait_for(2)) == sorted([("lobby", lobby.sid), ("game", game.sid)])
        assert lobby.sid != game.sid


def test_client_namespace_is_the_same_object_and_decorators_return_the_handler() -> None:
    client = Client(AppProtocol)
    lobby = client.namespace("lobby")
    assert client.namespace("lobby") is lobby
    assert lobby.path == "/lobby"

    def count(update: UserCount) -> None: ...

    async def confirm(req: ChatMessage) -> JoinResult:
        return {"success": True}

    def up() -> None: ...

    def down(reason: DisconnectReason) -> None: ...

    assert lobby.on("userCount")(count) is count
    assert lobby.on_call("confirm")(confirm) is confirm
    assert lobby.on_connect(up) is up
    assert lobby.on_disconnect(down) is down
    with pytest.raises(ProtocolError, match='Unknown namespace "admin"'):
        client.namespace("admin")


@pytest.mark.parametrize(
    ("register", "message"),
    [
        (
            lambda lobby: lobby.on("chat"),
            '"chat" is a client-to-server (c2s) event of namespace "lobby" in protocol '
            "AppProtocol; it cannot be used as a server-to-client (s2c) event",
        ),
        (
            lambda lobby: lobby.on("confirm"),
            '"confirm" is a Call event of namespace "lobby" (s2c) in protocol AppProtocol, '
            "not a Msg event",
        ),
        (
            lambda lobby: lobby.on_call("userCount"),
            '"userCount" is a Msg event of namespace "lobby" (s2c) in protocol AppProtocol, '
            "not a Call event",
        ),
        (
            lambda lobby: lobby.on_call("nope"),
            'Unknown event "nope" in namespace "lobby" (s2c) of protocol AppProtocol; '
            'declared s2c events: "userCount", "confirm"',
        ),
    ],
)
def test_client_registering_a_handler_the_protocol_does_not_declare(
    register: Any, message: str
) -> None:
    lobby = Client(AppProtocol).namespace("lobby")
    with pytest.raises(ProtocolError, match=f"^{re.escape(message)}$"):
        register(lobby)(lambda *args: None)


@pytest.mark.parametrize(
    ("send", "message"),
    [
        (
            lambda lobby: lobby.emit("userCount", {"count": 1}),
            '"userCount" is a server-to-client (s2c) event of namespace "lobby"',
        ),
        (
            lambda lobby: lobby.emit("join", {"name": "x"}),
            '"join" is a Call event of namespace "lobby" (c2s) in protocol AppProtocol, '
            "not a Msg event",
        ),
        (
            lambda lobby: lobby.call("chat", {"text": "x"}),
            '"chat" is a Msg event of namespace "lobby" (c2s) in protocol AppProtocol, '
            "not a Call event",
        ),
    ],
)
async def test_client_sending_an_event_the_protocol_does_not_declare(
    pursocket_serve: ServeFixture, send: Any, message: str
) -> None:
    url = await pursocket_serve(Server(AppProtocol))
    client = Client(AppProtocol)
    lobby = client.namespace("lobby")
    async with client:
        await client.connect(url)
        with pytest.raises(ProtocolError, match=re.escape(message)):
            await send(lobby)


async def test_call_before_connect_fails_at_once() -> None:
    lobby = Client(AppProtocol).namespace("lobby")
    with pytest.raises(CallError, match="disconnected"):
        await lobby.call("join", JoinRequest(name="x"))


async def test_reconnects_after_a_broken_transport(pursocket_serve: ServeFixture) -> None:
    server = Server(AppProtocol)
    lobby = server.namespace("lobby")
    conns = Inbox()
    lobby.on_connect(conns.put)

    @lobby.on("chat")
    async def chat(conn: LobbyConn, msg: ChatMessage) -> None:
        await conn.emit("userCount", {"count": len(msg["text"])})

    url = await pursocket_serve(server)
    client = Client(AppProtocol, reconnection=True, reconnection_delay=0.05, randomization_factor=0)
    client_lobby, ups, counts = client.namespace("lobby"), Inbox(), Inbox()
    client_lobby.on_connect(lambda: ups.put(client_lobby.sid))
    client_lobby.on("userCount")(counts.put)
    async with client:
        await client.connect(url, transports=["websocket"])
        await client.sio.eio.ws.close()
        first, second = await ups.wait_for(2, timeout=10)
        assert first != second
        await client_lobby.emit("chat", {"text": "back"})
        assert await counts.wait_for(1) == [{"count": 4}]
    assert len(await conns.wait_for(2)) == 2


class SilentableProxy:
    """A TCP proxy on 127.0.0.1 that can go silent: it stops forwarding, closes nothing."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.silent = asyncio.Event()
        self.server: asyncio.Server | None = None
        self.writers: list[asyncio.StreamWriter] = []

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        self.writers += [writer, up_writer]
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while not self.silent.is_set():
            data = await reader.read(65536)
            if self.silent.is_set():
                return  # silent: both connections stay open until close()
            if not data:
                writer.close()
                return
            writer.write(data)
            await writer.drain()

    async def close(self) -> None:
        self.silent.set()
        if self.server is not None:
            self.server.close()
        for writer in self.writers:
            writer.close()
        for writer in self.writers:
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


async def serve_behind_a_silentable_proxy(
    pursocket_serve: ServeFixture,
) -> tuple[Inbox, SilentableProxy, str]:
    """A server pinging every 0.2 s (0.2 s timeout) reached through a ``SilentableProxy``.

    Returns the inbox of its "lobby" disconnect reasons, the proxy (started) and its URL.
    """
    server = Server(AppProtocol, ping_interval=0.2, ping_timeout=0.2)
    server_side = Inbox()
    server.namespace("lobby").on_disconnect(lambda conn, reason: server_side.put(reason))
    url = await pursocket_serve(server)
    proxy = SilentableProxy(urlsplit(url).port)
    return server_side, proxy, await proxy.start()


async def test_server_sees_a_ping_timeout_when_a_polling_client_goes_silent(
    pursocket_serve: ServeFixture,
) -> None:
    server_side, proxy, url = await serve_behind_a_silentable_proxy(pursocket_serve)
    client = Client(AppProtocol, reconnection=False)
    client.namespace("lobby")
    try:
        await client.connect(url, transports=["polling"])
        proxy.silent.set()
        # Over long-polling only the ping check can notice.
        assert await server_side.wait_for(1) == [DisconnectReason.PING_TIMEOUT]
    finally:
        # The client would wait for its silent poll; end it without a goodbye.
        await client.sio.eio.disconnect(abort=True)
        await proxy.close()


async def test_disconnect_reasons_when_the_network_goes_silent(
    pursocket_serve: ServeFixture,
) -> None:
    server_side, proxy, url = await serve_behind_a_silentable_proxy(pursocket_serve)
    client = Client(AppProtocol, reconnection=False)
    client_side = Inbox()
    client.namespace("lobby").on_disconnect(client_side.put)
    try:
        await client.connect(url, transports=["websocket"])
        proxy.silent.set()
        # The server stops getting pongs: python-engineio's ping check and its websocket
        # read timeout race to notice first. The client stops getting anything.
        (server_reason,) = await server_side.wait_for(1)
        assert server_reason in (DisconnectReason.PING_TIMEOUT, DisconnectReason.TRANSPORT_CLOSE)
        assert await client_side.wait_for(1) == [DisconnectReason.TRANSPORT_ERROR]
    finally:
        await proxy.close()
        await client.disconnect()


async def test_wait_returns_when_the_client_is_disconnected_for_good(
    pursocket_serve: ServeFixture,
) -> None:
    server = Server(AppProtocol)
    conns = Inbox()
    server.namespace("lobby").on_connect(conns.put)
    url = await pursocket_serve(server)
    client = Client(AppProtocol)  # reconnection on: a server disconnect is final all the same
    client.namespace("lobby")
    async with client:
        await client.connect(url)
        waiting = asyncio.create_task(client.wait())
        (conn,) = await conns.wait_for(1)
        assert not waiting.done()
        await conn.disconnect()
        await asyncio.wait_for(waiting, 5)
        assert not client.connected
