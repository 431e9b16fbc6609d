"""Rooms against a real uvicorn server: who receives each room broadcast, and rooms().

Every member is a recording client of ``pursocket.testing``. Non-delivery is proven by
a round trip (:meth:`RecordingClient.round_trip`, as ``nothing_more`` does) after the
broadcast has been sent: one connection delivers in order, so what a member has not
received when its round trip is answered, it was never sent. A broadcast the test
awaits itself has been sent; one a server handler makes (``shout``) has been sent once
the member received what that handler sends after it, the namespace-wide ``barrier``.
(The multi-process tests keep barriers throughout: a round trip to one process proves
nothing about another process's broadcast still on its way through the broker.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import pytest

from pursocket import Client, Connection, Server
from pursocket.testing import ConnectFixture, RecordingClient, ServeFixture
from tests.conftest import Inbox
from tests.rooms_app import Membership, RoomsProtocol, build_server

Member = RecordingClient[RoomsProtocol, Any]


class Room:
    """A running rooms server and the members connected to it."""

    def __init__(
        self,
        server: Server[RoomsProtocol],
        url: str,
        connect: ConnectFixture,
        stack: AsyncExitStack,
    ) -> None:
        self.server = server
        self.url = url
        self.main = self.server.namespace("main")
        self.other = self.server.namespace("other")
        self._connect = connect
        self._stack = stack

    async def member(self, ns: str = "main") -> Member:
        return await self._connect(RoomsProtocol, self.url, ns)

    async def member_of_both(self) -> tuple[Member, Member]:
        """One client, on one socket, in ``main`` and in ``other``."""
        client = Client(RoomsProtocol, reconnection=False)
        in_main = RecordingClient(client, client.namespace("main"))
        in_other = RecordingClient(client, client.namespace("other"))
        await self._stack.enter_async_context(client)
        await client.connect(self.url, transports=["websocket"])
        return in_main, in_other

    def connection(self, member: Member) -> Connection[RoomsProtocol, Any]:
        """The server's side of ``member``'s connection to ``main``."""
        [conn] = [c for c in self.main.connections() if c.sid == member.sid]
        return conn


@pytest.fixture
async def room(
    pursocket_serve: ServeFixture, pursocket_connect: ConnectFixture
) -> AsyncIterator[Room]:
    server = build_server("solo")
    async with AsyncExitStack() as stack:
        yield Room(server, await pursocket_serve(server), pursocket_connect, stack)


async def join(member: Member, room: str) -> Membership:
    result: Membership = await member.call("join", {"room": room})
    return result


async def leave(member: Member, room: str) -> Membership:
    result: Membership = await member.call("leave", {"room": room})
    return result


async def shout(member: Member, room: str, text: str, *, except_me: bool = False) -> None:
    """Ask the server to say ``text`` to ``room`` (then a barrier to the whole namespace)."""
    event = "shoutExceptMe" if except_me else "shout"
    await member.emit(event, {"room": room, "text": text, "barrier": 0})


async def heard(**members: Member) -> dict[str, list[str]]:
    """Every text said to each member, complete once its round trip is answered."""
    for member in members.values():
        await member.round_trip()
    return {
        name: [said["text"] for said in member.received("said")] for name, member in members.items()
    }


async def shouted(**members: Member) -> dict[str, list[str]]:
    """``heard``, once a shout's handler has sent its barrier to each member."""
    for member in members.values():
        assert await member.next("barrier") == {"token": 0}
    return await heard(**members)


# 1. broadcast_to_room


async def test_broadcast_to_room_reaches_members_and_no_one_else(room: Room) -> None:
    alice, bob, carol = [await room.member() for _ in range(3)]
    await join(alice, "r1")
    await join(bob, "r1")

    await room.main.broadcast_to_room("r1", "said", {"text": "game starts", "process": "solo"})

    seen = await heard(alice=alice, bob=bob, carol=carol)
    assert seen == {"alice": ["game starts"], "bob": ["game starts"], "carol": []}


async def test_broadcast_to_room_reaches_the_member_whose_event_triggered_it(room: Room) -> None:
    alice, bob, carol = [await room.member() for _ in range(3)]
    await join(alice, "r1")
    await join(bob, "r1")

    await shout(alice, "r1", "hello r1")

    seen = await shouted(alice=alice, bob=bob, carol=carol)
    assert seen == {"alice": ["hello r1"], "bob": ["hello r1"], "carol": []}


async def test_a_room_of_the_same_name_in_another_namespace_receives_nothing(room: Room) -> None:
    alice = await room.member()
    dave, dave_other = await room.member_of_both()
    erin = await room.member("other")
    await join(alice, "r1")
    await join(dave_other, "r1")
    await join(erin, "r1")

    await room.main.broadcast_to_room("r1", "said", {"text": "main only", "process": "solo"})

    assert await heard(alice=alice, dave=dave) == {"alice": ["main only"], "dave": []}
    assert await heard(dave=dave_other, erin=erin) == {"dave": [], "erin": []}


# 2. broadcast_to_room_except_sender


async def test_except_sender_reaches_every_member_but_the_sender(room: Room) -> None:
    alice, bob, carol, dave = [await room.member() for _ in range(4)]
    for member in (alice, bob, carol):
        await join(member, "r1")

    await shout(alice, "r1", "not for alice", except_me=True)

    seen = await shouted(alice=alice, bob=bob, carol=carol, dave=dave)
    assert seen == {
        "alice": [],
        "bob": ["not for alice"],
        "carol": ["not for alice"],
        "dave": [],
    }


async def test_except_sender_from_a_non_member_reaches_all_members(room: Room) -> None:
    alice, bob, carol = [await room.member() for _ in range(3)]
    await join(alice, "r1")
    await join(bob, "r1")

    await shout(carol, "r1", "from outside", except_me=True)

    seen = await shouted(alice=alice, bob=bob, carol=carol)
    assert seen == {"alice": ["from outside"], "bob": ["from outside"], "carol": []}


# 3. rooms()


async def test_rooms_follows_joins_and_leaves(room: Room) -> None:
    alice = await room.member()
    conn = room.connection(alice)
    sid = conn.sid

    fresh = conn.rooms()
    assert fresh == frozenset({sid})
    assert isinstance(fresh, frozenset)

    assert (await join(alice, "r1"))["rooms"] == sorted({sid, "r1"})
    assert conn.rooms() == {sid, "r1"}
    assert fresh == {sid}, "a snapshot taken earlier must not change"

    await join(alice, "r2")
    await join(alice, "r3")
    assert conn.rooms() == {sid, "r1", "r2", "r3"}

    assert (await leave(alice, "r1"))["rooms"] == sorted({sid, "r2", "r3"})
    assert conn.rooms() == {sid, "r2", "r3"}


async def test_joining_twice_is_idempotent_and_leaving_a_room_never_joined_is_a_no_op(
    room: Room,
) -> None:
    alice = await room.member()
    conn = room.connection(alice)

    await conn.join_room("r1")
    await conn.join_room("r1")
    assert conn.rooms() == {conn.sid, "r1"}
    await conn.leave_room("never-joined")
    assert conn.rooms() == {conn.sid, "r1"}

    await conn.leave_room("r1")
    await conn.leave_room("r1")
    assert conn.rooms() == {conn.sid}

    # Joined twice, left once: out of the room, so a broadcast to it misses alice.
    await conn.join_room("r1")
    await conn.join_room("r1")
    await conn.leave_room("r1")
    await room.main.broadcast_to_room("r1", "said", {"text": "r1", "process": "solo"})
    await alice.nothing_more("said")
    assert alice.received("said") == []


async def test_leaving_your_own_sid_room_is_refused(room: Room) -> None:
    alice = await room.member()
    conn = room.connection(alice)

    with pytest.raises(ValueError, match="own room"):
        await conn.leave_room(conn.sid)
    assert conn.rooms() == {conn.sid}


async def test_rooms_during_and_after_disconnect(room: Room) -> None:
    alice, bob = await room.member(), await room.member()
    conn = room.connection(alice)
    await join(alice, "r1")
    await join(bob, "r1")
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

    await alice.disconnect()
    assert await gone.wait_for(1) == [{conn.sid, "r1"}]
    assert await heard(bob=bob) == {"bob": ["left r1"]}

    assert conn.rooms() == frozenset()
    assert before == {conn.sid, "r1"}
    await conn.join_room("r2")
    await conn.leave_room("r1")
    assert conn.rooms() == frozenset()
    await room.main.broadcast_to_room("r1", "said", {"text": "after", "process": "solo"})
    assert await heard(bob=bob) == {"bob": ["left r1", "after"]}


# 4. empty and unknown rooms


async def test_broadcast_to_an_empty_or_unknown_room_delivers_nothing(room: Room) -> None:
    alice, bob = await room.member(), await room.member()
    await join(alice, "emptied")
    await leave(alice, "emptied")

    await room.main.broadcast_to_room("no-such-room", "said", {"text": "x", "process": "solo"})
    await room.main.broadcast_to_room("emptied", "said", {"text": "y", "process": "solo"})
    await room.connection(bob).broadcast_to_room_except_sender(
        "no-such-room", "said", {"text": "z", "process": "solo"}
    )

    assert await heard(alice=alice, bob=bob) == {"alice": [], "bob": []}


# A socket id is a room


async def test_broadcast_to_a_sid_reaches_that_one_client(room: Room) -> None:
    alice, bob, carol = [await room.member() for _ in range(3)]

    await shout(alice, room.connection(bob).sid, "just bob")

    seen = await shouted(alice=alice, bob=bob, carol=carol)
    assert seen == {"alice": [], "bob": ["just bob"], "carol": []}


async def test_room_names_must_be_non_empty_strings(room: Room) -> None:
    alice, bob = await room.member(), await room.member()
    conn = room.connection(alice)

    for bad in ("", None, 3):
        with pytest.raises(ValueError, match="non-empty str"):
            await room.main.broadcast_to_room(bad, "said", {"text": "x", "process": "solo"})  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="non-empty str"):
            await conn.join_room(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="sid of another connection"):
        await conn.join_room(room.connection(bob).sid)
    assert conn.rooms() == {conn.sid}
