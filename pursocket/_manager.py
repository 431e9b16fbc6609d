"""The single-process client manager pursocket's server uses unless given another."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import socketio
from engineio import packet as eio_packet
from socketio import packet

from pursocket._logging import LogLimiter

__all__ = ["LocalManager"]


class LocalManager(socketio.AsyncManager):  # type: ignore[misc]
    """The single-process manager, sending a broadcast without a task per recipient.

    python-socketio's manager starts one task per recipient and waits for them all.
    Handing a packet to a connection only puts it on that connection's unbounded
    queue and never waits, so this manager does it for every recipient in turn in
    the emitting task: the same packets in the same order, for a fraction of the CPU
    time in a large room. Emits that expect acknowledgements, and message-queue
    managers (Redis, RabbitMQ), keep python-socketio's behaviour. A connection whose
    send fails is logged through ``log``.
    """

    def __init__(self, log: LogLimiter) -> None:
        super().__init__()
        self._pursocket_log = log

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
                self._pursocket_log.log(
                    logging.WARNING,
                    f"eio {eio_sid}",
                    "Could not send a broadcast to Engine.IO session %s",
                    eio_sid,
                    exc_info=True,
                )
        # Let the connections' writers run before the emitting task goes on, as
        # python-socketio's waiting for its send tasks does.
        await asyncio.sleep(0)
