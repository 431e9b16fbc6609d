"""The typed Socket.IO client: :class:`Client` and :class:`ClientNamespace`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, Generic, TypeVar

import engineio
import socketio
from socketio import packet

from pursocket._calls import PendingCalls
from pursocket._codec import MalformedPacket, PursocketPacket, packet_class, refuse_serializer
from pursocket._routing import InboundEvents, InOrder, LogLimiter, check_outgoing, invoke, spawn
from pursocket._typing import CallHandlerDecorator, MsgHandlerDecorator
from pursocket.errors import CallError, ConnectError, ProtocolError
from pursocket.protocol import Direction, EventKind, NamespaceSpec, ProtocolModel, read_protocol
from pursocket.reasons import DisconnectReason
from pursocket.validation import EventValidators, InvalidValue, auth_validator, build_validators

__all__ = ["Client", "ClientNamespace"]

logger = logging.getLogger("pursocket")

ProtocolT = TypeVar("ProtocolT")
NamespaceT = TypeVar("NamespaceT")
HandlerT = TypeVar("HandlerT", bound=Callable[..., Any])

#: The default time a client-to-server Call waits for its acknowledgement, in seconds.
DEFAULT_CALL_TIMEOUT = 5.0
#: The default time ``connect`` waits for every namespace's connect handler to accept.
DEFAULT_CONNECT_TIMEOUT = 10.0
#: How long ``disconnect`` lets queued packets leave before closing the transport.
_FLUSH_TIMEOUT = 1.0


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
        self._by_path: dict[str, ClientNamespace[ProtocolT, Any]] = {}
        #: The underlying ``socketio.AsyncClient``: the escape hatch for anything
        #: pursocket does not wrap. Events emitted through it bypass the protocol.
        self.sio: socketio.AsyncClient = _SocketIOClient(self._by_path, ordered, **options)

    def namespace(self, name: str, *, auth: Any = _NO_AUTH) -> ClientNamespace[ProtocolT, Any]:
        """Declare (or get again) the namespace ``name``; :meth:`connect` connects it.

        ``auth`` is what this namespace sends in its CONNECT packet (the server's
        ``conn.auth``), checked against the namespace's declared ``auth`` when
        :meth:`connect` runs; a namespace given none sends ``connect()``'s ``auth``.
        Each namespace sends its own CONNECT packet, so namespaces with different
        auth types share one connection. Returns the same object on every call (a
        later ``auth`` replaces the earlier one). ``ProtocolError`` if the protocol
        does not declare the namespace.
        """
        namespace = self._namespaces.get(name)
        if namespace is None:
            spec = self.model.namespace(name)
            namespace = ClientNamespace[ProtocolT, Any](self, spec, self._validators)
            self._namespaces[name] = namespace
            self._by_path[spec.path] = namespace
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
        why. Raises :class:`~pursocket.ConnectError` (carrying the server's message
        and data) if a namespace is refused or the server cannot be reached.
        """
        if not self._namespaces:
            raise ProtocolError(
                "Declare at least one namespace with client.namespace(...) before connect()"
            )
        if self.sio.connected:
            raise ConnectError("This client is already connected; call disconnect() first")
        sent = {ns.path: self._checked_auth(ns.spec, auth) for ns in self._namespaces.values()}
        for namespace in self._namespaces.values():
            namespace._refusal = None
        try:
            await self.sio.connect(
                url,
                auth=_AuthByNamespace(sent),
                headers=dict(headers or {}),
                transports=transports,
                namespaces=list(self._by_path),
                socketio_path=socketio_path,
                wait_timeout=wait_timeout,
            )
        except socketio.exceptions.ConnectionError as exc:
            # python-socketio also reports an unreachable server to every namespace's
            # connect_error handler; only a namespace in failed_namespaces was refused.
            refused = [
                ns
                for ns in self._namespaces.values()
                if ns.path in self.sio.failed_namespaces and ns._refusal is not None
            ]
            unanswered = ", ".join(
                f'"{ns.name}"'
                for ns in self._namespaces.values()
                if ns.path not in self.sio.namespaces
            )
            await self.sio.disconnect()
            if refused:
                message, data = refused[0]._refusal or ("", None)
                raise ConnectError(
                    f'The server refused namespace "{refused[0].name}": {message}', data
                ) from None
            if isinstance(exc.__cause__, engineio.exceptions.ConnectionError):
                raise ConnectError(f"Could not connect to {url}: {exc}") from None
            raise ConnectError(
                f"Could not connect to {url}: the server did not accept namespace {unanswered} "
                f"within {wait_timeout:g} s (pass a larger wait_timeout for slow connect handlers)"
            ) from None

    def _checked_auth(self, spec: NamespaceSpec, shared: Any) -> Any:
        own = self._auth.get(spec.name, _NO_AUTH)
        value = shared if own is _NO_AUTH else own
        try:
            return auth_validator(spec)(value)
        except InvalidValue as exc:
            given = (
                "connect(auth=...)" if own is _NO_AUTH else f'namespace("{spec.name}", auth=...)'
            )
            raise ProtocolError(
                f"The auth given to {given} does not fit {spec.auth_path}, the auth namespace "
                f'"{spec.name}" declares: {exc}'
            ) from None

    async def disconnect(self) -> None:
        """Disconnect from the server; waiting Calls fail with ``CallError("disconnected")``.

        The server sees ``DisconnectReason.CLIENT_DISCONNECT`` (Node:
        ``"client namespace disconnect"``).
        """
        eio = self.sio.eio
        if eio.state == "connected":
            # python-socketio closes the transport before its DISCONNECT packets leave,
            # so the server would see "transport close": send them first and let them go.
            for path in list(self.sio.namespaces):
                await self.sio._send_packet(
                    self.sio.packet_class(packet.DISCONNECT, namespace=path)
                )
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(eio.queue.join(), _FLUSH_TIMEOUT)
        await self.sio.disconnect()

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


class ClientNamespace(Generic[ProtocolT, NamespaceT]):
    """One namespace of a :class:`Client`: its handlers, emits and calls.

    Obtain it with ``client.namespace("lobby")``.
    """

    def __init__(
        self,
        client: Client[ProtocolT],
        spec: NamespaceSpec,
        validators: Mapping[tuple[str, Direction, str], EventValidators],
    ) -> None:
        self.client = client
        #: The namespace as the protocol declares it.
        self.spec = spec
        #: The protocol's name for the namespace (``"lobby"``).
        self.name = spec.name
        #: The Socket.IO namespace (``"/lobby"``).
        self.path = spec.path
        self._validators = validators
        self._inbound = InboundEvents(
            spec, Direction.S2C, validators, "client", client.sio._pursocket_log
        )
        self._pending = PendingCalls()
        self._connect_handler: Callable[..., Any] | None = None
        self._disconnect_handler: Callable[..., Any] | None = None
        self._refusal: tuple[str, Any] | None = None
        client.sio.on("connect", self._connected, namespace=spec.path)
        client.sio.on("disconnect", self._disconnected, namespace=spec.path)
        client.sio.on("connect_error", self._refused, namespace=spec.path)

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

        def register(handler: HandlerT) -> HandlerT:
            self._inbound.register(event, EventKind.MSG, handler)
            return handler

        return register

    def on_call(self, event: str) -> CallHandlerDecorator[Any, Any]:
        """Decorator: ``handler(request) -> response`` answers the s2c Call ``event``.

        The return value is sent back as the acknowledgement's single argument.
        Returns the handler unchanged.
        """

        def register(handler: HandlerT) -> HandlerT:
            self._inbound.register(event, EventKind.CALL, handler)
            return handler

        return register

    async def emit(self, event: str, payload: Any) -> None:
        """Send the c2s Msg ``event`` to the server: one EVENT packet, one argument."""
        self._outgoing(event, payload, EventKind.MSG)
        await self.client.sio.emit(event, (payload,), namespace=self.path)

    def _outgoing(self, event: str, payload: Any, kind: EventKind) -> EventValidators:
        return check_outgoing(self.spec, self._validators, Direction.C2S, event, kind, payload)

    async def call(self, event: str, payload: Any, *, timeout: float = DEFAULT_CALL_TIMEOUT) -> Any:
        """Send the c2s Call ``event`` and return the server's validated response.

        Raises :class:`~pursocket.CallTimeout` after ``timeout`` seconds without an
        answer, and :class:`~pursocket.CallError` when the server answers with an
        error (``invalid_payload``, ``handler_error``, ...), answers with something
        that is not the declared response, or the connection ends first (code
        ``disconnected``, raised at once rather than after the timeout).
        """
        validators = self._outgoing(event, payload, EventKind.CALL)
        spec = validators.spec
        if self.sid is None:
            raise CallError(
                "disconnected", "the namespace is not connected", namespace=self.name, event=event
            )

        async def send(on_ack: Callable[..., None]) -> None:
            await self.client.sio.emit(event, (payload,), namespace=self.path, callback=on_ack)

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

    def _refused(self, data: Any = None) -> None:
        if isinstance(data, dict):
            self._refusal = (str(data.get("message", "")), data.get("data"))
        else:
            self._refusal = (str(data), None)

    async def _receive(self, pkt: PursocketPacket) -> None:
        wants_ack = pkt.id is not None
        reply = await self._inbound.dispatch(
            pkt.data,
            checked=pkt.checked,
            rejection=pkt.rejection,
            leading=(),
            wants_ack=wants_ack,
            peer="the server",
        )
        if wants_ack:
            sio = self.client.sio

            async def send(argument: Any, binary: bool | None) -> None:
                await sio._send_packet(
                    sio.packet_class(
                        packet.ACK,
                        namespace=self.path,
                        id=pkt.id,
                        data=[argument],
                        binary=binary,
                    )
                )

            await self._inbound.answer(send, pkt.data[0], reply, "the server")


class _SocketIOClient(socketio.AsyncClient):  # type: ignore[misc]
    """``socketio.AsyncClient`` whose packets go through pursocket's trust boundary.

    EVENT packets go to pursocket's namespaces, each in its own task (so a handler
    may itself await a Call) or, with ``ordered``, one after another. A packet that
    is not well-formed Socket.IO is dropped with one rate-limited log line.
    """

    def __init__(
        self, routes: Mapping[str, ClientNamespace[Any, Any]], ordered: bool, **options: Any
    ) -> None:
        super().__init__(**options)
        self._pursocket_namespaces = routes
        self._pursocket_log = LogLimiter()
        self._pursocket_in_order = InOrder() if ordered else None
        # What a server's connect handler sends arrives before the namespace's CONNECT
        # packet, and more may arrive while this side's connect handler runs: hold it
        # (as the JS client does) and deliver it in order once that handler is done.
        self._pursocket_ready: set[str] = set()
        self._pursocket_early: dict[str, list[PursocketPacket]] = {}

    async def _handle_connect(self, namespace: str | None, data: Any) -> None:
        await super()._handle_connect(namespace, data)
        path = namespace or "/"
        if path in self.namespaces and path not in self._pursocket_ready:
            self._pursocket_ready.add(path)
            for pkt in self._pursocket_early.pop(path, []):
                self._pursocket_dispatch(pkt)

    async def _handle_disconnect(self, namespace: str | None) -> None:
        self._pursocket_forget(namespace or "/")
        await super()._handle_disconnect(namespace)

    async def _handle_error(self, namespace: str | None, data: Any) -> None:
        self._pursocket_forget(namespace or "/")
        await super()._handle_error(namespace, data)

    async def _handle_eio_disconnect(self, reason: Any = None) -> None:
        self._pursocket_ready.clear()
        self._pursocket_early.clear()
        await super()._handle_eio_disconnect(reason)

    async def _send_packet(self, pkt: packet.Packet) -> None:
        # python-socketio puts one auth in every namespace's CONNECT packet (``{}`` for
        # none); each namespace sends its own, and nothing when it has none.
        if pkt.packet_type == packet.CONNECT and isinstance(self.connection_auth, _AuthByNamespace):
            pkt.data = self.connection_auth.get(pkt.namespace or "/")
        await super()._send_packet(pkt)

    def _pursocket_forget(self, path: str) -> None:
        self._pursocket_ready.discard(path)
        self._pursocket_early.pop(path, None)

    async def _handle_eio_message(self, data: Any) -> None:
        try:
            await self._pursocket_message(data)
        except Exception as exc:  # whatever a server sends, it gets no traceback in the log
            self._binary_packet = None
            reason = str(exc) if isinstance(exc, MalformedPacket) else repr(exc)
            self._pursocket_log.log(
                logging.WARNING, "server", "Dropped a packet from the server: %s", reason
            )

    async def _pursocket_message(self, data: Any) -> None:
        pending = self._binary_packet
        if pending is not None:
            if pending.add_attachment(data):
                self._binary_packet = None
                await self._pursocket_complete(pending)
            return
        pkt = self.packet_class(encoded_packet=data)
        kind = pkt.packet_type
        if kind == packet.CONNECT:
            await self._handle_connect(pkt.namespace, pkt.data)
        elif kind == packet.DISCONNECT:
            await self._handle_disconnect(pkt.namespace)
        elif kind in (packet.EVENT, packet.ACK):
            await self._pursocket_complete(pkt)
        elif kind in (packet.BINARY_EVENT, packet.BINARY_ACK):
            self._binary_packet = pkt
        else:
            await self._handle_error(pkt.namespace, pkt.data)

    async def _pursocket_complete(self, pkt: PursocketPacket) -> None:
        if pkt.packet_type in (packet.ACK, packet.BINARY_ACK):
            await self._handle_ack(pkt.namespace, pkt.id, pkt.data)
            return
        path = pkt.namespace or "/"
        if path not in self._pursocket_namespaces:
            return
        if path in self._pursocket_ready:
            self._pursocket_dispatch(pkt)
        else:
            self._pursocket_early.setdefault(path, []).append(pkt)

    def _pursocket_dispatch(self, pkt: PursocketPacket) -> None:
        job = self._pursocket_namespaces[pkt.namespace or "/"]._receive(pkt)
        if self._pursocket_in_order is None:
            spawn(job)
        else:
            self._pursocket_in_order.submit("server", job)


class _AuthByNamespace(dict[str, Any]):
    """The auth of each namespace path, handed to python-socketio as its ``auth``.

    python-socketio sends one auth in every namespace's CONNECT packet;
    ``_SocketIOClient`` puts each namespace's own in its packet instead.
    """
