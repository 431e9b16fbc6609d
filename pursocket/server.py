"""The typed Socket.IO server: :class:`Server`, :class:`ServerNamespace`, :class:`Connection`.

Every method maps onto one python-socketio primitive; the docstrings say which, and
what goes over the wire. Every payload travels as exactly one Socket.IO argument.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Generic

import engineio
import socketio
from engineio import packet as eio_packet
from socketio import packet
from typing_extensions import TypeVar

from pursocket._calls import PendingCalls
from pursocket._codec import MalformedPacket, PursocketPacket, packet_class, refuse_serializer
from pursocket._engine import EngineIOServer
from pursocket._guards import Guards
from pursocket._routing import InboundEvents, InOrder, LogLimiter, check_outgoing, invoke, spawn
from pursocket._state import StateCell
from pursocket._typing import CallHandlerDecorator, GuardDecorator, MsgHandlerDecorator
from pursocket.errors import CallError, ConnectionRefused, ProtocolError
from pursocket.protocol import Direction, EventKind, NamespaceSpec, ProtocolModel, read_protocol
from pursocket.reasons import DisconnectReason
from pursocket.validation import (
    EventValidators,
    InvalidValue,
    Validator,
    auth_validator,
    build_validators,
)

__all__ = ["Connection", "Server", "ServerNamespace"]

ProtocolT = TypeVar("ProtocolT")
NamespaceT = TypeVar("NamespaceT")
#: The type of a connection's ``state``: what its namespace's connect handler returns.
StateT = TypeVar("StateT", default=None)
NewStateT = TypeVar("NewStateT", default=None)
HandlerT = TypeVar("HandlerT", bound=Callable[..., Any])

#: python-engineio's default ``max_http_buffer_size``: the largest message a client may send.
DEFAULT_MAX_MESSAGE_BYTES = 1_000_000

#: The default time a server-to-client Call waits for its acknowledgement, in seconds.
DEFAULT_CALL_TIMEOUT = 5.0


class Server(Generic[ProtocolT]):
    """A Socket.IO server that speaks one protocol.

    ``Server(AppProtocol, cors_allowed_origins="*")`` reads the protocol once (raising
    :class:`~pursocket.ProtocolError` if it is malformed) and builds a
    ``socketio.AsyncServer`` that accepts connections to exactly the namespaces the
    protocol declares. Keyword options pass through to ``socketio.AsyncServer``
    (``client_manager=socketio.AsyncRedisManager(...)`` to scale out, for example);
    ``async_mode`` defaults to ``"asgi"``.

    ``validate=False`` trusts the network: incoming payloads and responses are handed
    to handlers without being checked against the protocol. ``validate_outgoing=True``
    also checks every payload this server sends and every response its handlers
    return (for tests and debugging; a bad value raises ``ProtocolError`` at the
    sender, or answers the Call with ``invalid_response``).

    By default each event runs in its own task, so a slow handler lets a later event
    of the same connection finish first. ``ordered=True`` handles each connection's
    events one after another, in the order they arrived (events of different
    connections still run concurrently).
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
        validators = build_validators(self.model, incoming=validate, outgoing=validate_outgoing)
        self._guards = Guards(self.model)
        refuse_serializer(options)
        options.setdefault("async_mode", "asgi")
        options.setdefault("client_manager", _LocalManager())
        # A client's binary attachments together obey the per-message size limit.
        options["serializer"] = packet_class(
            validators,
            Direction.C2S,
            max_attachment_bytes=options.get("max_http_buffer_size", DEFAULT_MAX_MESSAGE_BYTES),
        )
        options["namespaces"] = [spec.path for spec in self.model.namespaces.values()]
        self._by_path: dict[str, ServerNamespace[ProtocolT, Any, Any]] = {}
        #: The underlying ``socketio.AsyncServer``: the escape hatch for anything
        #: pursocket does not wrap. Events emitted through it bypass the protocol.
        self.sio: socketio.AsyncServer = _SocketIOServer(self._by_path, ordered, **options)
        self._pending = PendingCalls()
        self._shut_down = False
        self._namespaces = {
            name: ServerNamespace[ProtocolT, Any, Any](
                self, spec, validators, auth_validator(spec, enabled=validate), self._guards
            )
            for name, spec in self.model.namespaces.items()
        }
        self._by_path.update({ns.path: ns for ns in self._namespaces.values()})

    def namespace(
        self, name: str, *, state: type[NewStateT] | None = None
    ) -> ServerNamespace[ProtocolT, Any, NewStateT]:
        """The namespace declared as ``name`` (``"lobby"`` is ``/lobby``).

        ``state=User`` says that its connect handler returns a ``User``, which every
        handler then reads as ``conn.state``; type checkers read it, and a connection
        is refused (``Internal server error``, logged) if the namespace has no connect
        handler to produce it. Returns the same object on every call. ``ProtocolError``
        if the protocol does not declare the namespace, or if it was given another state.
        """
        namespace = self._namespaces.get(name)
        if namespace is None:
            self.model.namespace(name)  # raises, naming the declared namespaces
            raise AssertionError(name)  # pragma: no cover
        if state is not None:
            namespace.declare_state(state)
        return namespace

    def guard(self, *namespaces: str, exclude: Iterable[str] = ()) -> GuardDecorator[Any, Any]:
        """Decorator: ``guard(conn)`` runs before the connect handler of the namespaces named.

        Without names it guards every namespace of the protocol; ``exclude`` leaves
        some out (``@server.guard(exclude=["public"])``). A guard runs after the
        client's auth has been validated, and guards run in the order they were
        registered. Raising :class:`~pursocket.ConnectionRefused` refuses the
        connection as a connect handler does (the client's CONNECT_ERROR carries its
        message and data), and neither later guards nor the connect handler run; a
        guard that raises anything else refuses it with ``"Internal server error"``.
        A guard returns nothing: ``conn.state`` is not set yet when it runs.
        ``ProtocolError`` if a name is not a namespace of the protocol.
        """

        def register(guard: HandlerT) -> HandlerT:
            self._guards.add(namespaces, exclude, guard)
            return guard

        return register

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
        Calling it again is harmless.
        """
        self._pending.fail_all("shutdown", "the server is shutting down")
        for namespace in self._namespaces.values():
            for conn in list(namespace._connections.values()):
                await conn.disconnect()
        # python-engineio's shutdown fails when called a second time.
        if not self._shut_down:
            self._shut_down = True
            await self.sio.shutdown()


class ServerNamespace(Generic[ProtocolT, NamespaceT, StateT]):
    """One namespace of a :class:`Server`: its handlers and its broadcasts.

    Obtain it with ``server.namespace("lobby")``, or ``server.namespace("lobby",
    state=User)`` when its connect handler returns each connection's state.
    """

    def __init__(
        self,
        server: Server[ProtocolT],
        spec: NamespaceSpec,
        validators: Mapping[tuple[str, Direction, str], EventValidators],
        check_auth: Validator,
        guards: Guards,
    ) -> None:
        self.server = server
        #: The namespace as the protocol declares it.
        self.spec = spec
        #: The protocol's name for the namespace (``"lobby"``).
        self.name = spec.name
        #: The Socket.IO namespace (``"/lobby"``).
        self.path = spec.path
        self._validators = validators
        self._inbound = InboundEvents(
            spec, Direction.C2S, validators, "server", server.sio._pursocket_log
        )
        self._check_auth = check_auth
        self._guards = guards
        self._state_type: type[Any] | None = None
        self._connections: dict[str, Connection[ProtocolT, NamespaceT, StateT]] = {}
        self._states: dict[str, StateCell] = {}
        self._connect_handler: Callable[..., Any] | None = None
        self._disconnect_handler: Callable[..., Any] | None = None
        server.sio.on("connect", self._connected, namespace=spec.path)
        server.sio.on("disconnect", self._disconnected, namespace=spec.path)

    def declare_state(self, state: type[Any]) -> None:
        """Record that the connect handler returns a ``state``; see :meth:`Server.namespace`."""
        if self._state_type is not None and self._state_type is not state:
            raise ProtocolError(
                f'Namespace "{self.name}" was already given state={self._state_type.__name__}, '
                f"not state={getattr(state, '__name__', repr(state))}"
            )
        self._state_type = state

    def on_connect(self, handler: HandlerT) -> HandlerT:
        """Register ``handler(conn) -> state``, run when a client connects to this namespace.

        It runs after the client's auth has been validated and the guards have let the
        connection through. The connection is accepted when the handler returns, and
        what it returns is the connection's ``conn.state`` in every later handler.
        Raise :class:`~pursocket.ConnectionRefused` to refuse it: the client receives a
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

    def on_invalid(self, handler: HandlerT) -> HandlerT:
        """Register ``handler(conn, offence)``, run for each event this namespace refuses.

        ``offence`` is a :class:`~pursocket.InvalidInput` (code
        ``invalid_payload``, ``unknown_event`` or ``wrong_kind``, with the reason).
        The event has already been refused (and a Call answered with an error)
        when the hook runs; use it to count offences or to ``await conn.disconnect()``.
        """
        self._inbound.on_invalid = handler
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
        self._outgoing(event, payload)
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
        self._outgoing(event, payload)
        await self.server.sio.emit(event, (payload,), to=room, namespace=self.path)

    def connections(self) -> tuple[Connection[ProtocolT, NamespaceT, StateT], ...]:
        """This process's open connections to the namespace, a snapshot."""
        return tuple(self._connections.values())

    def _outgoing(
        self, event: str, payload: Any, kind: EventKind = EventKind.MSG
    ) -> EventValidators:
        return check_outgoing(self.spec, self._validators, Direction.S2C, event, kind, payload)

    async def _connected(self, sid: str, environ: dict[str, Any], auth: Any) -> None:
        # Raising ConnectionRefusedError (never anything else) makes python-socketio
        # answer CONNECT_ERROR and drop the sid from its manager.
        log = self.server.sio._pursocket_log
        try:
            auth = self._check_auth(auth)
        except InvalidValue as exc:
            message = f'invalid auth for namespace "{self.name}": {exc}'
            log.log(logging.WARNING, f"auth {self.path}", "Refused sid %s: %s", sid, message)
            raise socketio.exceptions.ConnectionRefusedError(
                message, {"code": "invalid_auth", "details": str(exc)}
            ) from None
        cell = StateCell(self.name)
        conn = Connection[ProtocolT, NamespaceT, StateT](self, sid, auth, environ, cell)
        self._connections[sid] = conn
        self._states[sid] = cell
        stage = "guard"
        try:
            for guard in self._guards.of(self.name):
                await invoke(guard, conn)
            stage = "connect handler"
            if self._connect_handler is not None:
                cell.set(await invoke(self._connect_handler, conn))
            elif self._state_type is None:
                cell.set(None)
            else:
                raise ProtocolError(
                    f'Namespace "{self.name}" declares state={self._state_type.__name__} but '
                    f"has no connect handler to return it"
                )
        except ConnectionRefused as refusal:
            self._forget(sid)
            raise socketio.exceptions.ConnectionRefusedError(
                refusal.message, refusal.data
            ) from None
        except Exception:
            self._forget(sid)
            log.log(
                logging.ERROR,
                f"{stage} {self.path}",
                'A %s of namespace "%s" raised; refusing sid %s',
                stage,
                self.name,
                sid,
                exc_info=True,
            )
            raise socketio.exceptions.ConnectionRefusedError("Internal server error") from None

    def _forget(self, sid: str) -> None:
        self._connections.pop(sid, None)
        cell = self._states.pop(sid, None)
        if cell is not None:
            cell.end()

    async def _disconnected(self, sid: str, reason: Any = None) -> None:
        conn = self._connections.pop(sid, None)
        cell = self._states.pop(sid, None)
        if conn is None or cell is None:
            return
        # The disconnect handler may still read the rooms, to tell them who left.
        conn._rooms_at_disconnect = conn.rooms()
        conn._connected = False
        self.server.sio._pursocket_log.forget(f"sid {sid}")
        self.server._pending.fail(sid, "disconnected", "the client disconnected before answering")
        try:
            if self._disconnect_handler is not None:
                await invoke(self._disconnect_handler, conn, DisconnectReason.from_socketio(reason))
        except Exception:
            self.server.sio._pursocket_log.log(
                logging.ERROR,
                f"disconnect handler {self.path}",
                'Disconnect handler of namespace "%s" raised for sid %s',
                self.name,
                sid,
                exc_info=True,
            )
        finally:
            conn._rooms_at_disconnect = frozenset()
            cell.end()

    async def _receive(self, sid: str, eio_sid: str, pkt: PursocketPacket) -> None:
        conn = self._connections.get(sid)
        if conn is None:
            return
        wants_ack = pkt.id is not None
        reply = await self._inbound.dispatch(
            pkt.data,
            checked=pkt.checked,
            rejection=pkt.rejection,
            leading=(conn,),
            wants_ack=wants_ack,
            peer=f"sid {sid}",
        )
        if wants_ack:
            sio = self.server.sio

            async def send(argument: Any, binary: bool | None) -> None:
                await sio._send_packet(
                    eio_sid,
                    sio.packet_class(
                        packet.ACK,
                        namespace=self.path,
                        id=pkt.id,
                        data=[argument],
                        binary=binary,
                    ),
                )

            await self._inbound.answer(send, pkt.data[0], reply, f"sid {sid}")


class Connection(Generic[ProtocolT, NamespaceT, StateT]):
    """One client's connection to one namespace, as the server sees it.

    Handlers receive it as their first argument. Type it as
    ``Connection[AppProtocol, Literal["lobby"]]``, or
    ``Connection[AppProtocol, Literal["lobby"], User]`` when the namespace's connect
    handler returns a ``User`` as the connection's state.
    """

    def __init__(
        self,
        namespace: ServerNamespace[ProtocolT, NamespaceT, StateT],
        sid: str,
        auth: Any,
        environ: dict[str, Any],
        state: StateCell,
    ) -> None:
        self.namespace = namespace
        #: The connection's Socket.IO id in this namespace (also the name of its own room).
        self.sid = sid
        self._auth = auth
        self._state = state
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
    def auth(self) -> Any:
        """What the client sent as ``auth`` in its CONNECT packet (``None`` if nothing).

        When the namespace declares ``auth`` it has been validated against that type
        (keys the type does not declare are dropped), and the mypy plugin types it so;
        otherwise it is whatever the client sent, typed ``object`` by the plugin.
        """
        return self._auth

    @property
    def state(self) -> StateT:
        """This connection's state: what the namespace's connect handler returned.

        Set once the connect handler has returned (``None`` without a connect
        handler) and readable until the connection's disconnect handler has returned.
        Reading it earlier (in a guard or in the connect handler) or later raises
        :class:`~pursocket.StateNotSet`. It lives in this process only: it is not
        python-socketio's session and message-queue managers do not share it.
        """
        state: StateT = self._state.get()
        return state

    @property
    def _sio(self) -> socketio.AsyncServer:
        return self.namespace.server.sio

    async def emit(self, event: str, payload: Any) -> None:
        """Send the s2c Msg ``event`` to this one client.

        On the wire: ``AsyncServer.emit(event, (payload,), to=sid, namespace=path)``
        (PurSocket's ``emitTo``). Nothing is sent once the connection has ended.
        """
        self.namespace._outgoing(event, payload)
        await self._sio.emit(event, (payload,), to=self.sid, namespace=self.namespace.path)

    async def call(self, event: str, payload: Any, *, timeout: float = DEFAULT_CALL_TIMEOUT) -> Any:
        """Send the s2c Call ``event`` to this client and return its validated response.

        On the wire: an EVENT packet with one argument and an acknowledgement id; the
        client's ACK carries the response. Raises :class:`~pursocket.CallTimeout` after
        ``timeout`` seconds without an answer, and :class:`~pursocket.CallError` if
        the client answers with an error or with something that is not the declared
        response, or disconnects first (code ``disconnected``, raised at once).
        """
        validators = self.namespace._outgoing(event, payload, EventKind.CALL)
        spec = validators.spec
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
        self.namespace._outgoing(event, payload)
        await self._sio.emit(event, (payload,), skip_sid=self.sid, namespace=self.namespace.path)

    async def broadcast_to_room_except_sender(self, room: str, event: str, payload: Any) -> None:
        """Send the s2c Msg ``event`` to every member of ``room`` but this connection.

        On the wire: ``AsyncServer.emit(event, (payload,), to=room, skip_sid=sid,
        namespace=path)``, the Node ``socket.to(room).emit``. This connection need not
        be a member of the room.
        """
        _check_room(room)
        self.namespace._outgoing(event, payload)
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
    """``socketio.AsyncServer`` whose packets go through pursocket's trust boundary.

    * EVENT packets go to pursocket's namespaces only: python-socketio would route an
      event named ``connect`` or ``disconnect`` to the lifecycle handlers, and sends
      no acknowledgement when a handler fails.
    * A packet that is not well-formed Socket.IO closes that client's connection with
      one rate-limited log line, instead of a traceback per packet (and instead of
      wedging the connection, for a bad binary attachment).
    * With ``ordered``, each connection's events run one after another.
    """

    def __init__(
        self, routes: Mapping[str, ServerNamespace[Any, Any, Any]], ordered: bool, **options: Any
    ) -> None:
        super().__init__(**options)
        self._pursocket_namespaces = routes
        self._pursocket_log = LogLimiter()
        self._pursocket_in_order = InOrder() if ordered else None

    def _engineio_server_class(self) -> type[engineio.AsyncServer]:
        return EngineIOServer

    async def _handle_eio_disconnect(self, eio_sid: str, reason: Any = None) -> None:
        await super()._handle_eio_disconnect(eio_sid, reason)
        socket = self.eio.sockets.get(eio_sid)
        if socket is not None and not socket.upgraded:
            # A long-polling client that closes its session still has a GET waiting for
            # packets; engineio would hold it, the client's disconnect() and the web
            # server's shutdown until the ping timeout. Answer it now.
            await socket.queue.put(None)

    async def _handle_connect(self, eio_sid: str, namespace: str | None, data: Any) -> None:
        path = namespace or "/"
        if path not in self._pursocket_namespaces:
            # python-socketio's own refusal says only "Unable to connect".
            specs = [route.spec for route in self._pursocket_namespaces.values()]
            declared = ", ".join(f'"{spec.path}"' for spec in specs)
            message = (
                f'Unknown namespace "{path}"; protocol {specs[0].protocol_name} declares {declared}'
            )
            await self._send_packet(
                eio_sid,
                self.packet_class(packet.CONNECT_ERROR, data={"message": message}, namespace=path),
            )
            return
        await super()._handle_connect(eio_sid, namespace, data)

    async def _handle_eio_message(self, eio_sid: str, data: Any) -> None:
        try:
            await self._pursocket_message(eio_sid, data)
        except Exception as exc:  # whatever a peer sends, it gets no traceback in the log
            self._binary_packet.pop(eio_sid, None)
            reason = str(exc) if isinstance(exc, MalformedPacket) else repr(exc)
            self._pursocket_log.log(
                logging.WARNING,
                f"eio {eio_sid}",
                "Closing the connection of Engine.IO session %s: %s",
                eio_sid,
                reason,
            )
            await self.eio.disconnect(eio_sid)

    async def _pursocket_message(self, eio_sid: str, data: Any) -> None:
        pending = self._binary_packet.get(eio_sid)
        if pending is not None:
            if pending.add_attachment(data):
                del self._binary_packet[eio_sid]
                await self._pursocket_complete(eio_sid, pending)
            return
        pkt = self.packet_class(encoded_packet=data)
        kind = pkt.packet_type
        if kind == packet.CONNECT:
            await self._handle_connect(eio_sid, pkt.namespace, pkt.data)
        elif kind == packet.DISCONNECT:
            await self._handle_disconnect(eio_sid, pkt.namespace, self.reason.CLIENT_DISCONNECT)
        elif kind in (packet.EVENT, packet.ACK):
            await self._pursocket_complete(eio_sid, pkt)
        elif kind in (packet.BINARY_EVENT, packet.BINARY_ACK):
            if self.manager.sid_from_eio_sid(eio_sid, pkt.namespace or "/") is None:
                raise MalformedPacket("a binary packet for a namespace it has not connected")
            self._binary_packet[eio_sid] = pkt
        else:
            raise MalformedPacket(f"a client may not send {packet.packet_names[kind]} packets")

    async def _pursocket_complete(self, eio_sid: str, pkt: PursocketPacket) -> None:
        if pkt.packet_type in (packet.ACK, packet.BINARY_ACK):
            await self._handle_ack(eio_sid, pkt.namespace, pkt.id, pkt.data)
            return
        path = pkt.namespace or "/"
        target = self._pursocket_namespaces.get(path)
        sid = self.manager.sid_from_eio_sid(eio_sid, path)
        if target is None or sid is None or not self.manager.is_connected(sid, path):
            return
        job = target._receive(sid, eio_sid, pkt)
        if self._pursocket_in_order is None:
            spawn(job)
        else:
            self._pursocket_in_order.submit(sid, job)


class _LocalManager(socketio.AsyncManager):  # type: ignore[misc]
    """The single-process manager, sending a broadcast without a task per recipient.

    python-socketio's manager starts one task per recipient and waits for them all.
    Handing a packet to a connection only puts it on that connection's unbounded
    queue and never waits, so this manager does it for every recipient in turn in
    the emitting task: the same packets in the same order, for a fraction of the CPU
    time in a large room. Emits that expect acknowledgements, and message-queue
    managers (Redis, RabbitMQ), keep python-socketio's behaviour.
    """

    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> None:
        """Send ``event`` to every participant of ``to``/``room`` but ``skip_sid``."""
        if callback is not None:
            await super().emit(
                event, data, namespace, room, skip_sid, callback=callback, to=to, **kwargs
            )
            return
        if namespace not in self.rooms:
            return
        if isinstance(data, tuple):
            arguments = list(data)
        else:
            arguments = [] if data is None else [data]
        skipped = skip_sid if isinstance(skip_sid, list) else [skip_sid]
        recipients = [
            eio_sid
            for sid, eio_sid in self.get_participants(namespace, to or room)
            if sid not in skipped
        ]
        if not recipients:
            return
        encoded = self.server.packet_class(
            packet.EVENT, namespace=namespace, data=[event, *arguments]
        ).encode()
        messages = [
            eio_packet.Packet(eio_packet.MESSAGE, part)
            for part in (encoded if isinstance(encoded, list) else [encoded])
        ]
        for eio_sid in recipients:
            try:
                for message in messages:
                    await self.server._send_eio_packet(eio_sid, message)
            except Exception:  # one failing connection must not cost the others the message
                self.server._pursocket_log.log(
                    logging.WARNING,
                    f"eio {eio_sid}",
                    "Could not send a broadcast to Engine.IO session %s",
                    eio_sid,
                    exc_info=True,
                )
        # Let the connections' writers run before the emitting task goes on, as
        # python-socketio's waiting for its send tasks does.
        await asyncio.sleep(0)
