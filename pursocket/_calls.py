"""Calls waiting for their acknowledgement, failed at once when their connection goes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from pursocket._wire import read_error
from pursocket.errors import CallError, CallTimeout
from pursocket.protocol import EventSpec
from pursocket.validation import InvalidValue, Validator

__all__ = ["DEFAULT_CALL_TIMEOUT", "PendingCalls"]

#: The time a Call waits for its acknowledgement unless told otherwise, in seconds.
DEFAULT_CALL_TIMEOUT = 5.0

#: Sends the request; takes the callback python-socketio runs with the ACK's arguments.
Send = Callable[[Callable[..., None]], Awaitable[None]]


class PendingCalls:
    """The unanswered Calls of one or more connections, grouped by a key (the sid)."""

    def __init__(self) -> None:
        self._waiting: dict[str, dict[asyncio.Future[tuple[Any, ...]], EventSpec]] = {}

    async def call(
        self, key: str, spec: EventSpec, send: Send, timeout: float, validate: Validator
    ) -> Any:
        """Send a Call and wait for its answer.

        Returns the validated response. Raises :class:`CallTimeout` when no answer comes
        within ``timeout`` seconds, and :class:`CallError` when the peer answers with an
        error, answers with something that is not the declared response, or the
        connection ends first.
        """
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, got {timeout!r}")
        answer: asyncio.Future[tuple[Any, ...]] = asyncio.get_running_loop().create_future()

        def on_ack(*args: Any) -> None:
            if not answer.done():
                answer.set_result(args)

        waiting = self._waiting.setdefault(key, {})
        waiting[answer] = spec
        try:
            await send(on_ack)
            args = await asyncio.wait_for(answer, timeout)
        except asyncio.TimeoutError:
            raise CallTimeout(spec.namespace, spec.name, timeout) from None
        finally:
            waiting.pop(answer, None)
            if not waiting:
                self._waiting.pop(key, None)
        return _read_answer(args, spec, validate)

    def fail(self, key: str, code: str, message: str) -> None:
        """Fail every Call still waiting under ``key`` with ``CallError(code)``."""
        for answer, spec in self._waiting.pop(key, {}).items():
            if not answer.done():
                answer.set_exception(
                    CallError(code, message, namespace=spec.namespace, event=spec.name)
                )

    def fail_all(self, code: str, message: str) -> None:
        """Fail every waiting Call."""
        for key in list(self._waiting):
            self.fail(key, code, message)


def _read_answer(args: tuple[Any, ...], spec: EventSpec, validate: Validator) -> Any:
    if len(args) != 1:
        raise CallError(
            "invalid_response",
            f"expected exactly 1 acknowledgement argument, got {len(args)}",
            namespace=spec.namespace,
            event=spec.name,
        )
    error = read_error(args[0], namespace=spec.namespace, event=spec.name)
    if error is not None:
        raise error
    try:
        return validate(args[0])
    except InvalidValue as exc:
        raise CallError(
            "invalid_response",
            f"the answer is not the declared response: {exc}",
            namespace=spec.namespace,
            event=spec.name,
            details=str(exc),
        ) from None
