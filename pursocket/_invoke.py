"""Calling an application's handler, which may be ``async def`` or plain ``def``."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

__all__ = ["invoke"]


async def invoke(handler: Callable[..., Any], *args: Any) -> Any:
    """Run ``handler(*args)``, awaiting its result when it is awaitable."""
    result = handler(*args)
    if inspect.isawaitable(result):
        result = await result
    return result
