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

    def add(
        self, namespaces: Iterable[str], exclude: Iterable[str], guard: Callable[..., Any]
    ) -> None:
        """Register ``guard`` for ``namespaces`` (every one when empty) but ``exclude``.

        ``ProtocolError`` names a namespace the protocol does not declare; ``TypeError``
        a guard that is not callable.
        """
        named, excluded = tuple(namespaces), tuple(exclude)
        for name in (*named, *excluded):
            self._model.namespace(name)  # raises, naming the declared namespaces
        if not callable(guard):
            raise TypeError(f"A guard must be callable, got {guard!r}")
        guarded = frozenset(named or self._model.namespaces) - frozenset(excluded)
        self._guards.append((guarded, guard))

    def of(self, namespace: str) -> tuple[Callable[..., Any], ...]:
        """The guards of ``namespace``, in registration order."""
        return tuple(guard for guarded, guard in self._guards if namespace in guarded)
