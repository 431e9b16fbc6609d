"""The typed Socket.IO client: :class:`Client` and :class:`ClientNamespace`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping
from types import TracebackType
from typing import Any, Generic, TypeVar

import engineio
import socketio

from pursocket._calls import DEFAULT_CALL_TIMEOUT, PendingCalls
from pursocket._codec import PursocketPacket, packet_class, refuse_serializer
from pursocket._invoke import invoke
from pursocket._logging import LogLimiter, logger
from pursocket._namespace import NamespaceBase
from pursocket._sio_client import (
    AuthByNamespace,
    ClientRoute,
    ClosedWhileConnecting,
    SocketIOClient,
)
from pursocket._tasks import InOrder
from pursocket._typing import CallHandlerDecorator, MsgHandlerDecorator
from pursocket.errors import CallError, ConnectError, ProtocolError
from pursocket.protocol import Direction, EventKind, NamespaceSpec, ProtocolModel, read_protocol
from pursocket.reasons import DisconnectReason
from pursocket.validation import EventValidators, InvalidValue, auth_validator, build_validators

__all__ = ["Client", "ClientNamespace"]

ProtocolT = TypeVar("ProtocolT")
NamespaceT = TypeVar("NamespaceT")
HandlerT = TypeVar("HandlerT", bound=Callable[..., Any])

#: The default time ``connect`` waits for every namespace's connect handler to accept.
DEFAULT_CONNECT_TIMEOUT = 10.0


class _NoAuth:
    """The ``auth`` of a namespace that was given none: it sends ``connect()``'s."""

    def __repr__(self) -> str:
        return "<no auth of its own>"


_NO_AUTH: Any = _NoAuth()


class Client(Generic[ProtocolT]):
    """A Socket.IO client that speaks one protocol.

    ``Client(AppProtocol)`` reads the protocol once (raising
    :class:`~pursocket.ProtocolError` if it is malformed). Keyword options pass
    through to ``socketio.AsyncClient`` (``reconnection=False``, for example); the
    client never installs a process-wide signal handler. ``validate=False`` trusts
    the server's payloads and responses without checking them;
    ``validate_outgoing=True`` also checks what this client sends (a bad payload
    raises ``ProtocolError``). ``ordered=True`` handles the server's events one
    after another in arrival order instead of concurrently.

    Declare the namespaces to use with :meth:`namespace` before :meth:`connect`.
    ``async with Client(AppProtocol) as client:`` disconnects on exit.
    """

    def __init__(
        self,
        protocol: type[ProtocolT],
        *,
        validate: bool = True,
        validate_outgoing: bool = False,
        ordered: bool = False,
        **options: Any,
    ) -> None:
        self.protocol = protocol
        #: The protocol as pursocket reads it.
        self.model: ProtocolModel = read_protocol(protocol)
        self._validators = build_validators(
            self.model, incoming=validate, outgoing=validate_outgoing
        )
        options["handle_sigint"] = False
        refuse_serializer(options)
        # The client sets no size limit on what its server sends, as python-socketio.
        options["serializer"] = packet_class(
            self._validators, Direction.S2C, max_attachment_bytes=None
        )
        self._namespaces: dict[str, ClientNamespace[ProtocolT, Any]] = {}
        self._auth: dict[str, Any] = {}
        self._log = LogLimiter()
        # The namespaces declared so far, by path; namespace() adds to it until connect().
        self._routes: dict[str, ClientRoute] = {}
        #: The underlying ``socketio.AsyncClient``: the escape hatch for anything
        #: pursocket does not wrap. Events emitted through it bypass the protocol.
        self.sio: socketio.AsyncClient = SocketIOClient(
            routes=self._routes, log=self._log, in_order=InOrder() if ordered else None, **options
        )

    def namespace(self, name: str, *, auth: Any = _NO_AUTH) -> ClientNamespace[ProtocolT, Any]:
        """Declare (or get again) the namespace ``name``; :meth:`connect` connects it.

        ``auth`` is what this namespace sends in its CONNECT packet (the server's
        ``conn.auth``), checked against the namespace's declared ``auth`` when
        :meth:`connect` runs (a mapping or ``None`` where it declares none: Socket.IO
        sends auth as a JSON object); a namespace given none sends ``connect()``'s ``auth``.
        Each namespace sends its own CONNECT packet, so namespaces with different
        auth types share one connection. Returns the same object on every call (a
        later ``auth`` replaces the earlier one). ``ProtocolError`` if the protocol
        does not declare the namespace. Without the mypy plugin or the generated typed API (``pursocket export python``)
        the handle's event names are ``str`` and its payloads ``Any``.
        """
        namespace = self._namespaces.get(name)
        if namespace is None:
            spec = self.model.namespace(name)
            namespace = ClientNamespace[ProtocolT, Any](
                self, spec, self._validators, log=self._log, routes=self._routes
            )
            self._namespaces[name] = namespace
        if auth is not _NO_AUTH:
            self._auth[name] = auth
        return namespace

    async def connect(
        self,
        url: str,
        *,
        auth: Any = None,
        headers: Mapping[str, str] | None = None,
        transports: list[str] | None = None,
        socketio_path: str = "socket.io",
        wait_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    ) -> None:
        """Connect every namespace declared with :meth:`namespace`.

        Returns once the server has accepted each one, waiting up to ``wait_timeout``
        seconds for its connect handlers. ``auth`` is sent in the CONNECT packet of
        every namespace that was given no auth of its own (nothing is sent for
        ``None``). Before anything is sent, each namespace's auth is checked against
        the auth its protocol declares: ``ProtocolError`` says which does not fit and
        why. Raises :class:`~pursocket.ConnectError` if a namespace is refused (a
        CONNECT_ERROR packet: the error carries the server's message and data), if the
        server cannot be reached, if it closes the connection before answering every
        namespace's CONNECT packet (raised as it closes: a server does so for a CONNECT
        packet, auth included, over its message size limit, and the error then gives
        the packet's size), or if it has not answered within ``wait_timeout``. A failed
        ``connect`` leaves no reconnection running.
        """
        if not self._namespaces:
            raise ProtocolError(
                "Declare at least one namespace with client.namespace(...) before connect()"
            )
        if self.sio.connected:
            raise ConnectError("This client is already connected; call disconnect() first")
        sent = {ns.path: self._checked_auth(ns.spec, auth) for ns in self._namespaces.values()}
        self.sio.forget_refusals()
        try:
            await self.sio.connect(
                url,
                auth=AuthByNamespace(sent),
                headers=dict(headers or {}),
                transports=transports,
                namespaces=list(self._routes),
                socketio_path=socketio_path,
                wait_timeout=wait_timeout,
            )
        except socketio.exceptions.ConnectionError as exc:
            # python-socketio also reports an unreachable server to every namespace's
            # connect_error handler; only a namespace in failed_namespaces was refused.
            refused = [
                (ns, refusal)
                for ns in self._namespaces.values()
                if (refusal := self.sio.refusal(ns.path)) is not None
            ]
            unanswered = ", ".join(
                f'"{ns.name}"'
                for ns in self._namespaces.values()
                if ns.path not in self.sio.namespaces
            )
            await self.sio.disconnect()
            if refused:
                namespace, (message, data) = refused[0]
                raise ConnectError(
                    f'The server refused namespace "{namespace.name}": {message}', data
                ) from None
            if isinstance(exc.__cause__, engineio.exceptions.ConnectionError):
                raise ConnectError(f"Could not connect to {url}: {exc}") from None
            closed = self.sio.closed_while_connecting()
            if closed is not None:
                raise ConnectError(f"Could not connect to {url}: {self._closed(closed)}") from None
            raise ConnectError(
                f"Could not connect to {url}: the server did not accept namespace {unanswered} "
                f"within {wait_timeout:g} s (pass a larger wait_timeout for slow connect handlers)"
            ) from None

    def _closed(self, closed: ClosedWhileConnecting) -> str:
        """Why ``connect`` failed when the server closed the connection before answering."""
        names = {ns.path: ns.name for ns in self._namespaces.values()}
        unanswered = ", ".join(f'"{names[path]}"' for path in closed.unanswered)
        message = (
            f"the server closed the connection ({closed.reason.value}) before it accepted "
            f"namespace {unanswered}"
        )
        if closed.reason is not DisconnectReason.TRANSPORT_ERROR or not closed.auth_packet_bytes:
            return message
        # A server closes the transport of a client that sends a message over its limit.
        path, size = max(closed.auth_packet_bytes.items(), key=lambda item: item[1])
        return (
            f'{message}: if the auth of namespace "{names[path]}" (a CONNECT packet of {size} '
            "bytes) is more than the server accepts in one message "
            "(Server(max_http_buffer_size=...), 1,000,000 bytes by default), send a smaller "
            "auth or raise that limit"
        )

    def _checked_auth(self, spec: NamespaceSpec, shared: Any) -> Any:
        own = self._auth.get(spec.name, _NO_AUTH)
        value = shared if own is _NO_AUTH else own
        given = "connect(auth=...)" if own is _NO_AUTH else f'namespace("{spec.name}", auth=...)'
        if spec.auth_type is None:
            # Socket.IO sends auth as a JSON object, and a server refuses anything else.
            if value is None or isinstance(value, Mapping):
                return value if value is None else dict(value)
            raise ProtocolError(
                f"The auth given to {given} must be a mapping (sent as a JSON object) or "
                f"None, not {type(value).__name__}: Socket.IO sends auth as an object, and "
                f'the server refuses anything else (namespace "{spec.name}" declares no auth type)'
            )
        try:
            return auth_validator(spec)(value)
        except InvalidValue as exc:
            raise ProtocolError(
                f"The auth given to {given} does not fit {spec.auth_path}, the auth namespace "
                f'"{spec.name}" declares: {exc}'
            ) from None

    async def disconnect(self) -> None:
        """Disconnect from the server; waiting Calls fail with ``CallError("disconnected")``.

        The server sees ``DisconnectReason.CLIENT_DISCONNECT`` (Node:
        ``"client namespace disconnect"``).
        """
        await self.sio.disconnect_after_flush()

    async def wait(self) -> None:
        """Wait until the client is disconnected for good (no more reconnection)."""
        await self.sio.wait()

    @property
    def connected(self) -> bool:
        """Whether the client is connected."""
        return bool(self.sio.connected)

    async def __aenter__(self) -> Client[ProtocolT]:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.disconnect()


class ClientNamespace(NamespaceBase, Generic[ProtocolT, NamespaceT]):
    """One namespace of a :class:`Client`: its handlers, emits and calls.

    Obtain it with ``client.namespace("lobby")``.
    """

    def __init__(
        self,
        client: Client[ProtocolT],
        spec: NamespaceSpec,
        validators: Mapping[tuple[str, Direction, str], EventValidators],
        *,
        log: LogLimiter,
        routes: MutableMapping[str, ClientRoute],
    ) -> None:
        super().__init__(spec, validators, receives=Direction.S2C, side="client", log=log)
        self.client = client
        self._pending = PendingCalls()
        # Where the Socket.IO client delivers this namespace's events.
        routes[spec.path] = ClientRoute(spec=spec, receive=self._receive)
        client.sio.on("connect", self._connected, namespace=spec.path)
        client.sio.on("disconnect", self._disconnected, namespace=spec.path)

    @property
    def sid(self) -> str | None:
        """This namespace's Socket.IO id, or ``None`` while not connected."""
        sid: str | None = self.client.sio.get_sid(self.path)
        return sid

    def on_connect(self, handler: HandlerT) -> HandlerT:
        """Register ``handler()``, run each time this namespace (re)connects."""
        self._connect_handler = handler
        return handler

    def on_disconnect(self, handler: HandlerT) -> HandlerT:
        """Register ``handler(reason)``, run when this namespace's connection ends."""
        self._disconnect_handler = handler
        return handler

    def on_invalid(self, handler: HandlerT) -> HandlerT:
        """Register ``handler(offence)``, run for each server event this namespace refuses.

        ``offence`` is a :class:`~pursocket.InvalidInput`; the event has
        already been refused (and a Call answered with an error) when it runs.
        """
        self._inbound.on_invalid = handler
        return handler

    def on(self, event: str) -> MsgHandlerDecorator[Any, Any]:
        """Decorator: ``handler(payload)`` handles the server-to-client Msg ``event``.

        Returns the handler unchanged. ``ProtocolError`` if ``event`` is not an s2c
        Msg of this namespace, or already has a handler.
        """
        return self._registrar(event, EventKind.MSG)

    def on_call(self, event: str) -> CallHandlerDecorator[Any, Any]:
        """Decorator: ``handler(request) -> response`` answers the s2c Call ``event``.

        The return value is sent back as the acknowledgement's single argument.
        Returns the handler unchanged.
        """
        return self._registrar(event, EventKind.CALL)

    async def emit(self, event: str, payload: Any) -> None:
        """Send the c2s Msg ``event`` to the server: one EVENT packet, one argument."""
        _, arguments = self._outgoing.check(event, EventKind.MSG, payload)
        await self.client.sio.emit(event, arguments, namespace=self.path)

    async def call(self, event: str, payload: Any, *, timeout: float = DEFAULT_CALL_TIMEOUT) -> Any:
        """Send the c2s Call ``event`` and return the server's validated response.

        Raises :class:`~pursocket.CallTimeout` after ``timeout`` seconds without an
        answer, and :class:`~pursocket.CallError` when the server answers with an
        error (``invalid_payload``, ``handler_error``, ...), answers with something
        that is not the declared response, or the connection ends first (code
        ``disconnected``, raised at once rather than after the timeout).
        Without the mypy plugin or the generated typed API (``pursocket export python``) the
        payload and the result are typed ``Any``.
        """
        validators, arguments = self._outgoing.check(event, EventKind.CALL, payload)
        spec = validators.spec
        if self.sid is None:
            raise CallError(
                "disconnected", "the namespace is not connected", namespace=self.name, event=event
            )

        async def send(on_ack: Callable[..., None]) -> None:
            await self.client.sio.emit(event, arguments, namespace=self.path, callback=on_ack)

        return await self._pending.call(self.path, spec, send, timeout, validators.response)

    async def _connected(self) -> None:
        if self._connect_handler is not None:
            try:
                await invoke(self._connect_handler)
            except Exception:
                logger.exception('Connect handler of client namespace "%s" raised', self.name)

    async def _disconnected(self, reason: Any = None) -> None:
        self._pending.fail(self.path, "disconnected", "the connection ended before an answer came")
        if self._disconnect_handler is not None:
            try:
                await invoke(self._disconnect_handler, DisconnectReason.from_socketio(reason))
            except Exception:
                logger.exception('Disconnect handler of client namespace "%s" raised', self.name)

    async def _receive(self, pkt: PursocketPacket) -> None:
        await self._handle_event(
            pkt, leading=(), peer="the server", acknowledge=self.client.sio.acknowledge
        )
