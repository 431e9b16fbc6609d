"""pursocket quickstart: one protocol, a server, and clients exchanging every kind of message.

Run it with ``python -m examples.quickstart``. It serves the protocol on a free port of
127.0.0.1, connects two clients (and one that the server refuses), prints what each
side sees, and exits.
"""

from __future__ import annotations

import asyncio
from typing import Literal, TypedDict

import uvicorn

from examples.serving import run
from pursocket import (
    Call,
    CallError,
    CallTimeout,
    Client,
    ClientNamespace,
    ConnectError,
    Connection,
    ConnectionRefused,
    DisconnectReason,
    Msg,
    Server,
)

# --- The protocol: declared once, for the server, the clients and mypy -------------------


class ChatMessage(TypedDict):
    text: str


class ChatLine(TypedDict):
    sender: str
    text: str


class JoinRequest(TypedDict):
    name: str


class JoinResult(TypedDict):
    success: bool


class UserCount(TypedDict):
    count: int


class LobbyC2S(TypedDict):  # what clients send
    chat: Msg[ChatMessage]
    join: Call[JoinRequest, JoinResult]


class LobbyS2C(TypedDict):  # what the server sends
    userCount: Msg[UserCount]
    relay: Msg[ChatLine]
    confirm: Call[ChatMessage, JoinResult]


class Lobby(TypedDict):
    c2s: LobbyC2S
    s2c: LobbyS2C


class AppProtocol(TypedDict):
    lobby: Lobby  # the Socket.IO namespace /lobby


LobbyConn = Connection[AppProtocol, Literal["lobby"]]


# --- The server --------------------------------------------------------------------------


def build_server() -> Server[AppProtocol]:
    """The lobby server: a token check, a head count, a join Call and a relayed chat."""
    server = Server(AppProtocol)
    lobby = server.namespace("lobby")
    names: dict[str, str] = {}

    @lobby.on_connect
    async def connected(conn: LobbyConn) -> None:
        auth = conn.auth if isinstance(conn.auth, dict) else {}
        if auth.get("token") != "secret":
            # The client's connect() raises ConnectError carrying this message and data.
            raise ConnectionRefused("a valid token is required", {"hint": "auth={'token': ...}"})
        names[conn.sid] = str(auth.get("name", "someone"))
        print(f"server: {names[conn.sid]} connected")
        await lobby.broadcast("userCount", {"count": len(lobby.connections())})  # everyone

    @lobby.on_disconnect
    async def left(conn: LobbyConn, reason: DisconnectReason) -> None:
        print(f"server: {names.pop(conn.sid)} left ({reason.value})")
        await lobby.broadcast("userCount", {"count": len(lobby.connections())})

    @lobby.on_call("join")
    async def join(conn: LobbyConn, request: JoinRequest) -> JoinResult:
        print(f"server: {request['name']} asks to join")
        await conn.emit("userCount", {"count": len(lobby.connections())})  # this client only
        return {"success": True}  # the acknowledgement

    @lobby.on("chat")
    async def chat(conn: LobbyConn, message: ChatMessage) -> None:
        sender = names[conn.sid]
        print(f"server: {sender} says {message['text']!r}")
        await conn.broadcast_except_sender("relay", {"sender": sender, "text": message["text"]})
        try:
            answer = await conn.call("confirm", message, timeout=5.0)  # ask the sender back
        except CallTimeout:
            print(f"server: {sender} did not confirm within 5 s")
            return
        except CallError as error:  # "disconnected" if the sender left first
            print(f"server: no confirmation from {sender}: {error.code}")
            return
        print(f"server: {sender} confirmed: {answer}")

    return server


# --- A client ----------------------------------------------------------------------------


def build_client(name: str, seen: asyncio.Queue[str]) -> Client[AppProtocol]:
    """A client that prints what it receives and reports it on ``seen``."""
    client = Client(AppProtocol, reconnection=False)
    lobby = client.namespace("lobby")

    def report(line: str) -> None:
        print(f"{name}: {line}")
        seen.put_nowait(line)

    @lobby.on_connect
    def up() -> None:
        report("connected")

    @lobby.on_disconnect
    def down(reason: DisconnectReason) -> None:
        report(f"disconnected ({reason.value}; will reconnect: {reason.will_auto_reconnect})")

    @lobby.on("userCount")
    def count(update: UserCount) -> None:
        report(f"{update['count']} online")

    @lobby.on("relay")
    def relay(line: ChatLine) -> None:
        report(f"{line['sender']} said {line['text']!r}")

    @lobby.on_call("confirm")
    async def confirm(message: ChatMessage) -> JoinResult:
        report(f"confirming {message['text']!r}")
        return {"success": True}

    return client


async def expect(seen: asyncio.Queue[str], count: int) -> None:
    """Wait until a client has reported ``count`` more things."""
    for _ in range(count):
        await asyncio.wait_for(seen.get(), 10)


async def main() -> None:
    server = build_server()
    config = uvicorn.Config(
        server.asgi_app(),
        host="127.0.0.1",
        port=0,
        log_level="warning",
        lifespan="off",
        **server.uvicorn_options(),
    )
    web = uvicorn.Server(config)
    serving = asyncio.create_task(web.serve())
    while not web.started:
        await asyncio.sleep(0.01)
    port = web.servers[0].sockets[0].getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    print(f"server: listening on {url}")

    alice_saw: asyncio.Queue[str] = asyncio.Queue()
    bob_saw: asyncio.Queue[str] = asyncio.Queue()
    alice, bob = build_client("alice", alice_saw), build_client("bob", bob_saw)
    alice_lobby: ClientNamespace[AppProtocol, Literal["lobby"]] = alice.namespace("lobby")

    await alice.connect(url, auth={"token": "secret", "name": "alice"})
    await expect(alice_saw, 2)  # connected, 1 online
    await bob.connect(url, auth={"token": "secret", "name": "bob"})
    await expect(bob_saw, 2)  # connected, 2 online
    await expect(alice_saw, 1)  # 2 online

    mallory = build_client("mallory", asyncio.Queue())
    try:
        await mallory.connect(url, auth={"token": "guess"})
    except ConnectError as refused:
        print(f"mallory: refused: {refused.message} {refused.data}")

    result = await alice_lobby.call("join", {"name": "alice"})  # a Call: awaits the answer
    print(f"alice: join answered {result}")
    await expect(alice_saw, 1)  # 2 online, sent to alice alone

    await alice_lobby.emit("chat", {"text": "hello"})  # a Msg: fire and forget
    await expect(bob_saw, 1)  # alice said 'hello'
    await expect(alice_saw, 1)  # confirming 'hello'

    await bob.disconnect()
    await expect(bob_saw, 1)
    await expect(alice_saw, 1)  # 1 online

    await server.shutdown()  # disconnects alice
    await expect(alice_saw, 1)
    web.should_exit = True
    await serving
    print("done")


if __name__ == "__main__":
    run(main())
