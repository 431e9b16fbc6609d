"""pursocket.testing and its pytest plugin, against real servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import sys
import textwrap
import warnings
from pathlib import Path
from typing import Literal

import aiohttp
import fastapi
import pytest

from pursocket import CallError, ConnectError, Connection, ConnectionRefused, ProtocolError, Server
from pursocket.testing import ConnectFixture, ServeFixture, connect, serve
from tests.protocols import AppProtocol, ChatMessage, JoinRequest, JoinResult

LobbyConn = Connection[AppProtocol, Literal["lobby"]]


def chat_server() -> Server[AppProtocol]:
    """A lobby where "chat" reaches everyone else and "join" needs a name."""
    server = Server(AppProtocol)
    lobby = server.namespace("lobby")

    @lobby.on_connect
    async def connected(conn: LobbyConn) -> None:
        if conn.auth != {"token": "t"}:
            raise ConnectionRefused("a valid token is required", {"login": "/login"})

    @lobby.on("chat")
    async def chat(conn: LobbyConn, msg: ChatMessage) -> None:
        await conn.broadcast_except_sender("userCount", {"count": len(msg["text"])})

    @lobby.on_call("join")
    async def join(conn: LobbyConn, request: JoinRequest) -> JoinResult:
        return {"success": request["name"] != ""}

    return server


async def test_a_broadcast_reaches_exactly_the_other_client() -> None:
    async with (
        serve(chat_server()) as url,
        connect(AppProtocol, url, "lobby", auth={"token": "t"}) as alice,
        connect(AppProtocol, url, "lobby", auth={"token": "t"}) as bob,
    ):
        await alice.emit("chat", {"text": "hi"})
        assert await bob.next("userCount", timeout=5.0) == {"count": 2}
        await alice.nothing_more("userCount")
        await bob.nothing_more("userCount")
        assert await alice.call("join", {"name": "A"}) == {"success": True}
        assert alice.received("userCount") == []
        assert bob.received("userCount") == [{"count": 2}]


async def test_next_hands_out_each_message_once_in_order_and_received_keeps_them_all() -> None:
    server = Server(AppProtocol)
    async with serve(server) as url, connect(AppProtocol, url, "lobby") as alice:
        for count in range(3):
            await server.namespace("lobby").broadcast("userCount", {"count": count})
        assert await alice.next("userCount") == {"count": 0}
        assert await alice.next("userCount") == {"count": 1}
        assert await alice.next("userCount") == {"count": 2}
        await alice.nothing_more("userCount")
        assert alice.received("userCount") == [{"count": 0}, {"count": 1}, {"count": 2}]


async def test_nothing_more_waits_for_everything_sent_before_its_round_trip() -> None:
    # The server queues 200 messages and returns; no sleep separates them from the
    # check, so only the round trip can make the check see every one of them.
    server = Server(AppProtocol)
    async with serve(server) as url, connect(AppProtocol, url, "lobby") as alice:
        for count in range(200):
            await server.namespace("lobby").broadcast("userCount", {"count": count})
        with pytest.raises(AssertionError) as failure:
            await alice.nothing_more("userCount")
        assert str(failure.value).startswith(
            'Expected no more "userCount" in namespace "lobby", but 200 more arrived: '
            "{'count': 0}, {'count': 1}, {'count': 2}, {'count': 3}, {'count': 4}, and 195 more; "
        )
        assert len(alice.received("userCount")) == 200


async def test_an_event_that_never_arrives_fails_within_its_timeout_naming_what_arrived() -> None:
    server = Server(AppProtocol)
    async with (
        serve(server) as url,
        connect(AppProtocol, url, "lobby") as alice,
        connect(AppProtocol, url, "game") as bob,
    ):
        await server.namespace("lobby").broadcast("userCount", {"count": 1})
        await server.namespace("lobby").broadcast("userCount", {"count": 2})
        assert await alice.next("userCount") == {"count": 1}
        assert await alice.next("userCount") == {"count": 2}
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(AssertionError) as failure:
            await alice.next("userCount", timeout=0.5)
        waited = loop.time() - started
        assert str(failure.value) == (
            'No "userCount" arrived in namespace "lobby" within 0.5 s; what arrived: '
            "\"userCount\" 2x ({'count': 1}, {'count': 2}, 2 of them already returned by next())"
        )
        assert 0.5 <= waited < 3.0
        with pytest.raises(AssertionError) as nothing:
            await bob.next("userCount", timeout=0.1)
        assert str(nothing.value) == (
            'No "userCount" arrived in namespace "game" within 0.1 s; nothing arrived at all'
        )


async def test_the_server_calls_are_answered_as_the_test_says() -> None:
    server = Server(AppProtocol)
    lobby = server.namespace("lobby")
    answers: list[JoinResult] = []

    @lobby.on("chat")
    async def chat(conn: LobbyConn, msg: ChatMessage) -> None:
        try:
            answers.append(await conn.call("confirm", msg))
        except CallError as error:
            await conn.emit("userCount", {"count": -1 if error.code == "handler_error" else -2})
            return
        await conn.emit("userCount", {"count": len(answers)})

    async with serve(server) as url, connect(AppProtocol, url, "lobby") as alice:
        await alice.emit("chat", {"text": "unanswered"})
        assert await alice.next("userCount") == {"count": -1}
        alice.answer("confirm", {"success": True})
        await alice.emit("chat", {"text": "canned"})
        assert await alice.next("userCount") == {"count": 1}

        @alice.on_call("confirm")
        async def confirm(request: ChatMessage) -> JoinResult:
            return {"success": request["text"] == "yes"}

        await alice.emit("chat", {"text": "no"})
        assert await alice.next("userCount") == {"count": 2}
        assert answers == [{"success": True}, {"success": False}]


async def test_an_invalid_payload_gets_the_servers_error_answer() -> None:
    async with (
        serve(chat_server()) as url,
        connect(AppProtocol, url, "lobby", auth={"token": "t"}) as alice,
    ):
        with pytest.raises(CallError) as failure:
            await alice.call("join", {"name": 7})  # type: ignore[typeddict-item]
        assert failure.value.code == "invalid_payload"
        assert failure.value.message == (
            'invalid payload for "join": Expected `str`, got `int` - at `$.name`'
        )


async def test_a_refused_connect_raises_with_the_servers_message_and_data() -> None:
    async with serve(chat_server()) as url:
        with pytest.raises(ConnectError) as refusal:
            async with connect(AppProtocol, url, "lobby", auth={"token": "wrong"}):
                raise AssertionError("the connection was accepted")
        assert refusal.value.message == (
            'The server refused namespace "lobby": a valid token is required'
        )
        assert refusal.value.data == {"login": "/login"}


async def test_the_server_sending_what_the_protocol_forbids_is_listed_in_failures() -> None:
    server = Server(AppProtocol)
    async with serve(server) as url, connect(AppProtocol, url, "lobby") as alice:
        # Through the escape hatch, bypassing the server's own checks.
        await server.sio.emit("userCount", ({"count": "many"},), namespace="/lobby")
        with pytest.raises(AssertionError) as failure:
            await alice.next("userCount", timeout=0.1)
        assert str(failure.value) == (
            'No "userCount" arrived in namespace "lobby" within 0.1 s; nothing arrived at all; '
            "refused as breaking the protocol: 'userCount': invalid payload for \"userCount\": "
            "Expected `int`, got `str` - at `$.count`"
        )
        assert [offence.code for offence in alice.invalid()] == ["invalid_payload"]


async def test_names_outside_the_protocol_raise_protocol_error() -> None:
    async with serve(Server(AppProtocol)) as url, connect(AppProtocol, url, "lobby") as alice:
        with pytest.raises(ProtocolError) as unknown:
            alice.received("chat")  # type: ignore[pursocket-direction]
        assert str(unknown.value) == (
            '"chat" is a client-to-server (c2s) event of namespace "lobby" in protocol '
            "AppProtocol; it cannot be used as a server-to-client (s2c) event"
        )
        with pytest.raises(ProtocolError) as wrong_kind:
            alice.answer("userCount", {"success": True})  # type: ignore[pursocket-kind]
        assert str(wrong_kind.value) == (
            '"userCount" is a Msg event of namespace "lobby" (s2c) in protocol AppProtocol, '
            "not a Call event"
        )


async def test_leaving_serve_fails_pending_calls_and_disconnects_without_warnings() -> None:
    server = Server(AppProtocol)
    lobby = server.namespace("lobby")
    loop = asyncio.get_running_loop()
    outcome: asyncio.Future[str] = loop.create_future()
    called, disconnected = asyncio.Event(), asyncio.Event()

    @lobby.on("chat")
    async def chat(conn: LobbyConn, msg: ChatMessage) -> None:
        try:
            await conn.call("confirm", msg, timeout=30)
        except CallError as error:
            outcome.set_result(error.code)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        serving = serve(server)
        url = await serving.__aenter__()
        async with connect(AppProtocol, url, "lobby") as alice:
            alice.namespace.on_disconnect(lambda reason: disconnected.set())

            @alice.on_call("confirm")
            async def never(request: ChatMessage) -> JoinResult:
                called.set()
                await asyncio.Event().wait()
                raise AssertionError("unreachable")

            await alice.emit("chat", {"text": "hi"})
            await called.wait()
            await serving.__aexit__(None, None, None)
            assert await outcome == "shutdown"
            await asyncio.wait_for(disconnected.wait(), 5)
            assert alice.sid is None
    assert [str(warning.message) for warning in caught] == []


async def test_a_fastapi_app_mounting_the_server_is_served_with_its_routes() -> None:
    api = fastapi.FastAPI()

    @api.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    server = chat_server()
    async with serve(server.asgi_app(api), server=server) as url:
        async with aiohttp.ClientSession() as session, session.get(f"{url}/health") as response:
            assert await response.json() == {"status": "ok"}
        async with connect(AppProtocol, url, "lobby", auth={"token": "t"}) as alice:
            assert await alice.call("join", {"name": "A"}) == {"success": True}


async def test_serving_an_asgi_app_needs_the_server_it_mounts() -> None:
    with pytest.raises(TypeError) as missing:
        async with serve(fastapi.FastAPI()):
            raise AssertionError("served")
    assert str(missing.value) == (
        "serve(app) with an ASGI application needs server=...: the pursocket Server that "
        "the application mounts, which serve() shuts down on exit"
    )


async def test_one_server_can_be_served_again_after_shutdown() -> None:
    server = chat_server()
    for name in ("first", "second"):
        async with (
            serve(server) as url,
            connect(AppProtocol, url, "lobby", auth={"token": "t"}) as alice,
        ):
            assert await alice.call("join", {"name": name}) == {"success": True}


async def test_the_fixtures_serve_and_connect_until_the_test_ends(
    pursocket_serve: ServeFixture, pursocket_connect: ConnectFixture
) -> None:
    url = await pursocket_serve(chat_server())
    alice = await pursocket_connect(AppProtocol, url, "lobby", auth={"token": "t"})
    bob = await pursocket_connect(AppProtocol, url, "lobby", auth={"token": "t"})
    await bob.emit("chat", {"text": "hey"})
    assert await alice.next("userCount") == {"count": 3}
    await bob.nothing_more("userCount")


PLUGIN_TEST = """
import pytest
from typing import TypedDict
from pursocket import Call, Msg, Server
from pursocket.testing import connect, serve


class Echo(TypedDict):
    c2s: TypedDict("C2S", {"echo": Call[str, str]})
    s2c: TypedDict("S2C", {"said": Msg[str]})


class Proto(TypedDict):
    main: Echo


def make_server():
    server = Server(Proto)

    @server.namespace("main").on_call("echo")
    async def echo(conn, text):
        await conn.emit("said", text)
        return text

    return server
"""


async def test_the_plugin_needs_no_configuration_under_pytest_asyncio_or_anyio(
    tmp_path: Path,
) -> None:
    # A user's project: pytest-asyncio in its default strict mode, and anyio's plugin.
    (tmp_path / "test_user.py").write_text(
        PLUGIN_TEST
        + textwrap.dedent("""
            @pytest.mark.asyncio
            async def test_fixtures(pursocket_serve, pursocket_connect):
                url = await pursocket_serve(make_server())
                client = await pursocket_connect(Proto, url, "main")
                assert await client.call("echo", "hi") == "hi"
                assert await client.next("said") == "hi"
                await client.nothing_more("said")

            @pytest.fixture
            def anyio_backend():
                return "asyncio"

            @pytest.mark.anyio
            async def test_context_managers():
                async with serve(make_server()) as url, connect(Proto, url, "main") as client:
                    assert await client.call("echo", "hi") == "hi"
                    assert await client.next("said") == "hi"
            """)
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:hypothesispytest",  # slow to import, and unused here
        "-o",
        "asyncio_mode=strict",
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert output.decode().splitlines()[-1].startswith("2 passed"), output.decode()


#: Runs pytest as if pytest-asyncio were not installed: ``from pytest_asyncio import
#: fixture`` fails. (An empty module rather than an import hook: pytest's assertion
#: rewriter goes first in sys.meta_path for every plugin module, blocked or not.)
WITHOUT_PYTEST_ASYNCIO = """
import sys
import types

sys.modules["pytest_asyncio"] = types.ModuleType("pytest_asyncio")
import pytest

sys.exit(pytest.main(sys.argv[1:]))
"""


@pytest.mark.parametrize(
    "runner",
    [
        pytest.param(["-m", "pytest", "-o", "asyncio_mode=strict"], id="beside-pytest-asyncio"),
        pytest.param(["-c", WITHOUT_PYTEST_ASYNCIO, "-p", "no:asyncio"], id="anyio-alone"),
    ],
)
async def test_the_fixtures_work_under_anyios_plugin(tmp_path: Path, runner: list[str]) -> None:
    # A user's project testing with anyio's pytest plugin: with pytest-asyncio also
    # installed (in its default strict mode, so it leaves the anyio test alone), and
    # without it, when the plugin registers its fixtures as plain async fixtures.
    (tmp_path / "test_user.py").write_text(
        PLUGIN_TEST
        + textwrap.dedent("""
            @pytest.fixture
            def anyio_backend():
                return "asyncio"

            @pytest.mark.anyio
            async def test_fixtures(pursocket_serve, pursocket_connect):
                url = await pursocket_serve(make_server())
                client = await pursocket_connect(Proto, url, "main")
                assert await client.call("echo", "hi") == "hi"
                assert await client.next("said") == "hi"
                await client.nothing_more("said")
            """)
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *runner,
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:hypothesispytest",  # slow to import, and unused here
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert output.decode().splitlines()[-1].startswith("1 passed"), output.decode()
