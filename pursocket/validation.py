"""Validators for values that cross the network, built once per event from the protocol model.

Validation is strict (``"1"`` is not an ``int``, ``1`` is not a ``bool``) and done by
msgspec (``docs/validation.md`` says why). A ``bytes`` field accepts only real binary
data, which Socket.IO carries as a binary attachment; a base64 string is not bytes.
Keys a ``TypedDict`` does not declare are dropped, so a handler receives exactly the
declared shape.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Mapping
from typing import Any, Literal, Union, get_args, get_origin

import attrs
import msgspec
import typing_extensions
from typing_extensions import NotRequired, ReadOnly, Required, is_typeddict

from pursocket.errors import ProtocolError
from pursocket.protocol import (
    UNION_ORIGINS,
    Direction,
    EventSpec,
    NamespaceSpec,
    ProtocolModel,
    unwrap_qualifiers,
)

# What users need; the rest is shared with pursocket's own modules only.
__all__ = ["InvalidInput"]


class InvalidValue(Exception):
    """A value that does not have its declared type; the message says where and why."""


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

# Binary attachments arrive as bytes; naming bytes a builtin type stops msgspec from
# also accepting a base64 string where bytes are declared.
_BINARY_TYPES = (bytes, bytearray)


def _accept(value: Any) -> Any:
    return value


def _checker(tp: Any) -> Validator:
    if tp is Any:
        return _accept

    def validate(value: Any) -> Any:
        try:
            return msgspec.convert(value, tp, strict=True, builtin_types=_BINARY_TYPES)
        except msgspec.ValidationError as exc:
            raise InvalidValue(str(exc)) from None

    return validate


class EventValidators:
    """Everything needed to check one event's values, built once.

    ``payload`` and ``response`` check values arriving from the peer (or pass them
    through when validation is off); ``payload_json`` decodes and checks a payload's
    raw JSON in one pass, and is ``None`` where that cannot be done (validation off,
    or a type containing ``bytes``, which only a binary attachment may carry).
    ``outgoing_payload`` and ``outgoing_response`` check what this side sends, and
    pass everything through unless outgoing validation is on.
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
            payload = wire_form(spec.payload_type)
            response = wire_form(spec.response_type) if spec.is_call else WireForm(Any, True)
            checks_payload = _checker(payload.decodable)
            checks_response = _checker(response.decodable)
            #: Whether a payload or response may hold ``bytes`` (declared, or under ``Any``).
            self.payload_may_be_binary: bool = payload.may_hold_bytes
            self.response_may_be_binary: bool = response.may_hold_bytes
            self.payload_json: msgspec.json.Decoder[Any] | None = (
                msgspec.json.Decoder(payload.decodable, strict=True)
                if incoming and not payload.may_hold_bytes
                else None
            )
        except (TypeError, ProtocolError) as exc:
            raise ProtocolError(f"{spec.path}: cannot build a validator: {exc}") from None
        self.payload: Validator = checks_payload if incoming else _accept
        self.response: Validator = checks_response if incoming else _accept
        self.outgoing_payload: Validator = checks_payload if outgoing else _accept
        self.outgoing_response: Validator = checks_response if outgoing else _accept


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
        return _checker(wire_form(namespace.auth_type).decodable)
    except (TypeError, ProtocolError) as exc:
        raise ProtocolError(f"{namespace.auth_path}: cannot build a validator: {exc}") from None


@attrs.frozen
class WireForm:
    """What pursocket needs to know about a declared type, worked out in one walk."""

    #: The type in a form msgspec decodes: every ``ReadOnly[X]`` key read as ``X``.
    decodable: Any
    #: Whether a value may hold ``bytes`` (declared, or under ``Any``).
    may_hold_bytes: bool


def wire_form(tp: Any) -> WireForm:
    """The :class:`WireForm` of ``tp``.

    ``ReadOnly`` only restricts what type checkers let code do with a value; on the
    wire the key is an ordinary key. TypedDicts (nested at any depth) that contain
    one are rebuilt once with the same keys and requiredness; every other type is
    kept as it is.
    """
    decodable, may_hold_bytes = _Walk().visit(tp)
    return WireForm(decodable, may_hold_bytes)


class _Walk:
    """One walk over a type: its decodable form and whether it may hold bytes."""

    def __init__(self) -> None:
        self._done: dict[int, tuple[Any, bool]] = {}
        self._in_progress: set[int] = set()

    def visit(self, tp: Any) -> tuple[Any, bool]:
        if tp is Any or tp in _BINARY_TYPES:
            return tp, True
        if is_typeddict(tp):
            return self._typeddict(tp)
        origin, args = get_origin(tp), get_args(tp)
        if origin is None or origin is Literal or not args:
            return tp, False
        visited = [self.visit(arg) for arg in args]
        may_hold_bytes = any(holds for _, holds in visited)
        new_args = tuple(new for new, _ in visited)
        if all(new is old for new, old in zip(new_args, args, strict=True)):
            return tp, may_hold_bytes
        if origin in UNION_ORIGINS:
            return Union[new_args], may_hold_bytes  # noqa: UP007 (a runtime union of computed members)
        return origin[new_args], may_hold_bytes

    def _typeddict(self, td: Any) -> tuple[Any, bool]:
        key = id(td)
        if key in self._done:
            return self._done[key]
        if key in self._in_progress:
            # A recursive TypedDict refers to itself: its keys are being walked already
            # (a ReadOnly key inside such a cycle is reported by msgspec when the
            # decoder is built).
            return td, False
        self._in_progress.add(key)
        hints = typing.get_type_hints(td, include_extras=True)
        fields: dict[str, Any] = {}
        changed = False
        may_hold_bytes = False
        for name, annotation in hints.items():
            qualifiers, inner = unwrap_qualifiers(annotation)
            new_inner, holds = self.visit(inner)
            may_hold_bytes |= holds
            changed |= ReadOnly in qualifiers or new_inner is not inner
            fields[name] = (qualifiers, new_inner)
        self._in_progress.discard(key)
        if not changed:
            self._done[key] = (td, may_hold_bytes)
            return self._done[key]
        # __required_keys__ is wrong on Python 3.11 for a NotRequired key under
        # ``from __future__ import annotations``; the qualifier itself is reliable.
        required = {
            name: (Required in quals) or (NotRequired not in quals and name in td.__required_keys__)
            for name, (quals, _) in fields.items()
        }
        rebuilt = typing_extensions.TypedDict(  # type: ignore[misc]
            td.__name__,
            {
                name: (Required[inner] if required[name] else NotRequired[inner])
                for name, (_, inner) in fields.items()
            },
        )
        self._done[key] = (rebuilt, may_hold_bytes)
        return self._done[key]
