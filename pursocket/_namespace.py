"""What a namespace handle does on either side: :class:`NamespaceBase`.

``ServerNamespace`` and ``ClientNamespace`` differ in who they talk to (many
connections or one server) and in their handlers' leading arguments; they share
how handlers are registered, how what they send is checked, and how a Call from
the peer is answered.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from pursocket._codec import PursocketPacket
from pursocket._inbound import InboundEvents
from pursocket._logging import LogLimiter
from pursocket._outgoing import OutgoingEvents
from pursocket.protocol import Direction, EventKind, NamespaceSpec
from pursocket.validation import EventValidators

__all__ = ["Acknowledge", "NamespaceBase"]

HandlerT = TypeVar("HandlerT", bound=Callable[..., Any])

#: Sends an ACK packet: (namespace path, ack id, the one argument, ``binary`` flag).
Acknowledge = Callable[[str, int, Any, "bool | None"], Awaitable[None]]


class NamespaceBase:
    """One side of one namespace: its handlers for what arrives, its check of what leaves."""

    def __init__(
        self,
        spec: NamespaceSpec,
        validators: Mapping[tuple[str, Direction, str], EventValidators],
        *,
        receives: Direction,
        side: str,
        log: LogLimiter,
    ) -> None:
        #: The namespace as the protocol declares it.
        self.spec = spec
        #: The protocol's name for the namespace (``"lobby"``).
        self.name: str = spec.name
        #: The Socket.IO namespace (``"/lobby"``).
        self.path: str = spec.path
        self._log = log
        self._inbound = InboundEvents(spec, receives, validators, side, log)
        self._outgoing = OutgoingEvents(spec, receives.opposite, validators)
        self._connect_handler: Callable[..., Any] | None = None
        self._disconnect_handler: Callable[..., Any] | None = None

    def _registrar(self, event: str, kind: EventKind) -> Callable[[HandlerT], HandlerT]:
        """A decorator registering its handler for ``event``; ``ProtocolError`` if undeclared."""

        def register(handler: HandlerT) -> HandlerT:
            self._inbound.register(event, kind, handler)
            return handler

        return register

    async def _handle_event(
        self,
        pkt: PursocketPacket,
        *,
        leading: tuple[Any, ...],
        peer: str,
        acknowledge: Acknowledge,
    ) -> None:
        """Handle one EVENT packet from ``peer``; answer it through ``acknowledge`` if a Call."""
        ack_id = pkt.id
        reply = await self._inbound.dispatch(
            pkt.data,
            checked=pkt.checked,
            rejection=pkt.rejection,
            leading=leading,
            wants_ack=ack_id is not None,
            peer=peer,
        )
        if ack_id is None:
            return

        async def send(argument: Any, binary: bool | None) -> None:
            await acknowledge(self.path, ack_id, argument, binary)

        await self._inbound.answer(send, pkt.data[0], reply, peer)
