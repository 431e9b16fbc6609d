"""``Server(...)``/``Client(...)`` and ``server.namespace(...)``/``client.namespace(...)``.

Creating a ``Server`` or ``Client`` is where a malformed protocol is reported (as the
runtime raises there). ``namespace("lobby")`` is checked against the protocol and
typed ``ServerNamespace[AppProtocol, Literal["lobby"]]``, which is what lets every
later call on the handle be checked.
"""

from __future__ import annotations

from collections.abc import Callable

from mypy.plugin import FunctionContext, MethodContext
from mypy.types import Instance, Type, TypedDictType, get_proper_type

from pursocket_mypy import messages
from pursocket_mypy.handles import as_base, is_any, literal_names, literal_type, protocol_of
from pursocket_mypy.protocol_types import ProtocolProblems


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
        if protocol is None or not ctx.args or len(ctx.args[0]) != 1:
            return default
        expression, typ = ctx.args[0][0], ctx.arg_types[0][0]
        names = literal_names(expression, typ)
        if names is None:
            if not is_any(typ):
                messages.not_literal(
                    ctx.api,
                    expression,
                    "The namespace name",
                    f'the namespaces of protocol "{protocol.name}"',
                    typ,
                )
            return default
        unknown = [name for name in names if not protocol.has_namespace(name)]
        for name in unknown:
            messages.unknown_namespace(
                ctx.api, expression, protocol.name, name, protocol.namespace_names()
            )
        handle = get_proper_type(default)
        if (
            unknown
            or not isinstance(handle, Instance)
            or handle.type.fullname != handle_class
            or len(handle.args) < 2
        ):
            return default
        # A server namespace's third argument, its state, comes from ``state=``.
        return handle.copy_modified(args=[handle.args[0], literal_type(typ), *handle.args[2:]])

    return narrow
