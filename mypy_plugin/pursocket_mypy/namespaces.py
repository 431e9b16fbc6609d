"""``Server(...)``/``Client(...)``, ``server.namespace(...)``/``client.namespace(...)`` and ``connect(...)``.

Creating a ``Server`` or ``Client`` is where a malformed protocol is reported (as the
runtime raises there). ``namespace("lobby")`` is checked against the protocol and
typed ``ServerNamespace[AppProtocol, Literal["lobby"]]``, which is what lets every
later call on the handle be checked.
"""

from __future__ import annotations

from collections.abc import Callable

from mypy.nodes import Expression
from mypy.plugin import CheckerPluginInterface, FunctionContext, MethodContext
from mypy.types import AnyType, Instance, Type, TypedDictType, TypeOfAny, get_proper_type

from pursocket_mypy import messages
from pursocket_mypy.handles import (
    as_base,
    forwards_star_arguments,
    is_any,
    literal_names,
    names_type,
    protocol_of,
)
from pursocket_mypy.protocol_types import ProtocolProblems, ProtocolView, protocol_view


def constructor_hook(base: str, problems: ProtocolProblems) -> Callable[[FunctionContext], Type]:
    """Report every malformed part of the protocol a ``Server``/``Client`` is created with.

    Each protocol is checked once (``problems`` remembers what it found) and its
    problems are reported at every creation, so each module that creates one says so.
    """

    def check(ctx: FunctionContext) -> Type:
        created = as_base(ctx.default_return_type, base)
        if created is None or not created.args or not ctx.args or len(ctx.args[0]) != 1:
            return ctx.default_return_type
        protocol = get_proper_type(created.args[0])
        # Only a concrete class can be judged; Any and TypeVars stay permissive.
        if isinstance(protocol, (Instance, TypedDictType)):
            for problem in problems.of(protocol, ctx.api.options):
                messages.malformed_protocol(ctx.api, ctx.args[0][0], problem)
        return ctx.default_return_type

    return check


def namespace_hook(base: str, handle_class: str) -> Callable[[MethodContext], Type]:
    """Check the namespace name and return the handle typed with its ``Literal`` name.

    ``handle_class`` is what ``base.namespace()`` returns; a subclass that overrides
    ``namespace()`` to return something else keeps its own return type.
    """

    def narrow(ctx: MethodContext) -> Type:
        default = ctx.default_return_type
        protocol = protocol_of(ctx.type, base)
        handle = get_proper_type(default)
        if (
            protocol is None
            or not ctx.args
            or len(ctx.args[0]) != 1
            or forwards_star_arguments(ctx.context)
            or not isinstance(handle, Instance)
            or handle.type.fullname != handle_class
            or len(handle.args) < 2
        ):
            return default
        name = checked_namespace(ctx.api, protocol, ctx.args[0][0], ctx.arg_types[0][0])
        # A server namespace's third argument, its state, comes from ``state=``.
        return handle.copy_modified(args=[handle.args[0], name, *handle.args[2:]])

    return narrow


def connect_hook(handle_class: str) -> Callable[[FunctionContext | MethodContext], Type]:
    """``connect(AppProtocol, url, "lobby")`` of the test toolkit, as ``namespace("lobby")``.

    The namespace (the third argument) is checked against the protocol, and the
    ``handle_class`` instance in the result (``RecordingClient[AppProtocol, Any]``,
    inside a context manager or a coroutine) is typed with its ``Literal`` name.
    """

    def narrow(ctx: FunctionContext | MethodContext) -> Type:
        default = ctx.default_return_type
        handle = _inner_instance(default, handle_class)
        if handle is None or len(handle.args) != 2 or len(ctx.args) < 3 or len(ctx.args[2]) != 1:
            return default
        protocol = protocol_view(handle.args[0])
        if protocol is None:
            return default
        name = checked_namespace(ctx.api, protocol, ctx.args[2][0], ctx.arg_types[2][0])
        return _with_inner_instance(default, handle.copy_modified(args=[handle.args[0], name]))

    return narrow


def checked_namespace(
    api: CheckerPluginInterface, protocol: ProtocolView, expression: Expression, typ: Type
) -> Type:
    """The ``Literal`` type of a namespace name the protocol declares, for a handle.

    Reports a name that is not literal (unless ``Any``) or not declared, and then gives
    ``Any`` marked as standing for an error: calls on that handle stay permissive and
    are not reported again as calls on an unreadable handle.
    """
    names = literal_names(expression, typ)
    if names is None and not is_any(typ):
        messages.not_literal(
            api,
            expression,
            "The namespace name",
            f'the namespaces of protocol "{protocol.name}"',
            typ,
        )
    unknown = [name for name in names or [] if not protocol.has_namespace(name)]
    for name in unknown:
        messages.unknown_namespace(api, expression, protocol.name, name, protocol.namespace_names())
    if names is None or unknown:
        return AnyType(TypeOfAny.from_error)
    return names_type(api, names)


def _inner_instance(typ: Type, fullname: str) -> Instance | None:
    """The first ``fullname`` instance in ``typ`` or its type arguments."""
    proper = get_proper_type(typ)
    if not isinstance(proper, Instance):
        return None
    if proper.type.fullname == fullname:
        return proper
    for arg in proper.args:
        found = _inner_instance(arg, fullname)
        if found is not None:
            return found
    return None


def _with_inner_instance(typ: Type, replacement: Instance) -> Type:
    """``typ`` with every instance of ``replacement``'s class replaced by it."""
    proper = get_proper_type(typ)
    if not isinstance(proper, Instance):
        return typ
    if proper.type.fullname == replacement.type.fullname:
        return replacement
    return proper.copy_modified(
        args=[_with_inner_instance(arg, replacement) for arg in proper.args]
    )
