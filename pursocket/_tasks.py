"""How pursocket runs the handling of each event: started as it arrives, in a task if it waits.

A server starts handling each event as its frame is read (:class:`EventRunner`), in a
context of its own. An event for a plain-function handler runs to its end there and
costs no task. An ``async def`` handler runs in a task of its own, so that inside it
``asyncio.current_task()``, ``asyncio.timeout()``, task groups and cancel scopes all
see the task that finishes it (never the connection's reader); from Python 3.12 that
task starts eagerly, running up to its first wait as the frame is read. A slow handler
lets a later event finish first; with ``ordered=True`` the events of one connection
that arrive meanwhile wait their turn instead, and run one after another in arrival
order. Either way the events of a connection start in the order they arrived, and
before the connection's end.

The client runs each event in a task of its own (:func:`run`), or in order
(:class:`InOrder`).
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import sys
from collections.abc import Awaitable, Coroutine, Generator
from typing import Any

from pursocket._logging import logger

__all__ = ["EventRunner", "InOrder", "Unfinished", "first_step", "run", "spawn"]

_background_tasks: set[asyncio.Future[Any]] = set()

_FAILED = "pursocket's handling of an event failed"

#: From Python 3.12 a task can start eagerly: it runs up to its first wait as it is
#: made, as the task it is, and costs no turn of the event loop if it never waits.
_EAGER_TASKS = sys.version_info >= (3, 12)


def spawn(job: Coroutine[Any, Any, Any]) -> None:
    """Run ``job`` as a task that is kept alive until it ends; log it if it fails."""
    _keep(asyncio.ensure_future(job))


def _keep(task: asyncio.Future[Any]) -> None:
    _background_tasks.add(task)
    task.add_done_callback(_finished)


def _finished(task: asyncio.Future[Any]) -> None:
    _background_tasks.discard(task)
    if not task.cancelled() and task.exception() is not None:
        logger.error(_FAILED, exc_info=task.exception())


class InOrder:
    """Runs each connection's events one after another, in the order they arrived."""

    def __init__(self) -> None:
        self._queues: dict[str, collections.deque[Coroutine[Any, Any, Any]]] = {}

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
                    logger.exception(_FAILED)
                del queue[0]
        finally:
            self._queues.pop(key, None)
            for job in queue:
                job.close()


def run(job: Coroutine[Any, Any, Any], in_order: InOrder | None, key: str) -> None:
    """Run ``job`` in a task of its own, or after ``key``'s earlier jobs with ``in_order``."""
    if in_order is None:
        spawn(job)
    else:
        in_order.submit(key, job)


class Unfinished:
    """What is left of a coroutine that has run up to its first wait (awaitable once).

    ``waiting`` is what the coroutine yielded there (the future it waits for), handed
    to the task that awaits this, as if that task had run the coroutine from the start.
    """

    __slots__ = ("job", "waiting")

    def __init__(self, job: Coroutine[Any, Any, Any], waiting: Any) -> None:
        self.job = job
        self.waiting = waiting

    def __await__(self) -> Generator[Any, None, Any]:
        job, waiting = self.job, self.waiting
        while True:
            try:
                yield waiting
            except GeneratorExit:
                job.close()
                raise
            except BaseException as exc:  # the task's cancellation: the job's to handle
                try:
                    waiting = job.throw(exc)
                except StopIteration as stop:
                    return stop.value
                continue
            return (yield from job.__await__())


def first_step(job: Coroutine[Any, Any, Any]) -> Unfinished | None:
    """Run ``job`` up to where it first waits: ``None`` if it finished, else the rest."""
    try:
        waiting = job.send(None)
    except StopIteration:
        return None
    return Unfinished(job, waiting)


class EventRunner:
    """Starts each event's handling as it arrives, at most ``limit`` of a connection in flight.

    An event is in flight from the moment its handling waits, or needs a task (or,
    with ``ordered``, from the moment it has to wait its turn) until it ends. Once
    ``limit`` events of one connection are in flight, :meth:`start` does not return
    until one of them ends, and so the connection is not read from: the peer's
    further packets wait in the network, not in the server's memory.
    """

    def __init__(self, limit: int, *, ordered: bool) -> None:
        if limit < 1:
            raise ValueError(f"max_in_flight must be at least 1, got {limit!r}")
        self.limit = limit
        self._ordered = ordered
        self._in_flight: dict[str, int] = {}
        self._room: dict[str, asyncio.Future[None]] = {}
        # With ``ordered``: the events of a key (a connection to a namespace) waiting
        # their turn behind the one in flight, while one is.
        self._turns: dict[str, collections.deque[Coroutine[Any, Any, Any]]] = {}
        # Before Python 3.12: each connection's tasks that have been made but have not
        # started yet. An event run as it arrives would overtake them.
        self._unstarted: dict[str, int] = {}

    async def start(
        self, connection: str, key: str, job: Coroutine[Any, Any, Any], *, plain: bool
    ) -> None:
        """Start ``job``, an event of ``connection`` (ordered by ``key`` if ``ordered``).

        ``plain``: the job runs none of the app's code that could wait (its handler is
        a plain function), so it may run here, without a task. Returns once
        ``connection`` has fewer than ``limit`` events in flight, or has ended.
        """
        turns = self._turns.get(key)
        if turns is not None:
            turns.append(job)
            self._in_flight[connection] = self._in_flight.get(connection, 0) + 1
        elif plain and connection not in self._unstarted:
            context = contextvars.copy_context()
            try:
                rest = context.run(first_step, job)
            except asyncio.CancelledError:  # as a task would end: quietly
                return
            except Exception:
                logger.exception(_FAILED)
                return
            if rest is not None:
                context.run(self._go_on, connection, key, rest)
        elif _EAGER_TASKS:
            loop = asyncio.get_running_loop()
            task = asyncio.Task(job, loop=loop, eager_start=True)  # type: ignore[call-arg,unused-ignore]
            if task.done():
                _finished(task)
            else:
                self._go_on(connection, key, task)
        else:
            self._unstarted[connection] = self._unstarted.get(connection, 0) + 1
            self._go_on(connection, key, self._started(connection, job))
        while self._in_flight.get(connection, 0) >= self.limit:
            room = self._room.get(connection)
            if room is None:
                room = self._room[connection] = asyncio.get_running_loop().create_future()
            try:
                await room
            except ConnectionError:
                return

    def _go_on(self, connection: str, key: str, rest: Awaitable[Any]) -> None:
        """Finish ``rest`` of an event's handling in a task: it is in flight until it ends."""
        self._in_flight[connection] = self._in_flight.get(connection, 0) + 1
        if self._ordered:
            turns = self._turns[key] = collections.deque()
            spawn(self._in_turn(connection, key, rest, turns))
        elif isinstance(rest, asyncio.Task):
            _keep(rest)
            rest.add_done_callback(lambda _: self._ended(connection))
        else:
            spawn(self._finish(connection, rest))

    async def _started(self, connection: str, job: Coroutine[Any, Any, Any]) -> Any:
        waiting = self._unstarted[connection] - 1
        if waiting:
            self._unstarted[connection] = waiting
        else:
            del self._unstarted[connection]
        return await job

    async def started(self, connection: str) -> None:
        """Return once every event of ``connection`` that has arrived so far has started."""
        if connection in self._unstarted:
            # Tasks start in the order they were made, before this task resumes.
            await asyncio.sleep(0)

    async def _finish(self, connection: str, rest: Awaitable[Any]) -> None:
        try:
            await rest
        finally:
            self._ended(connection)

    async def _in_turn(
        self,
        connection: str,
        key: str,
        rest: Awaitable[Any],
        turns: collections.deque[Coroutine[Any, Any, Any]],
    ) -> None:
        """Finish ``rest``, then run the events that queued behind it, one at a time."""
        job: Awaitable[Any] = rest
        try:
            while True:
                try:
                    await job
                except Exception:  # the next events of the connection must still run
                    logger.exception(_FAILED)
                finally:
                    self._ended(connection)
                if not turns:
                    return
                job = turns.popleft()
        finally:
            del self._turns[key]
            while turns:
                turns.popleft().close()
                self._ended(connection)

    def _ended(self, connection: str) -> None:
        count = self._in_flight.get(connection, 0) - 1
        if count > 0:
            self._in_flight[connection] = count
        else:
            self._in_flight.pop(connection, None)
        room = self._room.pop(connection, None)
        if room is not None and not room.done():
            room.set_result(None)

    def end(self, connection: str) -> None:
        """``connection`` has ended: a :meth:`start` waiting for room returns."""
        room = self._room.pop(connection, None)
        if room is not None and not room.done():
            room.set_exception(ConnectionError("the connection has ended"))
