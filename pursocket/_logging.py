"""pursocket's logger, and the rate limit on every log line a peer can trigger.

Everything pursocket logs goes to the ``pursocket`` logger (``docs/logging.md`` lists
what each level carries). A line a peer can cause goes through a :class:`LogLimiter`,
so nothing a peer sends repeatedly can flood the log.
"""

from __future__ import annotations

import logging
import time
from typing import Any

__all__ = ["LogLimiter", "logger"]

#: The logger every pursocket module writes to.
logger = logging.getLogger("pursocket")


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
