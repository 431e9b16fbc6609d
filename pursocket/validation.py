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

__all__ = [
    "EventValidators",
    "InvalidInput",
    "InvalidValue",
    "Validator",
    "auth_validator",
    "build_validators",
    "decodable_type",
]


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
        self.spec = spec
        try:
            payload_type = decodable_type(spec.payload_type)
            response_type = decodable_type(spec.response_type) if spec.is_call else Any
            checks_payload = _checker(payload_type)
            checks_response = _checker(response_type)
            #: Whether a payload or response may hold ``bytes`` (declared, or under ``Any``).
            self.payload_may_be_binary = _may_hold_bytes(payload_type)
            self.response_may_be_binary = _may_hold_bytes(response_type)
            self.payload_json: msgspec.json.Decoder[Any] | None = (
                msgspec.json.Decoder(payload_type, strict=True)
                if incoming and not _may_hold_bytes(payload_type)
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
        return _checker(decodable_type(namespace.auth_type))
    except (TypeError, ProtocolError) as exc:
        raise ProtocolError(f"{namespace.auth_path}: cannot build a validator: {exc}") from None


def decodable_type(tp: Any) -> Any:
    """``tp`` in a form msgspec decodes: every ``ReadOnly[X]`` key read as ``X``.

    ``ReadOnly`` only restricts what type checkers let code do with a value; on the
    wire the key is an ordinary key. TypedDicts (nested at any depth) that contain
    one are rebuilt once with the same keys and requiredness; every other type is
    returned as it is.
    """
    return _Rewriter().rewrite(tp)


class _Rewriter:
    def __init__(self) -> None:
        self._done: dict[int, Any] = {}
        self._in_progress: set[int] = set()

    def rewrite(self, tp: Any) -> Any:
        if is_typeddict(tp):
            return self._typeddict(tp)
        origin, args = get_origin(tp), get_args(tp)
        if origin is None or origin is Literal or not args:
            return tp
        new_args = tuple(self.rewrite(arg) for arg in args)
        if all(new is old for new, old in zip(new_args, args, strict=True)):
            return tp
        if origin in UNION_ORIGINS:
            return Union[new_args]  # noqa: UP007 (a runtime union of computed members)
        return origin[new_args]

    def _typeddict(self, td: Any) -> Any:
        key = id(td)
        if key in self._done:
            return self._done[key]
        if key in self._in_progress:
            # A recursive TypedDict refers to itself; a ReadOnly key inside such a
            # cycle is then reported by msgspec when the decoder is built.
            return td
        self._in_progress.add(key)
        hints = typing.get_type_hints(td, include_extras=True)
        fields: dict[str, Any] = {}
        changed = False
        for name, annotation in hints.items():
            qualifiers, inner = unwrap_qualifiers(annotation)
            new_inner = self.rewrite(inner)
            changed |= ReadOnly in qualifiers or new_inner is not inner
            fields[name] = (qualifiers, new_inner)
        self._in_progress.discard(key)
        if not changed:
            self._done[key] = td
            return td
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
        self._done[key] = rebuilt
        return rebuilt


def _may_hold_bytes(tp: Any) -> bool:
    """Whether a value of ``tp`` may hold ``bytes`` (declared, or under ``Any``)."""
    return _BytesSearch().may_hold_bytes(tp)


class _BytesSearch:
    # Each TypedDict is searched once: a recursive one, or one reached along many
    # paths, costs one visit.
    def __init__(self) -> None:
        self._visited: set[int] = set()

    def may_hold_bytes(self, tp: Any) -> bool:
        if tp is Any or tp in _BINARY_TYPES:
            return True
        if is_typeddict(tp):
            if id(tp) in self._visited:
                return False
            self._visited.add(id(tp))
            hints = typing.get_type_hints(tp, include_extras=True)
            return any(self.may_hold_bytes(unwrap_qualifiers(h)[1]) for h in hints.values())
        if get_origin(tp) is Literal:
            return False
        return any(self.may_hold_bytes(arg) for arg in get_args(tp))
