"""The code on README.md and docs/{protocol,server,client,escape-hatch,testing}.md runs as shown.

Each page's ``python`` blocks are executed, in order, as one module; the pages' own
``assert`` statements check what the text claims, and the tests below drive the
servers and clients the pages build over real sockets on 127.0.0.1.
"""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
import types
from collections.abc import Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
import socketio

from examples.quickstart import AppProtocol, build_server
from pursocket import Client, ConnectError, DisconnectReason, read_protocol
from pursocket.testing import ConnectFixture, ServeFixture
from tests.conftest import Inbox

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def blocks(page: str) -> list[str]:
    text = (ROOT / page if page == "README.md" else DOCS / page).read_text()
    return re.findall(r"^```python\n(.*?)^```$", text, flags=re.S | re.M)


@pytest.fixture
def run_page() -> Iterator[Any]:
    """``run_page("x.md")`` executes the page's python blocks as one module and returns it."""
    names: list[str] = []

    def run(page: str) -> types.ModuleType:
        code = blocks(page)
        assert code, f"docs/{page} has no python blocks"
        module = types.ModuleType(f"docs_{page.removesuffix('.md')}")
        # A protocol's annotations are resolved through its module.
        sys.modules[module.__name__] = module
        names.append(module.__name__)
        exec(compile("\n".join(code), page, "exec"), module.__dict__)
        return module

    yield run
    for name in names:
        del sys.modules[name]


def test_protocol_page(run_page: Any) -> None:
    page = run_page("protocol.md")
    assert page.read_protocol(page.DrawProtocol).namespace("draw").path == "/draw"


async def test_server_page(run_page: Any, pursocket_serve: ServeFixture) -> None:
    page = run_page("server.md")
    url = await pursocket_serve(page.server)

    refused = Client(AppProtocol, reconnection=False)
    refused.namespace("lobby")
    with pytest.raises(ConnectError) as refusal:
        await refused.connect(url, auth={"token": "guess"})
    assert (refusal.value.message, refusal.value.data) == (
        'The server refused namespace "lobby": a valid token is required',
        {"login": "/login"},
    )

    alice, alice_saw = Client(AppProtocol, reconnection=False), Inbox()
    bob, bob_saw = Client(AppProtocol, reconnection=False), Inbox()
    for client, saw in ((alice, alice_saw), (bob, bob_saw)):
        lobby = client.namespace("lobby")
        lobby.on("userCount")(saw.put)
        lobby.on("relay")(saw.put)
        lobby.on_call("confirm")(lambda message: {"success": True})
    async with alice, bob:
        await alice.connect(url, auth={"token": "secret"})
        assert await alice_saw.wait_for(1) == [{"count": 1}]
        await bob.connect(url, auth={"token": "secret"})
        assert await bob_saw.wait_for(1) == [{"count": 2}]
        assert await alice.namespace("lobby").call("join", {"name": "Alice"}) == {"success": True}
        assert await alice.namespace("lobby").call("join", {"name": ""}) == {"success": False}
        await alice.namespace("lobby").emit("chat", {"text": "hi"})
        sender = alice.namespace("lobby").sid
        assert await bob_saw.wait_for(2) == [{"count": 2}, {"sender": sender, "text": "hi"}]
        # alice confirmed, so she is told the head count
        assert await alice_saw.wait_for(3) == [{"count": 1}, {"count": 2}, {"count": 2}]
        conn = page.lobby.connections()[0]
        assert re.fullmatch(
            r"\S+ from 127\.0\.0\.1, auth \{'token': 'secret'\}, connected: True",
            page.describe(conn),
        )
        await bob.disconnect()
        assert await alice_saw.wait_for(4) == [
            {"count": 1},
            {"count": 2},
            {"count": 2},
            {"count": 1},
        ]
    assert page.departures[0] is DisconnectReason.CLIENT_DISCONNECT


async def test_client_page(
    run_page: Any, pursocket_serve: ServeFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    page = run_page("client.md")
    url = await pursocket_serve(build_server())
    assert await page.sneak_in(url) == (
        'The server refused namespace "lobby": a valid token is required '
        "({'hint': \"auth={'token': ...}\"})"
    )
    assert await page.visit(url) == {"success": True}
    assert not page.client.connected
    assert await page.careful_join("alice") is False  # not connected any more
    lines = capsys.readouterr().out.splitlines()
    client_lines = [line for line in lines if not line.startswith("server: ")]
    assert client_lines == [
        "connected",
        "1 online",
        "1 online",
        "disconnected: client disconnect, will reconnect: False",
        "join failed (disconnected): the namespace is not connected",
    ]
    async with page.client:
        await page.client.connect(url, auth={"token": "secret", "name": "bob"})
        assert await page.careful_join("bob") is True


async def test_readme_quickstart(
    run_page: Any, pursocket_serve: ServeFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    page = run_page("README.md")
    url = await pursocket_serve(page.server)
    assert await page.visit(url) == {"success": True}
    assert capsys.readouterr().out.splitlines()[0] == "1 online"
    assert read_protocol(page.WideProtocol).namespace("game-room").path == "/game-room"
    assert read_protocol(page.WideProtocol).namespace("/").path == "/"


async def test_escape_hatch_page(run_page: Any, pursocket_serve: ServeFixture) -> None:
    page = run_page("escape-hatch.md")
    try:
        url = await pursocket_serve(page.server)
        legacy = socketio.AsyncClient(handle_sigint=False, reconnection=False)
        await legacy.connect(
            url,
            namespaces=["/lobby", "/v1", "/metrics"],
            auth={"key": "k"},
            transports=["websocket"],
        )
        try:
            await legacy.emit("chat", {"text": "typed"}, namespace="/lobby")
            await legacy.emit("other", {"x": 1}, namespace="/lobby")
            # Answered after the two events before it have been handled.
            assert await legacy.call("legacy_ping", 1, namespace="/lobby", timeout=5) == "pong"
            assert await legacy.call("hello", "v1", namespace="/v1", timeout=5) == {"hello": "v1"}
            assert await legacy.call("report", [3], namespace="/metrics", timeout=5) == "stored"
        finally:
            await legacy.disconnect()
    finally:
        page.admin.uninstrument()
    assert sorted(page.received, key=repr) == sorted(
        [
            ("chat", {"text": "typed"}),
            ("legacy_ping", (1,)),
            ("other", ({"x": 1},)),
            ("v1 connect", {"key": "k"}),
            ("metrics connect", {"key": "k"}),
            ("report", [3]),
        ],
        key=repr,
    )


def test_reliability_page(run_page: Any) -> None:
    page = run_page("reliability.md")
    assert page.config.ws_max_size == 100_000


def test_pages_type_check_with_the_plugin(tmp_path: Path) -> None:
    """mypy --strict with pursocket_mypy accepts the pages' code, but for the mistakes
    docs/protocol.md makes on purpose, which it reports."""
    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\nstrict = True\nplugins = pursocket_mypy\n")
    files = []
    pages = ("README.md", "protocol.md", "server.md", "client.md", "cors.md", "logging.md")
    for page in (*pages, "fastapi.md"):
        path = tmp_path / f"page_{page.removesuffix('.md').lower()}.py"
        path.write_text("\n".join(blocks(page)))
        files.append(str(path))
    run = subprocess.run(
        [
            *(sys.executable, "-m", "mypy", "--config-file", str(config)),
            *("--cache-dir", str(tmp_path / "cache"), *files, "examples/quickstart.py"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    errors = [
        line.split(": error: ", 1)[1] for line in run.stdout.splitlines() if ": error: " in line
    ]
    assert errors == [
        "BrokenProtocol.lobby.c2s.chat: expected Msg[...] or Call[..., ...], got int  "
        "[pursocket-protocol]",
        '"join" is a Call event of namespace "lobby" (c2s): use on_call(), not on()  '
        "[pursocket-kind]",
    ], run.stdout
    assert all(
        "page_protocol.py" in line for line in run.stdout.splitlines() if ": error: " in line
    )


async def test_testing_page(run_page: Any) -> None:
    page = run_page("testing.md")
    tests = [name for name in vars(page) if name.startswith("test_")]
    assert tests == [
        "test_chat_reaches_the_room",
        "test_a_line_reaches_exactly_the_rest_of_the_room",
        "test_an_unknown_token_is_refused",
        "test_a_bad_room_gets_an_error_answer",
        "test_a_proposal_counts_the_yes_votes_of_the_others",
        "test_with_the_fixtures",
        "test_what_a_failure_says",
        "test_the_fastapi_app_and_its_socket",
    ]
    for name in tests:
        async with AsyncExitStack() as stack:
            fixtures = {
                "pursocket_serve": ServeFixture(stack),
                "pursocket_connect": ConnectFixture(stack),
            }
            test = getattr(page, name)
            await test(*(fixtures[p] for p in inspect.signature(test).parameters))
