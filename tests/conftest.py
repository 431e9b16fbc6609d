"""Helpers that wait on events (servers come from pursocket.testing: pursocket_serve)."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

# Python 3.12's `type` statement: `make pytest-python312` runs these in a venv of their own.
collect_ignore = ["py312"] if sys.version_info < (3, 12) else []


class Inbox:
    """Collects values and lets a test wait for a number of them, never sleeping blindly."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self._changed = asyncio.Event()

    def put(self, item: Any) -> None:
        self.items.append(item)
        self._changed.set()

    async def wait_for(self, count: int, timeout: float = 5.0) -> list[Any]:
        async def reach() -> None:
            while len(self.items) < count:
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(reach(), timeout)
        return list(self.items)
