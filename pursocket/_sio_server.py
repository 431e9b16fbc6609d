"""pursocket's ``socketio.AsyncServer``: every packet a client sends passes its trust boundary.

:class:`SocketIOServer` is what ``Server.sio`` is. It is a plain
``socketio.AsyncServer`` for everything pursocket does not wrap (``docs/escape-hatch.md``
says exactly what reaches it), and overrides the private python-socketio methods
listed in ``tests/test_upstream_contract.py``.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any

import attrs
import engineio
import socketio
from socketio import packet

from pursocket._codec import MalformedPacket, PursocketPacket
from pursocket._engine import EngineIOServer
from pursocket._logging import LogLimiter
from pursocket._parked import DEFAULT_PARKED_TOTAL_BYTES, ParkedPackets
from pursocket._tasks import EventRunner, spawn
from pursocket.protocol import RESERVED_EVENT_NAMES, NamespaceSpec

__all__ = ["ServerRoute", "SocketIOServer"]


@attrs.frozen
class ServerRoute:
    """Where :class:`SocketIOServer` delivers what happens in one declared namespace."""

    spec: NamespaceSpec
    #: ``connected(sid, environ, auth)``: python-socketio's ``connect`` handler.
    connected: Callable[[str, dict[str, Any], Any], Awaitable[None]]
    #: ``disconnected(sid, reason)``: python-socketio's ``disconnect`` handler.
    disconnected: Callable[[str, Any], Awaitable[None]]
    #: ``receive(sid, eio_sid, packet)``: handles one EVENT packet of a connected client.
    receive: Callable[[str, str, PursocketPacket], Coroutine[Any, Any, None]]
    #: ``runs_without_waiting(packet)``: whether handling the EVENT packet runs none of
    #: the app's code that could wait, so it can run as the packet is read, without a task.
    runs_without_waiting: Callable[[PursocketPacket], bool]


class SocketIOServer(socketio.AsyncServer):  # type: ignore[misc]
    """``socketio.AsyncServer`` whose packets go through pursocket's trust boundary.

    * An EVENT packet for an event the protocol declares goes to pursocket's namespace:
      python-socketio would route an event named ``connect`` or ``disconnect`` to the
      lifecycle handlers, and sends no acknowledgement when a handler fails. An event
      the protocol does not declare, or any event of a namespace it does not declare,
      goes to python-socketio's own handlers when one is registered for it on this
      object (``on``, a ``"*"`` catch-all, ``register_namespace``), and is refused
      as an unknown event otherwise.
    * After :meth:`instrument`, the Socket.IO Admin UI also sees the events pursocket
      handles.
    * A packet that is not well-formed Socket.IO closes that client's connection with
      one rate-limited log line, instead of a traceback per packet (and instead of
      wedging the connection, for a bad binary attachment).
    * ``events`` starts each event as it is read: a plain-function handler's runs
      there, without a task, an ``async def`` handler's in a task of its own (see
      :mod:`pursocket._tasks`); in order per connection with ``ordered=True``, at most
      ``max_in_flight`` of a connection at a time.
    """

    def __init__(
        self,
        *,
        routes: Mapping[str, ServerRoute],
        log: LogLimiter,
        events: EventRunner,
        **options: Any,
    ) -> None:
        # Set first: python-socketio's __init__ builds the Engine.IO server, which shares it.
        self._pursocket_log = log
        super().__init__(**options)
        self._pursocket_routes = routes
        self._pursocket_events = events
        self._pursocket_parked = ParkedPackets(
            self._pursocket_parked_too_long,
            total_bytes=max(DEFAULT_PARKED_TOTAL_BYTES, 4 * self.eio.max_http_buffer_size),
        )
        self._pursocket_reports_events = False
        self._pursocket_admin: Any = None
        for path, route in routes.items():
            self.on("connect", _with_exact_auth(route.connected), namespace=path)
            self.on("disconnect", route.disconnected, namespace=path)

    async def acknowledge(
        self, eio_sid: str, namespace: str, ack_id: int, argument: Any, binary: bool | None
    ) -> None:
        """Send an ACK packet carrying ``argument`` to the Engine.IO session ``eio_sid``."""
        await self._send_packet(
            eio_sid,
            self.packet_class(
                packet.ACK, namespace=namespace, id=ack_id, data=[argument], binary=binary
            ),
        )

    async def send_to_each(self, eio_sids: list[str], messages: list[Any]) -> None:
        """Queue the Engine.IO packets ``messages`` for each session of ``eio_sids`` in turn.

        A session whose send fails is logged; the others still get the messages.
        """
        send = self.eio.send_packet
        for eio_sid in eio_sids:
            try:
                for message in messages:
                    await send(eio_sid, message)
            except Exception:  # one failing connection must not cost the others the message
                self._pursocket_log.log(
                    logging.WARNING,
                    f"eio {eio_sid}",
                    "Could not send a broadcast to Engine.IO session %s",
                    eio_sid,
                    exc_info=True,
                )

    def instrument(self, *args: Any, **kwargs: Any) -> Any:
        """Serve the Socket.IO Admin UI: python-socketio's ``instrument``, same arguments.

        The Admin UI sees every connection, room and event, including the events the
        protocol declares (which pursocket, not python-socketio, handles), and
        :meth:`shutdown` stops its statistics task. python-socketio patches
        python-engineio's socket class for the whole process: instrument one server
        per process.
        """
        self._pursocket_reports_events = True
        self._pursocket_admin = super().instrument(*args, **kwargs)
        return self._pursocket_admin

    async def shutdown(self) -> None:
        """Stop background tasks: the Admin UI's statistics (if instrumented), then engineio's."""
        if self._pursocket_admin is not None:
            await self._pursocket_admin.shutdown()
        await super().shutdown()

    def _pursocket_sio_handles(self, path: str, event: object) -> bool:
        """Whether a handler registered on this object takes ``event`` in ``path``."""
        if not isinstance(event, str) or event in RESERVED_EVENT_NAMES:
            return False
        route = self._pursocket_routes.get(path)
        if route is not None and event in route.spec.c2s:
            return False
        handler, _ = self._get_event_handler(event, path, ())
        if handler is None:
            handler, _ = self._get_namespace_handler(path, ())
        return handler is not None

    async def _trigger_event(self, event: str, namespace: str, *args: Any) -> Any:
        route = self._pursocket_routes.get(namespace)
        if route is not None and isinstance(event, str) and event in route.spec.c2s:
            # Only the Admin UI's tracing sees a declared event here (see
            # _pursocket_complete): pursocket's namespace handles it, never a handler
            # registered on this object.
            return self.not_handled
        return await super()._trigger_event(event, namespace, *args)

    def forget_acknowledgement(self, sid: str, callback: Callable[..., Any]) -> None:
        """Drop ``callback``, registered for an ACK from ``sid`` that will not be awaited.

        python-socketio keeps each emit's callback in its manager until the ACK comes
        or the connection ends. The newest entries are looked at first: the one to
        drop was registered by the emit that just returned.
        """
        waiting = self.manager.callbacks.get(sid)
        if not waiting:
            return
        for ack_id, stored in reversed(waiting.items()):
            if stored is callback:
                del waiting[ack_id]
                return

    def _engineio_server_class(self) -> Callable[..., engineio.AsyncServer]:
        return functools.partial(EngineIOServer, log=self._pursocket_log)

    async def _handle_eio_disconnect(self, eio_sid: str, reason: Any = None) -> None:
        # The events that arrived before the connection ended start before it ends.
        await self._pursocket_events.started(eio_sid)
        self._pursocket_events.end(eio_sid)
        self._pursocket_parked.drop(eio_sid)
        await super()._handle_eio_disconnect(eio_sid, reason)
        socket = self.eio.sockets.get(eio_sid)
        if socket is not None:
            self.eio.session_ended(eio_sid, socket)

    async def _handle_connect(self, eio_sid: str, namespace: str | None, data: Any) -> None:
        path = namespace or "/"
        if path not in self._pursocket_routes and not self._pursocket_knows_namespace(path):
            # python-socketio's own refusal says only "Unable to connect".
            specs = [route.spec for route in self._pursocket_routes.values()]
            declared = ", ".join(f'"{spec.path}"' for spec in specs)
            message = (
                f'Unknown namespace "{path}"; protocol {specs[0].protocol_name} declares {declared}'
            )
            await self._pursocket_refuse(eio_sid, path, message)
            return
        if data is not None and not data and path in self._pursocket_routes:
            # python-socketio hands a falsy auth ({}, 0, "") to the connect handler as
            # None; a pursocket namespace gets it as sent (the escape hatch's handlers
            # get python-socketio's behaviour).
            data = _FalsyAuth(data)
        await super()._handle_connect(eio_sid, namespace, data)

    def _pursocket_knows_namespace(self, path: str) -> bool:
        """Whether handlers for the undeclared namespace ``path`` are registered on this object."""
        return path in self.handlers or path in self.namespace_handlers

    def _pursocket_parked_too_long(self, eio_sid: str) -> None:
        self._pursocket_parked.drop(eio_sid)
        self._pursocket_log.log(
            logging.WARNING,
            f"eio {eio_sid}",
            "Closing the connection of Engine.IO session %s: a binary packet waited more "
            "than %g s for its attachments",
            eio_sid,
            self._pursocket_parked.seconds,
        )
        spawn(self.eio.disconnect(eio_sid))

    async def _pursocket_refuse(
        self, eio_sid: str, path: str, message: str, data: Any = None
    ) -> None:
        """Refuse a connection to ``path`` with a CONNECT_ERROR packet carrying ``message``.

        ``data``, when given, travels beside the message as any pursocket refusal's does.
        """
        refusal: dict[str, Any] = {"message": message}
        if data is not None:
            refusal["data"] = data
        await self._send_packet(
            eio_sid, self.packet_class(packet.CONNECT_ERROR, data=refusal, namespace=path)
        )

    async def _handle_eio_message(self, eio_sid: str, data: Any) -> None:
        try:
            await self._pursocket_message(eio_sid, data)
        except Exception as exc:  # whatever a peer sends, it gets no traceback in the log
            self._pursocket_parked.drop(eio_sid)
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
        if self._pursocket_parked.waiting(eio_sid):
            complete = self._pursocket_parked.add(eio_sid, data)
            if complete is not None:
                await self._pursocket_complete(eio_sid, complete)
            return
        pkt = self.packet_class(encoded_packet=data)
        kind = pkt.packet_type
        if kind == packet.CONNECT:
            if pkt.rejection is not None:  # an auth too large to decode, or not an object
                path = pkt.namespace or "/"
                self._pursocket_log.log(
                    logging.WARNING,
                    f"eio {eio_sid}",
                    'Refused a connection of Engine.IO session %s to "%s": %s',
                    eio_sid,
                    path,
                    pkt.rejection,
                )
                await self._pursocket_refuse(
                    eio_sid, path, pkt.rejection, {"code": "invalid_auth", "details": pkt.rejection}
                )
                return
            await self._handle_connect(eio_sid, pkt.namespace, pkt.data)
        elif kind == packet.DISCONNECT:
            await self._pursocket_events.started(eio_sid)
            await self._handle_disconnect(eio_sid, pkt.namespace, self.reason.CLIENT_DISCONNECT)
        elif kind in (packet.EVENT, packet.ACK):
            await self._pursocket_complete(eio_sid, pkt)
        elif kind in (packet.BINARY_EVENT, packet.BINARY_ACK):
            if self.manager.sid_from_eio_sid(eio_sid, pkt.namespace or "/") is None:
                raise MalformedPacket("a binary packet for a namespace it has not connected")
            self._pursocket_parked.park(eio_sid, pkt)
        else:
            raise MalformedPacket(f"a client may not send {packet.packet_names[kind]} packets")

    async def _pursocket_complete(self, eio_sid: str, pkt: PursocketPacket) -> None:
        if pkt.packet_type in (packet.ACK, packet.BINARY_ACK):
            await self._handle_ack(eio_sid, pkt.namespace, pkt.id, pkt.data)
            return
        path = pkt.namespace or "/"
        sid = self.manager.sid_from_eio_sid(eio_sid, path)
        if sid is None or not self.manager.is_connected(sid, path):
            return
        event = pkt.data[0]
        route = self._pursocket_routes.get(path)
        if self._pursocket_sio_handles(path, event):
            await self._handle_event(eio_sid, pkt.namespace, pkt.id, pkt.data)
            return
        if route is None:
            # A reserved event name, or one no handler takes, in a namespace the
            # protocol does not declare: python-socketio would run a lifecycle handler.
            self._pursocket_log.log(
                logging.WARNING,
                f"sid {sid}",
                'Dropped an event of sid %s in namespace "%s": no handler takes it',
                sid,
                path,
            )
            return
        if self._pursocket_reports_events and isinstance(event, str):
            # The Admin UI's instrumentation wraps _trigger_event to report each event.
            await self._trigger_event(event, path, sid, *pkt.data[1:])
        await self._pursocket_events.start(
            eio_sid, sid, route.receive(sid, eio_sid, pkt), plain=route.runs_without_waiting(pkt)
        )


class _FalsyAuth:
    """A CONNECT packet's auth that is present but falsy, carried past python-socketio."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def _with_exact_auth(
    connected: Callable[[str, dict[str, Any], Any], Awaitable[None]],
) -> Callable[[str, dict[str, Any], Any], Awaitable[None]]:
    """``connected`` called with the auth exactly as the client sent it."""

    async def connect(sid: str, environ: dict[str, Any], auth: Any) -> None:
        await connected(sid, environ, auth.value if isinstance(auth, _FalsyAuth) else auth)

    return connect
