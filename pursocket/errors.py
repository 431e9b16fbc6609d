"""The exceptions pursocket raises, and the one an app raises to refuse a connection."""

from __future__ import annotations

from typing import Any

__all__ = [
    "CallError",
    "CallTimeout",
    "ConnectError",
    "ConnectionRefused",
    "ProtocolError",
    "PursocketError",
    "StateNotSet",
]


class PursocketError(Exception):
    """Base class of every exception pursocket raises."""


class ProtocolError(PursocketError):
    """A protocol, or a use of it, that does not fit its declaration.

    Raised when a ``Server`` or ``Client`` is built from a malformed protocol, and when
    code names a namespace or event the protocol does not declare (the mypy plugin
    reports the same mistakes before the code runs).
    """


class CallTimeout(PursocketError, TimeoutError):
    """A ``Call`` got no acknowledgement within its timeout."""

    def __init__(self, namespace: str, event: str, timeout: float) -> None:
        super().__init__(
            f'Call "{event}" in namespace "{namespace}" got no answer within {timeout:g} s'
        )
        self.namespace = namespace
        self.event = event
        self.timeout = timeout


class CallError(PursocketError):
    """A ``Call`` that was answered with an error, or could not be answered.

    ``code`` is one of the codes documented in ``docs/errors.md``
    (``invalid_payload``, ``unknown_event``, ``handler_error``, ``disconnected``, ...);
    ``details`` carries machine-readable specifics such as validation errors.
    """

    def __init__(
        self, code: str, message: str, *, namespace: str, event: str, details: Any = None
    ) -> None:
        super().__init__(f'Call "{event}" in namespace "{namespace}" failed ({code}): {message}')
        self.code = code
        self.message = message
        self.namespace = namespace
        self.event = event
        self.details = details


class ConnectionRefused(PursocketError):
    """Raise from an ``on_connect`` handler to refuse the connection.

    The client's ``connect_error`` sees ``{"message": message, "data": data}``; a
    pursocket client's ``connect()`` raises :class:`ConnectError` with both.
    """

    def __init__(self, message: str = "Connection refused", data: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.data = data


class ConnectError(PursocketError, ConnectionError):
    """``Client.connect`` could not connect every declared namespace."""

    def __init__(self, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.data = data


class StateNotSet(PursocketError):
    """``conn.state`` was read when the connection has no state.

    The state is what the namespace's connect handler returned, so it does not exist
    yet while guards and the connect handler run, and it is dropped once the
    connection has ended and its disconnect handler has returned.
    """
