"""Event lookup for every entry point, and the signature hook of the sending methods.

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


def common_payload(specs: list[EventSpec]) -> Type | None:
    """The payload type shared by every event, or ``None`` if they differ.

    A payload sent under a union of event names must fit each of them; mypy has no
    intersection type, so differing payloads keep the permissive declared type.
    """
    first = specs[0].payload
    if all(is_same_type(spec.payload, first) for spec in specs[1:]):
        return first
    return None


def response_union(specs: list[EventSpec]) -> Type:
    """The response of a Call, or the union of the responses of several Calls."""
    return make_simplified_union([spec.response for spec in specs if spec.response is not None])


def sender_signature_hook(use: EventUse) -> Callable[[MethodSigContext], FunctionLike]:
    """The signature hook of one sending method."""

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
        payload = common_payload(specs)
        if payload is not None and use.payload_index is not None:
            arg_types[use.payload_index] = payload
        ret_type = signature.ret_type
        if use.kind == "Call":
            ret_type = _with_result(ret_type, response_union(specs))
        return signature.copy_modified(arg_types=arg_types, ret_type=ret_type)

    return narrow


def _with_result(coroutine: Type, result: Type) -> Type:
    # An ``async def`` returns Coroutine[Any, Any, T]: replace only T.
    proper = get_proper_type(coroutine)
    if isinstance(proper, Instance) and proper.args:
        return proper.copy_modified(args=[*proper.args[:-1], result])
    return coroutine
