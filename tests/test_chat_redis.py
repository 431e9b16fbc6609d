"""The chat example on Redis: two servers share nicknames, member lists and broadcasts.

Both servers run in this process on their own ports, each with its own
``AsyncRedisManager`` (as two processes would have), on a channel and key prefix
named for this test alone. Skips when Redis is unreachable; fails when ``CI=true``.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import pytest
import redis.asyncio
import socketio

from examples.chat.client import ChatClient
from examples.chat.server import ChatServer
from examples.chat.state import RedisState
from pursocket import ConnectError
from pursocket.testing import serve
from tests.conftest import Inbox

REDIS_URL = "redis://127.0.0.1:6379/3"


class User:
    """A chat client that keeps every line it was shown."""

    def __init__(self, nickname: str, url: str) -> None:
        self.nickname = nickname
        self.url = url
        self.lines = Inbox()
        self.chat = ChatClient(self.lines.put)

    async def until(self, start: str, timeout: float = 5.0) -> None:
        """Wait for a line that starts with ``start``."""
        count = 1
        while not any(line.startswith(start) for line in await self.lines.wait_for(count, timeout)):
            count = len(self.lines.items) + 1


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    client = redis.asyncio.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        await client.ping()
    except Exception as exc:
        await client.aclose()
        problem = f"Redis at {REDIS_URL} is not reachable ({exc!r})"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{problem}; CI=true requires it")
        pytest.skip(problem)
    prefix = f"pursocket-chat-test-{uuid.uuid4().hex}:"
    try:
        yield prefix
    finally:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


async def test_two_servers_share_the_chat(redis_prefix: str) -> None:
    servers = [
        ChatServer(
            RedisState(REDIS_URL, prefix=redis_prefix),
            client_manager=socketio.AsyncRedisManager(REDIS_URL, channel=redis_prefix),
        )
        for _ in range(2)
    ]
    serving = AsyncExitStack()
    urls = [await serving.enter_async_context(serve(chat.server)) for chat in servers]
    alice, bob = User("alice", urls[0]), User("bob", urls[1])
    try:
        for user in (alice, bob):
            await user.chat.connect(user.url, user.nickname)
        await _linked(alice, bob)
        await _linked(bob, alice)

        # A nickname held on one server is taken on the other.
        carol = ChatClient(lambda line: None)
        with pytest.raises(ConnectError) as taken:
            await carol.connect(urls[1], "alice")
        assert taken.value.message == (
            'The server refused namespace "chat": the nickname "alice" is taken'
        )

        assert (await alice.chat.join("general"))["members"] == ["alice"]
        assert (await bob.chat.join("general"))["members"] == ["alice", "bob"]
        await alice.until("* bob joined general (members: alice, bob)")

        await bob.chat.say("general", "hello across")
        await alice.until("[general] bob: hello across")
        await bob.until("[general] bob: hello across")

        assert (await alice.chat.leave("general"))["ok"]
        await bob.until("* alice left general (members: bob)")
        rooms = {room["name"]: room["members"] for room in (await bob.chat.list_rooms())["rooms"]}
        assert rooms["general"] == 1
    finally:
        await alice.chat.disconnect()
        await bob.chat.disconnect()
        # Stopping runs the disconnect handlers, which release names in Redis.
        await serving.aclose()
        for chat in servers:
            await chat.state.close()


async def _linked(one: User, other: User) -> None:
    """Wait until what ``one``'s server broadcasts reaches ``other``'s server.

    A server subscribes to the channel when its first client connects; what is
    published before then is lost. So: ``other`` waits in a fresh room, ``one``
    joins it, and the join notice must reach ``other``; retry with a new room.
    """
    for attempt in range(40):
        room = f"link-{attempt}"
        assert (await other.chat.join(room))["ok"]
        assert (await one.chat.join(room))["ok"]
        try:
            await other.until(f"* {one.nickname} joined {room}", timeout=0.5)
            return
        except asyncio.TimeoutError:
            continue
        finally:
            await one.chat.leave(room)
            await other.chat.leave(room)
    raise AssertionError("the two chat servers never linked through Redis")
