"""Validators for values that cross the network, built once per event from the protocol model.

Validation is strict (``"1"`` is not an ``int``, ``1`` is not a ``bool``) and done by
msgspec (``docs/validation.md`` says why). A ``bytes`` field accepts only real binary
data, which Socket.IO carries as a binary attachment; a base64 string is not bytes.
Keys a ``TypedDict`` does not declare are dropped, so a handler receives exactly the
declared shape.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs
import msgspec

from pursocket._wire_types import InvalidValue as InvalidValue  # what the runtime raises
from pursocket._wire_types import WireForm, wire_form
from pursocket.errors import ProtocolError
from pursocket.protocol import (
    Direction,
    EventSpec,
    NamespaceSpec,
    ProtocolModel,
)

# What users need; the rest is shared with pursocket's own modules only.
__all__ = ["InvalidInput"]


@attrs.frozen
class InvalidInput:
    """One piece of input from a peer that pursocket refused before any handler saw it.

    ``code`` is ``invalid_payload`` (the payload is not the declared type, or the
    packet carried other than one argument), ``unknown_event`` (the namespace declares
    no such event in that direction) or ``wrong_kind`` (a Msg sent as a Call or the
    other way round). ``reason`` is the human-readable explanation, with the path of
    the offending value (``$.user.age``) for validation errors; it never contains the
    payload itself.
    """

    namespace: str
    event: str | None
    code: str
    reason: str


#: Takes a decoded value and returns it checked, or raises :class:`InvalidValue`.
Validator = Callable[[Any], Any]


def _accept(value: Any) -> Any:
    return value


def _sender(check: Validator, form: WireForm, *, checked: bool) -> Validator:
    """What this side sends for a value of ``form``: the value as given, checked if ``checked``.

    A value whose type holds a tuple goes out with its tuples as lists (the same JSON
    array): python-socketio sends a top-level tuple as several arguments and searches
    only lists and dicts for binary data. Checked, it must hold a tuple wherever its
    type declares one, as type checkers require (a received array is read as a tuple).
    """
    if not form.holds_tuple:
        return _checked_as_is(check) if checked else _accept
    if not checked:
        return _tuples_as_lists

    def send(value: Any) -> Any:
        _tuples_where_declared(value, check(value), "$")
        return _tuples_as_lists(value)

    return send


def _checked_as_is(check: Validator) -> Validator:
    def send(value: Any) -> Any:
        check(value)
        return value

    return send


def _tuples_where_declared(value: Any, checked: Any, path: str) -> None:
    """Raise :class:`InvalidValue` where ``checked`` (``value`` as validated) holds a tuple
    and ``value`` does not: validation reads any array as a tuple where one is declared."""
    if isinstance(checked, tuple) and not isinstance(value, tuple):
        raise InvalidValue(f"Expected `tuple`, got `{type(value).__name__}` - at `{path}`")
    if isinstance(checked, (list, tuple)):
        for index, (item, checked_item) in enumerate(zip(value, checked, strict=True)):
            _tuples_where_declared(item, checked_item, f"{path}[{index}]")
    elif isinstance(checked, dict):
        for key, checked_item in checked.items():
            _tuples_where_declared(value[key], checked_item, f"{path}.{key}")


def _tuples_as_lists(value: Any) -> Any:
    """``value`` copied with every tuple in it a list.

    Without recursion, so that a value nested too deeply to be sent is refused where
    any other is, when it is encoded (a Call's answer then says ``invalid_response``).
    """
    copy = _container_copy(value)
    pending = [(value, copy)] if copy is not value else []
    while pending:
        source, target = pending.pop()
        for key, item in source.items() if isinstance(source, dict) else enumerate(source):
            target[key] = _container_copy(item)
            if target[key] is not item:
                pending.append((item, target[key]))
    return copy


def _container_copy(value: Any) -> Any:
    """An empty dict for a dict, a list of as many places for a list or tuple, else ``value``."""
    if isinstance(value, dict):
        return {}
    if isinstance(value, (list, tuple)):
        return [None] * len(value)
    return value


def _checker(form: WireForm) -> Validator:
    """The validator of a type's wire form, from the value's root (``$``)."""
    if form.decodable is Any:
        return _accept
    check = form.check

    def validate(value: Any) -> Any:
        try:
            return check(value, "$")
        except RecursionError:
            # Only a value this side is about to send gets here: what arrives was
            # refused for its depth when it was decoded.
            raise InvalidValue("Nested too deeply to check - at `$`") from None

    return validate


class EventValidators:
    """Everything needed to check one event's values, built once.

    ``payload`` and ``response`` check values arriving from the peer (or pass them
    through when validation is off); ``payload_json`` decodes and checks a payload's
    raw JSON in one pass, and is ``None`` where that cannot be done (validation off,
    or a type containing ``bytes``, which only a binary attachment may carry).
    ``outgoing_payload`` and ``outgoing_response`` give what this side sends for a
    value (checked when outgoing validation is on; the tuples of a type that holds
    any as lists, see :func:`_sender`).
    """

    __slots__ = (
        "outgoing_payload",
        "outgoing_response",
        "payload",
        "payload_json",
        "payload_may_be_binary",
        "response",
        "response_may_be_binary",
        "spec",
    )

    def __init__(self, spec: EventSpec, *, incoming: bool, outgoing: bool) -> None:
        self.spec: EventSpec = spec
        try:
            module = spec.module
            payload = wire_form(spec.payload_type, module)
            response = wire_form(spec.response_type if spec.is_call else Any, module)
            checks_payload = _checker(payload)
            checks_response = _checker(response)
            #: Whether a payload or response may hold ``bytes`` (declared, or under ``Any``).
            self.payload_may_be_binary: bool = payload.may_hold_bytes
            self.response_may_be_binary: bool = response.may_hold_bytes
            self.payload_json: msgspec.json.Decoder[Any] | None = (
                msgspec.json.Decoder(payload.decodable, strict=True)
                if incoming and not payload.may_hold_bytes and payload.decodable is not None
                else None
            )
        except (TypeError, ProtocolError) as exc:
            raise ProtocolError(f"{spec.path}: cannot build a validator: {exc}") from None
        self.payload: Validator = checks_payload if incoming else _accept
        self.response: Validator = checks_response if incoming else _accept
        self.outgoing_payload: Validator = _sender(checks_payload, payload, checked=outgoing)
        self.outgoing_response: Validator = _sender(checks_response, response, checked=outgoing)


def build_validators(
    model: ProtocolModel, *, incoming: bool = True, outgoing: bool = False
) -> Mapping[tuple[str, Direction, str], EventValidators]:
    """One :class:`EventValidators` per event, keyed by (namespace path, direction, event).

    ``incoming`` checks what arrives from the network; ``outgoing`` also checks what
    this side sends.
    """
    return {
        (ns.path, spec.direction, spec.name): EventValidators(
            spec, incoming=incoming, outgoing=outgoing
        )
        for ns in model.namespaces.values()
        for direction in Direction
        for spec in ns.events(direction).values()
    }


def auth_validator(namespace: NamespaceSpec, *, enabled: bool = True) -> Validator:
    """Checks the auth a client sends to ``namespace`` against its declared type.

    Accepts anything when the namespace declares no ``auth`` (or ``enabled`` is off);
    otherwise strict like a payload, and keys the type does not declare are dropped.
    """
    if namespace.auth_type is None or not enabled:
        return _accept
    try:
        return _checker(wire_form(namespace.auth_type, namespace.module))
    except (TypeError, ProtocolError) as exc:
        raise ProtocolError(f"{namespace.auth_path}: cannot build a validator: {exc}") from None
