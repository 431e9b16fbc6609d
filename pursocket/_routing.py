"""Inbound event routing shared by the server and the client side of a namespace.

An EVENT packet from the peer is checked against the protocol, its payload
validated, the registered handler run, and, when the packet asked for an
acknowledgement, exactly one acknowledgement argument produced: the handler's
response, or an error object (see :mod:`pursocket._wire`). Nothing the peer
sends can make a handler run with the wrong shape or leave a caller without an
answer.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Mapping
from typing import Any

from pursocket._wire import error_reply
from pursocket.errors import ProtocolError
from pursocket.protocol import Direction, EventKind, EventSpec, NamespaceSpec
from pursocket.validation import EventValidators, InvalidValue

logger = logging.getLogger("pursocket")


async def invoke(handler: Callable[..., Any], *args: Any) -> Any:
    """Run a handler that may be ``async def`` or plain ``def``."""
    result = handler(*args)
    if inspect.isawaitable(result):
        result = await result
    return result


class InboundEvents:
    """The handlers one side of one namespace registered for events the peer sends."""

    def __init__(
        self,
        namespace: NamespaceSpec,
        direction: Direction,
        validators: Mapping[tuple[str, Direction, str], EventValidators],
        side: str,
    ) -> None:
        self.namespace = namespace
        self.direction = direction
        self.side = side
        self._validators = {
            name: validators[(namespace.path, direction, name)]
            for name in namespace.events(direction)
        }
        self._handlers: dict[str, Callable[..., Any]] = {}

    def register(self, event: str, kind: EventKind, handler: Callable[..., Any]) -> None:
        """Register ``handler`` for ``event``; ``ProtocolError`` if the protocol disagrees."""
        spec = self.namespace.find(self.direction, event, kind)
        if event in self._handlers:
            raise ProtocolError(
                f'A handler for "{event}" is already registered in namespace '
                f'"{self.namespace.name}" ({self.direction.value}) on the {self.side}'
            )
        if not callable(handler):
            raise TypeError(f'The handler for "{event}" must be callable, got {handler!r}')
        self._handlers[spec.name] = handler

    async def dispatch(
        self, data: list[Any], leading: tuple[Any, ...], wants_ack: bool, sender: str
    ) -> Any:
        """Handle one EVENT packet; return the acknowledgement argument when ``wants_ack``."""
        event = data[0] if data else None
        if not isinstance(event, str) or event not in self._validators:
            return self._refuse(
                "unknown_event",
                f"{_quote(event)} is not a {self.direction.value} event of namespace "
                f'"{self.namespace.name}"',
                wants_ack,
                sender,
            )
        spec = self.namespace.events(self.direction)[event]
        if spec.is_call != wants_ack:
            return self._refuse(
                "wrong_kind",
                f'"{event}" is a {spec.kind.value} event of namespace "{self.namespace.name}" '
                f"({self.direction.value}); it was sent "
                f"{'with' if wants_ack else 'without'} an acknowledgement",
                wants_ack,
                sender,
            )
        if len(data) != 2:
            return self._invalid(
                spec, f"expected exactly 1 argument, got {len(data) - 1}", wants_ack, sender
            )
        try:
            payload = self._validators[event].payload(data[1])
        except InvalidValue as exc:
            return self._invalid(spec, str(exc), wants_ack, sender)
        handler = self._handlers.get(event)
        if handler is None:
            return self._refuse(
                "no_handler",
                f'no handler is registered for "{event}" in namespace "{self.namespace.name}"',
                wants_ack,
                sender,
            )
        try:
            result = await invoke(handler, *leading, payload)
        except Exception:
            logger.exception(
                'Handler for "%s" in namespace "%s" (%s) raised; sender %s',
                event,
                self.namespace.name,
                self.direction.value,
                sender,
            )
            if wants_ack:
                return error_reply("handler_error", f'the handler for "{event}" failed')
            return None
        return result if wants_ack else None

    def _invalid(self, spec: EventSpec, reason: str, wants_ack: bool, sender: str) -> Any:
        logger.warning(
            'Invalid payload for "%s" in namespace "%s" (%s) from %s: %s',
            spec.name,
            self.namespace.name,
            self.direction.value,
            sender,
            reason,
        )
        if wants_ack:
            return error_reply(
                "invalid_payload", f'invalid payload for "{spec.name}": {reason}', reason
            )
        return None

    def _refuse(self, code: str, message: str, wants_ack: bool, sender: str) -> Any:
        logger.warning("Refused an event from %s: %s", sender, message)
        if wants_ack:
            return error_reply(code, message)
        return None


def _quote(event: object) -> str:
    return (
        f'"{event}"' if isinstance(event, str) else f"an event name of type {type(event).__name__}"
    )
