"""The typed Socket.IO server: :class:`Server`, :class:`ServerNamespace`, :class:`Connection`.

Every method maps onto one python-socketio primitive; the docstrings say which, and
what goes over the wire. Every payload travels as exactly one Socket.IO argument.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from typing import Any, Generic

import attrs
import socketio
from typing_extensions import TypeVar

from pursocket._calls import DEFAULT_CALL_TIMEOUT, PendingCalls
from pursocket._codec import PursocketPacket, packet_class, refuse_serializer
from pursocket._guards import Guards
from pursocket._invoke import invoke
from pursocket._logging import LogLimiter
from pursocket._manager import LocalManager, deliver_locally_without_tasks
from pursocket._namespace import NamespaceBase
from pursocket._outgoing import OutgoingEvents
from pursocket._sio_server import ServerRoute, SocketIOServer
from pursocket._state import StateCell
from pursocket._tasks import EventRunner
from pursocket._typing import CallHandlerDecorator, GuardDecorator, MsgHandlerDecorator
from pursocket.errors import CallError, CallTimeout, ConnectionRefused, ProtocolError
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

#: The default ``max_in_flight``: events of one connection handled at a time.
DEFAULT_MAX_IN_FLIGHT = 100

#: The default ``max_auth_bytes``: the most UTF-8 bytes of JSON a client's connect auth may take.
DEFAULT_MAX_AUTH_BYTES = 16_384


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

    Handlers run concurrently by default: an ``async def`` handler runs in a task of
    its own (from Python 3.12 one that starts eagerly, as the event is read), so a
    slow handler lets a later event of the same connection finish first.
    ``ordered=True`` handles each connection's events one after another, in the order
    they arrived (events of different connections still run concurrently). Either
    way the events of a connection start in arrival order, and a plain ``def``
    handler runs as its event is read, with no task.

    ``max_auth_bytes`` (default 16,384) bounds the JSON of the ``auth`` a client
    sends when it connects to a namespace, in UTF-8 bytes, before it is decoded: a
    larger one is refused with a CONNECT_ERROR packet saying so, and no handler runs.
    ``max_http_buffer_size`` (python-engineio's, default 1,000,000) bounds every
    message.

    ``max_in_flight`` (default 100) bounds how many events of one connection are
    being handled (or wait their turn with ``ordered``) at a time. At the bound the
    server stops reading from that connection until one of its handlers finishes:
    nothing is dropped, the client's further packets wait in the network. A handler
    that awaits ``conn.call(...)`` on its own connection while that connection is at
    the bound waits for the Call's timeout, since the answer is not read either.
    """

    def __init__(
        self,
        protocol: type[ProtocolT],
        *,
        validate: bool = True,
        validate_outgoing: bool = False,
        ordered: bool = False,
        max_auth_bytes: int = DEFAULT_MAX_AUTH_BYTES,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
        **options: Any,
    ) -> None:
        self.protocol = protocol
        #: The protocol as pursocket reads it.
        self.model: ProtocolModel = read_protocol(protocol)
        validators = build_validators(self.model, incoming=validate, outgoing=validate_outgoing)
        self._guards = Guards(self.model)
        refuse_serializer(options)
        log = LogLimiter()
        options.setdefault("async_mode", "asgi")
        options.setdefault("client_manager", LocalManager())
        deliver_locally_without_tasks(options["client_manager"])
        self._max_message_bytes: int = options.get(
            "max_http_buffer_size", DEFAULT_MAX_MESSAGE_BYTES
        )
        # A client's binary attachments together obey the per-message size limit.
        options["serializer"] = packet_class(
            validators,
            Direction.C2S,
            max_attachment_bytes=self._max_message_bytes,
            max_auth_bytes=max_auth_bytes,
        )
        options["namespaces"] = [spec.path for spec in self.model.namespaces.values()]
        self._pending = PendingCalls()
        self._shut_down = False
        routes: dict[str, ServerRoute] = {}
        self._namespaces = {
            name: ServerNamespace[ProtocolT, Any, Any](
                self,
                spec,
                validators,
                check_auth=auth_validator(spec, enabled=validate),
                guards=self._guards,
                log=log,
                pending=self._pending,
                routes=routes,
            )
            for name, spec in self.model.namespaces.items()
        }
        #: The underlying ``socketio.AsyncServer``: the escape hatch for anything
        #: pursocket does not wrap. Events emitted through it bypass the protocol.
        self.sio: socketio.AsyncServer = SocketIOServer(
            routes=routes,
            log=log,
            events=EventRunner(max_in_flight, ordered=ordered),
            **options,
        )

    def namespace(
        self, name: str, *, state: type[NewStateT] | None = None
    ) -> ServerNamespace[ProtocolT, Any, NewStateT]:
        """The namespace declared as ``name`` (``"lobby"`` is ``/lobby``).

        ``state=User`` says that its connect handler returns a ``User``, which every
        handler then reads as ``conn.state``; type checkers read it, and a connection
        is refused (``Internal server error``, logged) if the namespace has no connect
        handler to produce it. Returns the same object on every call. ``ProtocolError``
        if the protocol does not declare the namespace, or if it was given another state.
        Without the mypy plugin or the generated typed API (``pursocket export python``) the handle's
        event names are ``str`` and its payloads ``Any``.
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

        guarded = self._guards.select(namespaces, exclude)

        def register(guard: HandlerT) -> HandlerT:
            self._guards.add(guarded, guard)
            return guard

        return register

    def uvicorn_options(self) -> dict[str, Any]:
        """The ``uvicorn.Config`` settings this server is meant to be served with.

        Pass them along with the app:
        ``uvicorn.Config(server.asgi_app(), **server.uvicorn_options())``.

        * ``ws_max_size``, the server's message limit (``max_http_buffer_size``):
          uvicorn then refuses a larger websocket message (closing the connection
          with code 1009) before buffering it, where by default it reads up to 16 MiB
          and only then hands it to pursocket.
        * ``ws_per_message_deflate=False``: uvicorn would otherwise compress every
          frame for each client that offers compression (browsers and the npm client
          do), which costs more server CPU per frame sent than anything else on the
          fast stack and a compressor per connection, for frames that are mostly
          small; the Node socket.io server does not compress either.

        On uvicorn's command line the same settings are ``--ws-max-size N
        --ws-per-message-deflate false``.
        """
        return {"ws_max_size": self._max_message_bytes, "ws_per_message_deflate": False}

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
            for conn in namespace.connections():
                await conn.disconnect()
        # python-engineio's shutdown fails when called a second time.
        if not self._shut_down:
            self._shut_down = True
            await self.sio.shutdown()


@attrs.define
class _Lifecycle:
    """Whether a connection is open, kept by its namespace and read by the Connection."""

    open: bool = True
    #: The rooms it was in when it disconnected, while the disconnect handler runs.
    rooms_at_disconnect: frozenset[str] = frozenset()


@attrs.frozen
class _Member(Generic[ProtocolT, NamespaceT, StateT]):
    """An open connection of a namespace, with what the namespace keeps for it."""

    conn: Connection[ProtocolT, NamespaceT, StateT]
    lifecycle: _Lifecycle
    state: StateCell
    #: How log lines name the connection (``sid ...``), made once.
    peer: str


class ServerNamespace(NamespaceBase, Generic[ProtocolT, NamespaceT, StateT]):
    """One namespace of a :class:`Server`: its handlers and its broadcasts.

    Obtain it with ``server.namespace("lobby")``, or ``server.namespace("lobby",
    state=User)`` when its connect handler returns each connection's state.
    """

    def __init__(
        self,
        server: Server[ProtocolT],
        spec: NamespaceSpec,
        validators: Mapping[tuple[str, Direction, str], EventValidators],
        *,
        check_auth: Validator,
        guards: Guards,
        log: LogLimiter,
        pending: PendingCalls,
        routes: MutableMapping[str, ServerRoute],
    ) -> None:
        super().__init__(spec, validators, receives=Direction.C2S, side="server", log=log)
        self.server = server
        self._check_auth = check_auth
        self._guards = guards
        self._pending = pending
        self._state_type: type[Any] | None = None
        self._members: dict[str, _Member[ProtocolT, NamespaceT, StateT]] = {}
        # What the Socket.IO server delivers to this namespace.
        routes[spec.path] = ServerRoute(
            spec=spec,
            connected=self._connected,
            disconnected=self._disconnected,
            receive=self._receive,
            runs_without_waiting=self._runs_without_waiting,
        )

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

        return self._registrar(event, EventKind.MSG)

    def on_call(self, event: str) -> CallHandlerDecorator[Any, Any]:
        """Decorator: ``handler(conn, request) -> response`` answers the c2s Call ``event``.

        The return value is sent back as the acknowledgement's single argument.
        Returns the handler unchanged. ``ProtocolError`` if ``event`` is not a c2s
        Call of this namespace, or already has a handler.
        """

        return self._registrar(event, EventKind.CALL)

    async def broadcast(self, event: str, payload: Any) -> None:
        """Send the s2c Msg ``event`` to every client in this namespace.

        On the wire: ``AsyncServer.emit(event, (payload,), namespace=path)``, the
        Node ``io.of(ns).emit``. Under a message-queue manager every process delivers
        it to its own clients.
        """
        _, arguments = self._outgoing.check(event, EventKind.MSG, payload)
        await self.server.sio.emit(event, arguments, namespace=self.path)

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
        _, arguments = self._outgoing.check(event, EventKind.MSG, payload)
        await self.server.sio.emit(event, arguments, to=room, namespace=self.path)

    def connections(self) -> tuple[Connection[ProtocolT, NamespaceT, StateT], ...]:
        """This process's open connections to the namespace, a snapshot."""
        return tuple(member.conn for member in self._members.values())

    async def _connected(self, sid: str, environ: dict[str, Any], auth: Any) -> None:
        # Raising ConnectionRefusedError (never anything else) makes python-socketio
        # answer CONNECT_ERROR and drop the sid from its manager.
        log = self._log
        try:
            auth = self._check_auth(auth)
        except InvalidValue as exc:
            message = f'invalid auth for namespace "{self.name}": {exc}'
            log.log(logging.WARNING, f"auth {self.path}", "Refused sid %s: %s", sid, message)
            raise socketio.exceptions.ConnectionRefusedError(
                message, {"code": "invalid_auth", "details": str(exc)}
            ) from None
        cell = StateCell(self.name)
        lifecycle = _Lifecycle()
        conn = Connection[ProtocolT, NamespaceT, StateT](
            self,
            sid,
            auth,
            environ,
            cell,
            lifecycle=lifecycle,
            outgoing=self._outgoing,
            pending=self._pending,
        )
        self._members[sid] = _Member(conn, lifecycle, cell, f"sid {sid}")
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
        member = self._members.pop(sid, None)
        if member is not None:
            member.state.end()

    async def _disconnected(self, sid: str, reason: Any = None) -> None:
        member = self._members.pop(sid, None)
        if member is None:
            return
        conn, lifecycle = member.conn, member.lifecycle
        # The disconnect handler may still read the rooms, to tell them who left.
        lifecycle.rooms_at_disconnect = conn.rooms()
        lifecycle.open = False
        self._pending.fail(sid, "disconnected", "the client disconnected before answering")
        try:
            if self._disconnect_handler is not None:
                await invoke(self._disconnect_handler, conn, DisconnectReason.from_socketio(reason))
        except Exception:
            self._log.log(
                logging.ERROR,
                f"disconnect handler {self.path}",
                'Disconnect handler of namespace "%s" raised for sid %s',
                self.name,
                sid,
                exc_info=True,
            )
        finally:
            lifecycle.rooms_at_disconnect = frozenset()
            member.state.end()

    def _runs_without_waiting(self, pkt: PursocketPacket) -> bool:
        return pkt.checked and self._inbound.runs_without_waiting(pkt.data[0], pkt.id is not None)

    async def _receive(self, sid: str, eio_sid: str, pkt: PursocketPacket) -> None:
        member = self._members.get(sid)
        if member is None:
            return
        await self._handle_event(
            pkt,
            leading=(member.conn,),
            peer=member.peer,
            acknowledge=functools.partial(self.server.sio.acknowledge, eio_sid),
        )


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
        *,
        lifecycle: _Lifecycle,
        outgoing: OutgoingEvents,
        pending: PendingCalls,
    ) -> None:
        self.namespace = namespace
        #: The connection's Socket.IO id in this namespace (also the name of its own room).
        self.sid = sid
        self._auth = auth
        self._state = state
        #: The WSGI-style environ of the connecting request; under ASGI the peer
        #: address is ``environ["asgi.scope"]["client"]``.
        self.environ = environ
        self._lifecycle = lifecycle
        self._outgoing = outgoing
        self._pending = pending

    @property
    def connected(self) -> bool:
        """Whether the connection is still open."""
        return self._lifecycle.open

    @property
    def auth(self) -> Any:
        """What the client sent as ``auth`` in its CONNECT packet (``None`` if nothing).

        When the namespace declares ``auth`` it has been validated against that type
        (keys the type does not declare are dropped), and the mypy plugin and the
        generated typed API (``pursocket export python``) type it so. Otherwise it is
        the JSON object the client sent, unchecked, as a ``dict`` (a CONNECT packet
        carrying anything else is refused with ``invalid_auth``), typed
        ``dict[str, object] | None`` by the plugin and the generated API. Without
        either it is typed ``Any``: only they know which namespace it belongs to.
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
        _, arguments = self._outgoing.check(event, EventKind.MSG, payload)
        await self._sio.emit(event, arguments, to=self.sid, namespace=self.namespace.path)

    async def call(self, event: str, payload: Any, *, timeout: float = DEFAULT_CALL_TIMEOUT) -> Any:
        """Send the s2c Call ``event`` to this client and return its validated response.

        On the wire: an EVENT packet with one argument and an acknowledgement id; the
        client's ACK carries the response. Raises :class:`~pursocket.CallTimeout` after
        ``timeout`` seconds without an answer, and :class:`~pursocket.CallError` if
        the client answers with an error or with something that is not the declared
        response, or disconnects first (code ``disconnected``, raised at once).
        Without the mypy plugin or the generated typed API (``pursocket export python``) the
        payload and the result are typed ``Any``.
        """
        validators, arguments = self._outgoing.check(event, EventKind.CALL, payload)
        spec = validators.spec
        if not self._lifecycle.open:
            raise CallError(
                "disconnected", "the client has disconnected", namespace=spec.namespace, event=event
            )

        sent: list[Callable[..., None]] = []

        async def send(on_ack: Callable[..., None]) -> None:
            sent.append(on_ack)
            await self._sio.emit(
                event, arguments, to=self.sid, namespace=self.namespace.path, callback=on_ack
            )

        try:
            return await self._pending.call(self.sid, spec, send, timeout, validators.response)
        except (CallTimeout, CallError):
            # An unanswered Call leaves its callback in python-socketio's manager until
            # the connection ends: drop it, so a long-lived connection cannot pile them up.
            for on_ack in sent:
                self._sio.forget_acknowledgement(self.sid, on_ack)
            raise

    async def broadcast_except_sender(self, event: str, payload: Any) -> None:
        """Send the s2c Msg ``event`` to every client in the namespace but this one.

        On the wire: ``AsyncServer.emit(event, (payload,), skip_sid=sid, namespace=path)``,
        the Node ``socket.broadcast.emit``.
        """
        _, arguments = self._outgoing.check(event, EventKind.MSG, payload)
        await self._sio.emit(event, arguments, skip_sid=self.sid, namespace=self.namespace.path)

    async def broadcast_to_room_except_sender(self, room: str, event: str, payload: Any) -> None:
        """Send the s2c Msg ``event`` to every member of ``room`` but this connection.

        On the wire: ``AsyncServer.emit(event, (payload,), to=room, skip_sid=sid,
        namespace=path)``, the Node ``socket.to(room).emit``. This connection need not
        be a member of the room.
        """
        _check_room(room)
        _, arguments = self._outgoing.check(event, EventKind.MSG, payload)
        await self._sio.emit(
            event, arguments, to=room, skip_sid=self.sid, namespace=self.namespace.path
        )

    async def join_room(self, room: str) -> None:
        """Add this connection to ``room`` (idempotent); nothing once it has disconnected.

        ``AsyncServer.enter_room(sid, room, namespace=path)``. Membership is kept by
        the process that holds the connection: under a message-queue manager every
        broadcast reaches every process, and each delivers it to its own members.
        ``ValueError`` if ``room`` is another connection's sid (that room is its alone).
        """
        _check_room(room)
        if not self._lifecycle.open:
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
        if not self._lifecycle.open:
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
        if not self._lifecycle.open:
            return self._lifecycle.rooms_at_disconnect
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
