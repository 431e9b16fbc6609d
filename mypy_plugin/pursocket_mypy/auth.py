"""Connection auth: ``conn.auth`` typed by the namespace's ``auth`` key, and what clients send.

``conn.auth`` is the declared auth of the connection's namespace (a union for a
handle of several namespaces); a namespace that declares no ``auth`` accepts any JSON
object unchecked (the server refuses anything else), so its ``conn.auth`` is
``dict[str, object] | None``. On the client, ``namespace("lobby",
auth=...)`` is checked against ``lobby``'s auth, and ``connect(url, auth=...)``,
which is sent to every namespace without an auth of its own, against the auth every
namespace of the protocol declares (or reported when they declare different ones).
The test toolkit's ``connect(AppProtocol, url, "lobby", auth=...)`` is checked as
``namespace("lobby", auth=...)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final

from mypy.nodes import Expression, NameExpr
from mypy.plugin import AttributeContext, FunctionSigContext, MethodSigContext
from mypy.subtypes import is_same_type
from mypy.typeops import make_simplified_union
from mypy.types import FunctionLike, NoneType, Type, TypeType, UnionType, get_proper_type

from pursocket_mypy import fullnames, messages
from pursocket_mypy.handles import handle_of, literal_names, protocol_of
from pursocket_mypy.protocol_types import ProtocolView, protocol_view


def connection_auth_hook(ctx: AttributeContext) -> Type:
    """``conn.auth``: the namespace's declared auth, or ``dict[str, object] | None`` where
    none is declared."""
    handle = handle_of(ctx.type, fullnames.CONNECTION)
    if handle is None or ctx.is_lvalue:
        return ctx.default_attr_type
    declared: list[Type] = []
    for name in handle.namespaces:
        namespace = handle.protocol.namespace(name)
        if namespace is None:
            return ctx.default_attr_type
        auth = namespace.auth()
        declared.append(auth if auth is not None else _undeclared_auth(ctx))
    return make_simplified_union(declared)


def _undeclared_auth(ctx: AttributeContext) -> Type:
    """``dict[str, object] | None``: what the server lets through where no auth is declared."""
    named = ctx.api.named_generic_type
    dictionary = named("builtins.dict", [named("builtins.str", []), named("builtins.object", [])])
    return UnionType.make_union([dictionary, NoneType()])


def namespace_auth_signature_hook(ctx: MethodSigContext) -> FunctionLike:
    """``client.namespace("lobby", auth=...)``: ``auth`` typed as ``lobby``'s declared auth."""
    signature = ctx.default_signature
    protocol = protocol_of(ctx.type, fullnames.CLIENT)
    auth_index = _parameter(signature, "auth")
    if protocol is None or auth_index is None or not ctx.args or len(ctx.args[0]) != 1:
        return signature
    return _with_namespace_auth(ctx, signature, protocol, ctx.args[0][0], auth_index)


def test_connect_auth_signature_hook(ctx: FunctionSigContext | MethodSigContext) -> FunctionLike:
    """``connect(AppProtocol, url, "lobby", auth=...)``: ``auth`` typed as ``lobby``'s auth."""
    signature = ctx.default_signature
    auth_index = _parameter(signature, "auth")
    if auth_index is None or len(ctx.args) < 3 or len(ctx.args[0]) != 1 or len(ctx.args[2]) != 1:
        return signature
    protocol = _protocol_class(ctx.api.get_expression_type(ctx.args[0][0]))
    if protocol is None:
        return signature
    return _with_namespace_auth(ctx, signature, protocol, ctx.args[2][0], auth_index)


def _protocol_class(typ: Type) -> ProtocolView | None:
    """The protocol a class argument (``AppProtocol``, or a ``type[AppProtocol]``) names."""
    proper = get_proper_type(typ)
    if isinstance(proper, TypeType):
        return protocol_view(proper.item)
    if isinstance(proper, FunctionLike) and proper.is_type_obj():
        return protocol_view(proper.items[0].ret_type)
    return None


def _with_namespace_auth(
    ctx: FunctionSigContext | MethodSigContext,
    signature: FunctionLike,
    protocol: ProtocolView,
    name: Expression,
    auth_index: int,
) -> FunctionLike:
    """``signature`` with ``auth`` typed as the declared auth of the namespace ``name``."""
    names = literal_names(name, ctx.api.get_expression_type(name))
    if not names or len(names) != 1:
        return signature
    namespace = protocol.namespace(names[0])
    auth = namespace.auth() if namespace is not None else None
    if auth is None:
        return signature
    return _with_parameter(signature, auth_index, auth)


def connect_auth_signature_hook(ctx: MethodSigContext) -> FunctionLike:
    """``client.connect(url, auth=...)``: the auth every auth-declaring namespace shares."""
    signature = ctx.default_signature
    protocol = protocol_of(ctx.type, fullnames.CLIENT)
    auth_index = _parameter(signature, "auth")
    if protocol is None or auth_index is None:
        return signature
    declared = _declared_auths(protocol)
    if not declared:
        return signature
    first = declared[0][1]
    if all(is_same_type(auth, first) for _, auth in declared[1:]):
        return _with_parameter(signature, auth_index, UnionType.make_union([first, NoneType()]))
    given = ctx.args[auth_index] if auth_index < len(ctx.args) else []
    if given and not (isinstance(given[0], NameExpr) and given[0].fullname == "builtins.None"):
        messages.shared_auth_differs(ctx.api, given[0], protocol.name, declared)
    return signature


def _declared_auths(protocol: ProtocolView) -> list[tuple[str, Type]]:
    declared: list[tuple[str, Type]] = []
    for name in protocol.namespace_names():
        namespace = protocol.namespace(name)
        auth = namespace.auth() if namespace is not None else None
        if auth is not None:
            declared.append((name, auth))
    return declared


def _parameter(signature: FunctionLike, name: str) -> int | None:
    items = signature.items
    if len(items) != 1 or name not in items[0].arg_names:
        return None
    return items[0].arg_names.index(name)


def _with_parameter(signature: FunctionLike, index: int, typ: Type) -> FunctionLike:
    function = signature.items[0]
    arg_types = list(function.arg_types)
    arg_types[index] = typ
    return function.copy_modified(arg_types=arg_types)


#: The attribute hooks, by fully qualified attribute name.
ATTRIBUTE_HOOKS: Final[Mapping[str, Callable[[AttributeContext], Type]]] = {
    f"{fullnames.CONNECTION}.auth": connection_auth_hook,
}
