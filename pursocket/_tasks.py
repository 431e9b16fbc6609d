"""How pursocket runs the handling of each event: as a task of its own, or in order.

By default each event runs in its own task (:func:`spawn`), so a slow handler lets a
later event finish first. :class:`InOrder` runs the events of one connection one
after another, in the order they arrived. An event whose handling never waits (a
plain-function handler) needs no task: :func:`run_now` runs it where it arrives, when
no earlier event of its connection is still waiting to start (:class:`Concurrently`
and :class:`InOrder` know).
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Coroutine
from typing import Any

from pursocket._logging import logger

__all__ = ["Concurrently", "InOrder", "run", "run_now", "spawn"]

_background_tasks: set[asyncio.Task[Any]] = set()


def spawn(job: Coroutine[Any, Any, Any]) -> None:
    """Run ``job`` as a task that is kept alive until it ends; log it if it fails."""
    task = asyncio.ensure_future(job)
    _background_tasks.add(task)
    task.add_done_callback(_finished)


def _finished(task: asyncio.Task[Any]) -> None:
    _background_tasks.discard(task)
    if not task.cancelled() and task.exception() is not None:
        logger.error("pursocket's handling of an event failed", exc_info=task.exception())


class InOrder:
    """Runs each connection's events one after another, in the order they arrived."""

    def __init__(self) -> None:
        self._queues: dict[str, collections.deque[Coroutine[Any, Any, Any]]] = {}

    def idle(self, key: str) -> bool:
        """Whether no job of ``key`` is waiting or running."""
        return key not in self._queues

    def submit(self, key: str, job: Coroutine[Any, Any, Any]) -> None:
        """Run ``job`` after every job submitted earlier under ``key`` has finished."""
        queue = self._queues.get(key)
        if queue is not None:
            queue.append(job)
            return
        queue = self._queues[key] = collections.deque([job])
        spawn(self._drain(key, queue))

    async def _drain(self, key: str, queue: collections.deque[Coroutine[Any, Any, Any]]) -> None:
        try:
            while queue:
                try:
                    await queue[0]
                except Exception:  # the next events of the connection must still run
                    logger.exception("pursocket's handling of an event failed")
                del queue[0]
        finally:
            self._queues.pop(key, None)
            for job in queue:
                job.close()


class Concurrently:
    """Runs each event in a task of its own, and knows whose tasks have not started yet.

    Tasks start in the order they were made, so the events of one connection start in
    the order they arrived. An event run at once (:func:`run_now`) keeps that order
    only while none of its connection's tasks is still waiting to start, and the
    connection's end waits for them to start (:meth:`started`), as its events did
    when every frame was read in a task of its own.
    """

    def __init__(self) -> None:
        self._waiting: dict[str, int] = {}

    def idle(self, key: str) -> bool:
        """Whether every task submitted under ``key`` has started."""
        return key not in self._waiting

    def submit(self, key: str, job: Coroutine[Any, Any, Any]) -> None:
        """Run ``job`` in a task of its own."""
        self._waiting[key] = self._waiting.get(key, 0) + 1
        spawn(self._start(key, job))

    async def started(self, key: str) -> None:
        """Return once every task submitted under ``key`` so far has started."""
        if key in self._waiting:
            # Tasks start in the order they were made, before this task resumes.
            await asyncio.sleep(0)

    async def _start(self, key: str, job: Coroutine[Any, Any, Any]) -> None:
        waiting = self._waiting[key] - 1
        if waiting:
            self._waiting[key] = waiting
        else:
            del self._waiting[key]
        await job


async def run_now(job: Coroutine[Any, Any, Any]) -> None:
    """Run ``job`` to its end in the caller's task; log it if it fails, as :func:`spawn` does."""
    try:
        await job
    except Exception:
        logger.exception("pursocket's handling of an event failed")


def run(job: Coroutine[Any, Any, Any], in_order: InOrder | None, key: str) -> None:
    """Run ``job`` in a task of its own, or after ``key``'s earlier jobs with ``in_order``."""
    if in_order is None:
        spawn(job)
    else:
        in_order.submit(key, job)


class InFlight:
    """At most ``limit`` events of one connection handled at a time; the next one waits.

    The caller awaits :meth:`admit` before starting an event's handling, so a
    connection at its limit is no longer read from until one of its handlers
    finishes: the peer's further packets wait in the network, not in the server's
    memory. Each admission costs a dictionary lookup and a counter.
    """

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"max_in_flight must be at least 1, got {limit!r}")
        self.limit = limit
        self._counts: dict[str, int] = {}
        self._room: dict[str, asyncio.Future[None]] = {}

    async def admit(self, key: str, job: Coroutine[Any, Any, Any]) -> Coroutine[Any, Any, Any]:
        """Wait until ``key`` has a free slot; return ``job`` wrapped to free it when done.

        Raises ``ConnectionError`` (closing ``job``) if ``key`` ends while waiting.
        """
        while self._counts.get(key, 0) >= self.limit:
            room = self._room.get(key)
            if room is None:
                room = self._room[key] = asyncio.get_running_loop().create_future()
            try:
                await room
            except ConnectionError:
                job.close()
                raise
        self._counts[key] = self._counts.get(key, 0) + 1
        return self._run(key, job)

    async def _run(self, key: str, job: Coroutine[Any, Any, Any]) -> Any:
        try:
            return await job
        finally:
            count = self._counts.get(key, 0) - 1
            if count > 0:
                self._counts[key] = count
            else:
                self._counts.pop(key, None)
            room = self._room.pop(key, None)
            if room is not None and not room.done():
                room.set_result(None)

    def end(self, key: str) -> None:
        """``key``'s connection has ended: whoever waits for a slot stops waiting."""
        room = self._room.pop(key, None)
        if room is not None and not room.done():
            room.set_exception(ConnectionError("the connection has ended"))
