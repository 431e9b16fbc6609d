"""Reading a protocol ``TypedDict`` from mypy's types.

A protocol is namespace -> direction (``c2s``/``s2c``) -> event -> ``Msg[P]`` or
``Call[Req, Res]``. Every lookup here is a plain dict access on the ``TypedDictType``
items mypy already built, so its cost does not grow with the protocol's size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from mypy.messages import format_type_bare
from mypy.nodes import TypeAlias, TypeInfo
from mypy.options import Options
from mypy.types import (
    AnyType,
    Instance,
    LiteralType,
    NoneType,
    ProperType,
    TupleType,
    Type,
    TypeAliasType,
    TypedDictType,
    TypeOfAny,
    UnionType,
    UnpackType,
    get_proper_type,
)

from pursocket_mypy import fullnames
from pursocket_mypy.shared_messages import protocol_messages as shared

Direction = Literal["c2s", "s2c"]
Kind = Literal["Msg", "Call"]

DIRECTIONS: Final[tuple[Direction, ...]] = ("c2s", "s2c")
OPPOSITE: Final[dict[Direction, Direction]] = {"c2s": "s2c", "s2c": "c2s"}
DESCRIPTION: Final[dict[Direction, str]] = {
    "c2s": "client-to-server (c2s)",
    "s2c": "server-to-client (s2c)",
}

#: The namespace key that declares what a client sends as auth (as ``pursocket.protocol``).
AUTH_KEY: Final = "auth"

#: Event names Socket.IO keeps for its own lifecycle (as ``pursocket.protocol`` refuses them).
RESERVED_EVENT_NAMES: Final = frozenset(
    {"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"}
)


@dataclass(frozen=True)
class EventSpec:
    """One event of one namespace and direction, read from the protocol's types."""

    namespace: str
    direction: Direction
    name: str
    kind: Kind
    #: The single argument the event carries (the request, for a Call).
    payload: Type
    #: A Call's acknowledgement; ``None`` for a Msg.
    response: Type | None

    @property
    def label(self) -> str:
        """``"chat" (c2s Msg of namespace "lobby")``: how messages name the event."""
        return f'"{self.name}" ({self.direction} {self.kind} of namespace "{self.namespace}")'


class NamespaceView:
    """One namespace of a protocol, as mypy sees it."""

    def __init__(self, name: str, typed_dict: TypedDictType) -> None:
        self.name = name
        self._typed_dict = typed_dict

    def event_names(self, direction: Direction) -> list[str]:
        """The events declared in ``direction``, in declaration order."""
        events = self._events(direction)
        return list(events.items) if events is not None else []

    def has_event(self, direction: Direction, event: str) -> bool:
        """Whether ``event`` is declared in ``direction`` (well-formed or not)."""
        events = self._events(direction)
        return events is not None and event in events.items

    def event(self, direction: Direction, event: str) -> EventSpec | None:
        """The declared ``event``; ``None`` if it is missing or malformed."""
        events = self._events(direction)
        if events is None:
            return None
        declared = events.items.get(event)
        if declared is None:
            return None
        marker = get_proper_type(declared)
        if not isinstance(marker, Instance):
            return None
        if marker.type.fullname == fullnames.MSG and len(marker.args) == 1:
            return EventSpec(self.name, direction, event, "Msg", marker.args[0], None)
        if marker.type.fullname == fullnames.CALL and len(marker.args) == 2:
            return EventSpec(self.name, direction, event, "Call", marker.args[0], marker.args[1])
        return None

    def auth(self) -> Type | None:
        """The declared ``auth`` type; ``None`` if the namespace declares no ``auth`` key."""
        return self._typed_dict.items.get(AUTH_KEY)

    def is_well_formed(self) -> bool:
        """Whether every key is a direction (or auth) holding what it should.

        Calls on a malformed namespace are not checked: the problem was reported where
        the ``Server``/``Client`` was created, and "Unknown event" at every call would
        only repeat it.
        """
        return all(
            key == AUTH_KEY or (key in DIRECTIONS and typed_dict(declared) is not None)
            for key, declared in self._typed_dict.items.items()
        )

    def _events(self, direction: Direction) -> TypedDictType | None:
        declared = self._typed_dict.items.get(direction)
        return typed_dict(declared) if declared is not None else None


class ProtocolView:
    """A protocol ``TypedDict`` as mypy sees it: lookups only, nothing copied."""

    def __init__(self, typed_dict: TypedDictType) -> None:
        self._typed_dict = typed_dict
        #: The protocol's class name, as messages quote it (``AppProtocol``).
        self.name = typed_dict.fallback.type.name

    def namespace_names(self) -> list[str]:
        """The declared namespaces, in declaration order."""
        return list(self._typed_dict.items)

    def has_namespace(self, name: str) -> bool:
        """Whether the protocol declares the namespace ``name`` (well-formed or not)."""
        return name in self._typed_dict.items

    def namespace(self, name: str) -> NamespaceView | None:
        """The namespace ``name``; ``None`` if it is missing or not a ``TypedDict``."""
        declared = self._typed_dict.items.get(name)
        namespace = typed_dict(declared) if declared is not None else None
        return NamespaceView(name, namespace) if namespace is not None else None


def protocol_view(protocol: Type) -> ProtocolView | None:
    """The protocol behind a ``Server``/``Client``/handle type argument, if it is one."""
    typed = typed_dict(protocol)
    return ProtocolView(typed) if typed is not None else None


def typed_dict(declared: Type) -> TypedDictType | None:
    """The ``TypedDict`` ``declared`` refers to, read without copying it.

    mypy refers to a ``TypedDict`` class through a type alias, and expanding the alias
    (``get_proper_type``) instantiates a copy of the whole ``TypedDict``, so each lookup
    would cost as much as the namespace has events. A non-generic alias's target is
    that ``TypedDict`` itself; only a generic one needs expanding.
    """
    while (
        isinstance(declared, TypeAliasType)
        and declared.alias is not None
        and not declared.alias.alias_tvars
        and not declared.alias.no_args
    ):
        declared = declared.alias.target
    proper = get_proper_type(declared)
    return proper if isinstance(proper, TypedDictType) else None


class ProtocolProblems:
    """The problems of every protocol ``Server``/``Client`` is created with, found once.

    One instance lives as long as the plugin (one mypy run, or one daemon), and each
    protocol is walked once however many ``Server(P)`` expressions name it. An entry
    remembers the version of every class and alias definition its walk read (mypy
    builds a new ``TypedDictType`` for a class, and a new target for an alias, each
    time it analyses the definition again), so after an edit (under the daemon, or a
    protocol spread over modules) the protocol is walked again.
    """

    def __init__(self) -> None:
        self._found: dict[str, tuple[_Definitions, list[str]]] = {}

    def of(self, protocol: ProperType, options: Options) -> list[str]:
        """Every reason ``protocol`` is not a usable protocol (see :func:`protocol_problems`)."""
        if not isinstance(protocol, TypedDictType) or protocol.fallback.type.type_vars:
            return protocol_problems(protocol, options)
        key = protocol.fallback.type.fullname
        found = self._found.get(key)
        if found is None or not found[0].unchanged():
            walk = _ProtocolWalk(options)
            found = (walk.definitions, walk.protocol_problems(protocol))
            self._found[key] = found
        return found[1]


def protocol_problems(protocol: ProperType, options: Options) -> list[str]:
    """Every reason ``protocol`` is not a usable protocol, each naming its path.

    The wording follows the runtime's ``ProtocolError`` messages, so that mypy and
    ``read_protocol`` describe a malformed protocol alike.
    """
    return _ProtocolWalk(options).protocol_problems(protocol)


class _Definitions:
    """The class and alias definitions a walk read, each with the version it read."""

    def __init__(self) -> None:
        self._typed_dicts: list[tuple[TypeInfo, TypedDictType | None]] = []
        self._aliases: list[tuple[TypeAlias, Type]] = []

    def read_typed_dict(self, info: TypeInfo) -> None:
        self._typed_dicts.append((info, info.typeddict_type))

    def read_alias(self, alias: TypeAlias) -> None:
        self._aliases.append((alias, alias.target))

    def unchanged(self) -> bool:
        """Whether every definition is still the version the walk read."""
        return all(info.typeddict_type is read for info, read in self._typed_dicts) and all(
            alias.target is read for alias, read in self._aliases
        )


#: Generic containers that have no JSON form without their item types, as the runtime
#: names them bare.
_BARE_NAMES: Final = {"builtins.list": "list", "builtins.dict": "dict"}

_JSON_SCALARS: Final = frozenset(
    {"builtins.str", "builtins.int", "builtins.float", "builtins.bool", "builtins.bytes"}
)


class _ProtocolWalk:
    """One walk over a protocol, visiting each named type once.

    A ``TypedDict`` or type alias is walked the first time it is reached and skipped
    afterwards (a problem inside it is reported at the first path that reaches it), so
    the walk is linear in the number of distinct types: recursive ``TypedDict``s,
    recursive aliases (``Json = Union[dict[str, "Json"], ...]``) and graphs of shared
    ``TypedDict``s cost one visit per type.
    """

    def __init__(self, options: Options) -> None:
        self._options = options
        self._visited: set[str] = set()
        self.definitions = _Definitions()

    def protocol_problems(self, protocol: ProperType) -> list[str]:
        if not isinstance(protocol, TypedDictType):
            name = protocol.type.name if isinstance(protocol, Instance) else str(protocol)
            return [shared.not_a_protocol(name, self._format(protocol))]
        self.definitions.read_typed_dict(protocol.fallback.type)
        name = protocol.fallback.type.name
        problems: list[str] = []
        for ns_name, ns_declared in protocol.items.items():
            problems += self._namespace_problems(f"{name}.{ns_name}", ns_name, ns_declared)
        if not protocol.items:
            problems.append(shared.no_namespaces(name))
        return problems

    def _namespace_problems(self, ns_path: str, ns_name: str, declared: Type) -> list[str]:
        namespace = self._typed_dict(declared)
        if namespace is None:
            return [shared.namespace_not_a_typeddict(ns_path, self._format(declared))]
        problems: list[str] = []
        if ns_name != "/" and (not ns_name or "/" in ns_name):
            problems.append(shared.namespace_key(ns_path))
        for dir_key, dir_declared in namespace.items.items():
            dir_path = f"{ns_path}.{dir_key}"
            if dir_key == AUTH_KEY:
                problems += self._auth_problems(dir_declared, dir_path)
                continue
            if dir_key not in DIRECTIONS:
                problems.append(shared.namespace_member(dir_path, dir_key))
                continue
            events = self._typed_dict(dir_declared)
            if events is None:
                problems.append(shared.events_not_a_typeddict(dir_path, self._format(dir_declared)))
                continue
            for event, event_declared in events.items.items():
                problems += self._event_problems(f"{dir_path}.{event}", event, event_declared)
        return problems

    def _event_problems(self, event_path: str, event: str, declared: Type) -> list[str]:
        problems: list[str] = []
        if event in RESERVED_EVENT_NAMES:
            problems.append(shared.reserved_event(event_path, event))
        marker = get_proper_type(declared)
        if isinstance(marker, Instance) and _is_marker(marker, fullnames.MSG, 1):
            problems += self.json_problems(marker.args[0], f"{event_path} (payload)")
        elif isinstance(marker, Instance) and _is_marker(marker, fullnames.CALL, 2):
            problems += self.json_problems(marker.args[0], f"{event_path} (request)")
            problems += self.json_problems(marker.args[1], f"{event_path} (response)")
        else:
            problems.append(shared.not_an_event(event_path, self._format(marker)))
        return problems

    def _auth_problems(self, declared: Type, path: str) -> list[str]:
        """Why ``declared`` is not a JSON object type (optionally ``| None``), as auth must be."""
        proper = get_proper_type(declared)
        members = proper.items if isinstance(proper, UnionType) else [declared]
        for member in members:
            item = get_proper_type(member)
            is_object = typed_dict(member) is not None or (
                isinstance(item, Instance)
                and item.type.fullname == "builtins.dict"
                and len(item.args) == 2
                and _is_str(item.args[0])
            )
            if not (is_object or isinstance(item, NoneType)):
                return [shared.auth_not_an_object(path, self._format(proper))]
        return self.json_problems(declared, path)

    def json_problems(self, declared: Type, path: str) -> list[str]:
        """Why ``declared`` has no JSON (or Socket.IO binary) form, as the runtime refuses it."""
        if isinstance(declared, TypeAliasType) and declared.alias is not None:
            key = f"alias {declared.alias.fullname}[{', '.join(map(str, declared.args))}]"
            if key in self._visited:
                return []
            self._visited.add(key)
            self.definitions.read_alias(declared.alias)
        typed = self._typed_dict(declared)
        if typed is not None:
            key = f"typeddict {typed.fallback.type.fullname}"
            if typed.fallback.type.type_vars:
                key += f"[{', '.join(map(str, typed.items.values()))}]"
            if key in self._visited:
                return []
            self._visited.add(key)
            return [
                problem
                for name, value in typed.items.items()
                for problem in self.json_problems(value, f"{path}.{name}")
            ]
        typ = get_proper_type(declared)
        if isinstance(typ, (AnyType, NoneType)):
            return []
        if isinstance(typ, UnionType):
            problems = self._union_problems(typ, path)
            return problems + [
                problem for item in typ.items for problem in self.json_problems(item, path)
            ]
        if isinstance(typ, TupleType):
            return self._tuple_problems(typ, path)
        if isinstance(typ, LiteralType):
            if not typ.is_enum_literal() and isinstance(typ.value, (str, int, bool)):
                return []
        elif isinstance(typ, Instance):
            fullname = typ.type.fullname
            if fullname in _JSON_SCALARS and not typ.args:
                return []
            if fullname in _BARE_NAMES and all(map(_is_omitted, typ.args)):
                # As the runtime says it: a bare list is "list", not mypy's list[Any].
                return [shared.no_json_form(path, _BARE_NAMES[fullname])]
            if fullname == "builtins.list" and len(typ.args) == 1:
                return self.json_problems(typ.args[0], f"{path}[]")
            if fullname == "builtins.tuple" and len(typ.args) == 1:
                if _is_omitted(typ.args[0]):
                    return [shared.bare_tuple(path)]
                return self.json_problems(typ.args[0], f"{path}[]")
            if fullname == "builtins.dict" and len(typ.args) == 2:
                key_type = get_proper_type(typ.args[0])
                if isinstance(key_type, Instance) and key_type.type.fullname == "builtins.str":
                    return self.json_problems(typ.args[1], f"{path}[str]")
        return [shared.no_json_form(path, self._format(typ))]

    def _tuple_problems(self, typ: TupleType, path: str) -> list[str]:
        """Why a fixed-length tuple (or a ``NamedTuple``) has no JSON form, as the runtime says."""
        fallback = typ.partial_fallback.type
        if fallback.fullname != "builtins.tuple":
            return [shared.named_tuple(path, fallback.name)]
        if any(isinstance(item, UnpackType) for item in typ.items):
            return [shared.unpacked_tuple(path)]
        return [
            problem
            for index, item in enumerate(typ.items)
            for problem in self.json_problems(item, f"{path}[{index}]")
        ]

    def _typed_dict(self, declared: Type) -> TypedDictType | None:
        typed = typed_dict(declared)
        if typed is not None:
            self.definitions.read_typed_dict(typed.fallback.type)
        return typed

    def _union_problems(self, union: UnionType, path: str) -> list[str]:
        """Why a received value could not tell this union's members apart, as the runtime says."""
        members = [get_proper_type(item) for item in union.items]
        if sum(map(is_array_type, members)) > 1:
            return [shared.several_array_types(path, self._format(union))]
        typed_dicts = [typed_dict(item) for item in union.items]
        dicts = [
            m for m in members if isinstance(m, Instance) and m.type.fullname == "builtins.dict"
        ]
        objects = [typed for typed in typed_dicts if typed is not None]
        if len(objects) + len(dicts) > 1 and (dicts or _union_tag(objects) is None):
            return [shared.untagged_union(path, self._format(union))]
        return []

    def _format(self, typ: Type) -> str:
        # Written as the runtime writes a type (no quotes): the messages are shared.
        return format_type_bare(get_proper_type(typ), self._options)


def _union_tag(members: list[TypedDictType]) -> str | None:
    """The key that tells these ``TypedDict``s apart (as ``pursocket.protocol.union_tag``)."""
    for key in members[0].items:
        seen: set[object] = set()
        for member in members:
            values = _tag_values(member, key)
            if values is None or seen & values:
                break
            seen |= values
        else:
            return key
    return None


def _tag_values(member: TypedDictType, key: str) -> set[object] | None:
    """The values a required ``Literal`` key can hold; ``None`` if it is no tag."""
    if key not in member.items or key not in member.required_keys:
        return None
    declared = get_proper_type(member.items[key])
    literals = declared.items if isinstance(declared, UnionType) else [declared]
    values: set[object] = set()
    for literal in map(get_proper_type, literals):
        if not isinstance(literal, LiteralType) or literal.is_enum_literal():
            return None
        values.add(literal.value)
    return values


def is_array_type(typ: ProperType) -> bool:
    """Whether a received JSON array may be of type ``typ``: a list or tuple type.

    As ``pursocket.protocol.is_array_type``: neither a bare ``tuple`` (or ``list``) nor
    a ``NamedTuple`` is one (each is refused on its own).
    """
    if isinstance(typ, TupleType):
        return typ.partial_fallback.type.fullname == "builtins.tuple"
    if not isinstance(typ, Instance):
        return False
    if typ.type.fullname not in ("builtins.tuple", "builtins.list"):
        return False
    return len(typ.args) == 1 and not _is_omitted(typ.args[0])


def _is_omitted(typ: Type) -> bool:
    """Whether ``typ`` is the ``Any`` mypy fills in for a bare generic (``tuple``)."""
    proper = get_proper_type(typ)
    return isinstance(proper, AnyType) and proper.type_of_any == TypeOfAny.from_omitted_generics


def _is_str(typ: Type) -> bool:
    proper = get_proper_type(typ)
    return isinstance(proper, Instance) and proper.type.fullname == "builtins.str"


def _is_marker(marker: Instance, fullname: str, arity: int) -> bool:
    return marker.type.fullname == fullname and len(marker.args) == arity
