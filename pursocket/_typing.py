"""Typing-only declarations the ``pursocket_mypy`` plugin narrows.

Without the plugin these types are permissive: a decorator returned by ``on()`` or
``on_call()`` accepts any callable and returns it unchanged. With the plugin, the type
arguments carry the namespace handle and the event name, so the plugin can check the
decorated handler against the protocol and name the event in its messages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

__all__ = ["CallHandlerDecorator", "GuardDecorator", "MsgHandlerDecorator"]

# Covariant because the protocols never use them: they only carry information for the
# plugin (the handle the decorator came from and the event it registers for).
_HandleT_co = TypeVar("_HandleT_co", covariant=True)
_EventT_co = TypeVar("_EventT_co", covariant=True)
_HandlerT = TypeVar("_HandlerT", bound=Callable[..., Any])


class MsgHandlerDecorator(Protocol[_HandleT_co, _EventT_co]):
    """What ``on(event)`` returns: registers a Msg handler and returns it unchanged."""

    def __call__(self, handler: _HandlerT, /) -> _HandlerT:
        """Register ``handler`` and return it unchanged."""
        ...


class CallHandlerDecorator(Protocol[_HandleT_co, _EventT_co]):
    """What ``on_call(event)`` returns: registers a Call handler and returns it unchanged."""

    def __call__(self, handler: _HandlerT, /) -> _HandlerT:
        """Register ``handler`` and return it unchanged."""
        ...


class GuardDecorator(Protocol[_HandleT_co, _EventT_co]):
    """What ``Server.guard(...)`` returns: registers a connect guard and returns it unchanged.

    With the plugin the type arguments are the server and the ``Literal`` names of the
    namespaces the guard guards.
    """

    def __call__(self, guard: _HandlerT, /) -> _HandlerT:
        """Register ``guard`` and return it unchanged."""
        ...
