"""How the examples serve: on pursocket's fast stack when ``pursocket[server]`` is installed.

With the ``server`` extra, uvicorn picks httptools and the websockets library by itself;
the event loop is chosen by whoever starts it, so :func:`run` starts uvloop's when it
is installed (the stdlib's otherwise). The rest of the stack's settings (no per-message
compression) come from ``Server.uvicorn_options()``, which every example passes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

__all__ = ["run"]


def run(main: Coroutine[Any, Any, None]) -> None:
    """Run ``main`` to completion on uvloop's event loop if installed, else asyncio's."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
    else:
        uvloop.run(main)
