"""Binary packets waiting for their attachments, bounded in time and in bytes.

A Socket.IO binary packet arrives as a text frame announcing N attachments, then N
binary frames. Until the last one arrives the packet is parked on the server. Each
connection parks at most one packet, whose attachments together obey the message
size limit (see :class:`~pursocket._codec.PursocketPacket`); :class:`ParkedPackets`
adds what bounds them across connections and over time: the bytes parked by all
connections together, and how long one packet may wait.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from pursocket._codec import MalformedPacket, PursocketPacket

__all__ = ["DEFAULT_PARKED_SECONDS", "DEFAULT_PARKED_TOTAL_BYTES", "ParkedPackets"]

#: How long a binary packet may wait for its attachments, in seconds.
DEFAULT_PARKED_SECONDS = 30.0
#: The most attachment bytes all connections' waiting packets may hold together.
DEFAULT_PARKED_TOTAL_BYTES = 64_000_000


class ParkedPackets:
    """The binary packet each connection is receiving, keyed by Engine.IO session.

    ``expired(eio_sid)`` is called when a packet has waited ``seconds`` without
    being completed; the caller closes that connection.
    """

    def __init__(
        self,
        expired: Callable[[str], Any],
        total_bytes: int = DEFAULT_PARKED_TOTAL_BYTES,
        seconds: float = DEFAULT_PARKED_SECONDS,
    ) -> None:
        self.total_bytes = total_bytes
        self.seconds = seconds
        self._expired = expired
        self._packets: dict[str, tuple[PursocketPacket, asyncio.TimerHandle]] = {}
        self._bytes = 0

    def park(self, eio_sid: str, pkt: PursocketPacket) -> None:
        """Keep ``pkt`` until its attachments arrive, for at most ``seconds``."""
        self.drop(eio_sid)
        timer = asyncio.get_running_loop().call_later(self.seconds, self._expired, eio_sid)
        self._packets[eio_sid] = (pkt, timer)

    def add(self, eio_sid: str, attachment: Any) -> PursocketPacket | None:
        """Give ``attachment`` to ``eio_sid``'s packet; the packet once it is complete.

        Raises :class:`MalformedPacket` if it does not fit the packet, or if the
        waiting packets would then hold more than ``total_bytes`` together. Returns
        ``None`` while attachments are still due, and when no packet waits (the
        caller treats the frame as a packet of its own).
        """
        parked = self._packets.get(eio_sid)
        if parked is None:
            return None
        pkt = parked[0]
        before = pkt.attachment_bytes
        complete = pkt.add_attachment(attachment)
        self._bytes += pkt.attachment_bytes - before
        if self._bytes > self.total_bytes:
            raise MalformedPacket(
                f"the binary packets waiting for attachments would hold more than "
                f"{self.total_bytes} bytes together"
            )
        if not complete:
            return None
        self.drop(eio_sid)
        return pkt

    def waiting(self, eio_sid: str) -> bool:
        """Whether ``eio_sid`` has a packet waiting for attachments."""
        return eio_sid in self._packets

    def drop(self, eio_sid: str) -> None:
        """Forget ``eio_sid``'s packet (completed, refused, or its connection ended)."""
        parked = self._packets.pop(eio_sid, None)
        if parked is not None:
            pkt, timer = parked
            timer.cancel()
            self._bytes -= pkt.attachment_bytes
