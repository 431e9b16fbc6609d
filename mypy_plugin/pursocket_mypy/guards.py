"""``@server.guard(...)``: the namespaces a connect guard guards, and the guard's signature.

``server.guard("lobby", "game")`` (or ``guard()`` for every namespace, or
``guard(exclude=["public"])``) is typed ``GuardDecorator[<server>, Literal[...]]``
with the guarded namespaces; applying it to a function checks that the function
accepts ``Connection[<protocol>, Literal[...], Any]`` (the state does not exist yet
when a guard runs).
"""

from __future__ import annotations

from collections.abc import Callable

from mypy.nodes import ListExpr, SetExpr, StrExpr, TupleExpr, TypeInfo
from mypy.plugin import MethodContext
from mypy.types import AnyType, Instance, LiteralType, Type, TypeOfAny, UnionType, get_proper_type

from pursocket_mypy import fullnames, messages
from pursocket_mypy.handlers import Lookup, Parameter, check_handler
from pursocket_mypy.handles import handle_of, protocol_of


def guard_registrar_hook(ctx: MethodContext) -> Type:
    """Check the namespace names of ``server.guard(...)`` and carry the guarded ones."""
    default = ctx.default_return_type
    protocol = protocol_of(ctx.type, fullnames.SERVER)
    decorator = get_proper_type(default)
    if protocol is None or not isinstance(decorator, Instance) or len(decorator.args) != 2:
        return default
    named: list[str] = []
    for expression in ctx.args[0] if ctx.args else []:
        if not isinstance(expression, StrExpr):
            return default
        named.append(expression.value)
    excluded: list[str] = []
    for expression in ctx.args[1] if len(ctx.args) > 1 else []:
        if not isinstance(expression, (ListExpr, TupleExpr, SetExpr)) or not all(
            isinstance(item, StrExpr) for item in expression.items
        ):
            return default
        excluded += [item.value for item in expression.items if isinstance(item, StrExpr)]
    unknown = [name for name in (*named, *excluded) if not protocol.has_namespace(name)]
    for name in unknown:
        messages.unknown_namespace(
            ctx.api, ctx.context, protocol.name, name, protocol.namespace_names()
        )
    guarded = [name for name in named or protocol.namespace_names() if name not in excluded]
    if unknown or not guarded:
        return default
    string = ctx.api.named_generic_type("builtins.str", [])
    literal = UnionType.make_union([LiteralType(name, string) for name in guarded])
    return decorator.copy_modified(args=[ctx.type, literal])


def guard_decorator_hook(lookup: Lookup) -> Callable[[MethodContext], Type]:
    """Check the function a ``GuardDecorator`` is applied to: it takes the connection."""

    def check(ctx: MethodContext) -> Type:
        default = ctx.default_return_type
        decorator = ctx.type
        if not isinstance(decorator, Instance) or len(decorator.args) != 2:
            return default
        protocol = protocol_of(decorator.args[0], fullnames.SERVER)
        server = get_proper_type(decorator.args[0])
        if protocol is None or not isinstance(server, Instance) or not ctx.arg_types[0]:
            return default
        symbol = lookup(fullnames.CONNECTION)
        if symbol is None or not isinstance(symbol.node, TypeInfo):
            return default
        connection = Instance(
            symbol.node, [server.args[0], decorator.args[1], AnyType(TypeOfAny.special_form)]
        )
        handle = handle_of(connection, fullnames.CONNECTION)
        if handle is None:
            return default
        check_handler(
            ctx.api,
            ctx.context,
            ctx.arg_types[0][0],
            messages.guard_handler(handle.namespaces),
            [Parameter("conn", "the connection", connection)],
            None,
        )
        return default

    return check
