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

    @property
    def fullname(self) -> str:
        """The method's fully qualified name on its defining class."""
        return f"{self.base}.{self.method}"


_ON_ONE_CONNECTION: Final = "call() on one Connection"

#: Methods that send an event: their signature is narrowed before mypy checks the payload.
SENDERS: Final = (
    EventUse(fullnames.CLIENT_NAMESPACE, "emit", "client", "c2s", "Msg", "emit", "call()", 0, 1),
    EventUse(fullnames.CLIENT_NAMESPACE, "call", "client", "c2s", "Call", "call", "emit()", 0, 1),
    EventUse(fullnames.CONNECTION, "emit", "server", "s2c", "Msg", "emit", "call()", 0, 1),
    EventUse(fullnames.CONNECTION, "call", "server", "s2c", "Call", "call", "emit()", 0, 1),
    EventUse(
        fullnames.CONNECTION,
        "broadcast_except_sender",
        "server",
        "s2c",
        "Msg",
        "broadcast",
        _ON_ONE_CONNECTION,
        0,
        1,
    ),
    EventUse(
        fullnames.CONNECTION,
        "broadcast_to_room_except_sender",
        "server",
        "s2c",
        "Msg",
        "broadcast",
        _ON_ONE_CONNECTION,
        1,
        2,
    ),
    EventUse(
        fullnames.SERVER_NAMESPACE,
        "broadcast",
        "server",
        "s2c",
        "Msg",
        "broadcast",
        _ON_ONE_CONNECTION,
        0,
        1,
    ),
    EventUse(
        fullnames.SERVER_NAMESPACE,
        "broadcast_to_room",
        "server",
        "s2c",
        "Msg",
        "broadcast",
        _ON_ONE_CONNECTION,
        1,
        2,
    ),
)

#: Decorators that register a handler for an event.
REGISTRARS: Final = (
    EventUse(fullnames.SERVER_NAMESPACE, "on", "server", "c2s", "Msg", "handle", "on_call()", 0),
    EventUse(fullnames.SERVER_NAMESPACE, "on_call", "server", "c2s", "Call", "handle", "on()", 0),
    EventUse(fullnames.CLIENT_NAMESPACE, "on", "client", "s2c", "Msg", "handle", "on_call()", 0),
    EventUse(fullnames.CLIENT_NAMESPACE, "on_call", "client", "s2c", "Call", "handle", "on()", 0),
)

#: The namespace-handle classes, by the side that uses them.
SIDE_OF_HANDLE: Final = {
    fullnames.SERVER_NAMESPACE: "server",
    fullnames.CONNECTION: "server",
    fullnames.CLIENT_NAMESPACE: "client",
}
