"""Inbound event routing shared by the server and the client side of a namespace.

An EVENT packet from the peer is checked against the protocol, its payload
validated, the registered handler run, and, when the packet asked for an
acknowledgement, exactly one acknowledgement argument produced: the handler's
response, or an error object (see :mod:`pursocket._wire`). Nothing the peer
sends can make a handler run with the wrong shape or leave a caller without an
answer, and nothing it sends repeatedly can flood the log: every line a peer can
trigger goes through a :class:`LogLimiter`.
"""

from __future__ import annotations

import asyncio
import collections
import inspect
import json
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any

from pursocket._wire import error_reply
from pursocket.errors import ProtocolError
from pursocket.protocol import Direction, EventKind, EventSpec, NamespaceSpec
from pursocket.validation import EventValidators, InvalidInput, InvalidValue

__all__ = ["InOrder", "InboundEvents", "LogLimiter", "check_outgoing", "invoke", "spawn"]

logger = logging.getLogger("pursocket")

_background_tasks: set[asyncio.Task[Any]] = set()


def spawn(job: Coroutine[Any, Any, Any]) -> None:
    """Run ``job`` as a task that is kept alive until it ends; log it if it fails."""
    task = asyncio.ensure_future(job)
    _background_tasks.add(task)
    task.add_done_callback(_finished)


def _finished(task: asyncio.Task[Any]) -> None:
    _background_tasks.discard(task)
    if not task.cancelled() and task.exception() is not None:
        logger.error("pursocket's handling of an event failed", exc_info=task.exception())


async def invoke(handler: Callable[..., Any], *args: Any) -> Any:
    """Run a handler that may be ``async def`` or plain ``def``."""
    result = handler(*args)
    if inspect.isawaitable(result):
        result = await result
    return result


def check_outgoing(
    namespace: NamespaceSpec,
    validators: Mapping[tuple[str, Direction, str], EventValidators],
    direction: Direction,
    event: str,
    kind: EventKind,
    payload: Any,
) -> EventValidators:
    """The validators of ``event``, which this side is about to send as ``kind``.

    Raises ``ProtocolError`` if the namespace declares no such event in ``direction``,
    or (with outgoing validation on) if ``payload`` is not its declared type.
    """
    spec = namespace.find(direction, event, kind)
    checks = validators[(namespace.path, direction, spec.name)]
    try:
        checks.outgoing_payload(payload)
    except InvalidValue as exc:
        raise ProtocolError(
            f'The payload sent as "{event}" in namespace "{namespace.name}" is not the '
            f"declared type: {exc}"
        ) from None
    return checks


class LogLimiter:
    """At most ``burst`` log lines per ``window`` seconds for each peer; the rest are counted.

    The next line that gets through says how many were held back. Memory is bounded:
    past ``max_peers`` tracked peers the counts start afresh.
    """

    def __init__(
        self,
        burst: int = 5,
        window: float = 60.0,
        max_peers: int = 10_000,
        target: logging.Logger = logger,
    ) -> None:
        self.burst = burst
        self.window = window
        self.max_peers = max_peers
        #: The logger the lines that get through go to.
        self.target = target
        # peer -> [window start, lines logged in the window, lines held back]
        self._peers: dict[str, list[float]] = {}

    def log(self, level: int, peer: str, message: str, *args: Any, exc_info: bool = False) -> None:
        """Log ``message % args`` for ``peer`` unless that peer is over its budget."""
        now = time.monotonic()
        state = self._peers.get(peer)
        if state is None:
            if len(self._peers) >= self.max_peers:
                self._peers.clear()
            state = self._peers[peer] = [now, 0, 0]
        elif now - state[0] >= self.window:
            state[0], state[1] = now, 0
        if state[1] >= self.burst:
            state[2] += 1
            return
        state[1] += 1
        if state[2]:
            message += " (%d similar lines from this peer were held back)"
            args = (*args, int(state[2]))
            state[2] = 0
        self.target.log(level, message, *args, exc_info=exc_info)

    def forget(self, peer: str) -> None:
        """Drop what is known about ``peer`` (it has disconnected)."""
        self._peers.pop(peer, None)


class InOrder:
    """Runs each connection's events one after another, in the order they arrived."""

    def __init__(self) -> None:
        self._queues: dict[str, collections.deque[Coroutine[Any, Any, Any]]] = {}

    def submit(self, key: str, job: Coroutine[Any, Any, Any]) -> None:
        """Run ``job`` after every job submitted earlier under ``key`` has finished."""
        queue = self._queues.get(key)
        if queue is not None:
            queue.append(job)
            return
        queue = self._queues[key] = collections.deque([job])
        spawn(self._drain(key, queue))

    async def _drain(self, key: str, queue: collections.deque[Coroutine[Any, Any, Any]]) -> None:
        try:
            while queue:
                try:
                    await queue[0]
                except Exception:  # the next events of the connection must still run
                    logger.exception("pursocket's handling of an event failed")
                del queue[0]
        finally:
            self._queues.pop(key, None)
            for job in queue:
                job.close()


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
        except Exception:
            self.limiter.log(
                logging.ERROR,
                peer,
                'The response to %s in namespace "%s" (%s) cannot be encoded',
                _quote(event),
                self.namespace.name,
                self.direction.value,
                exc_info=True,
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
            validators.outgoing_response(result)
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
        return result

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


def _quote(event: object) -> str:
    """A peer's event name, safe for one log line: escaped, and cut at 100 characters."""
    if isinstance(event, str):
        quoted = json.dumps(event[:100])
        return quoted if len(event) <= 100 else f'{quoted[:-1]}..." (cut at 100 characters)'
    return f"an event name of type {type(event).__name__}"
