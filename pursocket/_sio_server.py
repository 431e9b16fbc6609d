"""pursocket's ``socketio.AsyncServer``: every packet a client sends passes its trust boundary.

:class:`SocketIOServer` is what ``Server.sio`` is. It is a plain
``socketio.AsyncServer`` for everything pursocket does not wrap, and overrides the
private python-socketio methods listed in ``tests/test_upstream_contract.py``.
"""

from __future__ import annotations

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
from pursocket._tasks import InOrder, run
from pursocket.protocol import NamespaceSpec

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


class SocketIOServer(socketio.AsyncServer):  # type: ignore[misc]
    """``socketio.AsyncServer`` whose packets go through pursocket's trust boundary.

    * EVENT packets go to pursocket's namespaces only: python-socketio would route an
      event named ``connect`` or ``disconnect`` to the lifecycle handlers, and sends
      no acknowledgement when a handler fails.
    * A packet that is not well-formed Socket.IO closes that client's connection with
      one rate-limited log line, instead of a traceback per packet (and instead of
      wedging the connection, for a bad binary attachment).
    * With ``in_order``, each connection's events run one after another.
    """

    def __init__(
        self,
        *,
        routes: Mapping[str, ServerRoute],
        log: LogLimiter,
        in_order: InOrder | None,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self._pursocket_routes = routes
        self._pursocket_log = log
        self._pursocket_in_order = in_order
        for path, route in routes.items():
            self.on("connect", route.connected, namespace=path)
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
        if path not in self._pursocket_routes:
            # python-socketio's own refusal says only "Unable to connect".
            specs = [route.spec for route in self._pursocket_routes.values()]
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
        route = self._pursocket_routes.get(path)
        sid = self.manager.sid_from_eio_sid(eio_sid, path)
        if route is None or sid is None or not self.manager.is_connected(sid, path):
            return
        run(route.receive(sid, eio_sid, pkt), self._pursocket_in_order, sid)
