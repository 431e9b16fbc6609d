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
from mypy.nodes import Expression, StrExpr
from mypy.typeops import try_getting_str_literals_from_type
from mypy.types import (
    AnyType,
    Instance,
    LiteralType,
    Type,
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
    """The strings a name argument can be, or ``None`` if it is not literal."""
    if isinstance(expression, StrExpr):
        return [expression.value]
    return try_getting_str_literals_from_type(typ)


def literal_type(typ: Type) -> Type:
    """The ``Literal[...]`` type of a literal name argument, for a handle's type argument."""
    proper = get_proper_type(typ)
    if isinstance(proper, Instance) and proper.last_known_value is not None:
        return proper.last_known_value
    if isinstance(proper, (LiteralType, UnionType)):
        return proper
    return typ
