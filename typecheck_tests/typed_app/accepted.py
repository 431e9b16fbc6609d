"""Code written against the generated API that every checker accepts without an error."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pursocket
from pursocket import DisconnectReason, InvalidInput
from pursocket.testing import RecordingClient
from typed_app import protocol_api as api
from typed_app.json_value import JsonValue
from typed_app.protocol import (
    ApiProtocol,
    Box,
    ChatMessage,
    JoinRequest,
    JoinResult,
    Point,
    Shape,
    Tree,
    UserCount,
)
from typed_app.users import User

server = api.Server(cors_allowed_origins="*")
lobby = server.namespace("lobby")
game = server.namespace("game-room")
root = server.namespace("/")


def takes_pursocket_server(server: pursocket.Server[ApiProtocol]) -> None:
    """Code typed with pursocket's own classes accepts the generated ones."""


def takes_pursocket_handle(
    handle: pursocket.ServerNamespace[ApiProtocol, Any],
    conn: pursocket.Connection[ApiProtocol, Any],
) -> None:
    """Code typed with pursocket's own classes accepts the generated handles."""


takes_pursocket_server(server)
lobby_handle: api.LobbyServerNamespace = lobby
game_handle: api.GameRoomServerNamespace = game
root_handle: api.RootServerNamespace = root


@lobby.on_connect
async def connected(conn: api.LobbyConnection) -> None:
    takes_pursocket_handle(lobby, conn)
    print(conn.auth["token"])
    await conn.emit("userCount", {"count": len(lobby.connections())})


@lobby.on_disconnect
async def left(conn: api.LobbyConnection, reason: DisconnectReason) -> None:
    await lobby.broadcast("userCount", {"count": len(lobby.connections())})


@lobby.on_invalid
def offended(conn: api.LobbyConnection, offence: InvalidInput) -> None:
    print(offence.code)


@lobby.on("chat")
async def chat(conn: api.LobbyConnection, msg: ChatMessage) -> None:
    await conn.broadcast_except_sender("userCount", {"count": 1})
    await conn.broadcast_to_room_except_sender("room", "userCount", {"count": 2})
    await lobby.broadcast_to_room("room", "userCount", {"count": 3})
    answer = await conn.call("confirm", msg, timeout=1.0)
    if answer["success"]:
        await conn.emit("userCount", {"count": 4})


@lobby.on("text")
def loose(conn: pursocket.Connection[ApiProtocol, Any], msg: object) -> None:
    """A handler taking supertypes of what it is given is fine (contravariance)."""


@lobby.on("shapes")
def shapes(conn: api.LobbyConnection, shapes: Sequence[Mapping[str, object]]) -> None:
    pass


@lobby.on("tree")
def tree(conn: api.LobbyConnection, tree: Tree) -> None:
    print(tree["children"][0]["label"])


@lobby.on("choice")
def choice(conn: api.LobbyConnection, choice: str | int | None) -> None:
    pass


@lobby.on_call("join")
async def join(conn: api.LobbyConnection, req: JoinRequest) -> JoinResult:
    return {"success": req["name"] != ""}


@lobby.on_call("measure")
def measure(conn: api.LobbyConnection, shape: Shape) -> Point:
    return {"x": 0.0, "y": float(len(shape.get("points", [])))}


@lobby.on_call("lookup")
async def lookup(conn: api.LobbyConnection, name: str) -> Shape | None:
    return None


@lobby.on_call("boxed")
def boxed(conn: api.LobbyConnection, box: Box[int]) -> Box[str]:
    return {"item": str(box["item"])}


@lobby.on("score")
def score(conn: api.LobbyConnection, value: int) -> None:
    print(value + 1)


@lobby.on("state")
def state(conn: api.LobbyConnection, value: JsonValue) -> None:
    print(value)


@game.on("fire")
async def fire(conn: api.GameRoomConnection, at: Point) -> None:
    await conn.emit("hit", at)
    await conn.emit("over", None)
    await game.broadcast("over", None)


@root.on_call("ping")
def ping(conn: api.RootConnection, request: None) -> str:
    return "pong"


members = api.Server().namespace("lobby", state=User)
members_handle: api.LobbyServerNamespace[User] = members


@members.on_connect
async def log_in(conn: api.LobbyConnection[User]) -> User:
    return User(conn.auth["token"])


@members.on("chat")
async def member_chat(conn: api.LobbyConnection[User], msg: ChatMessage) -> None:
    print(conn.state.name, [other.state.name for other in members.connections()])


@members.on_call("join")
def member_join(conn: api.LobbyConnection[User], req: JoinRequest) -> JoinResult:
    return {"success": conn.state.name == req["name"]}


@members.on_disconnect
def member_left(conn: api.LobbyConnection[User], reason: DisconnectReason) -> None:
    print(conn.state.name, reason)


@game.on_connect
def game_connected(conn: api.GameRoomConnection) -> None:
    print(conn.auth)


async def handlers_stay_callable(
    conn: api.LobbyConnection, member: api.LobbyConnection[User]
) -> None:
    """A registered handler keeps its result type: tests may call it directly."""
    joined: JoinResult = await join(conn, {"name": "Alice"})
    member_joined: JoinResult = member_join(member, {"name": "Alice"})
    user: User = await log_in(member)
    print(joined, member_joined, user.name)


def undeclared_auth(conn: api.GameRoomConnection) -> str | None:
    """Without a declared auth, conn.auth is the JSON object the client sent, or None."""
    if conn.auth is None:
        return None
    token = conn.auth.get("token")
    return token if isinstance(token, str) else None


client = api.Client(reconnection=False)
c_lobby = client.namespace("lobby")
c_game = client.namespace("game-room")
c_root = client.namespace("/")


async def client_sends_generic_constrained_and_recursive() -> None:
    await c_lobby.emit("score", 3)
    await c_lobby.emit("state", {"a": [1, "b", None, {"c": True, "d": 2.5}]})
    box: Box[str] = await c_lobby.call("boxed", {"item": 1})
    print(box["item"].upper())
    await c_lobby.emit("move", (1, 2.5))
    low, high = await c_lobby.call("span", (3.0, 1.0, 2.0))
    print(high - low)


@c_lobby.on("userCount")
async def count(update: UserCount) -> None:
    print(update["count"])


@c_lobby.on_call("confirm")
def confirm(request: ChatMessage) -> JoinResult:
    return {"success": True}


@c_lobby.on_connect
def c_connected() -> None:
    pass


@c_lobby.on_disconnect
def c_left(reason: DisconnectReason) -> None:
    pass


@c_lobby.on_invalid
def c_offended(offence: InvalidInput) -> None:
    pass


@c_game.on("over")
def over(nothing: None) -> None:
    pass


async def visit(url: str) -> bool:
    async with api.Client() as visitor:
        v_lobby = visitor.namespace("lobby", auth={"token": "secret"})
        await visitor.connect(url)
        await v_lobby.emit("chat", {"text": "hi"})
        await v_lobby.emit("choice", "a")
        await v_lobby.emit("maybe", None)
        await v_lobby.emit("either", "x")
        await v_lobby.emit("by_name", {"origin": {"x": 0.0, "y": 0.0}})
        await v_lobby.emit("shapes", [{"name": "dot"}])
        await v_lobby.emit("blob", b"\x00")
        await v_lobby.emit("anything", object())
        result: JoinResult = await v_lobby.call("join", {"name": "Alice"})
        point = await v_lobby.call("measure", {"name": "line", "points": []}, timeout=2.0)
        shape = await v_lobby.call("lookup", "line")
        await c_game.emit("fire", point)
        pong = await c_root.call("ping", None)
        return result["success"] and shape is None and pong == "pong"


def takes_recording_client(tester: RecordingClient[ApiProtocol, Any]) -> None:
    """Code typed with pursocket.testing's class accepts the generated test clients."""


async def a_test(url: str) -> None:
    async with (
        api.connect(url, "lobby", auth={"token": "t"}, wait_timeout=2.0) as alice,
        api.connect(url, "game-room") as bob,
        api.connect(url, "/", transports=["polling"]) as pinger,
    ):
        typed: api.LobbyTestClient = alice
        takes_recording_client(typed)
        await alice.emit("chat", {"text": "hi"})
        joined: JoinResult = await alice.call("join", {"name": "Alice"}, timeout=1.0)
        update: UserCount = await alice.next("userCount", timeout=1.0)
        updates: list[UserCount] = alice.received("userCount")
        await alice.nothing_more("userCount", timeout=1.0)
        alice.answer("confirm", {"success": joined["success"]})

        @alice.on_call("confirm")
        async def confirm_in_test(request: ChatMessage) -> JoinResult:
            return {"success": request["text"] != ""}

        hit: Point = await bob.next("hit")
        await bob.emit("fire", hit)
        await bob.next("over")
        pong: str = await pinger.call("ping", None)
        print(update["count"], len(updates), pong)
