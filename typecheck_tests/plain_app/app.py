"""pursocket used without the mypy plugin or the generated typed API, under pyright strict.

Everything a user touches here must be typed for pyright: no ``Unknown`` may reach this
code (pyright strict reports each one). Event names are plain ``str`` and payloads and
Call results ``Any`` without the plugin or the generated API, as the docstrings say;
``# T:`` pins the type pyright shows for the expression revealed on that line.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypedDict, cast

import attrs
from typing_extensions import reveal_type

import pursocket
from pursocket import (
    Call,
    CallError,
    CallTimeout,
    Client,
    ConnectError,
    Connection,
    ConnectionRefused,
    DisconnectReason,
    InvalidInput,
    Msg,
    ProtocolError,
    PursocketError,
    Server,
    StateNotSet,
    read_protocol,
)
from pursocket.testing import ConnectFixture, RecordingClient, ServeFixture, connect, serve


class Token(TypedDict):
    token: str


class ChatMessage(TypedDict):
    text: str


class JoinResult(TypedDict):
    success: bool


class LobbyC2S(TypedDict):
    chat: Msg[ChatMessage]
    join: Call[str, JoinResult]


class LobbyS2C(TypedDict):
    said: Msg[ChatMessage]


class Lobby(TypedDict):
    auth: Token
    c2s: LobbyC2S
    s2c: LobbyS2C


class Public(TypedDict):
    c2s: LobbyC2S


class AppProtocol(TypedDict):
    lobby: Lobby
    public: Public


@attrs.frozen
class User:
    name: str


LobbyConnection = Connection[AppProtocol, Literal["lobby"], User]
PublicConnection = Connection[AppProtocol, Literal["public"]]

model = read_protocol(AppProtocol)
reveal_type(model.namespaces["lobby"].path)  # T: str
server = Server(AppProtocol, cors_allowed_origins="*")
lobby = server.namespace("lobby", state=User)
reveal_type(lobby)  # T: ServerNamespace[AppProtocol, Any, User]
public = server.namespace("public")
reveal_type(public)  # T: ServerNamespace[AppProtocol, Any, None]


@server.guard(exclude=["public"])
def has_token(conn: Connection[AppProtocol, Any, Any]) -> None:
    if conn.auth is None:
        raise ConnectionRefused("no token", {"code": "no_token"})


@lobby.on_connect
async def logged_in(conn: LobbyConnection) -> User:
    token: Token = conn.auth  # Any without the plugin or the generated API
    return User(token["token"])


@lobby.on("chat")
async def chat(conn: LobbyConnection, msg: ChatMessage) -> None:
    reveal_type(conn.state)  # T: User
    reveal_type(conn.rooms())  # T: frozenset[str]
    await conn.join_room("room")
    await conn.emit("said", {"text": f"{conn.state.name}: {msg['text']}"})
    await conn.broadcast_except_sender("said", msg)
    await conn.broadcast_to_room_except_sender("room", "said", msg)
    await lobby.broadcast("said", msg)
    await lobby.broadcast_to_room("room", "said", msg)
    await conn.leave_room("room")
    print(conn.sid, conn.connected, conn.namespace.path, len(lobby.connections()))


@lobby.on_call("join")
def join(conn: LobbyConnection, name: str) -> JoinResult:
    return {"success": name != conn.state.name}


@lobby.on_disconnect
def left(conn: LobbyConnection, reason: DisconnectReason) -> None:
    print(reason.value, reason.will_auto_reconnect, conn.environ.get("REMOTE_ADDR"))


@lobby.on_invalid
async def refused(conn: LobbyConnection, offence: InvalidInput) -> None:
    print(offence.namespace, offence.event, offence.code, offence.reason)
    await conn.disconnect()


@public.on("chat")
def public_chat(conn: PublicConnection, msg: ChatMessage) -> None:
    auth = conn.auth  # Any without the plugin or the generated API
    if isinstance(auth, Mapping):
        known = cast(Mapping[str, object], auth)
        print(known.get("token"), msg)


app = server.asgi_app()
options = server.uvicorn_options()
reveal_type(options)  # T: dict[str, Any]


async def run_a_client(url: str) -> bool:
    async with Client(AppProtocol, reconnection=False) as client:
        c_lobby = client.namespace("lobby", auth={"token": "t"})
        reveal_type(c_lobby)  # T: ClientNamespace[AppProtocol, Any]

        @c_lobby.on("said")
        def said(msg: ChatMessage) -> None:
            print(msg["text"])

        @c_lobby.on_connect
        def connected() -> None:
            print(c_lobby.sid)

        @c_lobby.on_disconnect
        def gone(reason: DisconnectReason) -> None:
            print(reason)

        @c_lobby.on_invalid
        def client_refused(offence: InvalidInput) -> None:
            print(offence.code)

        await client.connect(url, wait_timeout=5.0)
        await c_lobby.emit("chat", {"text": "hi"})
        try:
            result: JoinResult = await c_lobby.call("join", "alice", timeout=1.0)
        except CallTimeout as timeout:
            print(timeout.namespace, timeout.event, timeout.timeout)
            return False
        except CallError as error:
            print(error.code, error.message, error.details)
            return False
        return result["success"] and client.connected


async def errors(url: str) -> None:
    try:
        await run_a_client(url)
    except ConnectError as refused:
        print(refused.message, refused.data)
    except (ProtocolError, StateNotSet, PursocketError) as error:
        print(error)


async def a_test(pursocket_serve: ServeFixture, pursocket_connect: ConnectFixture) -> None:
    url = await pursocket_serve(server)
    alice = await pursocket_connect(AppProtocol, url, "lobby", auth={"token": "alice"})
    reveal_type(alice)  # T: RecordingClient[AppProtocol, Any]
    await alice.emit("chat", {"text": "hi"})
    said: ChatMessage = await alice.next("said", timeout=2.0)
    everything: list[ChatMessage] = alice.received("said")
    await alice.nothing_more("said")
    await alice.round_trip()
    print(said, everything, alice.sid, alice.invalid(), alice.client.connected)
    async with (
        serve(Server(AppProtocol)) as other_url,
        connect(AppProtocol, other_url, "public") as bob,
    ):
        takes_recording_client(bob)
    await alice.disconnect()


def takes_recording_client(tester: RecordingClient[AppProtocol, Any]) -> None:
    print(tester.namespace.name)


async def shut_down() -> None:
    await server.shutdown()
    print(pursocket.__version__)
