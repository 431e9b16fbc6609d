"""Validators for values that arrive from the network, built once from the protocol model."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import msgspec

from pursocket.protocol import Direction, EventSpec, ProtocolModel

__all__ = ["InvalidValue", "Validator", "build_validators"]


class InvalidValue(Exception):
    """A value that does not have its declared type; the message says where and why."""


#: Takes a decoded value and returns it checked, or raises :class:`InvalidValue`.
Validator = Callable[[Any], Any]


def _accept(value: Any) -> Any:
    return value


def _strict(tp: Any) -> Validator:
    def validate(value: Any) -> Any:
        try:
            return msgspec.convert(value, tp, strict=True)
        except msgspec.ValidationError as exc:
            raise InvalidValue(str(exc)) from None

    return validate


class EventValidators:
    """The request and response validators of one event."""

    __slots__ = ("payload", "response")

    def __init__(self, spec: EventSpec, enabled: bool) -> None:
        self.payload: Validator = _strict(spec.payload_type) if enabled else _accept
        self.response: Validator = (
            _strict(spec.response_type) if enabled and spec.is_call else _accept
        )


def build_validators(
    model: ProtocolModel, enabled: bool
) -> Mapping[tuple[str, Direction, str], EventValidators]:
    """One :class:`EventValidators` per event, keyed by (namespace path, direction, event)."""
    return {
        (ns.path, spec.direction, spec.name): EventValidators(spec, enabled)
        for ns in model.namespaces.values()
        for direction in Direction
        for spec in ns.events(direction).values()
    }
