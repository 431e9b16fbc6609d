"""Mistakes every checker must report: one on each line marked ``# E``, none elsewhere."""

from __future__ import annotations

from pursocket import DisconnectReason, InvalidInput
from typed_app import protocol_api as api
from typed_app.protocol import Box, ChatMessage, JoinRequest, JoinResult, Point, UserCount
from typed_app.users import Guest, User

server = api.Server()
lobby = server.namespace("lobby")
game = server.namespace("game-room")
root = server.namespace("/")
server.namespace("lobbby")  # E unknown namespace
server.namespace("/lobby")  # E the key, not the path


def wrong_message(conn: api.LobbyConnection, msg: UserCount) -> None:
    raise NotImplementedError


def wrong_arity(conn: api.LobbyConnection) -> None:
    raise NotImplementedError


def no_connection(msg: ChatMessage) -> None:
    raise NotImplementedError


def wrong_connection(conn: api.GameRoomConnection, msg: ChatMessage) -> None:
    raise NotImplementedError


async def wrong_answer(conn: api.LobbyConnection, req: JoinRequest) -> UserCount:
    raise NotImplementedError


def wrong_request(conn: api.LobbyConnection, req: ChatMessage) -> JoinResult:
    raise NotImplementedError


def ok_join(conn: api.LobbyConnection, req: JoinRequest) -> JoinResult:
    raise NotImplementedError


def ok_chat(conn: api.LobbyConnection, msg: ChatMessage) -> None:
    raise NotImplementedError


def connect_two(conn: api.LobbyConnection, extra: int) -> None:
    raise NotImplementedError


def disconnect_wrong(conn: api.LobbyConnection, reason: str) -> None:
    raise NotImplementedError


def invalid_wrong(conn: api.LobbyConnection, offence: DisconnectReason) -> None:
    raise NotImplementedError


def client_count(update: ChatMessage) -> None:
    raise NotImplementedError


def client_confirm(req: ChatMessage) -> bool:
    raise NotImplementedError


def client_connect(conn: api.LobbyConnection) -> None:
    raise NotImplementedError


def client_disconnect(reason: InvalidInput) -> None:
    raise NotImplementedError


lobby.on("chat")(wrong_message)  # E payload type
lobby.on("chat")(wrong_arity)  # E too few parameters
lobby.on("chat")(no_connection)  # E no connection parameter
lobby.on("chat")(wrong_connection)  # E another namespace's connection
lobby.on_call("join")(wrong_answer)  # E wrong response
lobby.on_call("join")(wrong_request)  # E wrong request
lobby.on("join")(ok_join)  # E a Call registered with on()
lobby.on_call("chat")(ok_chat)  # E a Msg registered with on_call()
lobby.on("userCount")(ok_chat)  # E a server-to-client event
lobby.on("chta")(ok_chat)  # E unknown event
root.on("ping")(ok_chat)  # E no Msg at all in this direction
game.on_call("fire")(ok_join)  # E no Call at all in this direction
lobby.on_connect(connect_two)  # E connect handler takes the connection only
lobby.on_disconnect(disconnect_wrong)  # E the reason is a DisconnectReason
lobby.on_invalid(invalid_wrong)  # E the offence is an InvalidInput


async def server_sends(conn: api.LobbyConnection, g: api.GameRoomConnection) -> None:
    await conn.emit("userCont", {"count": 1})  # E unknown event
    print(conn.auth["secret"])  # E the auth declares no such key
    await conn.emit("chat", {"text": "hi"})  # E a client-to-server event
    await conn.emit("confirm", {"text": "hi"})  # E a Call sent with emit()
    await conn.emit("userCount", {"cnt": 1})  # E missing and extra key
    await conn.emit("userCount", {"count": 1, "extra": 2})  # E extra key
    await conn.emit("userCount", {"count": "1"})  # E wrong value type
    await conn.emit("userCount", {})  # E missing key
    await conn.call("userCount", {"count": 1})  # E a Msg sent with call()
    await conn.call("confirm", {"txt": "hi"})  # E wrong request
    answer = await conn.call("confirm", {"text": "hi"})
    answer["succes"]  # E no such key in the response
    flag: int = await conn.call("confirm", {"text": "hi"})  # E the response is JoinResult
    print(flag)
    await conn.broadcast_except_sender("chat", {"text": "hi"})  # E a client-to-server event
    await conn.broadcast_except_sender("userCount", {"count": None})  # E wrong value type
    await conn.broadcast_to_room_except_sender("room", "confirm", {"text": "hi"})  # E a Call
    await conn.broadcast_to_room_except_sender("room", "userCount", {})  # E missing key
    await lobby.broadcast("nope", {"count": 1})  # E unknown event
    await lobby.broadcast("userCount", {"count": 1.5})  # E wrong value type
    await lobby.broadcast_to_room("room", "chat", {"text": "hi"})  # E a client-to-server event
    await lobby.broadcast_to_room("room", "userCount", [])  # E not the payload type
    await g.emit("hit", {"x": 1.0})  # E missing key
    await g.emit("over", {})  # E the payload is None
    await g.call("hit", {"x": 1.0, "y": 2.0})  # E no Call in this direction
    await g.emit("userCount", {"count": 1})  # E another namespace's event
    await root.broadcast("pong", "x")  # E no server-to-client events at all


client = api.Client()
c_lobby = client.namespace("lobby")
c_game = client.namespace("game-room")
c_root = client.namespace("/")
client.namespace("lobbby")  # E unknown namespace
client.namespace("lobby", auth={"tokn": "x"})  # E not the declared auth
client.namespace("game-room", auth=["token"])  # E no auth declared: any object, not a list
c_lobby.on("userCount")(client_count)  # E payload type
c_lobby.on_call("confirm")(client_confirm)  # E wrong response
c_lobby.on("chat")(client_count)  # E a client-to-server event
c_lobby.on("confirm")(client_confirm)  # E a Call registered with on()
c_lobby.on_connect(client_connect)  # E the client's connect handler takes nothing
c_lobby.on_disconnect(client_disconnect)  # E the reason is a DisconnectReason
c_root.on("anything")(client_count)  # E no server-to-client events at all
c_game.on_call("hit")(client_confirm)  # E no Call in this direction


async def client_sends(point: Point) -> None:
    await c_lobby.emit("chta", {"text": "hi"})  # E unknown event
    await c_lobby.emit("userCount", {"count": 1})  # E a server-to-client event
    await c_lobby.emit("join", {"name": "x"})  # E a Call sent with emit()
    await c_lobby.emit("chat", {"text": 1})  # E wrong value type
    await c_lobby.emit("choice", "c")  # E not one of the literals
    await c_lobby.emit("number", "1")  # E not an int
    await c_lobby.emit("shapes", [{"points": []}])  # E missing required key
    await c_lobby.call("chat", {"text": "hi"})  # E a Msg sent with call()
    await c_lobby.call("join", {"nam": "x"})  # E wrong request
    result = await c_lobby.call("join", {"name": "x"})
    result["sucess"]  # E no such key in the response
    missing: Point = await c_lobby.call("lookup", "x")  # E the response may be None
    print(missing)
    await c_game.emit("fire", {"x": 1})  # E missing key
    await c_root.emit("ping", None)  # E no client-to-server Msg at all
    await c_root.call("ping", "x")  # E the request is None
    await c_game.emit("hit", point)  # E a server-to-client event
    await c_lobby.emit("score", "3")  # E Annotated[int, Ge(0)] is an int to a checker
    await c_lobby.emit("state", {"a": {1, 2}})  # E a set is no JsonValue
    await c_lobby.call("boxed", {"item": "x"})  # E Box[int] holds an int
    await c_lobby.emit("move", (1, 2.5, 3))  # E a tuple of two items
    await c_lobby.emit("move", ("1", 2.5))  # E the first item is an int
    await c_lobby.emit("move", [1, 2.5])  # E a list is no tuple
    await c_lobby.call("span", (1.0, "2"))  # E a tuple of floats
    wrong_box: Box[int] = await c_lobby.call("boxed", {"item": 1})  # E the response is Box[str]
    print(wrong_box)


@lobby.on("chat")  # E decorator form: payload type
def decorated(conn: api.LobbyConnection, msg: UserCount) -> None: ...


async def a_test(url: str) -> None:
    async with (
        api.connect(url, "lobby", auth={"token": "t"}) as alice,
        api.connect(url, "/") as pinger,
    ):
        await alice.emit("chta", {"text": "hi"})  # E unknown event
        await alice.emit("chat", {"text": 1})  # E wrong value type
        await alice.emit("join", {"name": "x"})  # E a Call sent with emit()
        await alice.call("chat", {"text": "hi"})  # E a Msg sent with call()
        await alice.call("join", {"nam": "x"})  # E wrong request
        await alice.next("chat")  # E a client-to-server event
        await alice.next("confirm")  # E a Call read with next()
        alice.received("userCont")  # E unknown event
        wrong: ChatMessage = await alice.next("userCount")  # E the payload is a UserCount
        print(wrong)
        counts: list[ChatMessage] = alice.received("userCount")  # E a list of UserCount
        print(counts)
        await alice.nothing_more("join")  # E a client-to-server Call
        alice.answer("confirm", {"succes": True})  # E wrong response
        alice.answer("userCount", {"count": 1})  # E a Msg answered
        alice.on_call("confirm")(client_confirm)  # E wrong response
        await pinger.next("anything")  # E no server-to-client events at all
        pinger.answer("ping", "pong")  # E no server-to-client Call at all
    api.connect(url, "lobbby")  # E unknown namespace
    api.connect(url, "lobby", auth={"tokn": "x"})  # E not the declared auth


members = api.Server().namespace("lobby", state=User)


def guest_chat(conn: api.LobbyConnection[Guest], msg: ChatMessage) -> None:
    raise NotImplementedError


def member_chat(conn: api.LobbyConnection[User], msg: ChatMessage) -> None:
    raise NotImplementedError


async def logs_in_nobody(conn: api.LobbyConnection[User]) -> None:
    raise NotImplementedError


def logs_in_a_guest(conn: api.LobbyConnection[User]) -> Guest:
    raise NotImplementedError


def logs_in(conn: api.LobbyConnection) -> User:
    raise NotImplementedError


members.on("chat")(guest_chat)  # E the namespace keeps a User, not a Guest
members.on("chat")(ok_chat)  # E its connections have state User, not None
members.on_connect(logs_in_nobody)  # E the connect handler must return the User
members.on_connect(logs_in_a_guest)  # E a Guest is not a User
lobby.on("chat")(member_chat)  # E lobby was given no state=
lobby.on_connect(logs_in)  # E without state=, the connect handler returns None
members_of_guests: api.LobbyServerNamespace[Guest] = members  # E the state is User


def reads_state(conn: api.LobbyConnection[User], g: api.GameRoomConnection) -> None:
    print(conn.state.nam)  # E User has no attribute "nam"
    count: int = conn.state  # E the state is a User
    print(count, g.state.name)  # E without state=, the state is None
    print(g.auth["token"])  # E the auth may be None: none is declared
