"""The recording test client: a pursocket client of one namespace that records what arrives.

:func:`pursocket.testing.connect` (and the ``pursocket_connect`` fixture) yields one;
see :class:`RecordingClient`. It is a module of its own, importable without uvicorn,
so that code typed with it (a generated typed API's test clients) does not make a type
checker read the test server's dependencies.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

from pursocket._invoke import invoke
from pursocket._typing import CallHandlerDecorator
from pursocket.client import Client, ClientNamespace
from pursocket.protocol import Direction, EventKind
from pursocket.validation import InvalidInput

__all__ = ["DEFAULT_TIMEOUT", "PROBE_NAMESPACE", "RecordingClient"]

ProtocolT = TypeVar("ProtocolT")
NamespaceT = TypeVar("NamespaceT")
HandlerT = TypeVar("HandlerT", bound=Callable[..., Any])

#: How long ``next`` waits for a message, and ``nothing_more`` for its round trip, by default.
DEFAULT_TIMEOUT = 5.0

#: The namespace the round trip asks the server to connect (followed by the recorded
#: namespace's name, so that recorders of several namespaces can share one client). No
#: protocol declares it, so the server refuses it at once, running none of the app's code.
PROBE_NAMESPACE = "/pursocket-testing-round-trip"

#: How many payloads of one event a failure message quotes, and how much of each.
_QUOTED_PAYLOADS = 5
_QUOTED_CHARS = 200


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
