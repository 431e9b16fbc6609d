"""The Engine.IO layer under pursocket's server, hardened against what a peer can send.

python-engineio handles the transport: websocket frames and long-polling requests.
:class:`EngineIOServer` changes these things about it, for pursocket's server only:

* A websocket text frame, or a packet of a long-polling body, that is not an
  Engine.IO packet a Socket.IO client sends (empty, an unknown packet type, broken
  base64, or JSON data, which engineio would decode with the standard library and
  which no Socket.IO packet is) ends that connection: the websocket is closed, the
  long-polling session closed and the POST answered with HTTP 400. engineio would
  let the exception escape to the web server, log a traceback for every such frame
  (a ``RecursionError`` for deeply nested JSON), or keep the session open.
* The message size limit (``max_http_buffer_size``) counts bytes over websocket as
  it does over long-polling; engineio counts a text frame's characters.
* Each request runs with :data:`~pursocket._logging.current_connection` set to its
  remote address and Engine.IO session, so every log line a peer causes (engineio's
  own ERROR lines included) is rate-limited per connection, and in total.
* What waits to be sent to one connection is bounded: past
  :data:`QUEUED_MESSAGES` times the message limit (the client is not reading), the
  connection is closed, and what it had queued is dropped when its session ends.
* Closing one connection never waits for the peer (see :meth:`EngineIOServer.disconnect`).
* A websocket is served by :mod:`pursocket._websocket`, without a task per frame,
  and a packet sent to it goes out at once while nothing waits before it.
"""

from __future__ import annotations

import base64
import binascii
import functools
import inspect
import logging
import urllib.parse
from typing import Any

import engineio
from engineio import exceptions as eio_exceptions
from engineio import payload as eio_payload

from pursocket._codec import utf8_length
from pursocket._logging import LogLimiter, current_connection
from pursocket._websocket import SendQueue, is_engineio_handler, serve_websocket

__all__ = ["QUEUED_MESSAGES", "EngineIOServer"]

#: How many messages of the largest size (``max_http_buffer_size``) may wait to be
#: sent to one connection before it is closed as a client that does not read.
QUEUED_MESSAGES = 16

#: The Engine.IO packet types (open, close, ping, pong, message, upgrade, noop).
_PACKET_TYPES = frozenset("0123456")
_ASCII_DIGITS = frozenset("0123456789")


def is_engineio_text(frame: str) -> bool:
    """Whether a text frame is an Engine.IO packet that a Socket.IO client may send.

    That is a packet type followed by nothing, by ``probe`` (the websocket upgrade),
    or by a Socket.IO packet (which starts with a digit); or ``b`` and base64.
    """
    if not frame:
        return False
    if frame[0] == "b":  # binary data sent as base64 text
        try:
            base64.b64decode(frame[1:], validate=True)
        except (binascii.Error, ValueError):
            return False
        return True
    return frame[0] in _PACKET_TYPES and (
        len(frame) == 1 or frame[1] in _ASCII_DIGITS or frame[1:] == "probe"
    )


class MalformedBody(eio_exceptions.EngineIOError):  # type: ignore[misc]
    """A long-polling body that is not Engine.IO packets; engineio closes the session."""


def _connection_of(request: tuple[Any, ...]) -> str | None:
    """The remote address and Engine.IO session of an ASGI request, for log limits."""
    scope = request[0] if request else None
    if not isinstance(scope, dict) or scope.get("type") not in ("http", "websocket"):
        return None
    client = scope.get("client") or ("unknown", 0)
    query = urllib.parse.parse_qs(scope.get("query_string", b"").decode("latin-1"))
    sid = query.get("sid", [None])[0]
    if sid is not None:
        return f"{client[0]} eio {sid}"
    # A websocket opened without a session is one TCP connection: its port tells it apart.
    return f"{client[0]}:{client[1]}"


class _BoundedLogger:
    """engineio's logger, with its ERROR lines passed through a limiter."""

    def __init__(self, wrapped: logging.Logger, limiter: LogLimiter) -> None:
        self._wrapped = wrapped
        self._limiter = limiter
        # engineio logs every packet sent and received at INFO: bound once here rather
        # than found through __getattr__ for every packet.
        self.info = wrapped.info
        self.debug = wrapped.debug

    def __getattr__(self, name: str) -> Any:
        return getattr(self._wrapped, name)

    def error(self, message: str, *args: Any, exc_info: bool = False, **_: Any) -> None:
        self._limiter.log(
            logging.ERROR, "engineio", message, *args, exc_info=exc_info, to=self._wrapped
        )

    def exception(self, message: str, *args: Any, **_: Any) -> None:
        self._limiter.log(
            logging.ERROR, "engineio", message, *args, exc_info=True, to=self._wrapped
        )

    def warning(self, message: str, *args: Any, **_: Any) -> None:
        self._limiter.log(logging.WARNING, "engineio", message, *args, to=self._wrapped)


class EngineIOServer(engineio.AsyncServer):  # type: ignore[misc]
    """``engineio.AsyncServer`` hardened for pursocket (see the module docstring)."""

    logger: Any
    _async: dict[str, Any]

    def __init__(self, *args: Any, log: LogLimiter, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.logger = _BoundedLogger(self.logger, log)
        self._log = log
        #: The most bytes that may wait to be sent to one connection.
        self.max_queued_bytes: int = QUEUED_MESSAGES * self.max_http_buffer_size
        # sid -> bytes queued since its send queue was last seen empty
        self._queued: dict[str, int] = {}
        # The drivers' table is shared by every engineio server in the process: copy it
        # before putting the guarded websocket and request reader in, so only this
        # server uses them.
        self._async = {
            **self._async,
            "websocket": _guarded(self._async["websocket"], log, self.max_http_buffer_size),
            "translate_request": _checked_bodies(self._async["translate_request"], log),
        }

    def create_queue(self, *args: Any, **kwargs: Any) -> SendQueue:
        """A socket's queue of packets to send (:class:`~pursocket._websocket.SendQueue`).

        engineio makes each socket's queue here; over a websocket, a packet queued
        while the writer waits is sent at once instead of waking the writer.
        """
        return SendQueue()

    async def handle_request(self, *args: Any, **kwargs: Any) -> Any:
        """Handle one HTTP request or websocket, with its connection known to the log limits."""
        token = current_connection.set(_connection_of(args))
        try:
            return await super().handle_request(*args, **kwargs)
        finally:
            current_connection.reset(token)

    async def send_packet(self, sid: str, pkt: Any) -> None:
        """Queue ``pkt`` for ``sid``, closing the connection if too much is waiting already.

        Bytes are counted as packets are queued, from the last time the queue was
        seen empty: a client that reads keeps emptying it, one that does not is
        closed once :attr:`max_queued_bytes` are waiting.
        """
        socket = self.sockets.get(sid)
        if socket is not None:
            data = pkt.data
            size = utf8_length(data, self.max_queued_bytes) if isinstance(data, str) else 0
            if isinstance(data, (bytes, bytearray)):
                size = len(data)
            queued = (self._queued.get(sid, 0) if socket.queue.qsize() else 0) + size
            if queued > self.max_queued_bytes:
                self._log.log(
                    logging.WARNING,
                    f"eio {sid}",
                    "Closing the connection of Engine.IO session %s: more than %d bytes wait "
                    "to be sent to it (it does not read)",
                    sid,
                    self.max_queued_bytes,
                )
                await self.disconnect(sid)  # which drops what is queued (session_ended)
                return
            self._queued[sid] = queued
        await super().send_packet(sid, pkt)

    def session_ended(self, sid: str, socket: Any) -> None:
        """Drop what still waits to be sent to the session ``sid``, which is ending.

        The writer of a websocket whose peer never reads stays blocked in its
        current send; the packets queued behind it are freed here instead of when
        the peer finally closes its socket (engineio queues its CLOSE packet after
        this). A long-polling GET waiting for packets is answered at once: engineio
        would hold it, the client's disconnect() and the web server's shutdown until
        the ping timeout.
        """
        self._queued.pop(sid, None)
        queue = socket.queue
        while not queue.empty():
            queue.get_nowait()
            queue.task_done()
        if not socket.upgraded:
            queue.put_nowait(None)

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


def _guarded(websocket_class: type, limiter: LogLimiter, max_bytes: int) -> type:
    """``websocket_class`` whose ``wait()`` refuses what is not an Engine.IO packet.

    A text frame over ``max_bytes`` UTF-8 bytes is refused too. The connection is
    served by :func:`~pursocket._websocket.serve_websocket` instead of engineio's own
    handler (a task per frame read).
    """

    class GuardedWebSocket(websocket_class):  # type: ignore[misc]
        def __init__(self, handler: Any, server: Any) -> None:
            if is_engineio_handler(handler):
                handler = functools.partial(serve_websocket, handler.__self__)
            super().__init__(handler, server)

        async def wait(self) -> Any:
            frame = await super().wait()
            if isinstance(frame, str):
                if not is_engineio_text(frame):
                    reason = "a frame that is not an Engine.IO packet"
                elif utf8_length(frame, max_bytes) > max_bytes:
                    reason = f"a message of more than {max_bytes} bytes"
                else:
                    return frame
                limiter.log(
                    logging.WARNING,
                    "engineio frames",
                    "Closing the websocket of %s, which sent %s",
                    current_connection.get(),
                    reason,
                )
                # engineio's reader ends the connection quietly on OSError.
                raise OSError(reason)
            return frame

    return GuardedWebSocket


def _checked_bodies(translate_request: Any, limiter: LogLimiter) -> Any:
    """``translate_request`` whose long-polling bodies are checked as they are read.

    A body that is not UTF-8 Engine.IO packets raises :class:`MalformedBody`, which
    makes engineio close the session and answer HTTP 400.
    """

    async def translate(*args: Any, **kwargs: Any) -> Any:
        environ = translate_request(*args, **kwargs)
        if inspect.isawaitable(environ):
            environ = await environ
        if environ and environ.get("REQUEST_METHOD") == "POST":
            environ["wsgi.input"] = _CheckedBody(environ["wsgi.input"], limiter)
        return environ

    return translate


class _CheckedBody:
    """A request body reader that refuses a body engineio could not decode safely."""

    def __init__(self, body: Any, limiter: LogLimiter) -> None:
        self._body = body
        self._limiter = limiter

    async def read(self, length: int | None = None) -> bytes:
        data: bytes = await self._body.read(length)
        reason = _malformed_body(data)
        if reason is not None:
            self._limiter.log(
                logging.WARNING,
                "engineio bodies",
                "Closing the long-polling session of %s, which sent %s",
                current_connection.get(),
                reason,
            )
            raise MalformedBody(reason)
        return data


def _malformed_body(data: bytes) -> str | None:
    """Why a long-polling body is not Engine.IO packets, or ``None`` if it is."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "a body that is not UTF-8"
    if text.startswith("d="):  # JSONP, as engineio reads it
        text = urllib.parse.parse_qs(text).get("d", [""])[0]
    if not text:
        return None
    packets = text.split("\x1e")
    if len(packets) > eio_payload.Payload.max_decode_packets:
        return f"a body of more than {eio_payload.Payload.max_decode_packets} packets"
    if not all(is_engineio_text(packet) for packet in packets):
        return "a body holding what is not an Engine.IO packet"
    return None
