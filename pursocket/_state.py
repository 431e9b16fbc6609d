"""The typed per-connection state: what a namespace's connect handler returned."""

from __future__ import annotations

import enum
from typing import Any

from pursocket.errors import StateNotSet

__all__ = ["StateCell"]


class _Phase(enum.Enum):
    CONNECTING = "connecting"
    SET = "set"
    ENDED = "ended"


class StateCell:
    """Holds one connection's state from its connect handler's return to its end.

    The namespace that accepts the connection sets it and empties it; the connection
    reads it. Reading it outside that span raises :class:`~pursocket.StateNotSet`
    saying why.
    """

    __slots__ = ("_namespace", "_phase", "_value")

    def __init__(self, namespace: str) -> None:
        self._namespace = namespace
        self._phase = _Phase.CONNECTING
        self._value: Any = None

    def set(self, value: Any) -> None:
        """The connect handler has returned ``value``: the connection's state from now on."""
        self._phase, self._value = _Phase.SET, value

    def end(self) -> None:
        """The connection has ended and its disconnect handler has returned: drop the state."""
        self._phase, self._value = _Phase.ENDED, None

    def get(self) -> Any:
        """The state, or :class:`~pursocket.StateNotSet` outside the span it exists in."""
        if self._phase is _Phase.SET:
            return self._value
        if self._phase is _Phase.CONNECTING:
            raise StateNotSet(
                f'conn.state of namespace "{self._namespace}" is not set yet: it is the value '
                f"the connect handler returns, so guards and the connect handler cannot read it"
            )
        raise StateNotSet(
            f'conn.state of namespace "{self._namespace}" is gone: the connection has ended '
            f"and its disconnect handler has returned"
        )
