"""The chat app's own tests, written as an app's tests are: with ``pursocket.testing`` only.

Each test serves the whole app (Socket.IO and the page) on 127.0.0.1 in its event loop
and talks to it through recording clients over real websockets.
"""

from __future__ import annotations

from typing import Literal

import aiohttp
import pytest

from examples.chat.protocol import ChatProtocol
from examples.chat.server import build
from pursocket import ConnectError
from pursocket.testing import ConnectFixture, RecordingClient, ServeFixture


async def serve_chat(pursocket_serve: ServeFixture) -> str:
    chat = build(redis_url=None)
    return await pursocket_serve(chat.asgi_app(), server=chat.server)


async def member(
    pursocket_connect: ConnectFixture, url: str, nickname: str, *rooms: str
) -> RecordingClient[ChatProtocol, Literal["chat"]]:
    """A client connected as ``nickname`` that has joined ``rooms``."""
    client = await pursocket_connect(ChatProtocol, url, "chat", auth={"nickname": nickname})
    for room in rooms:
        joined = await client.call("joinRoom", {"room": room})
        assert joined["ok"], joined
    return client


async def test_the_page_is_served_beside_socketio(pursocket_serve: ServeFixture) -> None:
    url = await serve_chat(pursocket_serve)
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"


async def test_joining_tells_the_joiner_and_the_members(
    pursocket_serve: ServeFixture, pursocket_connect: ConnectFixture
) -> None:
    url = await serve_chat(pursocket_serve)
    ada = await member(pursocket_connect, url, "ada", "lobby")
    bob = await member(pursocket_connect, url, "bob")
    assert await bob.call("joinRoom", {"room": "lobby"}) == {
        "ok": True,
        "reason": "",
        "room": "lobby",
        "members": ["ada", "bob"],
    }
    assert await ada.next("joined") == {
        "room": "lobby",
        "nickname": "bob",
        "members": ["ada", "bob"],
    }
    await bob.nothing_more("joined")
    assert await bob.call("listRooms", {}) == {
        "rooms": [
            {"name": "general", "members": 0},
            {"name": "lobby", "members": 2},
            {"name": "random", "members": 0},
        ]
    }


async def test_a_line_reaches_the_room_speaker_included_and_no_one_else(
    pursocket_serve: ServeFixture, pursocket_connect: ConnectFixture
) -> None:
    url = await serve_chat(pursocket_serve)
    ada = await member(pursocket_connect, url, "ada", "lobby")
    bob = await member(pursocket_connect, url, "bob", "lobby")
    cy = await member(pursocket_connect, url, "cy", "kitchen")
    await ada.emit("say", {"room": "lobby", "text": "  hello  "})
    line = {"room": "lobby", "nickname": "ada", "text": "hello"}
    assert await bob.next("message") == line
    assert await ada.next("message") == line
    for client in (ada, bob, cy):
        await client.nothing_more("message")


async def test_a_nickname_that_is_taken_or_malformed_is_refused_at_the_door(
    pursocket_serve: ServeFixture, pursocket_connect: ConnectFixture
) -> None:
    url = await serve_chat(pursocket_serve)
    await member(pursocket_connect, url, "ada")
    with pytest.raises(ConnectError) as taken:
        await pursocket_connect(ChatProtocol, url, "chat", auth={"nickname": "ada"})
    assert taken.value.message == 'The server refused namespace "chat": the nickname "ada" is taken'
    assert taken.value.data == {"code": "nickname_taken"}
    with pytest.raises(ConnectError) as malformed:
        await pursocket_connect(ChatProtocol, url, "chat", auth={"nickname": "a b"})
    assert malformed.value.message == (
        "The server refused namespace \"chat\": a nickname is 1 to 20 letters, digits, '_' or '-'"
    )
    assert malformed.value.data == {"code": "bad_nickname"}


async def test_what_a_member_may_not_do(
    pursocket_serve: ServeFixture, pursocket_connect: ConnectFixture
) -> None:
    url = await serve_chat(pursocket_serve)
    bob = await member(pursocket_connect, url, "bob")
    assert await bob.call("joinRoom", {"room": "private-board"}) == {
        "ok": False,
        "reason": '"private-board" is a private room and bob has no invitation',
        "room": "private-board",
        "members": [],
    }
    assert await bob.call("leaveRoom", {"room": "lobby"}) == {
        "ok": False,
        "reason": 'you are not in "lobby"',
    }
    # A line for a room the speaker is not in is dropped. The server starts handling
    # events in arrival order and drops the line without awaiting anything, so it is
    # done with it before it answers the Call that follows, and nothing_more would see
    # a line it sent.
    await bob.emit("say", {"room": "lobby", "text": "let me in"})
    rooms = await bob.call("listRooms", {})
    assert [room["name"] for room in rooms["rooms"]] == ["general", "random"]
    await bob.nothing_more("message")


async def test_leaving_and_disconnecting_tell_those_who_stay(
    pursocket_serve: ServeFixture, pursocket_connect: ConnectFixture
) -> None:
    url = await serve_chat(pursocket_serve)
    ada = await member(pursocket_connect, url, "ada", "lobby", "kitchen")
    bob = await member(pursocket_connect, url, "bob", "lobby", "kitchen")
    assert await ada.next("joined") == {
        "room": "lobby",
        "nickname": "bob",
        "members": ["ada", "bob"],
    }
    assert await ada.next("joined") == {
        "room": "kitchen",
        "nickname": "bob",
        "members": ["ada", "bob"],
    }
    assert await bob.call("leaveRoom", {"room": "lobby"}) == {"ok": True, "reason": ""}
    assert await ada.next("left") == {"room": "lobby", "nickname": "bob", "members": ["ada"]}
    await bob.disconnect()
    assert await ada.next("left") == {"room": "kitchen", "nickname": "bob", "members": ["ada"]}
    await ada.nothing_more("left")
    # The nickname is free again.
    await member(pursocket_connect, url, "bob")
