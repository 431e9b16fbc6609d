"""The check of every event one side of a namespace is about to send."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pursocket.errors import ProtocolError
from pursocket.protocol import Direction, EventKind, NamespaceSpec
from pursocket.validation import EventValidators, InvalidValue

__all__ = ["OutgoingEvents"]


class OutgoingEvents:
    """The events one side of one namespace may send, in ``direction``."""

    def __init__(
        self,
        namespace: NamespaceSpec,
        direction: Direction,
        validators: Mapping[tuple[str, Direction, str], EventValidators],
    ) -> None:
        self._namespace = namespace
        self._direction = direction
        self._validators = validators

    def check(
        self, event: str, kind: EventKind, payload: Any
    ) -> tuple[EventValidators, tuple[Any]]:
        """The validators of ``event``, which this side is about to send as ``kind``, and
        the Socket.IO arguments to send: the one payload, as python-socketio takes it.

        Raises ``ProtocolError`` if the namespace declares no such event in this
        direction, or (with outgoing validation on) if ``payload`` is not its
        declared type.
        """
        spec = self._namespace.find(self._direction, event, kind)
        checks = self._validators[(self._namespace.path, self._direction, spec.name)]
        try:
            sent = checks.outgoing_payload(payload)
        except InvalidValue as exc:
            raise ProtocolError(
                f'The payload sent as "{event}" in namespace "{self._namespace.name}" is not '
                f"the declared type: {exc}"
            ) from None
        return checks, (sent,)
