"""pursocket's pytest plugin, registered through the ``pytest11`` entry point on install.

Two fixtures, each undoing what it did when the test ends:

* ``pursocket_serve`` (:class:`pursocket.testing.ServeFixture`):
  ``url = await pursocket_serve(server)`` serves the app on 127.0.0.1;
* ``pursocket_connect`` (:class:`pursocket.testing.ConnectFixture`):
  ``alice = await pursocket_connect(AppProtocol, url, "lobby")`` connects a
  recording client.

They are async fixtures: pytest-asyncio runs them when it is installed (in its
strict or auto mode), anyio's pytest plugin otherwise. ``pursocket.testing`` (and
uvicorn with it) is imported only when a test uses them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

if TYPE_CHECKING:
    from pursocket.testing import ConnectFixture, ServeFixture

_Fixture = TypeVar("_Fixture", bound=Callable[..., Any])

_register: Any
try:
    from pytest_asyncio import fixture as _register
except ImportError:  # anyio's plugin runs plain async fixtures for its tests
    _register = pytest.fixture


def async_fixture(function: _Fixture) -> _Fixture:
    """An async fixture for pytest-asyncio when installed, else for anyio's plugin."""
    fixture: _Fixture = _register(function)
    return fixture


@async_fixture
async def pursocket_serve() -> AsyncIterator[ServeFixture]:
    """``url = await pursocket_serve(server)``: serve an app on 127.0.0.1 until the test ends."""
    from pursocket.testing import ServeFixture

    async with AsyncExitStack() as stack:
        yield ServeFixture(stack)


@async_fixture
async def pursocket_connect() -> AsyncIterator[ConnectFixture]:
    """``alice = await pursocket_connect(AppProtocol, url, "lobby")``: a recording client."""
    from pursocket.testing import ConnectFixture

    async with AsyncExitStack() as stack:
        yield ConnectFixture(stack)
