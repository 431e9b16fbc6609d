"""Connection auth, per-connection state and connect guards, on real servers.

Python clients (pursocket's, and its bare Socket.IO client sending an auth unchecked,
as a hostile peer would) and the official JS client connect over real sockets.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio

from pursocket import (
    Client,
    ConnectError,
    ConnectionRefused,
    DisconnectReason,
    ProtocolError,
    Server,
    StateNotSet,
)
from pursocket._logging import LogLimiter
from pursocket._sio_client import SocketIOClient
from pursocket.testing import ServeFixture
from tests.auth_app import AuthProtocol, GameConn, LobbyConn, PublicConn, User
from tests.conftest import Inbox
from tests.test_concept_docs import run_page as run_page  # a fixture this module uses
from tests.test_interop import node


def auth_server(**options: Any) -> tuple[Server[AuthProtocol], Inbox]:
    """Lobby keeps a ``User`` per connection, game its table; every handler reports it."""
    server = Server(AuthProtocol, **options)
    seen = Inbox()
    lobby = server.namespace("lobby", state=User)
    game = server.namespace("game", state=int)

    @lobby.on_connect
    def lobby_connect(conn: LobbyConn) -> User:
        seen.put(("connect", conn.auth))
        return User(conn.auth["token"])

    @lobby.on_call("whoami")
    async def lobby_whoami(conn: LobbyConn, asker: str) -> str:
        return f"{conn.state.name} asks {asker}"

    @lobby.on("note")
    def lobby_note(conn: LobbyConn, text: str) -> None:
        seen.put(("note", conn.state, text))

    @lobby.on_disconnect
    def lobby_gone(conn: LobbyConn, reason: DisconnectReason) -> None:
        seen.put(("disconnect", conn.state, reason))

    @game.on_connect
    async def game_connect(conn: GameConn) -> int:
        return conn.auth["table"]

    @game.on_call("whoami")
    def game_whoami(conn: GameConn, asker: str) -> str:
        return f"table {conn.state} asks {asker}"

    @server.namespace("public").on_call("whoami")
    def public_whoami(conn: PublicConn, asker: str) -> str:
        return f"{conn.state} asks {asker}"

    return server, seen


async def test_the_auth_is_validated_and_the_state_is_in_every_handler(
    pursocket_serve: ServeFixture,
) -> None:
    server, seen = auth_server()
    url = await pursocket_serve(server)
    client = Client(AuthProtocol, reconnection=False)
    lobby = client.namespace("lobby", auth={"token": "alice"})
    await client.connect(url)
    (conn,) = server.namespace("lobby").connections()
    assert await lobby.call("whoami", "py") == "alice asks py"
    await lobby.emit("note", "hi")
    await client.disconnect()
    assert await seen.wait_for(3) == [
        ("connect", {"token": "alice"}),
        ("note", User("alice"), "hi"),
        ("disconnect", User("alice"), DisconnectReason.CLIENT_DISCONNECT),
    ]
    assert server.namespace("lobby").connections() == ()
    with pytest.raises(StateNotSet) as gone:
        conn.state  # noqa: B018
    assert str(gone.value) == (
        'conn.state of namespace "lobby" is gone: the connection has ended and its '
        "disconnect handler has returned"
    )


async def raw_connect(
    url: str, namespace: str, auth: Any, refusals: Inbox | None = None
) -> SocketIOClient:
    """pursocket's bare Socket.IO client (``Client.sio``'s class), sending ``auth`` unchecked.

    No ``Client`` checks the auth first: it goes in the CONNECT packet as given (``{}``
    for a falsy one), as from a hostile peer. ``connect`` raises python-socketio's
    ``ConnectionError`` when the server refuses (the refusal goes to ``refusals``) or
    closes the connection instead of answering (at once, not after ``wait_timeout``).
    """
    raw = SocketIOClient(
        routes={}, log=LogLimiter(), in_order=None, reconnection=False, handle_sigint=False
    )
    if refusals is not None:
        raw.on("connect_error", refusals.put, namespace=f"/{namespace}")
    await raw.connect(url, namespaces=[f"/{namespace}"], auth=auth, wait_timeout=10)
    return raw


def sids_left(server: Server[Any], path: str) -> list[str]:
    """The sids python-socketio still holds in namespace ``path``."""
    return [sid for sid, _ in server.sio.manager.get_participants(path, None)]


@pytest.mark.parametrize(
    ("auth", "details"),
    [
        ({"name": "eve"}, "Object missing required field `token`"),
        ({"token": 5}, "Expected `str`, got `int` - at `$.token`"),
        ({"token": ["x"], "extra": 1}, "Expected `str`, got `array` - at `$.token`"),
    ],
)
async def test_invalid_auth_is_refused_before_the_connect_handler(
    pursocket_serve: ServeFixture, auth: Any, details: str
) -> None:
    server, seen = auth_server()
    url = await pursocket_serve(server)
    refusals = Inbox()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await raw_connect(url, "lobby", auth, refusals)
    assert refusals.items == [
        {
            "message": f'invalid auth for namespace "lobby": {details}',
            "data": {"code": "invalid_auth", "details": details},
        }
    ]
    assert seen.items == []
    assert server.namespace("lobby").connections() == ()
    assert sids_left(server, "/lobby") == []


async def test_keys_the_auth_type_does_not_declare_are_dropped(
    pursocket_serve: ServeFixture,
) -> None:
    server, seen = auth_server()
    url = await pursocket_serve(server)
    raw = await raw_connect(url, "lobby", {"token": "bob", "admin": True})
    try:
        assert await seen.wait_for(1) == [("connect", {"token": "bob"})]
    finally:
        await raw.disconnect()


async def test_an_empty_auth_arrives_as_sent_and_no_auth_as_none(
    pursocket_serve: ServeFixture,
) -> None:
    # python-socketio hands a falsy auth to the connect handler as None, and its client
    # sends {} when given no auth.
    server, _ = auth_server()
    url = await pursocket_serve(server)
    raw = await raw_connect(url, "public", {})
    client = Client(AuthProtocol, reconnection=False)
    client.namespace("public")
    try:
        (from_raw,) = server.namespace("public").connections()
        assert from_raw.auth == {}
        await client.connect(url)
        assert [conn.auth for conn in server.namespace("public").connections()] == [{}, None]
    finally:
        await raw.disconnect()
        await client.disconnect()


TOO_LARGE = (
    "the connect auth is more than 1000 bytes of JSON, the most this server accepts "
    "(Server(max_auth_bytes=...))"
)


@pytest.mark.parametrize("limit", ["max_auth_bytes", "max_http_buffer_size"])
async def test_oversized_auth_never_reaches_the_server_handlers(
    pursocket_serve: ServeFixture, limit: str
) -> None:
    # An auth over max_auth_bytes is refused before it is decoded; a CONNECT packet over
    # the message limit closes the transport.
    server, seen = auth_server(**{limit: 1_000})
    url = await pursocket_serve(server)
    refusals = Inbox()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await raw_connect(url, "lobby", {"token": "x" * 5_000}, refusals)
    assert refusals.items == (
        [
            {
                "message": TOO_LARGE,
                "data": {"code": "invalid_auth", "details": TOO_LARGE},
            }
        ]
        if limit == "max_auth_bytes"
        else []
    )
    assert seen.items == []
    assert server.namespace("lobby").connections() == ()
    assert sids_left(server, "/lobby") == []


@pytest.mark.parametrize("transports", [None, ["websocket"], ["polling"]])
async def test_an_auth_over_the_message_limit_fails_connect_when_the_server_closes(
    pursocket_serve: ServeFixture, transports: list[str] | None
) -> None:
    # The server closes the connection on the CONNECT packet over max_http_buffer_size
    # (a websocket close 1009, or an HTTP error answering the long-polling POST) without
    # answering it: connect raises as soon as the connection closes, not after its
    # wait_timeout, and the client (reconnection on, as by default) does not retry.
    server, seen = auth_server(max_http_buffer_size=1_000)
    url = await pursocket_serve(server)
    client = Client(AuthProtocol)
    client.namespace("lobby", auth={"token": "x" * 5_000})
    client.namespace("public")
    with pytest.raises(ConnectError) as closed:
        await asyncio.wait_for(client.connect(url, transports=transports, wait_timeout=10), 3)
    # The CONNECT packet 0/lobby,{"token":"xx...x"}: 8 + 10 + 5000 + 2 bytes.
    assert closed.value.message == (
        f"Could not connect to {url}: the server closed the connection (transport error) "
        'before it accepted namespace "lobby", "public": if the auth of namespace "lobby" '
        "(a CONNECT packet of 5020 bytes) is more than the server accepts in one message "
        "(Server(max_http_buffer_size=...), 1,000,000 bytes by default), send a smaller "
        "auth or raise that limit"
    )
    assert closed.value.data is None
    assert not client.connected
    assert client.sio._reconnect_task is None
    assert seen.items == []
    assert server.namespace("lobby").connections() == ()
    assert server.namespace("public").connections() == ()


@pytest.mark.parametrize(
    ("namespace", "auth", "kind"),
    [
        ("public", [1, 2], "an array"),
        ("public", "token", "a string"),
        ("public", True, "a boolean"),
        ("lobby", [1, 2], "an array"),
    ],
)
async def test_a_connect_auth_that_is_not_an_object_is_refused(
    pursocket_serve: ServeFixture, namespace: str, auth: object, kind: str
) -> None:
    # Socket.IO's CONNECT payload is an object, so conn.auth of a namespace that declares
    # no auth is always a dict or None, as the plugin and the generated API type it.
    server, seen = auth_server()
    url = await pursocket_serve(server)
    refusals = Inbox()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await raw_connect(url, namespace, auth, refusals)
    details = f"the connect auth must be a JSON object (or nothing), not {kind}"
    assert refusals.items == [
        {"message": details, "data": {"code": "invalid_auth", "details": details}}
    ]
    assert seen.items == []
    assert server.namespace(namespace).connections() == ()
    assert sids_left(server, f"/{namespace}") == []


async def test_the_client_checks_each_namespace_auth_before_sending(
    pursocket_serve: ServeFixture,
) -> None:
    server, seen = auth_server()
    url = await pursocket_serve(server)
    client = Client(AuthProtocol, reconnection=False)
    client.namespace("lobby", auth={"token": 7})
    with pytest.raises(ProtocolError) as wrong:
        await client.connect(url)
    assert str(wrong.value) == (
        'The auth given to namespace("lobby", auth=...) does not fit AuthProtocol.lobby.auth, '
        'the auth namespace "lobby" declares: Expected `str`, got `int` - at `$.token`'
    )
    missing = Client(AuthProtocol, reconnection=False)
    missing.namespace("game")
    with pytest.raises(ProtocolError) as absent:
        await missing.connect(url)
    assert str(absent.value) == (
        "The auth given to connect(auth=...) does not fit AuthProtocol.game.auth, the auth "
        'namespace "game" declares: Expected `object`, got `null`'
    )
    listed = Client(AuthProtocol, reconnection=False)
    listed.namespace("public", auth=["token"])
    with pytest.raises(ProtocolError) as not_an_object:
        await listed.connect(url)
    assert str(not_an_object.value) == (
        'The auth given to namespace("public", auth=...) must be a mapping (sent as a JSON '
        "object) or None, not list: Socket.IO sends auth as an object, and the server "
        'refuses anything else (namespace "public" declares no auth type)'
    )
    assert not client.connected and not missing.connected and not listed.connected
    assert seen.items == []


async def test_namespaces_with_different_auth_types_share_one_connection(
    pursocket_serve: ServeFixture,
) -> None:
    server, _ = auth_server()
    url = await pursocket_serve(server)
    client = Client(AuthProtocol, reconnection=False)
    lobby = client.namespace("lobby", auth={"token": "alice"})
    game = client.namespace("game", auth={"table": 3})
    public = client.namespace("public")
    async with client:
        await client.connect(url, auth={"ignored": "by public"})
        assert await lobby.call("whoami", "py") == "alice asks py"
        assert await game.call("whoami", "py") == "table 3 asks py"
        assert await public.call("whoami", "py") == "None asks py"
        (lobby_conn,) = server.namespace("lobby").connections()
        (game_conn,) = server.namespace("game").connections()
        (public_conn,) = server.namespace("public").connections()
        manager = server.sio.manager
        engine_sids = {
            manager.eio_sid_from_sid(lobby_conn.sid, "/lobby"),
            manager.eio_sid_from_sid(game_conn.sid, "/game"),
            manager.eio_sid_from_sid(public_conn.sid, "/public"),
        }
        assert engine_sids == {client.sio.eio.sid}
        assert public_conn.auth == {"ignored": "by public"}


async def test_guards_run_in_order_and_can_refuse(pursocket_serve: ServeFixture) -> None:
    server, seen = auth_server()
    ran = Inbox()

    @server.guard()
    def first(conn: Any) -> None:
        ran.put(("first", conn.namespace.name))

    @server.guard(exclude=["public"])
    async def second(conn: Any) -> None:
        ran.put(("second", conn.namespace.name))
        try:
            conn.state  # noqa: B018
        except StateNotSet as early:
            ran.put(str(early))
        if conn.auth.get("token") == "mallory":
            raise ConnectionRefused("mallory may not enter", {"code": "forbidden"})

    url = await pursocket_serve(server)
    refused = Client(AuthProtocol, reconnection=False)
    refused.namespace("lobby", auth={"token": "mallory"})
    with pytest.raises(ConnectError) as refusal:
        await refused.connect(url)
    assert (refusal.value.message, refusal.value.data) == (
        'The server refused namespace "lobby": mallory may not enter',
        {"code": "forbidden"},
    )
    assert ran.items == [
        ("first", "lobby"),
        ("second", "lobby"),
        'conn.state of namespace "lobby" is not set yet: it is the value the connect handler '
        "returns, so guards and the connect handler cannot read it",
    ]
    assert seen.items == []
    assert sids_left(server, "/lobby") == []
    (js_refusal, _) = await js_connect(url, {"lobby": {"token": "mallory"}})
    assert js_refusal == {
        "type": "connect_error",
        "namespace": "lobby",
        "message": "mallory may not enter",
        "data": {"code": "forbidden"},
    }
    assert ran.items[3:] == ran.items[:3]  # the JS client went through the same guards

    public = Client(AuthProtocol, reconnection=False)
    public.namespace("public")
    async with public:
        await public.connect(url)
    assert ran.items[6:] == [("first", "public")]


async def test_a_guard_that_fails_refuses_with_internal_server_error(
    pursocket_serve: ServeFixture,
) -> None:
    server, _ = auth_server()

    @server.guard("game")
    def broken(conn: Any) -> None:
        raise RuntimeError("bug")

    url = await pursocket_serve(server)
    client = Client(AuthProtocol, reconnection=False)
    client.namespace("game", auth={"table": 1})
    with pytest.raises(ConnectError) as refusal:
        await client.connect(url)
    assert refusal.value.message == 'The server refused namespace "game": Internal server error'
    assert server.namespace("game").connections() == ()
    assert sids_left(server, "/game") == []


async def test_a_declared_state_needs_a_connect_handler(pursocket_serve: ServeFixture) -> None:
    server = Server(AuthProtocol)
    server.namespace("public", state=User)
    with pytest.raises(ProtocolError) as other:
        server.namespace("public", state=int)
    assert str(other.value) == 'Namespace "public" was already given state=User, not state=int'
    url = await pursocket_serve(server)
    client = Client(AuthProtocol, reconnection=False)
    client.namespace("public")
    with pytest.raises(ConnectError) as refusal:
        await client.connect(url)
    assert refusal.value.message == 'The server refused namespace "public": Internal server error'


async def test_guards_name_only_declared_namespaces() -> None:
    server = Server(AuthProtocol)
    with pytest.raises(ProtocolError) as unknown:
        server.guard(exclude=["pubic"])
    assert str(unknown.value) == (
        'Unknown namespace "pubic" in protocol AuthProtocol; declared namespaces: "lobby", '
        '"game", "public"'
    )


# --- the official JS client ----------------------------------------------------------------


async def js_connect(url: str, auths: dict[str, Any]) -> list[dict[str, Any]]:
    async with node("js_auth_client.mjs", url, json.dumps(auths)) as js:
        return await js.until("done")


async def test_js_client_namespaces_with_different_auth_on_one_connection(
    pursocket_serve: ServeFixture,
) -> None:
    server, _ = auth_server()
    url = await pursocket_serve(server)
    lines = await js_connect(url, {"lobby": {"token": "ada"}, "game": {"table": 9}, "public": None})
    engines = {line.pop("engine") for line in lines if line["type"] == "connect"}
    assert len(engines) == 1
    assert sorted(lines[:-1], key=lambda line: line["namespace"]) == [
        {"type": "connect", "namespace": "game", "whoami": "table 9 asks js"},
        {"type": "connect", "namespace": "lobby", "whoami": "ada asks js"},
        {"type": "connect", "namespace": "public", "whoami": "None asks js"},
    ]


async def test_js_client_sees_invalid_auth_refusals(pursocket_serve: ServeFixture) -> None:
    server, seen = auth_server()
    url = await pursocket_serve(server)
    lines = await js_connect(url, {"lobby": None, "game": {"table": "9"}})
    assert sorted(lines[:-1], key=lambda line: line["namespace"]) == [
        {
            "type": "connect_error",
            "namespace": "game",
            "message": 'invalid auth for namespace "game": Expected `int`, got `str` - at `$.table`',
            "data": {"code": "invalid_auth", "details": "Expected `int`, got `str` - at `$.table`"},
        },
        {
            "type": "connect_error",
            "namespace": "lobby",
            "message": 'invalid auth for namespace "lobby": Expected `object`, got `null`',
            "data": {"code": "invalid_auth", "details": "Expected `object`, got `null`"},
        },
    ]
    assert seen.items == []


def test_contract_each_connect_packet_goes_through_the_clients_send_packet() -> None:
    """pursocket's client puts each namespace's auth into its CONNECT packet by
    overriding python-socketio's private ``AsyncClient._send_packet``, through which
    ``_handle_eio_connect`` (also on reconnection) sends every CONNECT packet."""
    source = inspect.getsource(socketio.AsyncClient._handle_eio_connect)
    assert "self._send_packet(self.packet_class(" in source
    assert "packet.CONNECT" in source
    assert list(inspect.signature(socketio.AsyncClient._send_packet).parameters) == ["self", "pkt"]


# --- docs/auth.md ---------------------------------------------------------------------------


@pytest.fixture
async def auth_page(run_page: Any, pursocket_serve: ServeFixture) -> AsyncIterator[tuple[Any, str]]:
    """docs/auth.md's code, its FastAPI app and Socket.IO server served by uvicorn."""
    page = run_page("auth.md")
    yield page, await pursocket_serve(page.app, server=page.server)


async def test_auth_page_login_flow(auth_page: tuple[Any, str]) -> None:
    page, url = auth_page
    assert await page.log_in_and_ask(url, "ada", "lovelace") == "ada"
    with pytest.raises(aiohttp.ClientResponseError) as wrong:
        await page.log_in_and_ask(url, "ada", "babbage")
    assert wrong.value.status == 401
    (token,) = page.sessions
    await page.connect_everywhere(url, {"token": token})


async def test_auth_page_refusals_are_what_the_js_client_sees(auth_page: tuple[Any, str]) -> None:
    _, url = auth_page
    text = (Path(__file__).resolve().parent.parent / "docs" / "auth.md").read_text()
    (shown,) = re.findall(r"^```json\n(.*?)\n```$", text, flags=re.S | re.M)
    missing, unknown = (
        await js_connect(url, {"room": {"user": "ada"}}),
        await js_connect(url, {"room": {"token": "nope"}}),
    )
    assert {"message": missing[0]["message"], "data": missing[0]["data"]} == json.loads(shown)
    assert (unknown[0]["message"], unknown[0]["data"]) == (
        "unknown or expired token",
        {"code": "unauthorized"},
    )


async def test_each_namespace_sends_its_auth_again_when_the_client_reconnects(
    pursocket_serve: ServeFixture,
) -> None:
    server, seen = auth_server()
    url = await pursocket_serve(server)
    client = Client(AuthProtocol, reconnection_delay=0.05, reconnection_delay_max=0.1)
    lobby = client.namespace("lobby", auth={"token": "alice"})
    game = client.namespace("game", auth={"table": 4})
    connects = Inbox()
    lobby.on_connect(lambda: connects.put("lobby"))
    game.on_connect(lambda: connects.put("game"))
    async with client:
        await client.connect(url, transports=["websocket"])
        await connects.wait_for(2)
        # Close the socket under the client, as a network failure would: it reconnects.
        await client.sio.eio.ws.close()
        assert sorted(await connects.wait_for(4, timeout=10)) == ["game", "game", "lobby", "lobby"]
        # The server may see the old connection end before or after the new one starts.
        events = sorted(await seen.wait_for(3), key=lambda item: item[0])
        assert events[:2] == [("connect", {"token": "alice"})] * 2
        assert events[2][:2] == ("disconnect", User("alice"))
        assert await lobby.call("whoami", "again") == "alice asks again"
        assert await game.call("whoami", "again") == "table 4 asks again"
