"""How the examples serve: on pursocket's fast stack when ``pursocket[server]`` is installed.

With the ``server`` extra, uvicorn picks httptools and the websockets library by itself;
the event loop is chosen by whoever starts it, so :func:`run` starts uvloop's when it
is installed (the stdlib's otherwise). :data:`UVICORN_OPTIONS` turns per-message
compression off, as the Node socket.io server has it: compressing every small frame
costs more CPU than it saves bandwidth, and about 90 KiB of memory per connection
(docs/benchmarks.md).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

__all__ = ["UVICORN_OPTIONS", "run"]

#: What the examples pass to ``uvicorn.Config`` besides the app.
UVICORN_OPTIONS: dict[str, Any] = {"ws_per_message_deflate": False}


def run(main: Coroutine[Any, Any, None]) -> None:
    """Run ``main`` to completion on uvloop's event loop if installed, else asyncio's."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
    else:
        uvloop.run(main)
