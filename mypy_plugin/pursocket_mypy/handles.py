"""What a call's receiver and name arguments say: protocol, namespaces, event names.

A receiver is a ``Server``/``Client`` or a namespace handle (``ServerNamespace``,
``Connection``, ``ClientNamespace``), possibly through a subclass: it is mapped onto
the pursocket base class before its type arguments are read. Anything the plugin
cannot read (``Any``, an unsolved TypeVar, a ``str``) yields ``None`` so the caller
keeps the permissive declared signature.
"""

from __future__ import annotations

from dataclasses import dataclass

from mypy.maptype import map_instance_to_supertype
from mypy.nodes import (
    ARG_STAR,
    ARG_STAR2,
    CallExpr,
    Context,
    Expression,
    RefExpr,
    StrExpr,
    Var,
)
from mypy.plugin import CheckerPluginInterface
from mypy.typeops import make_simplified_union, try_getting_str_literals_from_type
from mypy.types import (
    AnyType,
    Instance,
    LiteralType,
    Type,
    TypeOfAny,
    UnionType,
    get_proper_type,
)

from pursocket_mypy.protocol_types import ProtocolView, protocol_view


@dataclass(frozen=True)
class Handle:
    """A namespace handle whose protocol and namespace names are known."""

    #: The handle mapped onto its pursocket base class (``Connection[P, N, S]``).
    instance: Instance
    protocol: ProtocolView
    namespaces: list[str]


def as_base(receiver: Type, base: str) -> Instance | None:
    """``receiver`` seen as the pursocket class ``base``, or ``None``."""
    proper = get_proper_type(receiver)
    if not isinstance(proper, Instance):
        return None
    if proper.type.fullname == base:
        return proper
    for info in proper.type.mro:
        if info.fullname == base:
            return map_instance_to_supertype(proper, info)
    return None


def protocol_of(receiver: Type, base: str) -> ProtocolView | None:
    """The protocol of a ``Server``/``Client`` receiver, if it is known."""
    instance = as_base(receiver, base)
    if instance is None or not instance.args:
        return None
    return protocol_view(instance.args[0])


def handle_of(receiver: Type, base: str) -> Handle | None:
    """The protocol and namespaces of a namespace handle, if both are known."""
    instance = as_base(receiver, base)
    # Handles are [protocol, namespace] or, on the server, [protocol, namespace, state].
    if instance is None or len(instance.args) < 2:
        return None
    protocol = protocol_view(instance.args[0])
    if protocol is None:
        return None
    namespaces = try_getting_str_literals_from_type(instance.args[1])
    if not namespaces:
        return None
    return Handle(instance, protocol, namespaces)


def is_any(typ: Type) -> bool:
    """Whether ``typ`` is ``Any``: the plugin stays permissive without an error."""
    return isinstance(get_proper_type(typ), AnyType)


def literal_names(expression: Expression, typ: Type) -> list[str] | None:
    """The strings a name argument can be, or ``None`` if it is not literal.

    Besides ``Literal`` types this reads a ``Final`` constant declared with its type
    (``CHAT: Final[str] = "chat"``, whose type is plain ``str``) and a member of a
    ``str``-valued ``Enum`` (the runtime looks the name up by its string value).
    """
    if isinstance(expression, StrExpr):
        return [expression.value]
    if (
        isinstance(expression, RefExpr)
        and isinstance(expression.node, Var)
        and expression.node.is_final
        and isinstance(expression.node.final_value, str)
    ):
        return [expression.node.final_value]
    proper = get_proper_type(typ)
    if isinstance(proper, Instance) and proper.last_known_value is not None:
        proper = proper.last_known_value
    members = proper.items if isinstance(proper, UnionType) else [proper]
    if any(_is_str_enum_literal(member) for member in members):
        names: list[str] = []
        for member in members:
            value = _str_enum_value(member) if _is_str_enum_literal(member) else None
            found = [value] if value is not None else try_getting_str_literals_from_type(member)
            if found is None:
                return None
            names += found
        return names
    return try_getting_str_literals_from_type(typ)


def _is_str_enum_literal(typ: Type) -> bool:
    proper = get_proper_type(typ)
    return (
        isinstance(proper, LiteralType)
        and proper.is_enum_literal()
        and proper.fallback.type.has_base("builtins.str")
    )


def _str_enum_value(typ: Type) -> str | None:
    """The string value of a ``str`` enum member's literal type, if mypy knows it."""
    proper = get_proper_type(typ)
    if not isinstance(proper, LiteralType) or not isinstance(proper.value, str):
        return None
    member = proper.fallback.type.get(proper.value)
    node = member.node if member is not None else None
    if not isinstance(node, Var) or node.type is None:
        return None
    values = try_getting_str_literals_from_type(node.type)
    return values[0] if values is not None and len(values) == 1 else None


def names_type(api: CheckerPluginInterface, names: list[str]) -> Type:
    """``Literal["a"]`` or ``Literal["a", "b"]``: the names, for a type argument."""
    str_type = api.named_generic_type("builtins.str", [])
    return make_simplified_union([LiteralType(name, str_type) for name in names])


@dataclass(frozen=True)
class UnreadableHandle:
    """A handle whose protocol is known but whose namespace type is ``Any`` or ``str``."""

    #: The handle's type, as messages quote it (``Connection[AppProtocol, Any, None]``).
    typ: Type
    #: Its namespace type argument (``Any``, ``str``).
    namespace: Type
    protocol: ProtocolView


def unreadable_handle(receiver: Type, base: str) -> UnreadableHandle | None:
    """A handle of a known protocol whose namespace the plugin cannot read.

    Such a handle (``Connection[AppProtocol, Any]`` as a parameter, a global annotated
    ``ServerNamespace[AppProtocol, str]``) would leave every call on it unchecked. An
    unsolved type variable, or an ``Any`` that stands for an error already reported,
    is not one: those stay permissive.
    """
    instance = as_base(receiver, base)
    if instance is None or len(instance.args) < 2:
        return None
    protocol = protocol_view(instance.args[0])
    namespace = get_proper_type(instance.args[1])
    unreadable = (
        isinstance(namespace, AnyType) and namespace.type_of_any != TypeOfAny.from_error
    ) or (
        isinstance(namespace, Instance)
        and namespace.type.fullname == "builtins.str"
        and namespace.last_known_value is None
    )
    if protocol is None or not unreadable:
        return None
    return UnreadableHandle(receiver, namespace, protocol)


def forwards_star_arguments(context: Context) -> bool:
    """Whether a call passes ``*args`` or ``**kwargs``: what they hold is unknown."""
    return isinstance(context, CallExpr) and any(
        kind in (ARG_STAR, ARG_STAR2) for kind in context.arg_kinds
    )
