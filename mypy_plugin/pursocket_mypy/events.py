"""Event lookup for every entry point, and the signature hook of the methods naming one.

``lobby.emit("chat", payload)`` is checked before mypy looks at its arguments: the
hook finds ``chat`` in the protocol and narrows the declared ``payload: Any`` to the
event's payload type (so a dict literal is inferred against the payload
``TypedDict``), and for a Call narrows the awaited result to the response type.
"""

from __future__ import annotations

from collections.abc import Callable

from mypy.nodes import Context, Expression, StrExpr
from mypy.plugin import CheckerPluginInterface, MethodSigContext
from mypy.subtypes import is_same_type
from mypy.typeops import make_simplified_union
from mypy.types import FunctionLike, Instance, Type, get_proper_type

from pursocket_mypy import messages
from pursocket_mypy.entrypoints import EventUse
from pursocket_mypy.handles import Handle, handle_of, is_any, literal_names
from pursocket_mypy.protocol_types import OPPOSITE, EventSpec


def event_names(
    api: CheckerPluginInterface,
    use: EventUse,
    handle: Handle,
    expression: Expression,
    typ: Type,
) -> list[str] | None:
    """The event names an argument can be; reports ``pursocket-literal`` for a plain ``str``."""
    names = literal_names(expression, typ)
    if names is None and not is_any(typ):
        namespaces = ", ".join(f'"{name}"' for name in handle.namespaces)
        messages.not_literal(
            api,
            expression,
            f"The event name of {use.method}()",
            f'the {use.direction} events of namespace {namespaces} in protocol "{handle.protocol.name}"',
            typ,
        )
    return names


def resolve(
    api: CheckerPluginInterface,
    context: Context,
    use: EventUse,
    handle: Handle,
    events: list[str],
) -> list[EventSpec] | None:
    """The declared events ``events`` names, or ``None`` after reporting what is wrong.

    With a union of namespaces or of event names, every combination is checked.
    A malformed part of the protocol yields ``None`` silently: it was reported where
    the ``Server``/``Client`` was created.
    """
    protocol = handle.protocol
    specs: list[EventSpec] = []
    resolved = True
    for ns_name in handle.namespaces:
        namespace = protocol.namespace(ns_name)
        if namespace is None:
            if not protocol.has_namespace(ns_name):
                messages.unknown_namespace(
                    api, context, protocol.name, ns_name, protocol.namespace_names()
                )
            resolved = False
            continue
        for event in events:
            spec = namespace.event(use.direction, event)
            if spec is None:
                resolved = False
                if namespace.has_event(use.direction, event):
                    continue
                if namespace.has_event(OPPOSITE[use.direction], event):
                    messages.wrong_direction(
                        api, context, ns_name, use.direction, event, use.side, use.verb
                    )
                    continue
                same_kind: list[str] = []
                other_kind: list[str] = []
                for name in namespace.event_names(use.direction):
                    declared = namespace.event(use.direction, name)
                    is_same = declared is not None and declared.kind == use.kind
                    (same_kind if is_same else other_kind).append(name)
                messages.unknown_event(
                    api,
                    context,
                    protocol.name,
                    ns_name,
                    use.direction,
                    event,
                    [same_kind, other_kind],
                )
                continue
            if spec.kind != use.kind:
                messages.wrong_kind(api, context, spec, use.method, use.instead)
                resolved = False
                continue
            specs.append(spec)
    return specs if resolved else None


def _declared(spec: EventSpec, part: str) -> Type | None:
    """The event's ``"payload"`` or (for a Call) ``"response"`` type."""
    return spec.payload if part == "payload" else spec.response


def common_type(specs: list[EventSpec], part: str) -> Type | None:
    """The ``"payload"``/``"response"`` type shared by every event, or ``None`` if they differ.

    A value sent under a union of event names must fit each of them; mypy has no
    intersection type, so differing types keep the permissive declared type.
    """
    first, *others = [_declared(spec, part) for spec in specs]
    if first is not None and all(typ is not None and is_same_type(typ, first) for typ in others):
        return first
    return None


def union_of(specs: list[EventSpec], part: str) -> Type:
    """The ``"payload"``/``"response"`` type of an event, or the union over several events."""
    declared = [_declared(spec, part) for spec in specs]
    return make_simplified_union([typ for typ in declared if typ is not None])


def sender_signature_hook(use: EventUse) -> Callable[[MethodSigContext], FunctionLike]:
    """The signature hook of one method that sends or reads an event."""

    def narrow(ctx: MethodSigContext) -> FunctionLike:
        signature = ctx.default_signature
        handle = handle_of(ctx.type, use.base)
        event_args = ctx.args[use.event_index] if use.event_index < len(ctx.args) else []
        if handle is None or len(event_args) != 1:
            return signature
        expression = event_args[0]
        # A string literal is by far the common case; only other expressions need typing.
        if isinstance(expression, StrExpr):
            names: list[str] | None = [expression.value]
        else:
            typ = ctx.api.get_expression_type(expression)
            names = event_names(ctx.api, use, handle, expression, typ)
        if not names:
            return signature
        specs = resolve(ctx.api, expression, use, handle, names)
        if specs is None:
            return signature
        arg_types = list(signature.arg_types)
        argument = common_type(specs, use.argument)
        if argument is not None and use.payload_index is not None:
            arg_types[use.payload_index] = argument
        ret_type = signature.ret_type
        if use.result is not None:
            ret_type = _with_result(ret_type, union_of(specs, use.result))
        return signature.copy_modified(arg_types=arg_types, ret_type=ret_type)

    return narrow


def _with_result(coroutine: Type, result: Type) -> Type:
    # An ``async def`` returns Coroutine[Any, Any, T], received() list[T]: replace only T.
    proper = get_proper_type(coroutine)
    if isinstance(proper, Instance) and proper.args:
        return proper.copy_modified(args=[*proper.args[:-1], result])
    return coroutine
