"""How pursocket's server delivers a broadcast to the recipients this process holds.

python-socketio's managers start one task per recipient and wait for them all, both
the single-process manager and, for their local delivery, the message-queue managers
(Redis, RabbitMQ). pursocket's server delivers without a task per recipient: with
no manager given it uses :class:`LocalManager`, and it gives a message-queue manager
the same local delivery (:func:`deliver_locally_without_tasks`).
"""

from __future__ import annotations

import asyncio
from typing import Any

import socketio
from engineio import packet as eio_packet
from socketio import packet
from socketio.async_pubsub_manager import AsyncPubSubManager

__all__ = ["LocalManager", "deliver_locally_without_tasks"]


class LocalManager(socketio.AsyncManager):  # type: ignore[misc]
    """The single-process manager, delivering a broadcast without a task per recipient.

    Handing a packet to a connection only puts it on that connection's unbounded
    queue and never waits, so this manager encodes the broadcast once and queues it
    for every recipient in turn in the emitting task: the same packets in the same
    order as python-socketio's manager, for a fraction of the CPU time in a large
    room. Emits that expect acknowledgements keep python-socketio's behaviour. Its
    server is pursocket's ``SocketIOServer``, whose ``send_to_each`` queues the
    packets (and logs a connection whose send fails).
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
        """Send ``event`` to every participant of ``to``/``room`` in this process but ``skip_sid``."""
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
        await self.server.send_to_each(recipients, messages)
        # Let the connections' writers run before the emitting task goes on, as
        # python-socketio's waiting for its send tasks does.
        await asyncio.sleep(0)


def deliver_locally_without_tasks(manager: Any) -> None:
    """Give a message-queue ``manager`` :class:`LocalManager`'s local delivery.

    python-socketio's ``AsyncPubSubManager`` (the base of ``AsyncRedisManager`` and
    ``AsyncAioPikaManager``) delivers a broadcast to this process's recipients, for
    a broadcast of its own as for one read from the channel, through
    ``super().emit(...)``: the next class in the manager's method resolution order.
    The manager's class is extended, in place, by a subclass that puts
    :class:`LocalManager` there, so that call reaches ``LocalManager.emit``; the
    manager stays an instance of its class and publishes as before. Any other
    manager is left as it is.
    """
    if isinstance(manager, AsyncPubSubManager) and not isinstance(manager, LocalManager):
        kind = type(manager)
        extended = _DELIVERING_LOCALLY.get(kind)
        if extended is None:
            extended = type(kind.__name__, (kind, LocalManager), {"__module__": kind.__module__})
            _DELIVERING_LOCALLY[kind] = extended
        manager.__class__ = extended


#: Each message-queue manager class, extended with LocalManager's local delivery.
_DELIVERING_LOCALLY: dict[type, type] = {}
