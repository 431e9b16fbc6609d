"""Clients that send what pursocket's own client never would, for the trust-boundary tests."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
import socketio

from pursocket import Client, Server
from tests.protocol_forms import FormsProtocol


def forms_server(**options: Any) -> Server[Any]:
    """A Forms server (``options`` for ``Server``) whose ``lookup`` Call echoes a shape."""
    server = Server(FormsProtocol, **options)
    forms = server.namespace("forms")

    @forms.on_call("lookup")
    def lookup(conn: Any, name: str) -> Any:
        return {"name": name}

    return server


async def healthy(url: str) -> None:
    """A fresh pursocket client can connect to a ``forms_server`` and complete a Call."""
    client = Client(FormsProtocol, reconnection=False)
    forms = client.namespace("forms")
    async with client:
        await client.connect(url)
        assert await forms.call("lookup", "ping") == {"name": "ping"}


class RawSocket:
    """An Engine.IO 4 websocket driven by hand: it sends whatever text or bytes a test gives it."""

    def __init__(self, session: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._session = session
        self._ws = ws

    @classmethod
    async def open(cls, url: str, namespace: str = "/forms") -> RawSocket:
        """Connect to ``url`` and join ``namespace`` (a CONNECT packet, answered by CONNECT)."""
        session = aiohttp.ClientSession()
        ws_url = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        ws = await session.ws_connect(ws_url)
        raw = cls(session, ws)
        assert (await raw.next_text()).startswith("0{")
        await raw.send("0" if namespace == "/" else f"0{namespace},")
        assert (await raw.next_text()).startswith("40")
        return raw

    async def send(self, packet: str) -> None:
        """Send one Socket.IO packet (text) inside an Engine.IO MESSAGE."""
        await self._ws.send_str("4" + packet)

    async def send_bytes(self, data: bytes) -> None:
        """Send one binary frame (a Socket.IO binary attachment)."""
        await self._ws.send_bytes(data)

    async def send_frame(self, text: str) -> None:
        """Send one text frame as it is, not wrapped in an Engine.IO MESSAGE."""
        await self._ws.send_str(text)

    @property
    def close_code(self) -> int | None:
        """The websocket close code the server sent, once it has closed the connection."""
        return self._ws.close_code

    async def next_text(self, timeout: float = 5.0) -> str:
        """The next Engine.IO text frame other than a ping (pings are answered)."""
        while True:
            message = await self._ws.receive(timeout)
            if message.type is not aiohttp.WSMsgType.TEXT:
                raise ConnectionError(f"expected a text frame, got {message.type!r}")
            if message.data == "2":
                await self._ws.send_str("3")
                continue
            return str(message.data)

    async def closed_by_server(self, timeout: float = 5.0) -> bool:
        """Wait until the server closes the connection; ``False`` if it is still open."""
        try:
            return await asyncio.wait_for(self._until_closed(), timeout)
        except asyncio.TimeoutError:
            return False

    async def _until_closed(self) -> bool:
        while True:
            message = await self._ws.receive()
            if message.type in (
                aiohttp.WSMsgType.CLOSE,
                aiohttp.WSMsgType.CLOSED,
                aiohttp.WSMsgType.CLOSING,
                aiohttp.WSMsgType.ERROR,
            ):
                return True
            if message.type is aiohttp.WSMsgType.TEXT and message.data.startswith("41"):
                return True  # a Socket.IO DISCONNECT for the namespace
            if message.data == "2":
                await self._ws.send_str("3")

    async def close(self) -> None:
        """Close the websocket and its HTTP session."""
        await self._ws.close()
        await self._session.close()

    async def drop(self) -> None:
        """Drop the connection without a websocket close handshake."""
        await self._session.close()


async def raw_client(url: str, namespace: str = "/forms", **options: Any) -> socketio.AsyncClient:
    """A plain python-socketio client (its default JSON), connected over websocket."""
    client = socketio.AsyncClient(handle_sigint=False, reconnection=False, **options)
    await client.connect(url, namespaces=[namespace], transports=["websocket"], wait_timeout=5)
    return client


@asynccontextmanager
async def attacker_and_bystander(url: str) -> AsyncIterator[tuple[RawSocket, socketio.AsyncClient]]:
    """A hand-driven websocket (the attacker) and a plain client (the bystander) on /forms."""
    bystander = await raw_client(url)
    attacker = await RawSocket.open(url)
    try:
        yield attacker, bystander
    finally:
        await attacker.close()
        await bystander.disconnect()


async def frame_closes_only_its_websocket(
    url: str, frame: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Send ``frame`` as it is on a fresh websocket: the server must close that websocket
    and still answer a bystander.

    uvicorn's loggers do not propagate: while the frame is handled they also log into
    ``caplog``, where an exception escaping the app would show.
    """
    uvicorn_logger = logging.getLogger("uvicorn")
    uvicorn_logger.addHandler(caplog.handler)
    try:
        async with attacker_and_bystander(url) as (attacker, bystander):
            await attacker.send_frame(frame)
            assert await attacker.closed_by_server()
            answer = await bystander.call("lookup", "fine", namespace="/forms", timeout=5)
            assert answer == {"name": "fine"}
    finally:
        uvicorn_logger.removeHandler(caplog.handler)


@asynccontextmanager
async def silent_client(url: str) -> AsyncIterator[socketio.AsyncClient]:
    """A plain client on /forms that takes the server's ``ask`` Calls and never answers."""
    client = await raw_client(url)
    never = asyncio.Event()

    async def ask(request: Any) -> None:
        await never.wait()

    client.on("ask", ask, namespace="/forms")
    try:
        yield client
    finally:
        never.set()
        await client.disconnect()


def pursocket_records(caplog: Any, level: int = logging.DEBUG) -> list[logging.LogRecord]:
    """The records the ``pursocket`` logger emitted at ``level`` or above."""
    return [r for r in caplog.records if r.name == "pursocket" and r.levelno >= level]
