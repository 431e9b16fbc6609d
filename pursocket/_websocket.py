"""An Engine.IO connection over websocket, without a task per frame.

python-engineio serves a websocket with ``AsyncSocket._websocket_handler``, which
starts a task for every frame it reads (to wait for it under ``asyncio.wait_for``)
and, on Python 3.10 and 3.11, another for every batch of packets it writes (the
writer's ``queue.get()`` under ``wait_for``). :func:`serve_websocket` does the same job
for pursocket's server with one reader (the request's own task) and one writer task
per connection, and nothing more per frame:

* The reader awaits each frame directly. A timer per connection ends a connection
  whose peer has sent nothing for ``ping_interval + ping_timeout`` seconds while the
  reader waited, as engineio's read timeout does; the timer is re-armed only when it
  fires, not for every frame.
* The writer awaits the socket's queue directly; the reader ends it by queueing
  ``None`` (which is also how pursocket's Engine.IO server closes a connection).
* While the writer waits for the queue, a packet queued (a handler's answer, each
  recipient's copy of a broadcast) is sent at once by whoever queues it, without
  waking the writer: the socket's queue is a :class:`SendQueue`. The web server's
  send only waits while its transport is paused; when it does, the writer finishes
  that send before anything queued after it, so the order is the order queued.
* A MESSAGE frame goes straight to the Socket.IO server's message handler, in the
  reader, as engineio does with ``async_handlers=False`` (python-socketio's setting).

What goes over the wire is the same as with engineio's handler: the upgrade
handshake (``2probe``/``3probe``, ``5``), PONGs re-arming the server's next PING, a
client CLOSE, NOOPs, and the size limit ``max_http_buffer_size`` for each frame.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable, Coroutine
from typing import Any

from engineio import exceptions
from engineio import packet as eio_packet
from engineio.async_socket import AsyncSocket

from pursocket._tasks import Unfinished, first_step

__all__ = ["SendQueue", "is_engineio_handler", "serve_websocket"]

_NOOP = eio_packet.Packet(eio_packet.NOOP)


class SendQueue(asyncio.Queue[Any]):
    """An Engine.IO socket's queue of packets to send, which a websocket writer can bypass.

    engineio queues every packet for a socket here (``None`` ends the writer). While
    :func:`serve_websocket`'s writer waits for the queue, it lets the queue send a
    packet itself (:meth:`send_through`): the packet goes out at once, in the task
    that queues it, and the writer stays asleep. Over long-polling, and while
    anything waits in the queue, packets are queued as usual. This relies on the web
    server's send not caring which task runs it: uvicorn's only waits, on an event,
    while its transport is paused, and the writer's task then finishes that wait.
    """

    def __init__(self) -> None:
        super().__init__()
        self._send: Callable[[Any], Coroutine[Any, Any, None]] | None = None

    def send_through(self, send: Callable[[Any], Coroutine[Any, Any, None]] | None) -> None:
        """Send each packet queued at once with ``send(encoded)``, until ``None`` is given."""
        self._send = send

    def put_nowait(self, item: Any) -> None:
        """Queue ``item``, or send it at once when the writer waits and nothing is queued."""
        send = self._send
        if send is None or item is None or not self.empty():
            super().put_nowait(item)
            return
        try:
            unfinished = first_step(send(item.encode()))
        except Exception:  # the peer has gone: end the writer, as its own failed send does
            self._send = None
            super().put_nowait(None)
            return
        if unfinished is not None:  # the transport is paused: the writer finishes it
            self._send = None
            super().put_nowait(unfinished)


def is_engineio_handler(handler: Any) -> bool:
    """Whether ``handler`` is an Engine.IO socket's own websocket handler (to replace)."""
    return (
        isinstance(getattr(handler, "__self__", None), AsyncSocket)
        and getattr(handler, "__func__", None) is AsyncSocket._websocket_handler
    )


async def serve_websocket(socket: AsyncSocket, ws: Any) -> None:
    """Serve the Engine.IO ``socket`` over the websocket driver ``ws`` until it closes."""
    if socket.connected and not await _upgrade(socket, ws):
        return
    socket.connected = True
    socket.upgraded = True
    writer = asyncio.ensure_future(_write(socket, ws))
    try:
        await _read(socket, ws)
    finally:
        await socket.queue.put(None)  # ends the writer
        await writer
        await socket.close(wait=False, abort=True, reason=socket.server.reason.TRANSPORT_CLOSE)


async def _upgrade(socket: AsyncSocket, ws: Any) -> bool:
    """The polling-to-websocket upgrade handshake; whether it succeeded."""
    socket.upgrading = True  # holds packets back from the polling transport
    try:
        probe = await _next_frame(socket, ws)
    except OSError:
        socket.upgrading = False
        return False
    if probe != "2probe":
        socket.upgrading = False
        return False
    await ws.send("3probe")
    await socket.queue.put(_NOOP)  # answers the client's pending poll
    try:
        upgrade = await _next_frame(socket, ws)
    except OSError:
        socket.upgrading = False
        return False
    socket.upgrading = False
    return bool(upgrade == "5")


async def _next_frame(socket: AsyncSocket, ws: Any) -> Any:
    frame = await ws.wait()
    if frame and len(frame) > socket.server.max_http_buffer_size:
        raise OSError("a frame larger than max_http_buffer_size")
    return frame


class _ReadTimeout:
    """Cancels the reader once it has waited ``seconds`` for one frame."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.loop = asyncio.get_running_loop()
        self.reader = asyncio.current_task()
        self.waiting_since: float | None = None
        self.expired = False
        self.timer = self.loop.call_later(seconds, self._check)

    def _check(self) -> None:
        since = self.waiting_since
        now = self.loop.time()
        if since is not None and now - since >= self.seconds:
            self.expired = True
            assert self.reader is not None
            self.reader.cancel()
            return
        delay = self.seconds if since is None else since + self.seconds - now
        self.timer = self.loop.call_later(delay, self._check)

    def stop(self) -> None:
        self.timer.cancel()


async def _read(socket: AsyncSocket, ws: Any) -> None:
    server = socket.server
    on_message = server.handlers.get("message")
    limit = server.max_http_buffer_size
    wait = ws.wait
    timeout = _ReadTimeout(server.ping_interval + server.ping_timeout)
    loop_time = timeout.loop.time
    try:
        while True:
            timeout.waiting_since = loop_time()
            try:
                frame = await wait()
            except asyncio.CancelledError:
                if not timeout.expired:
                    raise
                _uncancel(timeout.reader)
                return
            except Exception:  # the driver's OSError when the peer has gone, or worse
                return
            timeout.waiting_since = None
            if frame is None or (frame and len(frame) > limit):
                return
            try:
                if isinstance(frame, str):
                    kind = frame[:1]
                    if kind == "4":
                        if on_message is not None:
                            await on_message(socket.sid, frame[1:])
                    elif kind == "3":
                        socket.schedule_ping()
                    elif kind == "b":
                        if on_message is not None:
                            await on_message(socket.sid, base64.b64decode(frame[1:]))
                    elif kind == "1":
                        await socket.close(
                            wait=False, abort=True, reason=server.reason.CLIENT_DISCONNECT
                        )
                    elif kind == "5":
                        await socket.send(_NOOP)
                    # Anything else (a PING or NOOP from the client) means nothing here.
                elif on_message is not None:
                    await on_message(socket.sid, bytes(frame))
            except exceptions.SocketIsClosedError:
                return
            except Exception:
                server.logger.exception("Unknown receive error")
    finally:
        timeout.stop()


def _uncancel(task: asyncio.Task[Any] | None) -> None:
    # Python 3.11+ counts cancellation requests; this one has been handled.
    uncancel = getattr(task, "uncancel", None)
    if uncancel is not None:
        uncancel()


async def _write(socket: AsyncSocket, ws: Any) -> None:
    queue = socket.queue
    send = ws.send
    sends_through = isinstance(queue, SendQueue)
    while True:
        if sends_through and queue.empty():
            queue.send_through(send)
        pkt = await queue.get()
        if sends_through:
            queue.send_through(None)
        queue.task_done()
        if pkt is None:
            break
        try:
            if isinstance(pkt, Unfinished):  # a send begun by SendQueue.put_nowait
                await pkt
            else:
                await send(pkt.encode())
        except Exception:  # the peer has gone; the reader sees it too
            break
    await ws.close()
