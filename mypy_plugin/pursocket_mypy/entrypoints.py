"""Every public entry point that names an event, and how it uses the event.

Adding an entry point to pursocket (a new room helper, say) means adding one row
here; the hooks read everything else from this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from pursocket_mypy import fullnames
from pursocket_mypy.protocol_types import Direction, Kind


@dataclass(frozen=True)
class EventUse:
    """How one method uses the event it names."""

    #: The pursocket class that defines the method.
    base: str
    #: The method's name, as messages quote it (``emit``).
    method: str
    #: ``"server"`` or ``"client"``: who calls the method.
    side: str
    #: The direction the event must be declared in.
    direction: Direction
    #: The kind of event the method takes.
    kind: Kind
    #: What the method does with the event, for direction errors (``a client cannot emit it``).
    verb: str
    #: What to use instead for an event of the other kind (``call()``).
    instead: str
    #: The positional index of the event name among the arguments (``self`` excluded).
    event_index: int
    #: The positional index of the payload, for methods that send one.
    payload_index: int | None = None
    #: What the argument at ``payload_index`` is: the event's ``"payload"``, or the
    #: Call's ``"response"`` (a test client's ``answer``).
    argument: str = "payload"
    #: What the method's result is narrowed to: the Call's ``"response"``, the event's
    #: ``"payload"`` (a test client's ``next``, or ``received``'s list of them), or nothing.
    result: str | None = None

    @property
    def fullname(self) -> str:
        """The method's fully qualified name on its defining class."""
        return f"{self.base}.{self.method}"


_ON_ONE_CONNECTION: Final = "call() on one Connection"

#: Methods that send an event: their signature is narrowed before mypy checks the payload.
SENDERS: Final = (
    EventUse(
        base=fullnames.CLIENT_NAMESPACE,
        method="emit",
        side="client",
        direction="c2s",
        kind="Msg",
        verb="emit",
        instead="call()",
        event_index=0,
        payload_index=1,
    ),
    EventUse(
        base=fullnames.CLIENT_NAMESPACE,
        method="call",
        side="client",
        direction="c2s",
        kind="Call",
        verb="call",
        instead="emit()",
        event_index=0,
        payload_index=1,
        result="response",
    ),
    EventUse(
        base=fullnames.CONNECTION,
        method="emit",
        side="server",
        direction="s2c",
        kind="Msg",
        verb="emit",
        instead="call()",
        event_index=0,
        payload_index=1,
    ),
    EventUse(
        base=fullnames.CONNECTION,
        method="call",
        side="server",
        direction="s2c",
        kind="Call",
        verb="call",
        instead="emit()",
        event_index=0,
        payload_index=1,
        result="response",
    ),
    EventUse(
        base=fullnames.CONNECTION,
        method="broadcast_except_sender",
        side="server",
        direction="s2c",
        kind="Msg",
        verb="broadcast",
        instead=_ON_ONE_CONNECTION,
        event_index=0,
        payload_index=1,
    ),
    EventUse(
        base=fullnames.CONNECTION,
        method="broadcast_to_room_except_sender",
        side="server",
        direction="s2c",
        kind="Msg",
        verb="broadcast",
        instead=_ON_ONE_CONNECTION,
        event_index=1,
        payload_index=2,
    ),
    EventUse(
        base=fullnames.SERVER_NAMESPACE,
        method="broadcast",
        side="server",
        direction="s2c",
        kind="Msg",
        verb="broadcast",
        instead=_ON_ONE_CONNECTION,
        event_index=0,
        payload_index=1,
    ),
    EventUse(
        base=fullnames.SERVER_NAMESPACE,
        method="broadcast_to_room",
        side="server",
        direction="s2c",
        kind="Msg",
        verb="broadcast",
        instead=_ON_ONE_CONNECTION,
        event_index=1,
        payload_index=2,
    ),
)

#: The test client (``pursocket.testing``): it sends like a client namespace, reads
#: what the server sent, and answers the server's Calls.
TEST_CLIENT: Final = (
    EventUse(
        base=fullnames.RECORDING_CLIENT,
        method="emit",
        side="client",
        direction="c2s",
        kind="Msg",
        verb="emit",
        instead="call()",
        event_index=0,
        payload_index=1,
    ),
    EventUse(
        base=fullnames.RECORDING_CLIENT,
        method="call",
        side="client",
        direction="c2s",
        kind="Call",
        verb="call",
        instead="emit()",
        event_index=0,
        payload_index=1,
        result="response",
    ),
    EventUse(
        base=fullnames.RECORDING_CLIENT,
        method="next",
        side="client",
        direction="s2c",
        kind="Msg",
        verb="receive",
        instead="answer()",
        event_index=0,
        result="payload",
    ),
    EventUse(
        base=fullnames.RECORDING_CLIENT,
        method="received",
        side="client",
        direction="s2c",
        kind="Msg",
        verb="receive",
        instead="answer()",
        event_index=0,
        result="payload",
    ),
    EventUse(
        base=fullnames.RECORDING_CLIENT,
        method="nothing_more",
        side="client",
        direction="s2c",
        kind="Msg",
        verb="receive",
        instead="answer()",
        event_index=0,
    ),
    EventUse(
        base=fullnames.RECORDING_CLIENT,
        method="answer",
        side="client",
        direction="s2c",
        kind="Call",
        verb="answer",
        instead="next()",
        event_index=0,
        payload_index=1,
        argument="response",
    ),
)

#: Decorators that register a handler for an event.
REGISTRARS: Final = (
    EventUse(
        base=fullnames.SERVER_NAMESPACE,
        method="on",
        side="server",
        direction="c2s",
        kind="Msg",
        verb="handle",
        instead="on_call()",
        event_index=0,
    ),
    EventUse(
        base=fullnames.SERVER_NAMESPACE,
        method="on_call",
        side="server",
        direction="c2s",
        kind="Call",
        verb="handle",
        instead="on()",
        event_index=0,
    ),
    EventUse(
        base=fullnames.CLIENT_NAMESPACE,
        method="on",
        side="client",
        direction="s2c",
        kind="Msg",
        verb="handle",
        instead="on_call()",
        event_index=0,
    ),
    EventUse(
        base=fullnames.CLIENT_NAMESPACE,
        method="on_call",
        side="client",
        direction="s2c",
        kind="Call",
        verb="handle",
        instead="on()",
        event_index=0,
    ),
    EventUse(
        base=fullnames.RECORDING_CLIENT,
        method="on_call",
        side="client",
        direction="s2c",
        kind="Call",
        verb="handle",
        instead="next()",
        event_index=0,
    ),
)

#: The namespace-handle classes, by the side that uses them.
SIDE_OF_HANDLE: Final = {
    fullnames.SERVER_NAMESPACE: "server",
    fullnames.CONNECTION: "server",
    fullnames.CLIENT_NAMESPACE: "client",
    fullnames.RECORDING_CLIENT: "client",
}
