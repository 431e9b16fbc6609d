"""The typed Socket.IO server: :class:`Server`, :class:`ServerNamespace`, :class:`Connection`.

Every method maps onto one python-socketio primitive; the docstrings say which, and
what goes over the wire. Every payload travels as exactly one Socket.IO argument.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

import socketio
from socketio import packet

from pursocket._calls import PendingCalls
from pursocket._routing import InboundEvents, invoke
from pursocket._typing import CallHandlerDecorator, MsgHandlerDecorator
from pursocket.errors import CallError, ConnectionRefused
from pursocket.protocol import Direction, EventKind, NamespaceSpec, ProtocolModel, read_protocol
from pursocket.reasons import DisconnectReason
from pursocket.validation import EventValidators, build_validators

__all__ = ["Connection", "Server", "ServerNamespace"]

logger = logging.getLogger("pursocket")

ProtocolT = TypeVar("ProtocolT")
NamespaceT = TypeVar("NamespaceT")
HandlerT = TypeVar("HandlerT", bound=Callable[..., Any])

#: The default time a server-to-client Call waits for its acknowledgement, in seconds.
DEFAULT_CALL_TIMEOUT = 5.0

_background_tasks: set[asyncio.Task[Any]] = set()


class Server(Generic[ProtocolT]):
    """A Socket.IO server that speaks one protocol.

    ``Server(AppProtocol, cors_allowed_origins="*")`` reads the protocol once (raising
    :class:`~pursocket.ProtocolError` if it is malformed) and builds a
    ``socketio.AsyncServer`` that accepts connections to exactly the namespaces the
    protocol declares. Keyword options pass through to ``socketio.AsyncServer``
    (``client_manager=socketio.AsyncRedisManager(...)`` to scale out, for example);
    ``async_mode`` defaults to ``"asgi"``.

    ``validate=False`` trusts the network: incoming payloads and responses are handed
    to handlers without being checked against the protocol.
    """

    def __init__(self, protocol: type[ProtocolT], *, validate: bool = True, **options: Any) -> None:
        self.protocol = protocol
        #: The protocol as pursocket reads it.
        self.model: ProtocolModel = read_protocol(protocol)
        validators = build_validators(self.model, validate)
        options.setdefault("async_mode", "asgi")
        options["namespaces"] = [spec.path for spec in self.model.namespaces.values()]
        self._by_path: dict[str, ServerNamespace[ProtocolT, Any]] = {}
        #: The underlying ``socketio.AsyncServer``: the escape hatch for anything
        #: pursocket does not wrap. Events emitted through it bypass the protocol.
        self.sio: socketio.AsyncServer = _SocketIOServer(self._by_path, **options)
        self._pending = PendingCalls()
        self._namespaces = {
            name: ServerNamespace[ProtocolT, Any](self, spec, validators)
            for name, spec in self.model.namespaces.items()
        }
        self._by_path.update({ns.path: ns for ns in self._namespaces.values()})

    def namespace(self, name: str) -> ServerNamespace[ProtocolT, Any]:
        """The namespace declared as ``name`` (``"lobby"`` is ``/lobby``).

        Returns the same object on every call. ``ProtocolError`` if the protocol does
        not declare it.
        """
        namespace = self._namespaces.get(name)
        if namespace is None:
            self.model.namespace(name)  # raises, naming the declared namespaces
            raise AssertionError(name)  # pragma: no cover
        return namespace

    def asgi_app(
        self, other_asgi_app: Any = None, *, socketio_path: str = "socket.io"
    ) -> socketio.ASGIApp:
        """An ASGI application serving Socket.IO at ``/{socketio_path}/``.

        Run it with uvicorn, or pass your FastAPI/Starlette app as ``other_asgi_app``
        to serve both from one process.
        """
        return socketio.ASGIApp(self.sio, other_asgi_app, socketio_path=socketio_path)

    async def shutdown(self) -> None:
        """Disconnect every client of this process and stop background tasks.

        Calls still waiting for an answer fail at once with ``CallError("shutdown")``.
        """
        self._pending.fail_all("shutdown", "the server is shutting down")
        for namespace in self._namespaces.values():
            for conn in list(namespace._connections.values()):
                await conn.disconnect()
        await self.sio.shutdown()


class ServerNamespace(Generic[ProtocolT, NamespaceT]):
    """One namespace of a :class:`Server`: its handlers and its broadcasts.

    Obtain it with ``server.namespace("lobby")``.
    """

    def __init__(
        self,
        server: Server[ProtocolT],
        spec: NamespaceSpec,
        validators: Mapping[tuple[str, Direction, str], EventValidators],
    ) -> None:
        self.server = server
        #: The namespace as the protocol declares it.
        self.spec = spec
        #: The protocol's name for the namespace (``"lobby"``).
        self.name = spec.name
        #: The Socket.IO namespace (``"/lobby"``).
        self.path = spec.path
        self._validators = validators
        self._inbound = InboundEvents(spec, Direction.C2S, validators, "server")
        self._connections: dict[str, Connection[ProtocolT, NamespaceT]] = {}
        self._connect_handler: Callable[..., Any] | None = None
        self._disconnect_handler: Callable[..., Any] | None = None
        server.sio.on("connect", self._connected, namespace=spec.path)
        server.sio.on("disconnect", self._disconnected, namespace=spec.path)

    def on_connect(self, handler: HandlerT) -> HandlerT:
        """Register ``handler(conn)``, run when a client connects to this namespace.

        The connection is accepted when the handler returns. Raise
        :class:`~pursocket.ConnectionRefused` to refuse it: the client receives a
        CONNECT_ERROR packet carrying ``{"message": ..., "data": ...}``. A handler that
        raises anything else refuses the connection with ``"Internal server error"``
        and leaves nothing behind. The handler runs while the client's packets wait,
        so it must not await a ``conn.call(...)``.
        """
        self._connect_handler = handler
        return handler

    def on_disconnect(self, handler: HandlerT) -> HandlerT:
        """Register ``handler(conn, reason)``, run when a connection to this namespace ends."""
        self._disconnect_handler = handler
        return handler

    def on(self, event: str) -> MsgHandlerDecorator[Any, Any]:
        """Decorator: ``handler(conn, payload)`` handles the client-to-server Msg ``event``.

        Returns the handler unchanged. ``ProtocolError`` if ``event`` is not a c2s Msg
        of this namespace, or already has a handler.
        """

        def register(handler: HandlerT) -> HandlerT:
            self._inbound.register(event, EventKind.MSG, handler)
            return handler

        return register

    def on_call(self, event: str) -> CallHandlerDecorator[Any, Any]:
        """Decorator: ``handler(conn, request) -> response`` answers the c2s Call ``event``.

        The return value is sent back as the acknowledgement's single argument.
        Returns the handler unchanged. ``ProtocolError`` if ``event`` is not a c2s
        Call of this namespace, or already has a handler.
        """

        def register(handler: HandlerT) -> HandlerT:
            self._inbound.register(event, EventKind.CALL, handler)
            return handler

        return register

    async def broadcast(self, event: str, payload: Any) -> None:
        """Send the s2c Msg ``event`` to every client in this namespace.

        On the wire: ``AsyncServer.emit(event, (payload,), namespace=path)``, the
        Node ``io.of(ns).emit``. Under a message-queue manager every process delivers
        it to its own clients.
        """
        self._outgoing(event)
        await self.server.sio.emit(event, (payload,), namespace=self.path)

    async def broadcast_to_room(self, room: str, event: str, payload: Any) -> None:
        """Send the s2c Msg ``event`` to every member of ``room`` in this namespace.

        There is no sender at this level: every member receives it, which is what
        timers, scheduled jobs and admin actions need. A socket id is a room, so this
        also reaches one client on any process. An empty or unknown room receives
        nothing and raises nothing. On the wire:
        ``AsyncServer.emit(event, (payload,), to=room, namespace=path)``, the Node
        ``io.of(ns).to(room).emit``.
        """
        _check_room(room)
        self._outgoing(event)
        await self.server.sio.emit(event, (payload,), to=room, namespace=self.path)

    def connections(self) -> tuple[Connection[ProtocolT, NamespaceT], ...]:
        """This process's open connections to the namespace, a snapshot."""
        return tuple(self._connections.values())

    def _outgoing(self, event: str, kind: EventKind = EventKind.MSG) -> None:
        self.spec.find(Direction.S2C, event, kind)

    async def _connected(self, sid: str, environ: dict[str, Any], auth: Any) -> None:
        conn = Connection[ProtocolT, NamespaceT](self, sid, auth, environ)
        self._connections[sid] = conn
        if self._connect_handler is None:
            return
        try:
            await invoke(self._connect_handler, conn)
        except ConnectionRefused as refusal:
            del self._connections[sid]
            raise socketio.exceptions.ConnectionRefusedError(
                refusal.message, refusal.data
            ) from None
        except Exception:
            del self._connections[sid]
            logger.exception(
                'Connect handler of namespace "%s" raised; refusing %s', self.name, sid
            )
            raise socketio.exceptions.ConnectionRefusedError("Internal server error") from None

    async def _disconnected(self, sid: str, reason: Any = None) -> None:
        conn = self._connections.pop(sid, None)
        if conn is None:
            return
        # The disconnect handler may still read the rooms, to tell them who left.
        conn._rooms_at_disconnect = conn.rooms()
        conn._connected = False
        self.server._pending.fail(sid, "disconnected", "the client disconnected before answering")
        try:
            if self._disconnect_handler is not None:
                await invoke(self._disconnect_handler, conn, DisconnectReason.from_socketio(reason))
        except Exception:
            logger.exception('Disconnect handler of namespace "%s" raised for %s', self.name, sid)
        finally:
            conn._rooms_at_disconnect = frozenset()

    async def _receive(self, sid: str, eio_sid: str, ack_id: int | None, data: list[Any]) -> None:
        conn = self._connections.get(sid)
        if conn is None:
            return
        reply = await self._inbound.dispatch(data, (conn,), ack_id is not None, f"sid {sid}")
        if ack_id is not None:
            sio = self.server.sio
            await sio._send_packet(
                eio_sid, sio.packet_class(packet.ACK, namespace=self.path, id=ack_id, data=[reply])
            )


class Connection(Generic[ProtocolT, NamespaceT]):
    """One client's connection to one namespace, as the server sees it.

    Handlers receive it as their first argument. Type it as
    ``Connection[AppProtocol, Literal["lobby"]]``.
    """

    def __init__(
        self,
        namespace: ServerNamespace[ProtocolT, NamespaceT],
        sid: str,
        auth: Any,
        environ: dict[str, Any],
    ) -> None:
        self.namespace = namespace
        #: The connection's Socket.IO id in this namespace (also the name of its own room).
        self.sid = sid
        #: What the client sent as ``auth`` when connecting (``None`` if nothing).
        self.auth = auth
        #: The WSGI-style environ of the connecting request; under ASGI the peer
        #: address is ``environ["asgi.scope"]["client"]``.
        self.environ = environ
        self._connected = True
        self._rooms_at_disconnect: frozenset[str] = frozenset()

    @property
    def connected(self) -> bool:
        """Whether the connection is still open."""
        return self._connected

    @property
    def _sio(self) -> socketio.AsyncServer:
        return self.namespace.server.sio

    async def emit(self, event: str, payload: Any) -> None:
        """Send the s2c Msg ``event`` to this one client.

        On the wire: ``AsyncServer.emit(event, (payload,), to=sid, namespace=path)``
        (PurSocket's ``emitTo``). Nothing is sent once the connection has ended.
        """
        self.namespace._outgoing(event)
        await self._sio.emit(event, (payload,), to=self.sid, namespace=self.namespace.path)

    async def call(self, event: str, payload: Any, *, timeout: float = DEFAULT_CALL_TIMEOUT) -> Any:
        """Send the s2c Call ``event`` to this client and return its validated response.

        On the wire: an EVENT packet with one argument and an acknowledgement id; the
        client's ACK carries the response. Raises :class:`~pursocket.CallTimeout` after
        ``timeout`` seconds without an answer, and :class:`~pursocket.CallError` if
        the client answers with an error or with something that is not the declared
        response, or disconnects first (code ``disconnected``, raised at once).
        """
        spec = self.namespace.spec.find(Direction.S2C, event, EventKind.CALL)
        validators = self.namespace._validators[(self.namespace.path, Direction.S2C, event)]
        if not self._connected:
            raise CallError(
                "disconnected", "the client has disconnected", namespace=spec.namespace, event=event
            )

        async def send(on_ack: Callable[..., None]) -> None:
            await self._sio.emit(
                event, (payload,), to=self.sid, namespace=self.namespace.path, callback=on_ack
            )

        return await self.namespace.server._pending.call(
            self.sid, spec, send, timeout, validators.response
        )

    async def broadcast_except_sender(self, event: str, payload: Any) -> None:
        """Send the s2c Msg ``event`` to every client in the namespace but this one.

        On the wire: ``AsyncServer.emit(event, (payload,), skip_sid=sid, namespace=path)``,
        the Node ``socket.broadcast.emit``.
        """
        self.namespace._outgoing(event)
        await self._sio.emit(event, (payload,), skip_sid=self.sid, namespace=self.namespace.path)

    async def broadcast_to_room_except_sender(self, room: str, event: str, payload: Any) -> None:
        """Send the s2c Msg ``event`` to every member of ``room`` but this connection.

        On the wire: ``AsyncServer.emit(event, (payload,), to=room, skip_sid=sid,
        namespace=path)``, the Node ``socket.to(room).emit``. This connection need not
        be a member of the room.
        """
        _check_room(room)
        self.namespace._outgoing(event)
        await self._sio.emit(
            event, (payload,), to=room, skip_sid=self.sid, namespace=self.namespace.path
        )

    async def join_room(self, room: str) -> None:
        """Add this connection to ``room`` (idempotent); nothing once it has disconnected.

        ``AsyncServer.enter_room(sid, room, namespace=path)``. Membership is kept by
        the process that holds the connection: under a message-queue manager every
        broadcast reaches every process, and each delivers it to its own members.
        ``ValueError`` if ``room`` is another connection's sid (that room is its alone).
        """
        _check_room(room)
        if not self._connected:
            return
        path = self.namespace.path
        if room != self.sid and self._sio.manager.is_sid_room(path, room):
            raise ValueError(
                f"Cannot join room {room!r} in namespace {path!r}: it is the sid of another "
                f"connection, whose own room holds only it. Use broadcast_to_room({room!r}, ...) "
                f"to reach that connection, or choose another room name"
            )
        await self._sio.enter_room(self.sid, room, namespace=path)

    async def leave_room(self, room: str) -> None:
        """Remove this connection from ``room``.

        Leaving a room never joined, or leaving after the connection has ended, does
        nothing. ``ValueError`` if ``room`` is this connection's own sid: without its
        own room it could no longer be reached by ``emit`` or ``call``.
        """
        _check_room(room)
        if room == self.sid:
            raise ValueError(
                f"Connection {self.sid!r} cannot leave its own room {room!r}: every "
                f"connection stays in the room named after its sid so that emit() and "
                f"call() can reach it"
            )
        if not self._connected:
            return
        await self._sio.leave_room(self.sid, room, namespace=self.namespace.path)

    def rooms(self) -> frozenset[str]:
        """The rooms this connection is in, as an immutable snapshot.

        Always includes the connection's own sid (every socket is in its own room)
        while it is connected. While the namespace's disconnect handler runs it is
        the rooms the connection was in when it disconnected (so the handler can
        announce the departure); once the handler has returned it is empty. Under a
        message-queue manager this is this process's view, which is exact for a
        connection that lives on this process.
        """
        if not self._connected:
            return self._rooms_at_disconnect
        return frozenset(self._sio.rooms(self.sid, namespace=self.namespace.path))

    async def disconnect(self) -> None:
        """End this connection: the client receives a DISCONNECT packet.

        Its disconnect handlers see ``DisconnectReason.SERVER_DISCONNECT``.
        """
        await self._sio.disconnect(self.sid, namespace=self.namespace.path)

    def __repr__(self) -> str:
        return f"<Connection sid={self.sid!r} namespace={self.namespace.path!r}>"


def _check_room(room: object) -> None:
    # python-socketio treats a room of None as "every room", which corrupts its state.
    if not isinstance(room, str) or not room:
        raise ValueError(f"A room name must be a non-empty str, got {room!r}")


class _SocketIOServer(socketio.AsyncServer):  # type: ignore[misc]
    """``socketio.AsyncServer`` whose EVENT packets go to pursocket's namespaces.

    python-socketio would route an event named ``connect`` or ``disconnect`` to the
    lifecycle handlers and sends no acknowledgement when a handler fails; taking over
    event dispatch closes both holes.
    """

    def __init__(self, routes: Mapping[str, ServerNamespace[Any, Any]], **options: Any) -> None:
        super().__init__(**options)
        self._pursocket_namespaces = routes

    async def _handle_event(
        self, eio_sid: str, namespace: str | None, id: int | None, data: Any
    ) -> None:
        path = namespace or "/"
        target = self._pursocket_namespaces.get(path)
        sid = self.manager.sid_from_eio_sid(eio_sid, path)
        if target is None or sid is None or not self.manager.is_connected(sid, path):
            return
        if not isinstance(data, list):
            data = []
        task = asyncio.ensure_future(target._receive(sid, eio_sid, id, data))
        _background_tasks.add(task)
        task.add_done_callback(_background_tasks.discard)
