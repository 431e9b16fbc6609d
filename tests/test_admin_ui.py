"""The Socket.IO Admin UI sees a pursocket server: its connections, rooms and events.

``server.sio.instrument(...)`` is python-socketio's Admin UI support. The Admin UI
is a web page that connects to the server's ``/admin`` namespace with the official
socket.io-client; ``tests/interop/admin_ui.mjs`` does exactly that and reports what
the server tells it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Literal

import pytest

from pursocket import Client, Connection, Server
from pursocket.testing import ServeFixture
from tests.protocols import AppProtocol, JoinRequest, JoinResult
from tests.test_interop import NodeProcess, node

LobbyConn = Connection[AppProtocol, Literal["lobby"]]


Seen = dict[str, list[list[Any]]]


async def admin_events(
    admin: NodeProcess, wanted: set[str], until: Callable[[Seen], bool] = lambda seen: True
) -> Seen:
    """The arguments of each event the Admin UI got, once each of ``wanted`` has come and
    ``until(seen)`` holds."""
    seen: Seen = {}
    while not (wanted <= set(seen) and until(seen)):
        line = await admin.next()
        seen.setdefault(line["type"], []).append(line.get("args", []))
    return seen


def joined(room: str) -> Callable[[Seen], bool]:
    return lambda seen: any(args[1] == room for args in seen["room_joined"])


@pytest.fixture
def instrumented_server() -> Iterator[Server[AppProtocol]]:
    """A server serving the Admin UI, uninstrumented afterwards.

    python-socketio's ``instrument()`` patches python-engineio's socket class for
    the whole process; ``uninstrument()`` puts it back for the tests that follow.
    """
    server = Server(AppProtocol)
    admin = server.sio.instrument(
        auth={"username": "admin", "password": "secret"}, server_stats_interval=0.1
    )
    lobby = server.namespace("lobby")

    @lobby.on_call("join")
    async def join(conn: LobbyConn, request: JoinRequest) -> JoinResult:
        await conn.join_room("players")
        await lobby.broadcast_to_room("players", "userCount", {"count": 1})
        return {"success": True}

    yield server
    admin.uninstrument()


async def test_the_admin_ui_sees_connections_rooms_and_events(
    pursocket_serve: ServeFixture, instrumented_server: Server[AppProtocol]
) -> None:
    url = await pursocket_serve(instrumented_server)
    async with node("admin_ui.mjs", url, "admin", "secret") as admin:
        start = await admin_events(admin, {"connect", "config", "all_sockets"})
        assert "EMIT" in start["config"][0][0]["supportedFeatures"]
        # Before any client: the Admin UI's own socket only.
        [[sockets]] = start["all_sockets"]
        assert [socket["nsp"] for socket in sockets] == ["/admin"]
        client = Client(AppProtocol)
        lobby = client.namespace("lobby")
        async with client:
            await client.connect(url)
            sid = lobby.sid
            assert await lobby.call("join", {"name": "Ada"}) == {"success": True}
            seen = await admin_events(
                admin,
                {"socket_connected", "event_received", "room_joined", "event_sent"},
                until=joined("players"),
            )
        gone = await admin_events(admin, {"socket_disconnected"})
    [[socket, _]] = seen["socket_connected"]
    assert (socket["id"], socket["nsp"]) == (sid, "/lobby")
    assert [args[:3] for args in seen["event_received"]] == [
        ["/lobby", sid, ["join", {"name": "Ada"}]]
    ]
    # Every socket joins the room named after its sid first.
    assert [args[:3] for args in seen["room_joined"]] == [
        ["/lobby", sid, sid],
        ["/lobby", "players", sid],
    ]
    assert [args[:3] for args in seen["event_sent"]] == [
        ["/lobby", sid, ["userCount", {"count": 1}]]
    ]
    assert [args[:3] for args in gone["socket_disconnected"]] == [
        ["/lobby", sid, "client disconnect"]
    ]


async def test_the_admin_ui_needs_its_credentials(
    pursocket_serve: ServeFixture, instrumented_server: Server[AppProtocol]
) -> None:
    url = await pursocket_serve(instrumented_server)
    async with node("admin_ui.mjs", url, "admin", "wrong") as admin:
        assert await admin.next() == {
            "type": "connect_error",
            "message": "authentication failed",
        }
