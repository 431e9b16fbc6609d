"""Rooms against a real uvicorn server: who receives each room broadcast, and rooms()."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from pursocket import Connection, Server
from pursocket.testing import ServeFixture
from tests.conftest import Inbox
from tests.rooms_app import RoomsProtocol, build_server
from tests.rooms_members import Member, everyone_until, next_token


class Room:
    """A running rooms server and the members connected to it."""

    def __init__(self, server: Server[RoomsProtocol], url: str) -> None:
        self.server = server
        self.url = url
        self.main = self.server.namespace("main")
        self.other = self.server.namespace("other")
        self.members: list[Member] = []

    async def member(self, name: str, *namespaces: str) -> Member:
        member = await Member(name, namespaces or ("main",)).connect(self.url)
        self.members.append(member)
        return member

    def connection(self, member: Member) -> Connection[RoomsProtocol, Any]:
        """The server's side of ``member``'s connection to ``main``."""
        [conn] = [c for c in self.main.connections() if c.sid == member.sid]
        return conn

    async def barrier(self, *namespaces: str) -> int:
        """Send a barrier to every client of ``namespaces``; returns its token."""
        token = next_token()
        for ns in namespaces or ("main",):
            await self.server.namespace(ns).broadcast("barrier", {"token": token})
        return token


@pytest.fixture
async def room(pursocket_serve: ServeFixture) -> AsyncIterator[Room]:
    server = build_server("solo")
    setup = Room(server, await pursocket_serve(server))
    yield setup
    for member in setup.members:
        await member.client.disconnect()


# 1. broadcast_to_room


async def test_broadcast_to_room_reaches_members_and_no_one_else(room: Room) -> None:
    alice, bob, carol = [await room.member(n) for n in ("alice", "bob", "carol")]
    await alice.join("r1")
    await bob.join("r1")

    await room.main.broadcast_to_room("r1", "said", {"text": "game starts", "process": "solo"})

    seen = await everyone_until([alice, bob, carol], await room.barrier())
    assert seen == {"alice": ["game starts"], "bob": ["game starts"], "carol": []}


async def test_broadcast_to_room_reaches_the_member_whose_event_triggered_it(room: Room) -> None:
    alice, bob, carol = [await room.member(n) for n in ("alice", "bob", "carol")]
    await alice.join("r1")
    await bob.join("r1")

    token = await alice.shout("r1", "hello r1")

    seen = await everyone_until([alice, bob, carol], token)
    assert seen == {"alice": ["hello r1"], "bob": ["hello r1"], "carol": []}


async def test_a_room_of_the_same_name_in_another_namespace_receives_nothing(room: Room) -> None:
    alice = await room.member("alice")
    dave = await room.member("dave", "main", "other")
    erin = await room.member("erin", "other")
    await alice.join("r1")
    await dave.join("r1", ns="other")
    await erin.join("r1", ns="other")

    await room.main.broadcast_to_room("r1", "said", {"text": "main only", "process": "solo"})

    token = await room.barrier("main", "other")
    assert await everyone_until([alice, dave], token) == {"alice": ["main only"], "dave": []}
    assert await everyone_until([dave, erin], token, ns="other") == {"dave": [], "erin": []}


# 2. broadcast_to_room_except_sender


async def test_except_sender_reaches_every_member_but_the_sender(room: Room) -> None:
    alice, bob, carol, dave = [await room.member(n) for n in ("alice", "bob", "carol", "dave")]
    for member in (alice, bob, carol):
        await member.join("r1")

    token = await alice.shout("r1", "not for alice", except_me=True)

    seen = await everyone_until([alice, bob, carol, dave], token)
    assert seen == {
        "alice": [],
        "bob": ["not for alice"],
        "carol": ["not for alice"],
        "dave": [],
    }


async def test_except_sender_from_a_non_member_reaches_all_members(room: Room) -> None:
    alice, bob, carol = [await room.member(n) for n in ("alice", "bob", "carol")]
    await alice.join("r1")
    await bob.join("r1")

    token = await carol.shout("r1", "from outside", except_me=True)

    seen = await everyone_until([alice, bob, carol], token)
    assert seen == {"alice": ["from outside"], "bob": ["from outside"], "carol": []}


# 3. rooms()


async def test_rooms_follows_joins_and_leaves(room: Room) -> None:
    alice = await room.member("alice")
    conn = room.connection(alice)
    sid = alice.sid

    fresh = conn.rooms()
    assert fresh == frozenset({sid})
    assert isinstance(fresh, frozenset)

    assert (await alice.join("r1"))["rooms"] == sorted({sid, "r1"})
    assert conn.rooms() == {sid, "r1"}
    assert fresh == {sid}, "a snapshot taken earlier must not change"

    await alice.join("r2")
    await alice.join("r3")
    assert conn.rooms() == {sid, "r1", "r2", "r3"}

    assert (await alice.leave("r1"))["rooms"] == sorted({sid, "r2", "r3"})
    assert conn.rooms() == {sid, "r2", "r3"}


async def test_joining_twice_is_idempotent_and_leaving_a_room_never_joined_is_a_no_op(
    room: Room,
) -> None:
    alice = await room.member("alice")
    conn = room.connection(alice)

    await conn.join_room("r1")
    await conn.join_room("r1")
    assert conn.rooms() == {alice.sid, "r1"}
    await conn.leave_room("never-joined")
    assert conn.rooms() == {alice.sid, "r1"}

    await conn.leave_room("r1")
    await conn.leave_room("r1")
    assert conn.rooms() == {alice.sid}

    # Joined twice, left once: out of the room, so a broadcast to it misses alice.
    await conn.join_room("r1")
    await conn.join_room("r1")
    await conn.leave_room("r1")
    await room.main.broadcast_to_room("r1", "said", {"text": "r1", "process": "solo"})
    assert await alice.texts_until(await room.barrier()) == []


async def test_leaving_your_own_sid_room_is_refused(room: Room) -> None:
    alice = await room.member("alice")
    conn = room.connection(alice)

    with pytest.raises(ValueError, match="own room"):
        await conn.leave_room(alice.sid)
    assert conn.rooms() == {alice.sid}


async def test_rooms_during_and_after_disconnect(room: Room) -> None:
    alice, bob = await room.member("alice"), await room.member("bob")
    conn = room.connection(alice)
    await alice.join("r1")
    await bob.join("r1")
    before = conn.rooms()
    gone = Inbox()

    @room.main.on_disconnect
    async def on_disconnect(left: Connection[RoomsProtocol, Any], reason: object) -> None:
        # While the handler runs, rooms() is what the connection was in, so the
        # handler can tell those rooms; the departed connection is skipped.
        for name in sorted(left.rooms() - {left.sid}):
            await left.broadcast_to_room_except_sender(
                name, "said", {"text": f"left {name}", "process": "solo"}
            )
        gone.put(left.rooms())

    await alice.client.disconnect()
    assert await gone.wait_for(1) == [{conn.sid, "r1"}]
    assert await bob.texts_until(await room.barrier()) == ["left r1"]

    assert conn.rooms() == frozenset()
    assert before == {conn.sid, "r1"}
    await conn.join_room("r2")
    await conn.leave_room("r1")
    assert conn.rooms() == frozenset()
    await room.main.broadcast_to_room("r1", "said", {"text": "after", "process": "solo"})
    assert await bob.texts_until(await room.barrier()) == ["left r1", "after"]


# 4. empty and unknown rooms


async def test_broadcast_to_an_empty_or_unknown_room_delivers_nothing(room: Room) -> None:
    alice, bob = await room.member("alice"), await room.member("bob")
    await alice.join("emptied")
    await alice.leave("emptied")

    await room.main.broadcast_to_room("no-such-room", "said", {"text": "x", "process": "solo"})
    await room.main.broadcast_to_room("emptied", "said", {"text": "y", "process": "solo"})
    await room.connection(bob).broadcast_to_room_except_sender(
        "no-such-room", "said", {"text": "z", "process": "solo"}
    )

    seen = await everyone_until([alice, bob], await room.barrier())
    assert seen == {"alice": [], "bob": []}


# A socket id is a room


async def test_broadcast_to_a_sid_reaches_that_one_client(room: Room) -> None:
    alice, bob, carol = [await room.member(n) for n in ("alice", "bob", "carol")]

    token = await alice.shout(bob.sid, "just bob")

    seen = await everyone_until([alice, bob, carol], token)
    assert seen == {"alice": [], "bob": ["just bob"], "carol": []}


async def test_room_names_must_be_non_empty_strings(room: Room) -> None:
    alice, bob = await room.member("alice"), await room.member("bob")
    conn = room.connection(alice)

    for bad in ("", None, 3):
        with pytest.raises(ValueError, match="non-empty str"):
            await room.main.broadcast_to_room(bad, "said", {"text": "x", "process": "solo"})  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="non-empty str"):
            await conn.join_room(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="sid of another connection"):
        await conn.join_room(bob.sid)
    assert conn.rooms() == {alice.sid}
