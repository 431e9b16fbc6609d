"""Who holds which nickname and who is in which room: in memory, or in Redis.

One server process keeps this in memory. Several processes behind a load balancer
share it in Redis, so that a nickname is taken everywhere at once and member lists
cover every process. Socket.IO rooms themselves (who receives a broadcast) are
pursocket's job; this is only the application's directory of names.
"""

from __future__ import annotations

from typing import Protocol

import redis.asyncio

#: Rooms listed even while nobody is in them.
DEFAULT_ROOMS = ("general", "random")


class ChatState(Protocol):
    """The directory the chat server consults; every method is atomic."""

    async def claim_nickname(self, nickname: str) -> bool:
        """Take ``nickname``; false when someone already holds it."""

    async def release_nickname(self, nickname: str) -> None:
        """Give ``nickname`` back."""

    async def enter(self, room: str, nickname: str) -> list[str]:
        """Put ``nickname`` in ``room``; returns the room's members, sorted."""

    async def exit(self, room: str, nickname: str) -> list[str]:
        """Take ``nickname`` out of ``room``; returns the remaining members, sorted."""

    async def rooms(self) -> dict[str, int]:
        """Every room with members, and the default rooms, with their member counts."""

    async def close(self) -> None:
        """Release what the directory holds open."""


class MemoryState:
    """The directory of one server process."""

    def __init__(self) -> None:
        self._nicknames: set[str] = set()
        self._members: dict[str, set[str]] = {}

    async def claim_nickname(self, nickname: str) -> bool:
        if nickname in self._nicknames:
            return False
        self._nicknames.add(nickname)
        return True

    async def release_nickname(self, nickname: str) -> None:
        self._nicknames.discard(nickname)

    async def enter(self, room: str, nickname: str) -> list[str]:
        self._members.setdefault(room, set()).add(nickname)
        return sorted(self._members[room])

    async def exit(self, room: str, nickname: str) -> list[str]:
        members = self._members.get(room, set())
        members.discard(nickname)
        if not members:
            self._members.pop(room, None)
        return sorted(members)

    async def rooms(self) -> dict[str, int]:
        counts = dict.fromkeys(DEFAULT_ROOMS, 0)
        counts.update((room, len(members)) for room, members in self._members.items())
        return counts

    async def close(self) -> None:
        """Nothing to release: the directory goes with the process."""


class RedisState:
    """The directory shared by every server process through Redis.

    Keys live under ``prefix``: ``{prefix}nicknames`` (a set) and
    ``{prefix}room:{name}`` (a set per room). A process that dies without its
    clients disconnecting leaves their names behind; a production deployment would
    expire them.
    """

    def __init__(self, url: str, prefix: str = "pursocket-chat:") -> None:
        self._redis = redis.asyncio.from_url(url, decode_responses=True)
        self._prefix = prefix

    async def claim_nickname(self, nickname: str) -> bool:
        added: int = await self._redis.sadd(f"{self._prefix}nicknames", nickname)
        return added == 1

    async def release_nickname(self, nickname: str) -> None:
        await self._redis.srem(f"{self._prefix}nicknames", nickname)

    async def enter(self, room: str, nickname: str) -> list[str]:
        key = f"{self._prefix}room:{room}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.sadd(key, nickname)
            pipe.smembers(key)
            _, members = await pipe.execute()
        return sorted(members)

    async def exit(self, room: str, nickname: str) -> list[str]:
        key = f"{self._prefix}room:{room}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.srem(key, nickname)
            pipe.smembers(key)
            _, members = await pipe.execute()
        return sorted(members)

    async def rooms(self) -> dict[str, int]:
        counts = dict.fromkeys(DEFAULT_ROOMS, 0)
        room_prefix = f"{self._prefix}room:"
        async for key in self._redis.scan_iter(match=f"{room_prefix}*"):
            counts[key.removeprefix(room_prefix)] = await self._redis.scard(key)
        return counts

    async def close(self) -> None:
        """Close the connection to Redis."""
        await self._redis.aclose()
