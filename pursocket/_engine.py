"""The Engine.IO layer under pursocket's server, hardened against what a peer can send.

python-engineio handles the transport: websocket frames and long-polling requests.
:class:`EngineIOServer` changes three things about it, for pursocket's server only:

* A websocket text frame that is not an Engine.IO packet (empty, an unknown packet
  type, broken base64) ends that connection. engineio would let the exception escape
  to the web server, or log a traceback for every such frame and keep reading.
* engineio's own ERROR lines (which carry tracebacks of malformed input) go through
  a :class:`~pursocket._logging.LogLimiter`, so a peer cannot flood the log.
* Closing one connection never waits for the peer (see :meth:`EngineIOServer.disconnect`).
"""

from __future__ import annotations

import base64
import binascii
import logging
from typing import Any

import engineio

from pursocket._logging import LogLimiter

__all__ = ["EngineIOServer"]

#: The Engine.IO packet types (open, close, ping, pong, message, upgrade, noop).
_PACKET_TYPES = frozenset("0123456")


def is_engineio_text(frame: str) -> bool:
    """Whether a websocket text frame is a well-formed Engine.IO packet."""
    if not frame:
        return False
    if frame[0] == "b":  # binary data sent as base64 text
        try:
            base64.b64decode(frame[1:], validate=True)
        except (binascii.Error, ValueError):
            return False
        return True
    return frame[0] in _PACKET_TYPES


class _BoundedLogger:
    """engineio's logger, with its ERROR lines passed through a limiter."""

    def __init__(self, wrapped: logging.Logger, limiter: LogLimiter) -> None:
        self._wrapped = wrapped
        self._limiter = limiter

    def __getattr__(self, name: str) -> Any:
        return getattr(self._wrapped, name)

    def error(self, message: str, *args: Any, exc_info: bool = False, **_: Any) -> None:
        self._limiter.log(logging.ERROR, "engineio", message, *args, exc_info=exc_info)

    def exception(self, message: str, *args: Any, **_: Any) -> None:
        self._limiter.log(logging.ERROR, "engineio", message, *args, exc_info=True)


class EngineIOServer(engineio.AsyncServer):  # type: ignore[misc]
    """``engineio.AsyncServer`` hardened for pursocket (see the module docstring)."""

    logger: Any
    _async: dict[str, Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limiter = LogLimiter(target=self.logger)
        self.logger = _BoundedLogger(self.logger, limiter)
        # The drivers' table is shared by every engineio server in the process: copy it
        # before putting the guarded websocket in, so only this server uses it.
        self._async = {**self._async, "websocket": _guarded(self._async["websocket"], limiter)}

    async def disconnect(self, sid: str | None = None) -> None:
        """Close the connection ``sid`` (every connection when ``None``), never waiting.

        engineio closes a long-polling connection by queueing a CLOSE packet and
        waiting for the client's next GET to collect it; a client that never polls
        again (one that just sent an oversized POST, say) would keep that POST, and
        the web server's shutdown, waiting for ever. The CLOSE packet is still queued
        for a client that does poll. A websocket is closed by the server right after
        CLOSE is sent, rather than left open until the client closes it.
        """
        if sid is None:
            await super().disconnect()
            return
        socket = self.sockets.get(sid)
        if socket is None:
            return
        await socket.close(wait=False, reason=self.reason.SERVER_DISCONNECT)
        if socket.upgraded:
            # Ends the websocket writer after it has sent CLOSE; closing the websocket
            # also ends the reader, so a peer that ignores CLOSE cannot keep talking.
            await socket.queue.put(None)
        self.sockets.pop(sid, None)


def _guarded(websocket_class: type, limiter: LogLimiter) -> type:
    """``websocket_class`` whose ``wait()`` refuses frames that are not Engine.IO packets."""

    class GuardedWebSocket(websocket_class):  # type: ignore[misc]
        async def wait(self) -> Any:
            frame = await super().wait()
            if isinstance(frame, str) and not is_engineio_text(frame):
                limiter.log(
                    logging.WARNING,
                    "engineio frames",
                    "Closing a websocket that sent a frame that is not an Engine.IO packet",
                )
                # engineio's reader ends the connection quietly on OSError.
                raise OSError("not an Engine.IO packet")
            return frame

    return GuardedWebSocket
