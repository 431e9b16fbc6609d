"""Protocol declaration markers and the immutable protocol model.

A protocol is a nested ``TypedDict``: namespace -> direction (``c2s`` or ``s2c``)
-> event -> ``Msg[Payload]`` or ``Call[Request, Response]``; a namespace may also
declare ``auth``, the object a client sends when it connects. It is read exactly once
into a :class:`ProtocolModel`; dispatch, validation and exports all read that model
and never look at the ``TypedDict`` classes again.
"""

from __future__ import annotations

import enum
import functools
import types
import typing
from collections.abc import Mapping
from typing import Any, Generic, Literal, TypeVar, Union, get_args, get_origin

import attrs
from typing_extensions import (
    NotRequired,
    ReadOnly,
    Required,
    final,
    is_typeddict,
)

from pursocket.errors import ProtocolError

__all__ = [
    "AUTH_KEY",
    "RESERVED_EVENT_NAMES",
    "Call",
    "Direction",
    "EventKind",
    "EventSpec",
    "Msg",
    "NamespaceSpec",
    "ProtocolModel",
    "read_protocol",
]

PayloadT = TypeVar("PayloadT")
RequestT = TypeVar("RequestT")
ResponseT = TypeVar("ResponseT")

#: Event names Socket.IO keeps for itself. The official JS client refuses to send
#: them and python-socketio routes them to lifecycle handlers, so a protocol may
#: not declare them.
RESERVED_EVENT_NAMES: frozenset[str] = frozenset(
    {"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"}
)


@final
class Msg(Generic[PayloadT]):
    """A fire-and-forget event carrying one ``PayloadT`` argument.

    Only meaningful inside a protocol ``TypedDict``: ``chat: Msg[ChatMessage]``.
    On the wire it is a Socket.IO EVENT packet with exactly one argument and no
    acknowledgement id.
    """

    __slots__ = ()

    def __init__(self) -> None:
        raise TypeError("Msg[...] is a protocol marker; it is never instantiated")


@final
class Call(Generic[RequestT, ResponseT]):
    """An acknowledged request/response event.

    Only meaningful inside a protocol ``TypedDict``: ``join: Call[JoinRequest, JoinResult]``.
    On the wire the request is a Socket.IO EVENT packet with exactly one argument and
    an acknowledgement id; the response is the ACK packet's single argument.
    """

    __slots__ = ()

    def __init__(self) -> None:
        raise TypeError("Call[...] is a protocol marker; it is never instantiated")


class Direction(enum.Enum):
    """Who sends an event: the client (``c2s``) or the server (``s2c``)."""

    C2S = "c2s"
    S2C = "s2c"

    @property
    def description(self) -> str:
        """``client-to-server (c2s)`` or ``server-to-client (s2c)``."""
        return "client-to-server (c2s)" if self is Direction.C2S else "server-to-client (s2c)"

    @property
    def opposite(self) -> Direction:
        """The other direction."""
        return Direction.S2C if self is Direction.C2S else Direction.C2S


class EventKind(enum.Enum):
    """``Msg`` (fire-and-forget) or ``Call`` (acknowledged request/response)."""

    MSG = "Msg"
    CALL = "Call"


@attrs.frozen
class EventSpec:
    """One event of one namespace and direction, as the protocol declares it."""

    protocol_name: str
    namespace: str
    direction: Direction
    name: str
    kind: EventKind
    #: The type of the single argument the event carries (the request, for a Call).
    payload_type: Any
    #: The type of a Call's acknowledgement; ``None`` for a Msg.
    response_type: Any

    @property
    def path(self) -> str:
        """Where the event sits in the protocol, e.g. ``AppProtocol.lobby.c2s.chat``."""
        return f"{self.protocol_name}.{self.namespace}.{self.direction.value}.{self.name}"

    @property
    def is_call(self) -> bool:
        """Whether the event is a ``Call``."""
        return self.kind is EventKind.CALL


@attrs.frozen
class NamespaceSpec:
    """One namespace: its Socket.IO path, its auth and its events in each direction."""

    protocol_name: str
    name: str
    #: The Socket.IO namespace, ``/`` + name (``/`` itself for the root namespace).
    path: str
    c2s: Mapping[str, EventSpec]
    s2c: Mapping[str, EventSpec]
    #: The declared type of the ``auth`` a client sends in its CONNECT packet to this
    #: namespace, or ``None`` when the namespace declares no ``auth`` key (any auth is
    #: accepted unchecked). A declared ``auth: None`` is ``NoneType``, not ``None``.
    auth_type: Any = None

    @property
    def auth_path(self) -> str:
        """Where the auth sits in the protocol, e.g. ``AppProtocol.lobby.auth``."""
        return f"{self.protocol_name}.{self.name}.auth"

    def events(self, direction: Direction) -> Mapping[str, EventSpec]:
        """The events this namespace declares in ``direction``."""
        return self.c2s if direction is Direction.C2S else self.s2c

    def find(self, direction: Direction, event: str, kind: EventKind) -> EventSpec:
        """The event ``event`` of ``kind`` sent in ``direction``, or ``ProtocolError``.

        The error says what is wrong (unknown name, other direction, other kind)
        and what would be right.
        """
        spec = self.events(direction).get(event)
        if spec is None:
            other = self.events(direction.opposite).get(event)
            if other is not None:
                raise ProtocolError(
                    f'"{event}" is a {direction.opposite.description} event of namespace '
                    f'"{self.name}" in protocol {self.protocol_name}; it cannot be used as a '
                    f"{direction.description} event"
                )
            known = ", ".join(f'"{name}"' for name in self.events(direction)) or "none"
            raise ProtocolError(
                f'Unknown event "{event}" in namespace "{self.name}" '
                f"({direction.value}) of protocol {self.protocol_name}; "
                f"declared {direction.value} events: {known}"
            )
        if spec.kind is not kind:
            raise ProtocolError(
                f'"{event}" is a {spec.kind.value} event of namespace "{self.name}" '
                f"({direction.value}) in protocol {self.protocol_name}, not a {kind.value} event"
            )
        return spec


@attrs.frozen
class ProtocolModel:
    """A whole protocol, read once from its ``TypedDict``."""

    name: str
    protocol: type
    namespaces: Mapping[str, NamespaceSpec]

    def namespace(self, name: str) -> NamespaceSpec:
        """The namespace declared as ``name``, or ``ProtocolError`` naming the known ones."""
        spec = self.namespaces.get(name)
        if spec is None:
            known = ", ".join(f'"{n}"' for n in self.namespaces)
            raise ProtocolError(
                f'Unknown namespace "{name}" in protocol {self.name}; declared namespaces: {known}'
            )
        return spec


def read_protocol(protocol: Any) -> ProtocolModel:
    """Read ``protocol`` into a :class:`ProtocolModel`, once per protocol class.

    Raises :class:`ProtocolError` naming the exact path of the first thing that is
    not a valid protocol (e.g. ``AppProtocol.lobby.c2s.chat: expected Msg[...] or
    Call[..., ...], got int``).
    """
    return _read_protocol_once(protocol)


@functools.cache
def _read_protocol_once(protocol: Any) -> ProtocolModel:
    name = getattr(protocol, "__name__", repr(protocol))
    if not is_typeddict(protocol):
        raise ProtocolError(
            f"{name}: a protocol must be a TypedDict of namespaces, got {_describe(protocol)}"
        )
    namespaces: dict[str, NamespaceSpec] = {}
    json_forms = _JsonForms()
    for ns_name, ns_type in _fields(protocol, name).items():
        ns_path = f"{name}.{ns_name}"
        if not is_typeddict(ns_type):
            raise ProtocolError(
                f"{ns_path}: expected a TypedDict with c2s and/or s2c keys, got {_describe(ns_type)}"
            )
        if ns_name != "/" and (not ns_name or "/" in ns_name):
            raise ProtocolError(
                f'{ns_path}: a namespace key is "/" for the root namespace or a name without '
                f'"/" (the key "admin" is the Socket.IO namespace /admin)'
            )
        directions: dict[Direction, Mapping[str, EventSpec]] = {}
        auth_type: Any = None
        for dir_key, dir_type in _fields(ns_type, ns_path).items():
            dir_path = f"{ns_path}.{dir_key}"
            if dir_key == AUTH_KEY:
                _check_auth_type(dir_type, dir_path, json_forms)
                auth_type = dir_type
                continue
            try:
                direction = Direction(dir_key)
            except ValueError:
                raise ProtocolError(
                    f'{dir_path}: a namespace may only have the keys "auth", "c2s" and "s2c", '
                    f'got "{dir_key}"'
                ) from None
            if not is_typeddict(dir_type):
                raise ProtocolError(
                    f"{dir_path}: expected a TypedDict of events, got {_describe(dir_type)}"
                )
            directions[direction] = types.MappingProxyType(
                {
                    event: _read_event(name, ns_name, direction, event, event_type, json_forms)
                    for event, event_type in _fields(dir_type, dir_path).items()
                }
            )
        empty: Mapping[str, EventSpec] = types.MappingProxyType({})
        namespaces[ns_name] = NamespaceSpec(
            protocol_name=name,
            name=ns_name,
            path="/" if ns_name == "/" else f"/{ns_name}",
            c2s=directions.get(Direction.C2S, empty),
            s2c=directions.get(Direction.S2C, empty),
            auth_type=auth_type,
        )
    if not namespaces:
        raise ProtocolError(f"{name}: a protocol must declare at least one namespace")
    return ProtocolModel(
        name=name, protocol=protocol, namespaces=types.MappingProxyType(namespaces)
    )


#: The namespace key that declares what a client sends as ``auth`` when it connects.
AUTH_KEY = "auth"


def _check_auth_type(tp: Any, path: str, json_forms: _JsonForms) -> None:
    """Refuse an auth type that is not a JSON object (optionally or ``None``).

    Socket.IO carries auth as the CONNECT packet's JSON object: the official JS
    client only sends an object, and a Node server refuses anything else.
    """
    members = get_args(tp) if get_origin(tp) in UNION_ORIGINS else (tp,)
    for member in members:
        is_object = is_typeddict(member) or (
            get_origin(member) is dict and get_args(member)[:1] == (str,)
        )
        if not (is_object or member is type(None)):
            raise ProtocolError(
                f'{path}: expected a TypedDict (or dict[str, T]), optionally "| None", '
                f"since Socket.IO sends auth as a JSON object; got {_describe(tp)}"
            )
    json_forms.check(tp, path)


def _fields(typed_dict: Any, path: str) -> dict[str, Any]:
    """The annotated fields of a TypedDict, with string annotations resolved."""
    try:
        hints = typing.get_type_hints(typed_dict, include_extras=True)
    except NameError as exc:
        raise ProtocolError(
            f"{path}: cannot resolve the annotation {exc.name!r}; protocol TypedDicts must be "
            f"defined at module level so their annotations can be resolved"
        ) from exc
    return {key: unwrap_qualifiers(value)[1] for key, value in hints.items()}


_QUALIFIERS = (Required, NotRequired, ReadOnly)


def unwrap_qualifiers(annotation: Any) -> tuple[frozenset[Any], Any]:
    """The ``Required``/``NotRequired``/``ReadOnly`` wrapping a TypedDict key's type, and that type."""
    qualifiers: set[Any] = set()
    while get_origin(annotation) in _QUALIFIERS:
        qualifiers.add(get_origin(annotation))
        annotation = get_args(annotation)[0]
    return frozenset(qualifiers), annotation


def _read_event(
    protocol_name: str,
    namespace: str,
    direction: Direction,
    event: str,
    event_type: Any,
    json_forms: _JsonForms,
) -> EventSpec:
    path = f"{protocol_name}.{namespace}.{direction.value}.{event}"
    if event in RESERVED_EVENT_NAMES:
        raise ProtocolError(
            f'{path}: "{event}" is reserved by Socket.IO for its own lifecycle events; '
            f"the official client cannot send it. Choose another name"
        )
    origin = get_origin(event_type)
    args = get_args(event_type)
    if origin is Msg and len(args) == 1:
        kind, payload, response = EventKind.MSG, args[0], None
    elif origin is Call and len(args) == 2:
        kind, payload, response = EventKind.CALL, args[0], args[1]
    else:
        raise ProtocolError(
            f"{path}: expected Msg[...] or Call[..., ...], got {_describe(event_type)}"
        )
    json_forms.check(payload, f"{path} ({'payload' if kind is EventKind.MSG else 'request'})")
    if kind is EventKind.CALL:
        json_forms.check(response, f"{path} (response)")
    return EventSpec(
        protocol_name=protocol_name,
        namespace=namespace,
        direction=direction,
        name=event,
        kind=kind,
        payload_type=payload,
        response_type=response,
    )


_SCALARS: tuple[Any, ...] = (str, int, float, bool, bytes, type(None), None, Any)
#: What ``get_origin`` gives for ``Union[X, Y]`` and for ``X | Y``.
UNION_ORIGINS: tuple[Any, ...] = (Union, types.UnionType)


class _JsonForms:
    """Checks that types have a JSON form, visiting each ``TypedDict`` once.

    A ``TypedDict`` already checked (or being checked, for a recursive one) is not
    walked again, so reading a protocol is linear in the number of distinct types.
    """

    def __init__(self) -> None:
        self._visited: set[int] = set()
        # Keeps every visited type alive, so no id in _visited is reused meanwhile.
        self._kept: list[Any] = []

    def check(self, tp: Any, path: str) -> None:
        """Refuse a type that has no JSON (or Socket.IO binary) form."""
        if any(tp is scalar for scalar in _SCALARS):
            return
        if is_typeddict(tp):
            if id(tp) in self._visited:
                return
            self._visited.add(id(tp))
            self._kept.append(tp)
            for key, value in _fields(tp, path).items():
                self.check(value, f"{path}.{key}")
            return
        origin, args = get_origin(tp), get_args(tp)
        if origin is Literal:
            if all(isinstance(arg, (str, int, bool)) or arg is None for arg in args):
                return
        elif origin in UNION_ORIGINS:
            for arg in args:
                self.check(arg, path)
            return
        elif origin is list and len(args) == 1:
            self.check(args[0], f"{path}[]")
            return
        elif origin is dict and len(args) == 2 and args[0] is str:
            self.check(args[1], f"{path}[str]")
            return
        raise ProtocolError(
            f"{path}: {_describe(tp)} has no JSON form; use a TypedDict, list[T], dict[str, T], "
            f"str, int, float, bool, None, bytes, a Literal, or a union of these"
        )


def _describe(tp: Any) -> str:
    if isinstance(tp, type) and not get_args(tp):
        return tp.__name__
    return repr(tp).replace("typing.", "").replace("typing_extensions.", "")
