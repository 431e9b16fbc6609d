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
import sys
import types
import typing
from collections.abc import Mapping
from typing import Annotated, Any, Generic, Literal, TypeVar, Union, get_args, get_origin

import attrs
import typing_extensions
from typing_extensions import (
    NotRequired,
    ReadOnly,
    Required,
    final,
    is_typeddict,
)

from pursocket import _protocol_messages as messages
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
    #: The module in which names inside the payload and response types resolve (a
    #: recursive alias's ``"Json"``): the direction ``TypedDict``'s.
    module: str | None = None

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
    #: The module in which names inside ``auth_type`` resolve (a recursive alias's
    #: ``"Json"``): the namespace ``TypedDict``'s.
    module: str | None = None

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
        raise ProtocolError(messages.not_a_protocol(name, _describe(protocol)))
    namespaces: dict[str, NamespaceSpec] = {}
    json_forms = _JsonForms()
    for ns_name, ns_type in _fields(protocol, name).items():
        ns_path = f"{name}.{ns_name}"
        if typeddict_class(ns_type) is None:
            raise ProtocolError(messages.namespace_not_a_typeddict(ns_path, _describe(ns_type)))
        if ns_name != "/" and (not ns_name or "/" in ns_name):
            raise ProtocolError(messages.namespace_key(ns_path))
        directions: dict[Direction, Mapping[str, EventSpec]] = {}
        auth_type: Any = None
        for dir_key, dir_type in _fields(ns_type, ns_path).items():
            dir_path = f"{ns_path}.{dir_key}"
            if dir_key == AUTH_KEY:
                _check_auth_type(
                    dir_type, dir_path, json_forms, typeddict_class(ns_type).__module__
                )
                auth_type = dir_type
                continue
            try:
                direction = Direction(dir_key)
            except ValueError:
                raise ProtocolError(messages.namespace_member(dir_path, dir_key)) from None
            if typeddict_class(dir_type) is None:
                raise ProtocolError(messages.events_not_a_typeddict(dir_path, _describe(dir_type)))
            dir_module = typeddict_class(dir_type).__module__
            directions[direction] = types.MappingProxyType(
                {
                    event: _read_event(
                        name, ns_name, direction, event, event_type, json_forms, dir_module
                    )
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
            module=typeddict_class(ns_type).__module__,
        )
    if not namespaces:
        raise ProtocolError(messages.no_namespaces(name))
    return ProtocolModel(
        name=name, protocol=protocol, namespaces=types.MappingProxyType(namespaces)
    )


#: The namespace key that declares what a client sends as ``auth`` when it connects.
AUTH_KEY = "auth"


def _check_auth_type(tp: Any, path: str, json_forms: _JsonForms, module: str) -> None:
    """Refuse an auth type that is not a JSON object (optionally or ``None``).

    Socket.IO carries auth as the CONNECT packet's JSON object: the official JS
    client only sends an object, and a Node server refuses anything else.
    """
    members = get_args(tp) if get_origin(tp) in UNION_ORIGINS else (tp,)
    for member in members:
        is_object = typeddict_class(member) is not None or (
            get_origin(member) is dict and get_args(member)[:1] == (str,)
        )
        if not (is_object or member is type(None)):
            raise ProtocolError(messages.auth_not_an_object(path, _describe(tp)))
    json_forms.check(tp, path, module)


def _fields(typed_dict: Any, path: str) -> dict[str, Any]:
    """The annotated fields of a TypedDict, with string annotations resolved."""
    return {key: value for key, (_, value) in typeddict_fields(typed_dict, path).items()}


def typeddict_class(tp: Any) -> Any:
    """The ``TypedDict`` class ``tp`` is (``Point``) or parametrises (``Box[int]``), or ``None``."""
    if is_typeddict(tp):
        return tp
    origin = get_origin(tp)
    return origin if origin is not None and is_typeddict(origin) else None


def typeddict_fields(tp: Any, path: str) -> dict[str, tuple[frozenset[Any], Any]]:
    """Each key of a ``TypedDict`` (or of a parametrised generic one, ``Box[int]``).

    Gives the key's qualifiers (``Required``, ``NotRequired``, ``ReadOnly``) and type,
    with string annotations resolved and a generic one's type variables replaced by
    its arguments. Raises :class:`ProtocolError` for an annotation that cannot be
    resolved.
    """
    cls = typeddict_class(tp)
    try:
        hints = typing.get_type_hints(cls, include_extras=True)
    except NameError as exc:
        raise ProtocolError(
            f"{path}: cannot resolve the annotation {exc.name!r}; protocol TypedDicts must be "
            f"defined at module level so their annotations can be resolved"
        ) from exc
    fields = {key: unwrap_qualifiers(value) for key, value in hints.items()}
    parameters = getattr(cls, "__parameters__", ())
    if cls is tp or not parameters:
        return fields
    bound = dict(zip(parameters, get_args(tp), strict=False))
    return {key: (quals, _substitute(value, bound)) for key, (quals, value) in fields.items()}


def _substitute(tp: Any, bound: Mapping[Any, Any]) -> Any:
    if isinstance(tp, TypeVar):
        return bound.get(tp, tp)
    parameters = getattr(tp, "__parameters__", ())
    if not parameters or get_origin(tp) is None:
        return tp
    return tp[tuple(bound.get(parameter, parameter) for parameter in parameters)]


def is_required(qualifiers: frozenset[Any], key: str, cls: Any) -> bool:
    """Whether a ``TypedDict`` key must be present, from its qualifiers and its class."""
    # __required_keys__ is wrong on Python 3.11 for a NotRequired key under
    # ``from __future__ import annotations``; the qualifier itself is reliable.
    if Required in qualifiers or NotRequired in qualifiers:
        return Required in qualifiers
    return key in cls.__required_keys__


def resolve_reference(tp: Any, module: str | None) -> tuple[Any, str | None] | None:
    """What a ``ForwardRef`` or a type alias object stands for, or ``None`` if ``tp`` is neither.

    A recursive alias refers to itself by name: ``Json = Union[dict[str, "Json"], ...]``
    holds ``ForwardRef("Json")``, resolved in ``module`` (the module of the
    ``TypedDict`` or alias it was written in). ``TypeAliasType`` (``type Json = ...``
    on Python 3.12, or ``typing_extensions.TypeAliasType``) gives its value. Also gives
    the module in which the result's own references resolve.
    """
    if isinstance(tp, TYPE_ALIAS_TYPES):
        alias: Any = tp
        return alias.__value__, alias.__module__
    if isinstance(tp, str):  # inside a builtin generic, dict[str, "Json"] keeps the string
        tp = typing.ForwardRef(tp)
    if isinstance(tp, typing.ForwardRef):
        home = getattr(tp, "__forward_module__", None) or module
        namespace = vars(sys.modules[home]) if home in sys.modules else {}
        try:
            return eval(tp.__forward_arg__, namespace), home
        except NameError as exc:
            raise ProtocolError(
                f"cannot resolve the annotation {exc.name!r}; types referred to by name must "
                f"be defined at module level"
            ) from exc
    return None


def reference_key(tp: Any, module: str | None) -> tuple[Any, ...]:
    """What identifies a ``ForwardRef`` or alias object, to notice a recursive one."""
    if isinstance(tp, str):
        return ("ref", module, tp)
    if isinstance(tp, typing.ForwardRef):
        return ("ref", getattr(tp, "__forward_module__", None) or module, tp.__forward_arg__)
    return ("alias", id(tp))


def module_of(tp: Any, module: str | None) -> str | None:
    """The module in which references inside ``tp`` resolve: a ``TypedDict``'s own."""
    cls = typeddict_class(tp)
    return cls.__module__ if cls is not None else module


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
    module: str | None,
) -> EventSpec:
    path = f"{protocol_name}.{namespace}.{direction.value}.{event}"
    if event in RESERVED_EVENT_NAMES:
        raise ProtocolError(messages.reserved_event(path, event))
    # Annotated[Msg[...], ...]: the metadata of an event marker means nothing here.
    while get_origin(event_type) is Annotated:
        event_type = get_args(event_type)[0]
    origin = get_origin(event_type)
    args = get_args(event_type)
    if origin is Msg and len(args) == 1:
        kind, payload, response = EventKind.MSG, args[0], None
    elif origin is Call and len(args) == 2:
        kind, payload, response = EventKind.CALL, args[0], args[1]
    else:
        raise ProtocolError(messages.not_an_event(path, _describe(event_type)))
    role = "payload" if kind is EventKind.MSG else "request"
    json_forms.check(payload, f"{path} ({role})", module)
    if kind is EventKind.CALL:
        json_forms.check(response, f"{path} (response)", module)
    return EventSpec(
        protocol_name=protocol_name,
        namespace=namespace,
        direction=direction,
        name=event,
        kind=kind,
        payload_type=payload,
        response_type=response,
        module=module,
    )


_SCALARS: tuple[Any, ...] = (str, int, float, bool, bytes, type(None), None, Any)
#: What ``get_origin`` gives for ``Union[X, Y]`` and for ``X | Y``.
UNION_ORIGINS: tuple[Any, ...] = (Union, types.UnionType)


TYPE_ALIAS_TYPES: tuple[type, ...] = tuple(
    {
        typing_extensions.TypeAliasType,
        getattr(typing, "TypeAliasType", typing_extensions.TypeAliasType),
    }
)


class _JsonForms:
    """Checks that types have a JSON form, visiting each named type once.

    A ``TypedDict`` or alias already checked (or being checked, for a recursive one)
    is not walked again, so reading a protocol is linear in the number of distinct
    types.
    """

    def __init__(self) -> None:
        self._visited: set[Any] = set()
        # Keeps every visited type alive, so no id in _visited is reused meanwhile.
        self._kept: list[Any] = []

    def check(self, tp: Any, path: str, module: str | None = None) -> None:
        """Refuse a type that has no JSON (or Socket.IO binary) form."""
        if any(tp is scalar for scalar in _SCALARS):
            return
        reference = resolve_reference(tp, module)
        if reference is not None:
            if self._first_visit(reference_key(tp, module), tp):
                self.check(reference[0], path, reference[1])
            return
        cls = typeddict_class(tp)
        if cls is not None:
            if self._first_visit(("typeddict", id(tp)), tp):
                for key, value in _fields(tp, path).items():
                    self.check(value, f"{path}.{key}", cls.__module__)
            return
        origin, args = get_origin(tp), get_args(tp)
        if origin is Annotated:
            self.check(args[0], path, module)
            return
        if origin is Literal:
            if all(isinstance(arg, (str, int, bool)) or arg is None for arg in args):
                return
        elif origin in UNION_ORIGINS:
            self._check_union_members(tp, path, module)
            for arg in args:
                self.check(arg, path, module)
            return
        elif origin is list and len(args) == 1:
            self.check(args[0], f"{path}[]", module)
            return
        elif is_tuple_type(tp):
            self._check_tuple(tuple_form(tp), path, module)
            return
        elif tp is tuple or tp is _TYPING_TUPLE:
            raise ProtocolError(messages.bare_tuple(path))
        elif is_named_tuple(tp):
            raise ProtocolError(messages.named_tuple(path, _describe(tp)))
        elif origin is dict and len(args) == 2 and args[0] is str:
            self.check(args[1], f"{path}[str]", module)
            return
        raise ProtocolError(messages.no_json_form(path, _describe(tp)))

    def _check_tuple(self, form: TupleForm, path: str, module: str | None) -> None:
        if any(_is_unpacked(item) for item in form.items):
            raise ProtocolError(messages.unpacked_tuple(path))
        for index, item in enumerate(form.items):
            self.check(item, f"{path}[]" if form.variadic else f"{path}[{index}]", module)

    def _first_visit(self, key: Any, tp: Any) -> bool:
        if key in self._visited:
            return False
        self._visited.add(key)
        self._kept.append(tp)
        return True

    def _check_union_members(self, union: Any, path: str, module: str | None) -> None:
        """Refuse a union whose members a received value could not be told apart by."""
        members = [resolved_member(arg, module) for arg in get_args(union)]
        arrays = [member for member in members if is_array_type(member)]
        if len(arrays) > 1:
            raise ProtocolError(messages.several_array_types(path, _describe(union)))
        objects = [
            member
            for member in members
            if typeddict_class(member) is not None or get_origin(member) is dict
        ]
        if len(objects) > 1 and union_tag(objects, path) is None:
            raise ProtocolError(messages.untagged_union(path, _describe(union)))


#: ``typing.Tuple`` itself, which (unlike ``typing.Tuple[()]``) says nothing of its items.
_TYPING_TUPLE: Any = typing.Tuple  # noqa: UP006 (the object itself, not an annotation)


@attrs.frozen
class TupleForm:
    """The items of a ``tuple[...]`` type, which travels as a JSON array."""

    #: The item types in order (``tuple[int, str]``, none for ``tuple[()]``), or the one
    #: item type of a variadic tuple.
    items: tuple[Any, ...]
    #: ``tuple[T, ...]``: any number of ``items[0]``.
    variadic: bool

    def of(self, items: tuple[Any, ...]) -> Any:
        """The tuple type of this form with ``items`` in place of its own."""
        builtin: Any = tuple  # subscripted at run time, with items known only then
        if self.variadic:
            return builtin[items[0], ...]
        return builtin[items] if items else builtin[()]


def tuple_form(tp: Any) -> TupleForm:
    """The :class:`TupleForm` of ``tuple[...]`` (or ``typing.Tuple[...]``) with item types."""
    args = get_args(tp)
    if args == ((),):  # Python 3.10 spells tuple[()] so
        args = ()
    if len(args) == 2 and args[1] is Ellipsis:
        return TupleForm(items=(args[0],), variadic=True)
    return TupleForm(items=args, variadic=False)


def is_tuple_type(tp: Any) -> bool:
    """Whether ``tp`` is ``tuple[...]`` or ``typing.Tuple[...]`` with its item types."""
    return get_origin(tp) is tuple and tp is not _TYPING_TUPLE


def is_array_type(tp: Any) -> bool:
    """Whether a received JSON array may be of type ``tp``: a list or tuple type."""
    return get_origin(tp) is list or is_tuple_type(tp)


def is_named_tuple(tp: Any) -> bool:
    """Whether ``tp`` is a ``NamedTuple`` class (or a generic one's parametrisation)."""
    cls = get_origin(tp) or tp
    return isinstance(cls, type) and issubclass(cls, tuple) and hasattr(cls, "_fields")


_UNPACK_ORIGINS = (typing_extensions.Unpack, getattr(typing, "Unpack", typing_extensions.Unpack))


def _is_unpacked(tp: Any) -> bool:
    """Whether a tuple item is unpacked (``*tuple[str, ...]``, ``Unpack[Ts]``)."""
    return get_origin(tp) in _UNPACK_ORIGINS or bool(getattr(tp, "__unpacked__", False))


def resolved_member(tp: Any, module: str | None) -> Any:
    """A union member with its ``Annotated`` wrapper and alias references resolved."""
    for _ in range(100):  # An alias of an alias ...: never a cycle without a union.
        if get_origin(tp) is Annotated:
            tp = get_args(tp)[0]
            continue
        reference = resolve_reference(tp, module)
        if reference is None:
            break
        tp, module = reference
    return tp


def union_tag(members: list[Any], path: str) -> str | None:
    """The tag key that tells these ``TypedDict``s apart, or ``None`` if there is none.

    A tag is a key every member declares, required, as a ``Literal`` of str, int or
    bool values, with no value shared by two members (``kind: Literal["circle"]``).
    """
    if any(typeddict_class(member) is None for member in members):
        return None
    fields = [typeddict_fields(member, path) for member in members]
    for key in fields[0]:
        seen: set[Any] = set()
        for member, member_fields in zip(members, fields, strict=True):
            values = tag_values(member_fields.get(key), key, typeddict_class(member))
            if values is None or seen & values:
                break
            seen |= values
        else:
            return key
    return None


def tag_values(field: tuple[frozenset[Any], Any] | None, key: str, cls: Any) -> set[Any] | None:
    """The values a required ``Literal`` key can hold, as a tag; ``None`` if it is no tag."""
    if field is None or not is_required(field[0], key, cls):
        return None
    tp = field[1]
    while get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    if get_origin(tp) is Literal:
        literals = [get_args(tp)]
    elif get_origin(tp) in UNION_ORIGINS and all(get_origin(a) is Literal for a in get_args(tp)):
        literals = [get_args(arg) for arg in get_args(tp)]
    else:
        return None
    values = {value for group in literals for value in group}
    if not all(
        isinstance(value, (str, int, bool)) and not isinstance(value, enum.Enum) for value in values
    ):
        return None
    return values


def _describe(tp: Any) -> str:
    """A type as messages write it: ``int``, ``list[Point]``, ``int | None``."""
    if tp is None or tp is type(None):
        return "None"
    if tp is Ellipsis:
        return "..."
    origin, args = get_origin(tp), get_args(tp)
    if origin in UNION_ORIGINS:
        return " | ".join(_describe(arg) for arg in args)
    if origin is Literal:
        return f"Literal[{', '.join(_describe_literal(arg) for arg in args)}]"
    if origin is Annotated:
        return _describe(args[0])
    if isinstance(tp, type) and not args:
        return tp.__name__
    if origin is not None and args:
        name = getattr(origin, "__name__", None) or _describe(origin)
        return f"{name}[{', '.join(_describe(arg) for arg in args)}]"
    if isinstance(tp, typing.ForwardRef):
        return tp.__forward_arg__
    return repr(tp).replace("typing.", "").replace("typing_extensions.", "")


def _describe_literal(value: Any) -> str:
    if isinstance(value, enum.Enum):
        return f"{type(value).__name__}.{value.name}"
    return repr(value)
