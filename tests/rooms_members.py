"""A test client of the rooms protocol that records what it receives, per namespace.

Non-delivery is proven with barriers, never with sleeps: whoever broadcasts to a
room then broadcasts a ``barrier`` to the whole namespace. Packets to one client
arrive in the order they were sent, so once a member has seen the barrier it has
seen everything sent to it before, and what it has not seen by then it never got.

Only the multi-process tests use it. There the barrier comes through the broker like
the broadcast it follows, which a round trip (as tests/test_rooms.py uses, in one
process) cannot replace: the process answering a round trip knows nothing of another
process's broadcast still on its way through the broker.
"""

from __future__ import annotations

import itertools
from typing import Any

from pursocket import Client, ClientNamespace
from tests.conftest import Inbox
from tests.rooms_app import Barrier, Membership, Ping, RoomsProtocol, Said

_tokens = itertools.count(1)


def next_token() -> int:
    """A barrier token no other barrier of this test process uses."""
    return next(_tokens)


class Member:
    """One client connected to some namespaces of the rooms protocol."""

    def __init__(self, name: str, namespaces: tuple[str, ...] = ("main",)) -> None:
        self.name = name
        self.client = Client(RoomsProtocol, reconnection=False)
        self.said: dict[str, Inbox] = {}
        self.barriers: dict[str, Inbox] = {}
        for ns in namespaces:
            self._listen(ns)

    def _listen(self, ns: str) -> None:
        namespace = self.client.namespace(ns)
        said, barriers = Inbox(), Inbox()
        self.said[ns], self.barriers[ns] = said, barriers

        @namespace.on("said")
        def on_said(message: Said) -> None:
            said.put(message)

        @namespace.on("barrier")
        def on_barrier(barrier: Barrier) -> None:
            barriers.put(barrier["token"])

        @namespace.on_call("ping")
        def on_ping(ping: Ping) -> Ping:
            return {"n": ping["n"] + 1}

    def ns(self, name: str = "main") -> ClientNamespace[RoomsProtocol, Any]:
        """This member's namespace ``name``."""
        return self.client.namespace(name)

    @property
    def sid(self) -> str:
        """This member's sid in ``main``."""
        sid = self.ns().sid
        assert sid is not None, f"{self.name} is not connected"
        return sid

    async def connect(self, url: str) -> Member:
        await self.client.connect(url)
        return self

    async def join(self, room: str, ns: str = "main") -> Membership:
        result: Membership = await self.ns(ns).call("join", {"room": room})
        return result

    async def leave(self, room: str, ns: str = "main") -> Membership:
        result: Membership = await self.ns(ns).call("leave", {"room": room})
        return result

    async def shout(self, room: str, text: str, *, except_me: bool = False) -> int:
        """Ask the server to send ``text`` to ``room``; returns the barrier token that follows."""
        token = next_token()
        event = "shoutExceptMe" if except_me else "shout"
        await self.ns().emit(event, {"room": room, "text": text, "barrier": token})
        return token

    async def texts_until(self, token: int, ns: str = "main", timeout: float = 10.0) -> list[str]:
        """Every text said to this member in ``ns`` before the barrier ``token``."""
        inbox = self.barriers[ns]
        count = 1
        while token not in (seen := await inbox.wait_for(count, timeout)):
            count = len(seen) + 1
        return [message["text"] for message in self.said[ns].items]


async def everyone_until(
    members: list[Member], token: int, ns: str = "main"
) -> dict[str, list[str]]:
    """What each member was said in ``ns`` before barrier ``token``, by member name."""
    return {member.name: await member.texts_until(token, ns) for member in members}
