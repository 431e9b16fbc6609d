"""pursocket's ``socketio.AsyncClient``: every packet the server sends passes its trust boundary.

:class:`SocketIOClient` is what ``Client.sio`` is. It is a plain
``socketio.AsyncClient`` for everything pursocket does not wrap, and overrides the
private python-socketio methods listed in ``tests/test_upstream_contract.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

import attrs
import socketio
from socketio import packet

from pursocket._codec import MalformedPacket, PursocketPacket
from pursocket._logging import LogLimiter
from pursocket._tasks import InOrder, run
from pursocket.protocol import RESERVED_EVENT_NAMES, NamespaceSpec
from pursocket.reasons import DisconnectReason

__all__ = ["AuthByNamespace", "ClientRoute", "ClosedWhileConnecting", "SocketIOClient"]


@attrs.frozen
class ClientRoute:
    """Where :class:`SocketIOClient` delivers the events of one declared namespace."""

    spec: NamespaceSpec
    #: Handles one EVENT packet from the server.
    receive: Callable[[PursocketPacket], Coroutine[Any, Any, None]]


class AuthByNamespace(dict[str, Any]):
    """The auth of each namespace path, handed to python-socketio as its ``auth``.

    python-socketio sends one auth in every namespace's CONNECT packet;
    :class:`SocketIOClient` puts each namespace's own in its packet instead.
    """


@attrs.frozen
class ClosedWhileConnecting:
    """The connection closed while ``connect`` waited for namespaces to be accepted."""

    #: python-engineio's reason: ``TRANSPORT_ERROR`` when the transport closed under the
    #: client (the server closed its websocket, or answered a long-polling request with
    #: an error, as it does for a message over its size limit), ``SERVER_DISCONNECT``
    #: when the server sent an Engine.IO CLOSE packet.
    reason: DisconnectReason
    #: The paths of the namespaces the server had neither accepted nor refused.
    unanswered: tuple[str, ...]
    #: The UTF-8 bytes of the CONNECT packet of each of them that carried auth.
    auth_packet_bytes: Mapping[str, int]


#: How long ``disconnect_after_flush`` lets queued packets leave before closing the transport.
_FLUSH_TIMEOUT = 1.0


class SocketIOClient(socketio.AsyncClient):  # type: ignore[misc]
    """``socketio.AsyncClient`` whose packets go through pursocket's trust boundary.

    EVENT packets go to pursocket's namespaces, each in its own task (so a handler
    may itself await a Call) or, with ``in_order``, one after another. An event the
    protocol does not declare goes to python-socketio's own handlers when one is
    registered for it on this object (``on``, a ``"*"`` catch-all,
    ``register_namespace``). A packet that is not well-formed Socket.IO is dropped
    with one rate-limited log line.
    ``routes`` holds the namespaces declared so far; the client adds to it.
    """

    #: python-socketio's option (set by its ``__init__``): reconnect after a transport error.
    reconnection: bool

    def __init__(
        self,
        *,
        routes: Mapping[str, ClientRoute],
        log: LogLimiter,
        in_order: InOrder | None,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self._pursocket_routes = routes
        self._pursocket_log = log
        self._pursocket_in_order = in_order
        # The server's refusal (message, data) of each namespace it refused.
        self._pursocket_refusals: dict[str, tuple[str, Any]] = {}
        # What a server's connect handler sends arrives before the namespace's CONNECT
        # packet, and more may arrive while this side's connect handler runs: hold it
        # (as the JS client does) and deliver it in order once that handler is done.
        self._pursocket_ready: set[str] = set()
        self._pursocket_early: dict[str, list[PursocketPacket]] = {}
        # Set while connect() runs (a reconnection's included).
        self._pursocket_connecting = False
        # The UTF-8 bytes of each CONNECT packet with auth that this connect() sent.
        self._pursocket_auth_bytes: dict[str, int] = {}
        self._pursocket_closed: ClosedWhileConnecting | None = None

    async def connect(self, *args: Any, **kwargs: Any) -> None:
        """python-socketio's ``connect``, ended as soon as the connection closes under it.

        python-socketio's waits for each namespace's CONNECT or CONNECT_ERROR packet
        until its ``wait_timeout``, even once the server has closed the connection (as
        it does for a CONNECT packet over its message size limit). Here a namespace
        still unanswered when the server closes the connection counts as failed at
        once: ``connect`` raises ``socketio.exceptions.ConnectionError`` ("One or more
        namespaces failed to connect"), :meth:`closed_while_connecting` says how, and
        no reconnection starts. A ``disconnect()`` this client makes itself does not
        end the wait (python-socketio's ``connect`` makes one once it has given up).
        """
        self._pursocket_closed = None
        self._pursocket_auth_bytes.clear()
        self._pursocket_connecting = True
        try:
            await super().connect(*args, **kwargs)
        finally:
            self._pursocket_connecting = False

    def closed_while_connecting(self) -> ClosedWhileConnecting | None:
        """How the server closed the connection before the last :meth:`connect` got every answer.

        ``None`` if it did not.
        """
        return self._pursocket_closed

    def refusal(self, path: str) -> tuple[str, Any] | None:
        """The server's (message, data) if it refused ``path`` since :meth:`forget_refusals`."""
        return self._pursocket_refusals.get(path)

    def forget_refusals(self) -> None:
        """Forget the refusals of earlier connection attempts."""
        self._pursocket_refusals.clear()

    async def acknowledge(
        self, namespace: str, ack_id: int, argument: Any, binary: bool | None
    ) -> None:
        """Send the server an ACK packet carrying ``argument``."""
        await self._send_packet(
            self.packet_class(
                packet.ACK, namespace=namespace, id=ack_id, data=[argument], binary=binary
            )
        )

    async def send_connect(self, path: str) -> None:
        """Send a CONNECT packet for namespace ``path`` on the open connection.

        ``pursocket.testing`` asks for an undeclared namespace to make the server
        answer (with CONNECT_ERROR) on this connection: a round trip.
        """
        await self._send_packet(self.packet_class(packet.CONNECT, namespace=path))

    async def disconnect_after_flush(self) -> None:
        """Disconnect, letting every namespace's DISCONNECT packet reach the server first.

        python-socketio closes the transport before its DISCONNECT packets leave, so
        the server would see "transport close" instead of a client disconnect.
        """
        if self.eio.state == "connected":
            for path in list(self.namespaces):
                await self._send_packet(self.packet_class(packet.DISCONNECT, namespace=path))
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.eio.queue.join(), _FLUSH_TIMEOUT)
        await self.disconnect()

    async def _send_packet(self, pkt: packet.Packet) -> None:
        # python-socketio puts one auth in every namespace's CONNECT packet (``{}`` for
        # none); each namespace sends its own, and nothing when it has none. The size of
        # one with auth is kept for connect()'s error, should the server close on it.
        if pkt.packet_type == packet.CONNECT:
            path = pkt.namespace or "/"
            if isinstance(self.connection_auth, AuthByNamespace):
                pkt.data = self.connection_auth.get(path)
            if pkt.data is not None and self._pursocket_connecting:
                self._pursocket_auth_bytes[path] = len(
                    pkt.encode().encode("utf-8", "surrogatepass")
                )
        await super()._send_packet(pkt)

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
        path = namespace or "/"
        self._pursocket_forget(path)
        if isinstance(data, dict):
            self._pursocket_refusals[path] = (str(data.get("message", "")), data.get("data"))
        else:
            self._pursocket_refusals[path] = (str(data), None)
        await super()._handle_error(namespace, data)

    async def _handle_eio_disconnect(self, reason: Any = None) -> None:
        self._pursocket_ready.clear()
        self._pursocket_early.clear()
        closed = self._pursocket_closed_early(reason) if self._pursocket_connecting else None
        if closed is None:
            await super()._handle_eio_disconnect(reason)
            return
        self._pursocket_closed = closed
        # The connect() this fails raises, and no reconnection follows it: python-socketio
        # would start one after a transport error (a running reconnection goes on retrying).
        reconnection = self.reconnection
        self.reconnection = False
        try:
            await super()._handle_eio_disconnect(reason)
        finally:
            self.reconnection = reconnection
        # connect() waits on this event until every namespace is connected or failed.
        self.failed_namespaces.extend(closed.unanswered)
        self._connect_event.set()

    def _pursocket_closed_early(self, reason: Any) -> ClosedWhileConnecting | None:
        """The namespaces the server left unanswered by closing the connection, if any.

        ``None`` for this client's own disconnect, which python-socketio's ``connect``
        makes once it has given up waiting.
        """
        why = DisconnectReason.from_socketio(reason)
        unanswered = tuple(
            path
            for path in self.connection_namespaces
            if path not in self.namespaces and path not in self.failed_namespaces
        )
        if why is DisconnectReason.CLIENT_DISCONNECT or not unanswered:
            return None
        sizes = self._pursocket_auth_bytes
        return ClosedWhileConnecting(
            why, unanswered, {path: sizes[path] for path in unanswered if path in sizes}
        )

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
        if path not in self._pursocket_routes:
            return
        if path in self._pursocket_ready:
            self._pursocket_dispatch(pkt)
        else:
            self._pursocket_early.setdefault(path, []).append(pkt)

    def _pursocket_dispatch(self, pkt: PursocketPacket) -> None:
        path = pkt.namespace or "/"
        route = self._pursocket_routes[path]
        if self._pursocket_sio_handles(route, pkt.data[0]):
            job = self._handle_event(pkt.namespace, pkt.id, pkt.data)
        else:
            job = route.receive(pkt)
        run(job, self._pursocket_in_order, "server")

    def _pursocket_sio_handles(self, route: ClientRoute, event: object) -> bool:
        """Whether a handler registered on this object takes the undeclared ``event``."""
        if not isinstance(event, str) or event in RESERVED_EVENT_NAMES or event in route.spec.s2c:
            return False
        path = route.spec.path
        handler, _ = self._get_event_handler(event, path, ())
        if handler is None:
            handler, _ = self._get_namespace_handler(path, ())
        return handler is not None
