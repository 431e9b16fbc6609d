"""Connect guards: checks a server runs before the connect handlers of several namespaces."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pursocket.protocol import ProtocolModel

__all__ = ["Guards"]


class Guards:
    """A server's connect guards, in the order they were registered."""

    def __init__(self, model: ProtocolModel) -> None:
        self._model = model
        self._guards: list[tuple[frozenset[str], Callable[..., Any]]] = []

    def select(self, namespaces: Iterable[str], exclude: Iterable[str]) -> frozenset[str]:
        """``namespaces`` (every one when empty) but ``exclude``.

        ``ProtocolError`` names a namespace the protocol does not declare.
        """
        named, excluded = tuple(namespaces), tuple(exclude)
        for name in (*named, *excluded):
            self._model.namespace(name)  # raises, naming the declared namespaces
        return frozenset(named or self._model.namespaces) - frozenset(excluded)

    def add(self, guarded: frozenset[str], guard: Callable[..., Any]) -> None:
        """Register ``guard`` for the namespaces ``guarded``; ``TypeError`` if it is not callable."""
        if not callable(guard):
            raise TypeError(f"A guard must be callable, got {guard!r}")
        self._guards.append((guarded, guard))

    def of(self, namespace: str) -> tuple[Callable[..., Any], ...]:
        """The guards of ``namespace``, in registration order."""
        return tuple(guard for guarded, guard in self._guards if namespace in guarded)
