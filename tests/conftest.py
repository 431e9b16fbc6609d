"""Real servers on 127.0.0.1 for the tests, and helpers that wait on events."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import uvicorn

from pursocket import Server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RunningServer:
    """A uvicorn server serving one pursocket ``Server`` on 127.0.0.1."""

    def __init__(self, server: Server[Any]) -> None:
        self.server = server
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            server.asgi_app(),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="off",
            **server.uvicorn_options(),
        )
        self._uvicorn = uvicorn.Server(config)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._uvicorn.serve())
        while not self._uvicorn.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        await self.server.shutdown()
        self._uvicorn.should_exit = True
        if self._task is not None:
            await asyncio.wait_for(self._task, 10)


#: The ``serve`` fixture: ``await serve(server)`` runs ``server`` until the test ends.
Serve = Callable[[Server[Any]], Awaitable[RunningServer]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """``await serve(server)`` runs ``server`` on a free port until the test ends."""
    running: list[RunningServer] = []

    async def start(server: Server[Any]) -> RunningServer:
        instance = RunningServer(server)
        await instance.start()
        running.append(instance)
        return instance

    yield start
    for instance in reversed(running):
        await instance.stop()


class Inbox:
    """Collects values and lets a test wait for a number of them, never sleeping blindly."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self._changed = asyncio.Event()

    def put(self, item: Any) -> None:
        self.items.append(item)
        self._changed.set()

    async def wait_for(self, count: int, timeout: float = 5.0) -> list[Any]:
        async def reach() -> None:
            while len(self.items) < count:
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(reach(), timeout)
        return list(self.items)
