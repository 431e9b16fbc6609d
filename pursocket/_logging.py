"""pursocket's logger, and the rate limit on every log line a peer can trigger.

Everything pursocket logs goes to the ``pursocket`` logger (``docs/logging.md`` lists
what each level carries). A line a peer can cause goes through a :class:`LogLimiter`,
so nothing a peer sends repeatedly can flood the log: each such line is one line of
bounded length, at most ``burst`` of them per connection and ``total`` for the whole
process get through in each ``window``, and the lines held back are counted.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import sys
import time
import traceback
from typing import Any

__all__ = ["MAX_LINE_CHARS", "LogLimiter", "current_connection", "logger"]

#: The logger every pursocket module writes to.
logger = logging.getLogger("pursocket")

#: The longest log line a peer can cause, in characters; a longer one is cut.
MAX_LINE_CHARS = 1000

#: The connection whose request is being handled, as the remote address and the
#: Engine.IO session: set by the Engine.IO layer for each request, and inherited by
#: every task started while handling it. A peer cannot renew it by reconnecting a
#: namespace, so it is what the per-connection budget is keyed on.
current_connection: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "pursocket_connection", default=None
)


class LogLimiter:
    """Rate limits for the log lines peers can trigger, per connection and in total.

    At most ``burst`` lines per ``window`` seconds for each connection (the
    :data:`current_connection` of the code that logs, else the ``peer`` given): the
    next line that gets through says how many were held back. At most ``total``
    lines per window from all peers together: a summary line says how many were
    held back when the window ends. Memory is bounded: past ``max_peers`` tracked
    connections the counts start afresh.
    """

    def __init__(
        self,
        burst: int = 5,
        window: float = 60.0,
        total: int = 200,
        max_peers: int = 10_000,
        target: logging.Logger = logger,
    ) -> None:
        self.burst = burst
        self.window = window
        self.total = total
        self.max_peers = max_peers
        #: The logger the lines that get through go to.
        self.target = target
        # peer -> [window start, lines logged in the window, lines held back]
        self._peers: dict[str, list[float]] = {}
        self._window_start = time.monotonic()
        self._logged_in_window = 0
        self._held_in_window = 0
        self._summary: asyncio.TimerHandle | None = None

    def log(
        self,
        level: int,
        peer: str,
        message: str,
        *args: Any,
        exc_info: bool = False,
        to: logging.Logger | None = None,
    ) -> None:
        """Log ``message % args`` as one bounded line unless the sender is over its budget.

        With ``exc_info`` the exception being handled is summed up on the same line
        (its type, its message and where it was raised), never as a traceback. The
        line goes to ``to`` (python-engineio's own logger, say), else to ``target``.
        """
        target = self.target if to is None else to
        now = time.monotonic()
        key = current_connection.get() or peer
        state = self._peers.get(key)
        if state is None:
            if len(self._peers) >= self.max_peers:
                self._peers.clear()
            state = self._peers[key] = [now, 0, 0]
        elif now - state[0] >= self.window:
            state[0], state[1] = now, 0
        if state[1] >= self.burst:
            state[2] += 1
            return
        if now - self._window_start >= self.window:
            self._summarize()
        if self._logged_in_window >= self.total:
            self._held_in_window += 1
            self._schedule_summary(now)
            return
        state[1] += 1
        self._logged_in_window += 1
        if not target.isEnabledFor(level):
            return
        line = message % args if args else message
        if exc_info:
            line += f": {_describe(sys.exc_info()[1])}"
        if state[2]:
            line += f" ({int(state[2])} similar lines from this connection were held back)"
            state[2] = 0
        target.log(level, "%s", _one_line(line))

    def _schedule_summary(self, now: float) -> None:
        if self._summary is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop: the next line after the window reports it
            return
        self._summary = loop.call_later(self._window_start + self.window - now, self._summarize)

    def _summarize(self) -> None:
        """Report the lines the process-wide limit held back, and open a new window."""
        if self._summary is not None:
            self._summary.cancel()
            self._summary = None
        held = self._held_in_window
        self._window_start = time.monotonic()
        self._logged_in_window = self._held_in_window = 0
        if held:
            self.target.warning(
                "%d similar lines suppressed: peers caused more than %d log lines in %g s",
                held,
                self.total,
                self.window,
            )


def _describe(exc: BaseException | None) -> str:
    """An exception as one line: its type, its message, and the innermost frames."""
    if exc is None:
        return "no exception"
    frames = traceback.extract_tb(exc.__traceback__, limit=-3)
    where = " <- ".join(f"{f.filename}:{f.lineno} in {f.name}" for f in reversed(frames))
    text = f"{type(exc).__name__}: {exc}"
    return f"{text} (at {where})" if where else text


def _one_line(text: str) -> str:
    """``text`` with line breaks escaped, cut at :data:`MAX_LINE_CHARS` characters."""
    cut = len(text) > MAX_LINE_CHARS
    text = text[:MAX_LINE_CHARS].replace("\r", "\\r").replace("\n", "\\n")
    if cut or len(text) > MAX_LINE_CHARS:
        text = text[:MAX_LINE_CHARS] + f"... (cut at {MAX_LINE_CHARS} characters)"
    return text
