"""How pursocket lays its values out in Socket.IO packets.

Every Msg and Call carries exactly one Socket.IO argument, the payload. A successful
Call is acknowledged with exactly one argument, the response, unchanged. A Call that
fails is acknowledged with exactly one argument, an error object::

    {"__pursocket_error__": {"code": "invalid_payload", "message": "...", "details": ...}}

so a plain JS client (whose ``emitWithAck`` sees only the first argument) tells an
error from a result by that one reserved key.
"""

from __future__ import annotations

from typing import Any

from pursocket.errors import CallError

__all__ = ["ERROR_KEY", "error_reply", "read_error"]

#: The only key of the object that acknowledges a failed Call.
ERROR_KEY = "__pursocket_error__"


def error_reply(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """The acknowledgement argument that tells the caller its Call failed."""
    return {ERROR_KEY: {"code": code, "message": message, "details": details}}


def read_error(value: Any, *, namespace: str, event: str) -> CallError | None:
    """The :class:`CallError` an acknowledgement argument stands for, if it is an error."""
    if not (isinstance(value, dict) and len(value) == 1 and ERROR_KEY in value):
        return None
    body = value[ERROR_KEY]
    if not isinstance(body, dict):
        body = {}
    code = body.get("code")
    message = body.get("message")
    return CallError(
        code if isinstance(code, str) else "unknown",
        message if isinstance(message, str) else "the peer reported an error",
        namespace=namespace,
        event=event,
        details=body.get("details"),
    )
