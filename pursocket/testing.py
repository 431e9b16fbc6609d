"""Testing a pursocket app: serve it for real on 127.0.0.1 and talk to it with recording clients.

``serve(server)`` runs the app's own ASGI application under uvicorn on a free loopback
port, inside the running event loop (no thread, no subprocess), and yields its URL.
``connect(AppProtocol, url, "lobby")`` yields a :class:`RecordingClient`: a real
pursocket :class:`~pursocket.Client` connected over a websocket to one namespace, which
records every server-to-client Msg, answers the server's Calls as the test tells it,
and lets the test wait for what arrives (``next``), read it (``received``), and prove
that nothing more arrived (``nothing_more``) by a round trip through the server rather
than by sleeping. With the ``pursocket_mypy`` plugin every event name and payload is
checked, and typed, as on the normal client.

The pytest plugin (:mod:`pursocket.pytest_plugin`, registered on install) offers the
same as the fixtures ``pursocket_serve`` and ``pursocket_connect``. See docs/testing.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Mapping
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any, TypeVar

from pursocket.client import Client
from pursocket.recording import DEFAULT_TIMEOUT as DEFAULT_TIMEOUT
from pursocket.recording import PROBE_NAMESPACE as PROBE_NAMESPACE
from pursocket.recording import RecordingClient
from pursocket.server import Server

try:
    import uvicorn
except ImportError as _uvicorn_missing:  # pragma: no cover - the test extra installs it
    raise ImportError(
        "pursocket.testing serves the app under uvicorn, which is not installed: "
        'pip install "pursocket[testing]"'
    ) from _uvicorn_missing

__all__ = [
    "ConnectFixture",
    "RecordingClient",
    "ServeFixture",
    "connect",
    "serve",
]

ProtocolT = TypeVar("ProtocolT")

#: An ASGI application: ``await app(scope, receive, send)``.
ASGIApp = Callable[[Any, Any, Any], Awaitable[None]]

#: How long serve's exit lets the app finish requests of connections already closed.
_FINISHING_TIMEOUT = 5.0


@asynccontextmanager
async def serve(
    app: Server[Any] | ASGIApp, *, server: Server[Any] | None = None
) -> AsyncIterator[str]:
    """Serve ``app`` on a free port of 127.0.0.1 and yield its URL (``http://127.0.0.1:PORT``).

    ``app`` is a pursocket :class:`~pursocket.Server` (served through
    ``server.asgi_app()``), or an ASGI application that mounts one (a FastAPI app
    passed to ``server.asgi_app(fastapi_app)``, or mounting it), given with
    ``server=`` the pursocket ``Server`` it mounts. uvicorn runs in the current event
    loop, with the app's lifespan events; the listening socket is bound before uvicorn
    starts, so there is no race for the port.

    On exit the server shuts down: Calls it is still waiting for fail with
    ``CallError("shutdown")``, every client receives a DISCONNECT, then uvicorn closes
    its connections and the app's lifespan ends.
    """
    asgi_app: Any = app
    if isinstance(app, Server):
        if server is not None and server is not app:
            raise TypeError("serve(server, server=other): pass the pursocket Server once")
        server, asgi_app = app, app.asgi_app()
    elif server is None:
        raise TypeError(
            "serve(app) with an ASGI application needs server=...: the pursocket Server "
            "that the application mounts, which serve() shuts down on exit"
        )
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port: int = listener.getsockname()[1]
    config = uvicorn.Config(
        asgi_app,
        log_config=None,
        access_log=False,
        lifespan="auto",
        **server.uvicorn_options(),
    )
    uvicorn_server = _InLoopUvicorn(config)
    serving = asyncio.ensure_future(uvicorn_server.serve(sockets=[listener]))
    try:
        await uvicorn_server.wait_started(serving)
        yield f"http://127.0.0.1:{port}"
    finally:
        try:
            await server.shutdown()
        finally:
            uvicorn_server.exit()
            await serving
            listener.close()


class _InLoopUvicorn(uvicorn.Server):
    """uvicorn in the caller's event loop: signals left alone, started and stopped by events.

    uvicorn's own loop polls for its exit flag every 0.1 s and takes over SIGINT; a
    test's server must leave Ctrl-C to pytest and stop as soon as it is told to.
    """

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._started = asyncio.Event()
        self._exit = asyncio.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        """Leave the process's signal handlers to the test runner."""
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Start listening, then tell :meth:`wait_started`."""
        await super().startup(sockets=sockets)
        self._started.set()

    async def main_loop(self) -> None:
        """Serve until :meth:`exit` (one tick first, for uvicorn's default headers)."""
        await self.on_tick(0)
        await self._exit.wait()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's shutdown, without its fixed 0.1 s pause when no connection is open.

        The pause lets open connections start closing; a test's clients have usually
        disconnected already, leaving at most the app's last requests to finish, which
        are awaited as tasks. A suite of a hundred tests should not wait ten seconds.
        """
        if self.server_state.connections:
            await super().shutdown(sockets=sockets)
            return
        for listening in self.servers:
            listening.close()
        finishing = set(self.server_state.tasks)
        if finishing:
            _, stuck = await asyncio.wait(finishing, timeout=_FINISHING_TIMEOUT)
            for task in stuck:
                task.cancel()
        for listening in self.servers:
            await listening.wait_closed()
        await self.lifespan.shutdown()

    async def wait_started(self, serving: asyncio.Future[None]) -> None:
        """Return once uvicorn listens; raise what stopped it if it could not start."""
        started: asyncio.Future[Any] = asyncio.ensure_future(self._started.wait())
        await asyncio.wait([started, serving], return_when=asyncio.FIRST_COMPLETED)
        if not started.done():
            started.cancel()
            serving.result()  # raises uvicorn's failure (a failed lifespan startup, ...)
            raise RuntimeError("uvicorn stopped before it started serving")

    def exit(self) -> None:
        """Stop serving: uvicorn closes its connections and ends the app's lifespan."""
        self.should_exit = True
        self._exit.set()


def connect(
    protocol: type[ProtocolT],
    url: str,
    namespace: str,
    *,
    auth: Any = None,
    headers: Mapping[str, str] | None = None,
    transports: list[str] | None = None,
    wait_timeout: float = DEFAULT_TIMEOUT,
) -> AbstractAsyncContextManager[RecordingClient[ProtocolT, Any]]:
    """Connect a :class:`RecordingClient` of ``protocol`` to ``namespace`` at ``url``.

    ``async with connect(AppProtocol, url, "lobby", auth={"token": "t"}) as alice:``
    yields the client once the server has accepted it (its connect handler has
    returned), and disconnects it on exit. It is a real pursocket ``Client``
    (validating what the server sends, never reconnecting) on a websocket, unless
    ``transports`` says otherwise. ``auth`` is sent in the CONNECT packet.

    A refused connection raises :class:`~pursocket.ConnectError` on entry, carrying
    the server's message (``'The server refused namespace "lobby": <message>'``) and
    its data as ``.data``; an unreachable server raises it too.
    """
    return _connected(protocol, url, namespace, auth, headers, transports, wait_timeout)


@asynccontextmanager
async def _connected(
    protocol: type[ProtocolT],
    url: str,
    namespace: str,
    auth: Any,
    headers: Mapping[str, str] | None,
    transports: list[str] | None,
    wait_timeout: float,
) -> AsyncIterator[RecordingClient[ProtocolT, Any]]:
    client = Client(protocol, reconnection=False)
    recorder = RecordingClient[ProtocolT, Any](client, client.namespace(namespace))
    async with client:
        await client.connect(
            url,
            auth=auth,
            headers=headers,
            transports=transports or ["websocket"],
            wait_timeout=wait_timeout,
        )
        yield recorder


class ServeFixture:
    """The ``pursocket_serve`` fixture: ``url = await pursocket_serve(server)``.

    Serves each app it is given (as :func:`serve`) until the test ends.
    """

    def __init__(self, stack: AsyncExitStack) -> None:
        self._stack = stack

    async def __call__(
        self, app: Server[Any] | ASGIApp, *, server: Server[Any] | None = None
    ) -> str:
        """Serve ``app`` (see :func:`serve`) until the test ends; return its URL."""
        return await self._stack.enter_async_context(serve(app, server=server))


class ConnectFixture:
    """The ``pursocket_connect`` fixture: ``alice = await pursocket_connect(AppProtocol, url, "lobby")``.

    Connects a :class:`RecordingClient` (as :func:`connect`) that stays connected
    until the test ends.
    """

    def __init__(self, stack: AsyncExitStack) -> None:
        self._stack = stack

    async def __call__(
        self,
        protocol: type[ProtocolT],
        url: str,
        namespace: str,
        *,
        auth: Any = None,
        headers: Mapping[str, str] | None = None,
        transports: list[str] | None = None,
        wait_timeout: float = DEFAULT_TIMEOUT,
    ) -> RecordingClient[ProtocolT, Any]:
        """Connect a recording client (see :func:`connect`), disconnected when the test ends."""
        return await self._stack.enter_async_context(
            connect(
                protocol,
                url,
                namespace,
                auth=auth,
                headers=headers,
                transports=transports,
                wait_timeout=wait_timeout,
            )
        )
