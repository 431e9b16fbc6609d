"""Test clients that record what they receive, so tests can wait on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from pursocket import Client, ClientNamespace
from tests.conftest import Inbox
from tests.protocols import AppProtocol, UserCount

#: A ``userCount`` a server broadcasts after the messages under test. Socket.IO keeps
#: the order of one connection's packets, so a client that has received the barrier
#: has received everything the server sent it before; what it has not got by then,
#: it never gets.
BARRIER: UserCount = {"count": -1}


class Peer:
    """A pursocket client of ``AppProtocol`` recording the ``userCount`` it receives."""

    def __init__(self, namespaces: Iterable[str] = ("lobby",), **options: Any) -> None:
        options.setdefault("reconnection", False)
        self.client = Client(AppProtocol, **options)
        self.counts: dict[str, Inbox] = {}
        for name in namespaces:
            inbox = self.counts[name] = Inbox()
            self.client.namespace(name).on("userCount")(inbox.put)

    @property
    def lobby(self) -> ClientNamespace[AppProtocol, Any]:
        return self.client.namespace("lobby")

    async def until_barrier(self, namespace: str = "lobby") -> list[UserCount]:
        """What the namespace received up to the barrier, which it must receive."""
        inbox = self.counts[namespace]
        while BARRIER not in inbox.items:
            await inbox.wait_for(len(inbox.items) + 1)
        return inbox.items[: inbox.items.index(BARRIER)]


@asynccontextmanager
async def peers(
    url: str, count: int, namespaces: Iterable[str] = ("lobby",)
) -> AsyncIterator[list[Peer]]:
    """``count`` connected peers, disconnected on exit."""
    async with AsyncExitStack() as stack:
        connected = []
        for _ in range(count):
            peer = Peer(namespaces)
            await stack.enter_async_context(peer.client)
            await peer.client.connect(url)
            connected.append(peer)
        yield connected
