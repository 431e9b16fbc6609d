"""Interop with the official npm packages, socket.io-client 4.x and socket.io 4.x.

The Node scripts in ``tests/interop/`` run as subprocesses and report what happens
as JSON lines on stdout. ``make test`` installs the packages (``npm ci``) first.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

import pytest

from pursocket import Client, ConnectError, Connection, ConnectionRefused, Server
from pursocket.testing import ServeFixture
from tests.conftest import Inbox
from tests.protocols import AppProtocol, ChatMessage, JoinRequest, JoinResult, UserCount

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = Path(__file__).resolve().parent / "interop"
#: The last userCount of an exchange: the JS client (tests/interop/js_client.mjs) disconnects
#: when it receives it, and the JS server (js_server.mjs) sends it last.
LAST: UserCount = {"count": -1}
LobbyConn = Connection[AppProtocol, Literal["lobby"]]


class NodeProcess:
    """A Node script whose JSON stdout lines can be awaited one by one."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def next(self, timeout: float = 10.0) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), timeout)
        if not line:
            assert self.process.stderr is not None
            error = (await self.process.stderr.read()).decode()
            raise AssertionError(f"the Node script ended early:\n{error}")
        parsed: dict[str, Any] = json.loads(line)
        return parsed

    async def until(self, kind: str) -> list[dict[str, Any]]:
        """Every line up to and including the first of type ``kind``."""
        lines = [await self.next()]
        while lines[-1]["type"] != kind:
            lines.append(await self.next())
        return lines


@asynccontextmanager
async def node(script: str, *args: str) -> AsyncIterator[NodeProcess]:
    executable = shutil.which("node")
    assert executable, "Node.js is needed for the interop tests"
    assert (ROOT / "node_modules" / "socket.io").is_dir(), (
        "the npm packages are missing: run `npm ci` in the repository root (make test does)"
    )
    process = await asyncio.create_subprocess_exec(
        executable,
        str(SCRIPTS / script),
        *args,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        yield NodeProcess(process)
    finally:
        if process.returncode is None:
            process.terminate()
        await process.wait()


# --- the npm socket.io-client drives a pursocket server ------------------------------------


async def test_js_client_emits_calls_answers_and_receives_a_broadcast(
    pursocket_serve: ServeFixture,
) -> None:
    server = Server(AppProtocol)
    lobby = server.namespace("lobby")
    events = Inbox()

    @lobby.on_connect
    async def connected(conn: LobbyConn) -> None:
        events.put(("connect", conn.auth))
        await conn.emit("userCount", {"count": 1})  # sent before the client counts as connected

    @lobby.on("chat")
    async def chat(conn: LobbyConn, msg: ChatMessage) -> None:
        events.put(("chat", msg))
        events.put(("confirm", await conn.call("confirm", msg)))
        await lobby.broadcast("userCount", {"count": 3})
        await lobby.broadcast("userCount", LAST)

    @lobby.on_call("join")
    def join(conn: LobbyConn, req: JoinRequest) -> JoinResult:
        return {"success": req["name"] == "Alice"}

    url = await pursocket_serve(server)
    async with node("js_client.mjs", url) as js:
        lines = await js.until("disconnect")
        assert await js.process.wait() == 0
    # The JS client holds what arrives before its CONNECT packet, then delivers it.
    assert {line["type"] for line in lines[:2]} == {"connect", "userCount"}
    by_type: dict[str, list[Any]] = {}
    for line in lines:
        by_type.setdefault(line.pop("type"), []).append(line)
    (conn_line,) = by_type["connect"]
    assert by_type["join"] == [{"response": {"success": True}}]
    (bad,) = by_type["badJoin"]
    assert bad["response"]["__pursocket_error__"]["code"] == "invalid_payload"
    assert by_type["confirm"] == [{"request": {"text": "from js"}}]
    assert by_type["userCount"] == [
        {"payload": {"count": 1}},
        {"payload": {"count": 3}},
        {"payload": LAST},
    ]
    assert by_type["disconnect"] == [{"reason": "io client disconnect"}]
    assert await events.wait_for(3) == [
        ("connect", {"token": "js"}),
        ("chat", {"text": "from js"}),
        ("confirm", {"success": True}),
    ]
    assert conn_line["id"]


async def test_js_client_sees_a_connect_handler_refusal(pursocket_serve: ServeFixture) -> None:
    server = Server(AppProtocol)

    @server.namespace("lobby").on_connect
    def connected(conn: LobbyConn) -> None:
        raise ConnectionRefused("members only", {"retry": False})

    url = await pursocket_serve(server)
    async with node("js_client.mjs", url) as js:
        line = await js.next()
    assert line == {"type": "connect_error", "message": "members only", "data": {"retry": False}}


async def test_js_client_is_refused_an_unknown_namespace(pursocket_serve: ServeFixture) -> None:
    url = await pursocket_serve(Server(AppProtocol))
    async with node("js_client.mjs", url, "admin") as js:
        line = await js.next()
    assert line == {
        "type": "connect_error",
        "message": 'Unknown namespace "/admin"; protocol AppProtocol declares "/lobby", "/game"',
        "data": None,
    }


# --- the pursocket client talks to an npm socket.io server ---------------------------------


@asynccontextmanager
async def js_server() -> AsyncIterator[tuple[NodeProcess, str]]:
    async with node("js_server.mjs") as js:
        listening = await js.next()
        assert listening["type"] == "listening"
        yield js, f"http://127.0.0.1:{listening['port']}"


@pytest.mark.parametrize("transports", [None, ["polling"], ["websocket"]])
async def test_pursocket_client_talks_to_a_js_server(transports: list[str] | None) -> None:
    client = Client(AppProtocol, reconnection=False)
    lobby = client.namespace("lobby")
    counts = Inbox()
    lobby.on("userCount")(counts.put)

    @lobby.on_call("confirm")
    def confirm(req: ChatMessage) -> JoinResult:
        return {"success": req["text"] == "from python"}

    async with js_server() as (js, url), client:
        await client.connect(url, auth={"token": "t"}, transports=transports)
        connection = await js.next()
        assert connection == {"type": "connection", "id": lobby.sid, "auth": {"token": "t"}}
        # Sent by the JS server as the connection is made, to the handler declared before.
        assert await counts.wait_for(1) == [{"count": 1}]
        assert await lobby.call("join", {"name": "Alice"}) == {"success": True}
        assert await lobby.call("join", {"name": "Bob"}) == {"success": False}
        assert [line["request"] for line in await js.until("join")] == [{"name": "Alice"}]
        assert (await js.next())["request"] == {"name": "Bob"}
        await lobby.emit("chat", {"text": "from python"})
        assert await js.next() == {"type": "chat", "payload": {"text": "from python"}}
        assert await js.next() == {"type": "confirmAnswer", "answer": {"success": True}}
        assert await counts.wait_for(2) == [{"count": 1}, LAST]
        await client.disconnect()
        assert await js.next() == {"type": "disconnect", "reason": "client namespace disconnect"}


async def test_js_server_refusal_reaches_the_pursocket_client() -> None:
    client = Client(AppProtocol, reconnection=False)
    client.namespace("lobby")
    async with js_server() as (_, url):
        with pytest.raises(ConnectError) as refused:
            await client.connect(url, auth={"token": "wrong"})
    assert (
        refused.value.message == 'The server refused namespace "lobby": a valid token is required'
    )
    assert refused.value.data == {"retry": False}


async def test_js_server_refuses_an_unknown_namespace_to_the_pursocket_client() -> None:
    client = Client(AppProtocol, reconnection=False)
    client.namespace("game")
    async with js_server() as (_, url):
        with pytest.raises(
            ConnectError, match='The server refused namespace "game": Invalid namespace'
        ):
            await client.connect(url)
