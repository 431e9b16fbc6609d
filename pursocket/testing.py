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
from typing import Any, Generic, TypeVar

from pursocket._invoke import invoke
from pursocket._typing import CallHandlerDecorator
from pursocket.client import Client, ClientNamespace
from pursocket.protocol import Direction, EventKind
from pursocket.server import Server
from pursocket.validation import InvalidInput

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
NamespaceT = TypeVar("NamespaceT")
HandlerT = TypeVar("HandlerT", bound=Callable[..., Any])

#: An ASGI application: ``await app(scope, receive, send)``.
ASGIApp = Callable[[Any, Any, Any], Awaitable[None]]

#: How long ``next`` waits for a message, and ``nothing_more`` for its round trip, by default.
DEFAULT_TIMEOUT = 5.0

#: The namespace the round trip asks the server to connect (followed by the recorded
#: namespace's name, so that recorders of several namespaces can share one client). No
#: protocol declares it, so the server refuses it at once, running none of the app's code.
PROBE_NAMESPACE = "/pursocket-testing-round-trip"

#: How long serve's exit lets the app finish requests of connections already closed.
_FINISHING_TIMEOUT = 5.0

#: How many payloads of one event a failure message quotes, and how much of each.
_QUOTED_PAYLOADS = 5
_QUOTED_CHARS = 200


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


class RecordingClient(Generic[ProtocolT, NamespaceT]):
    """A client of one namespace that records everything the server sends it.

    Obtain it from :func:`connect` (or the ``pursocket_connect`` fixture). Every
    server-to-client Msg is recorded in arrival order, per event; ``next`` hands them
    out one at a time, ``received`` shows them all. The server's Calls are answered by
    what the test registers with :meth:`answer` or :meth:`on_call`. Events the server
    sends that break the protocol are refused as on any pursocket client, and listed
    in failure messages.
    """

    def __init__(
        self, client: Client[ProtocolT], namespace: ClientNamespace[ProtocolT, NamespaceT]
    ) -> None:
        #: The underlying pursocket client.
        self.client = client
        #: Its namespace handle; register further handlers on it before connecting.
        self.namespace = namespace
        self._messages: dict[str, list[Any]] = {}
        self._taken: dict[str, int] = {}
        self._invalid: list[InvalidInput] = []
        self._arrived = asyncio.Event()
        self._answers: dict[str, Callable[[Any], Any]] = {}
        self._round_trip = asyncio.Lock()
        self._round_trip_answer: asyncio.Future[None] | None = None
        for event in namespace.spec.events(Direction.S2C).values():
            if event.kind is EventKind.MSG:
                self._messages[event.name] = []
                self._taken[event.name] = 0
                namespace.on(event.name)(self._recorder(event.name))
            else:
                namespace.on_call(event.name)(self._answerer(event.name))
        namespace.on_invalid(self._refused)
        self._probe = f"{PROBE_NAMESPACE}-{namespace.name.strip('/')}"
        client.sio.on("connect_error", self._round_trip_refused, namespace=self._probe)

    @property
    def sid(self) -> str | None:
        """The namespace's Socket.IO id (``None`` once disconnected)."""
        return self.namespace.sid

    async def emit(self, event: str, payload: Any) -> None:
        """Send the c2s Msg ``event`` to the server, as ``ClientNamespace.emit``."""
        await self.namespace.emit(event, payload)

    async def call(self, event: str, payload: Any, *, timeout: float = DEFAULT_TIMEOUT) -> Any:
        """Send the c2s Call ``event`` and return the server's response, as ``ClientNamespace.call``.

        Raises :class:`~pursocket.CallError` when the server answers with an error
        (an invalid payload's ``invalid_payload``, a failed handler's
        ``handler_error``, ...) and :class:`~pursocket.CallTimeout` without an answer.
        """
        return await self.namespace.call(event, payload, timeout=timeout)

    async def next(self, event: str, *, timeout: float = DEFAULT_TIMEOUT) -> Any:
        """The next ``event`` Msg from the server that ``next`` has not returned yet.

        Returns at once if one has already arrived, else waits for it. Raises
        ``AssertionError`` after ``timeout`` seconds, naming everything that did
        arrive (events, counts and payloads).
        """
        messages = self._recorded(event)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(messages) <= self._taken[event]:
            self._arrived.clear()
            remaining = deadline - loop.time()
            try:
                await asyncio.wait_for(self._arrived.wait(), max(remaining, 0))
            except asyncio.TimeoutError:
                raise AssertionError(
                    f'No "{event}" arrived in namespace "{self.namespace.name}" within '
                    f"{timeout:g} s; {self._summary(event)}"
                ) from None
        payload = messages[self._taken[event]]
        self._taken[event] += 1
        return payload

    def received(self, event: str) -> list[Any]:
        """Every ``event`` Msg the server has sent so far, in arrival order (a copy)."""
        return list(self._recorded(event))

    async def nothing_more(self, event: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Assert that no ``event`` Msg has arrived beyond those ``next`` returned.

        Proven by :meth:`round_trip`, not by waiting: every packet the server sent
        this client before it answered the round trip has been recorded when the check
        is made. Raises ``AssertionError`` naming what arrived.
        """
        messages = self._recorded(event)
        await self.round_trip(timeout=timeout)
        extra = messages[self._taken[event] :]
        if extra:
            raise AssertionError(
                f'Expected no more "{event}" in namespace "{self.namespace.name}", but '
                f"{len(extra)} more arrived: {_quoted(extra)}; {self._summary(event)}"
            )

    async def round_trip(self, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Send the server a packet it must answer, and wait for the answer.

        The packet is a Socket.IO CONNECT for :data:`PROBE_NAMESPACE` (``-lobby``), which no
        protocol declares: the server answers it with a CONNECT_ERROR on this same
        connection, without running any of the app's code. One connection delivers
        packets in order, so when the answer arrives, everything the server had sent
        this client before answering has arrived and been recorded. It proves nothing
        about handlers still running on the server (a handler awaiting a Call or a
        database): wait for something they send before relying on it.
        Raises ``AssertionError`` if no answer comes within ``timeout`` seconds.
        """
        async with self._round_trip:
            answer = self._round_trip_answer = asyncio.get_running_loop().create_future()
            await self.client.sio.send_connect(self._probe)
            try:
                await asyncio.wait_for(answer, timeout)
            except asyncio.TimeoutError:
                raise AssertionError(
                    f'The server did not answer a round trip on namespace "{self.namespace.name}" '
                    f"within {timeout:g} s: is the client still connected, and does the server "
                    f'refuse the undeclared namespace "{self._probe}" as a pursocket server does?'
                ) from None
            finally:
                self._round_trip_answer = None

    def answer(self, event: str, response: Any) -> None:
        """Answer every server Call ``event`` from now on with ``response``.

        Replaces an earlier ``answer``/``on_call`` for the event. Until one is
        registered, a Call ``event`` from the server fails there with
        ``CallError("handler_error")``.
        """
        self._answer_with(event, lambda request: response)

    def on_call(self, event: str) -> CallHandlerDecorator[Any, Any]:
        """Decorator: ``handler(request) -> response`` answers every server Call ``event``.

        The handler may be ``async``; it replaces an earlier ``answer``/``on_call``
        for the event. Returns the handler unchanged.
        """

        def register(handler: HandlerT) -> HandlerT:
            self._answer_with(event, handler)
            return handler

        return register

    def invalid(self) -> list[InvalidInput]:
        """What the server sent that this client refused (events breaking the protocol)."""
        return list(self._invalid)

    async def disconnect(self) -> None:
        """Disconnect now (leaving ``connect``'s block does it too)."""
        await self.client.disconnect()

    def _answer_with(self, event: str, handler: Callable[[Any], Any]) -> None:
        # Raises ProtocolError, naming the declared events, if event is no s2c Call.
        self.namespace.spec.find(Direction.S2C, event, EventKind.CALL)
        self._answers[event] = handler

    def _recorded(self, event: str) -> list[Any]:
        messages = self._messages.get(event)
        if messages is None:
            # Raises ProtocolError, naming the declared events, for anything but an s2c Msg.
            self.namespace.spec.find(Direction.S2C, event, EventKind.MSG)
            raise AssertionError(event)  # pragma: no cover - every s2c Msg is recorded
        return messages

    def _recorder(self, event: str) -> Callable[[Any], None]:
        # A plain function: pursocket runs it as soon as the packet is read, before any
        # later packet of the connection, which is what round_trip relies on.
        messages = self._messages[event]

        def record(payload: Any) -> None:
            messages.append(payload)
            self._arrived.set()

        return record

    def _answerer(self, event: str) -> Callable[[Any], Awaitable[Any]]:
        async def answer(request: Any) -> Any:
            handler = self._answers.get(event)
            if handler is None:
                raise LookupError(
                    f'The test client has no answer for the server\'s Call "{event}" in '
                    f'namespace "{self.namespace.name}": register one with '
                    f'answer("{event}", response) or @on_call("{event}")'
                )
            return await invoke(handler, request)

        return answer

    def _refused(self, offence: InvalidInput) -> None:
        self._invalid.append(offence)
        self._arrived.set()

    def _round_trip_refused(self, *data: Any) -> None:
        answer = self._round_trip_answer
        if answer is not None and not answer.done():
            answer.set_result(None)

    def _summary(self, event: str) -> str:
        """What arrived, for a failure message: each event with its count and payloads."""
        parts = []
        for name, messages in self._messages.items():
            if not messages:
                continue
            taken = self._taken[name]
            note = f", {taken} of them already returned by next()" if taken else ""
            parts.append(f'"{name}" {len(messages)}x ({_quoted(messages)}{note})')
        arrived = "what arrived: " + "; ".join(parts) if parts else "nothing arrived at all"
        if self._invalid:
            refused = "; ".join(f"{o.event!r}: {o.reason}" for o in self._invalid)
            arrived += f"; refused as breaking the protocol: {refused}"
        return arrived


def _quoted(payloads: list[Any]) -> str:
    shown = []
    for payload in payloads[:_QUOTED_PAYLOADS]:
        text = repr(payload)
        shown.append(text if len(text) <= _QUOTED_CHARS else text[:_QUOTED_CHARS] + "...")
    more = len(payloads) - _QUOTED_PAYLOADS
    if more > 0:
        shown.append(f"and {more} more")
    return ", ".join(shown)


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
