"""A ``bool`` where the protocol declares an ``int`` or ``float``.

mypy accepts ``True`` for an ``int`` (``bool`` subclasses ``int``), but JSON and
TypeScript keep booleans and numbers apart and the receiver's validation refuses a
bool there (``Expected `int`, got `bool```). The plugin finds such values in what is
sent (a payload, a request) and in what a Call handler returns, following dict, list
and tuple displays down to the field that holds the bool.
"""

from __future__ import annotations

from dataclasses import dataclass

from mypy.nodes import DictExpr, Expression, ListExpr, StrExpr, TupleExpr
from mypy.plugin import CheckerPluginInterface
from mypy.types import (
    AnyType,
    Instance,
    LiteralType,
    ProperType,
    TupleType,
    Type,
    UnionType,
    get_proper_type,
)

from pursocket_mypy.protocol_types import typed_dict

_NUMBERS = frozenset({"builtins.int", "builtins.float"})
_TAKES_A_BOOL = frozenset({"builtins.bool", "builtins.object"})


@dataclass(frozen=True)
class BoolForNumber:
    """A bool found where a number is declared."""

    #: Where, from the value's root: ``$``, ``$.count``, ``$.scores[]``, ``$.point[1]``.
    path: str
    #: The declared type at that place (``int``, ``int | None``).
    declared: Type


def is_bool(typ: Type) -> bool:
    """Whether ``typ`` is ``bool`` or a bool literal (``Literal[True]``)."""
    proper = get_proper_type(typ)
    if isinstance(proper, LiteralType):
        return isinstance(proper.value, bool)
    return isinstance(proper, Instance) and proper.type.fullname == "builtins.bool"


def refuses_bool(declared: Type) -> bool:
    """Whether ``declared`` takes a number but no bool (``int``, ``float | None``)."""
    takes_number = False
    for member in _members(declared):
        if isinstance(member, AnyType) or is_bool(member):
            return False
        if isinstance(member, Instance):
            if member.type.fullname in _TAKES_A_BOOL:
                return False
            takes_number |= member.type.fullname in _NUMBERS
    return takes_number


def bools_for_numbers(
    api: CheckerPluginInterface, expression: Expression, declared: Type, path: str = "$"
) -> list[BoolForNumber]:
    """Every bool in ``expression`` at a place where ``declared`` wants a number."""
    if isinstance(expression, DictExpr):
        return _in_dict(api, expression, declared, path)
    if isinstance(expression, ListExpr):
        item_type = _list_item(declared)
        if item_type is None:
            return []
        return [
            found
            for item in expression.items
            for found in bools_for_numbers(api, item, item_type, f"{path}[]")
        ]
    if isinstance(expression, TupleExpr):
        item_types = _tuple_items(declared, len(expression.items))
        if item_types is None:
            return []
        return [
            found
            for index, (item, item_type) in enumerate(
                zip(expression.items, item_types, strict=True)
            )
            for found in bools_for_numbers(api, item, item_type, f"{path}[{index}]")
        ]
    if refuses_bool(declared) and is_bool(api.get_expression_type(expression)):
        return [BoolForNumber(path, declared)]
    return []


def _in_dict(
    api: CheckerPluginInterface, expression: DictExpr, declared: Type, path: str
) -> list[BoolForNumber]:
    proper = get_proper_type(declared)
    members = proper.items if isinstance(proper, UnionType) else [declared]
    typed_dicts = [typed for typed in map(typed_dict, members) if typed is not None]
    value_type = next((v for v in map(_dict_value, members) if v is not None), None)
    found: list[BoolForNumber] = []
    for key, value in expression.items:
        if not isinstance(key, StrExpr):
            continue
        # With several TypedDicts (a tagged union), a key is judged only where every
        # member that declares it declares it alike.
        declared_types = [
            typed.items[key.value] for typed in typed_dicts if key.value in typed.items
        ]
        field_type = declared_types[0] if declared_types else value_type
        if field_type is None or any(
            refuses_bool(other) != refuses_bool(field_type) for other in declared_types
        ):
            continue
        found += bools_for_numbers(api, value, field_type, f"{path}.{key.value}")
    return found


def _members(declared: Type) -> list[ProperType]:
    """``declared``'s union members, or ``declared`` alone."""
    proper = get_proper_type(declared)
    if isinstance(proper, UnionType):
        return [get_proper_type(item) for item in proper.items]
    return [proper]


def _list_item(declared: Type) -> Type | None:
    for member in _members(declared):
        if isinstance(member, Instance) and member.type.fullname == "builtins.list" and member.args:
            return member.args[0]
    return None


def _tuple_items(declared: Type, count: int) -> list[Type] | None:
    """The declared type of each of ``count`` items of a tuple display, if a tuple is declared."""
    for member in _members(declared):
        if isinstance(member, TupleType) and len(member.items) == count:
            return list(member.items)
        if (
            isinstance(member, Instance)
            and member.type.fullname == "builtins.tuple"
            and member.args
        ):
            return [member.args[0]] * count
    return None


def _dict_value(declared: Type) -> Type | None:
    proper = get_proper_type(declared)
    if (
        isinstance(proper, Instance)
        and proper.type.fullname == "builtins.dict"
        and len(proper.args) == 2
    ):
        return proper.args[1]
    return None
