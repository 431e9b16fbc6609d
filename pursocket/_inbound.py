"""Inbound events: what one side of a namespace does with each EVENT packet the peer sends.

An EVENT packet from the peer is checked against the protocol, its payload
validated, the registered handler run, and, when the packet asked for an
acknowledgement, exactly one acknowledgement argument produced: the handler's
response, or an error object (see :mod:`pursocket._wire`). Nothing the peer
sends can make a handler run with the wrong shape or leave a caller without an
answer, and every log line the peer can trigger goes through a
:class:`~pursocket._logging.LogLimiter`.
"""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from pursocket._invoke import invoke
from pursocket._logging import LogLimiter
from pursocket._wire import error_reply
from pursocket.errors import ProtocolError
from pursocket.protocol import Direction, EventKind, EventSpec, NamespaceSpec
from pursocket.validation import EventValidators, InvalidInput, InvalidValue

__all__ = ["InboundEvents", "SendAck"]


#: Sends an acknowledgement argument; the flag is the Packet's ``binary`` (``None``: find out).
SendAck = Callable[[Any, "bool | None"], Awaitable[None]]

#: Called with the handler's leading arguments and the :class:`InvalidInput`.
InvalidHook = Callable[..., Any]


class InboundEvents:
    """The handlers one side of one namespace registered for events the peer sends."""

    def __init__(
        self,
        namespace: NamespaceSpec,
        direction: Direction,
        validators: Mapping[tuple[str, Direction, str], EventValidators],
        side: str,
        limiter: LogLimiter,
    ) -> None:
        self.namespace = namespace
        self.direction = direction
        self.side = side
        self.limiter = limiter
        self._validators = {
            name: validators[(namespace.path, direction, name)]
            for name in namespace.events(direction)
        }
        self._handlers: dict[str, Callable[..., Any]] = {}
        # The events whose handler is a plain function, which runs without waiting.
        self._plain_handlers: set[str] = set()
        #: ``hook(*leading, InvalidInput)`` run for each piece of input refused.
        self.on_invalid: InvalidHook | None = None

    async def answer(self, send: SendAck, event: object, reply: Any, peer: str) -> None:
        """Acknowledge a Call of ``event`` with ``reply`` through ``send(reply, binary)``.

        A reply that cannot be encoded (a handler returned an object JSON has no form
        for) is replaced by an ``invalid_response`` error, so the caller never waits
        for its timeout.
        """
        validators = self._validators.get(event) if isinstance(event, str) else None
        may_be_binary = validators is not None and validators.response_may_be_binary
        try:
            await send(reply, None if may_be_binary else False)
        except Exception as exc:
            self.limiter.log(
                logging.ERROR,
                peer,
                'The response to %s in namespace "%s" (%s) cannot be encoded: %s',
                _quote(event),
                self.namespace.name,
                self.direction.value,
                exc,
            )
            message = f"the response to {_quote(event)} cannot be encoded as JSON"
            await send(error_reply("invalid_response", message), False)

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
        if not _is_async(handler):
            self._plain_handlers.add(spec.name)

    def runs_without_waiting(self, event: object, wants_ack: bool) -> bool:
        """Whether a valid ``event`` goes to a plain-function handler of its declared kind.

        Its dispatch then runs none of the app's code that could wait (nothing is
        refused, and the handler's answer is queued for sending), so the caller can run
        it as the packet arrives.
        """
        if not isinstance(event, str) or event not in self._plain_handlers:
            return False
        return self._validators[event].spec.is_call == wants_ack

    async def dispatch(
        self,
        data: list[Any],
        *,
        checked: bool,
        rejection: str | None,
        leading: tuple[Any, ...],
        wants_ack: bool,
        peer: str,
    ) -> Any:
        """Handle one EVENT packet; return the acknowledgement argument when ``wants_ack``.

        ``data`` is ``[event, *arguments]``. ``checked`` says the codec already
        validated ``data[1]``; ``rejection`` is the codec's reason for refusing it.
        ``peer`` names the sender in log lines (``sid ...`` or ``the server``).
        """
        event = data[0] if data else None
        validators = self._validators.get(event) if isinstance(event, str) else None
        if validators is None:
            return await self._refuse(
                event if isinstance(event, str) else None,
                "unknown_event",
                f"{_quote(event)} is not a {self.direction.value} event of namespace "
                f'"{self.namespace.name}"',
                leading,
                wants_ack,
                peer,
            )
        spec = validators.spec
        if spec.is_call != wants_ack:
            return await self._refuse(
                spec.name,
                "wrong_kind",
                f'"{spec.name}" is a {spec.kind.value} event of namespace '
                f'"{self.namespace.name}" ({self.direction.value}); it was sent '
                f"{'with' if wants_ack else 'without'} an acknowledgement",
                leading,
                wants_ack,
                peer,
            )
        if rejection is None and not checked:
            if len(data) != 2:
                rejection = f"expected exactly 1 argument, got {len(data) - 1}"
            else:
                try:
                    data = [event, validators.payload(data[1])]
                except InvalidValue as exc:
                    rejection = str(exc)
        if rejection is not None:
            return await self._refuse(
                spec.name,
                "invalid_payload",
                f'invalid payload for "{spec.name}": {rejection}',
                leading,
                wants_ack,
                peer,
                details=rejection,
            )
        handler = self._handlers.get(spec.name)
        if handler is None:
            self.limiter.log(
                logging.WARNING,
                peer,
                'No handler is registered for "%s" in namespace "%s" (%s); dropped an event from %s',
                spec.name,
                self.namespace.name,
                self.direction.value,
                peer,
            )
            if wants_ack:
                return error_reply(
                    "no_handler",
                    f'no handler is registered for "{spec.name}" in namespace '
                    f'"{self.namespace.name}"',
                )
            return None
        try:
            result = await invoke(handler, *leading, data[1])
        except Exception:
            self.limiter.log(
                logging.ERROR,
                peer,
                'The handler for "%s" in namespace "%s" (%s) raised while handling an event from %s',
                spec.name,
                self.namespace.name,
                self.direction.value,
                peer,
                exc_info=True,
            )
            if wants_ack:
                return error_reply("handler_error", f'the handler for "{spec.name}" failed')
            return None
        if not wants_ack:
            return None
        return self._checked_response(spec, validators, result, peer)

    def _checked_response(
        self, spec: EventSpec, validators: EventValidators, result: Any, peer: str
    ) -> Any:
        try:
            sent = validators.outgoing_response(result)
        except InvalidValue as exc:
            self.limiter.log(
                logging.ERROR,
                peer,
                'The handler for "%s" in namespace "%s" (%s) returned a value that is not '
                "its declared response: %s",
                spec.name,
                self.namespace.name,
                self.direction.value,
                exc,
            )
            return error_reply(
                "invalid_response",
                f'the handler for "{spec.name}" returned a value that is not its declared response',
            )
        return sent

    async def _refuse(
        self,
        event: str | None,
        code: str,
        message: str,
        leading: tuple[Any, ...],
        wants_ack: bool,
        peer: str,
        details: Any = None,
    ) -> Any:
        self.limiter.log(
            logging.WARNING,
            peer,
            'Refused a %s event from %s in namespace "%s" (%s): %s',
            "Call" if wants_ack else "Msg",
            peer,
            self.namespace.name,
            code,
            message,
        )
        if self.on_invalid is not None:
            offence = InvalidInput(
                namespace=self.namespace.name, event=event, code=code, reason=message
            )
            try:
                await invoke(self.on_invalid, *leading, offence)
            except Exception:
                self.limiter.log(
                    logging.ERROR,
                    peer,
                    'The on_invalid hook of namespace "%s" raised',
                    self.namespace.name,
                    exc_info=True,
                )
        if wants_ack:
            return error_reply(code, message, details)
        return None


def _is_async(handler: Callable[..., Any]) -> bool:
    """Whether calling ``handler`` gives something to await (``async def``, or an object
    whose ``__call__`` is)."""
    call = getattr(handler, "__call__", None)  # noqa: B004 (the method, not callable())
    return inspect.iscoroutinefunction(handler) or inspect.iscoroutinefunction(call)


def _quote(event: object) -> str:
    """A peer's event name, safe for one log line: escaped, and cut at 100 characters."""
    if isinstance(event, str):
        quoted = json.dumps(event[:100])
        return quoted if len(event) <= 100 else f'{quoted[:-1]}..." (cut at 100 characters)'
    return f"an event name of type {type(event).__name__}"
