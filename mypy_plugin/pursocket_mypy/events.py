"""Event lookup for every entry point, and the signature hook of the methods naming one.

``lobby.emit("chat", payload)`` is checked before mypy looks at its arguments: the
hook finds ``chat`` in the protocol and narrows the declared ``payload: Any`` to the
event's payload type (so a dict literal is inferred against the payload
``TypedDict``), and for a Call narrows the awaited result to the response type.
"""

from __future__ import annotations

from collections.abc import Callable

from mypy.nodes import Context, Expression, StrExpr
from mypy.plugin import CheckerPluginInterface, MethodContext, MethodSigContext
from mypy.subtypes import is_same_type, is_subtype
from mypy.typeops import make_simplified_union
from mypy.types import FunctionLike, Instance, Type, get_proper_type

from pursocket_mypy import messages
from pursocket_mypy.bools import bools_for_numbers
from pursocket_mypy.entrypoints import EventUse
from pursocket_mypy.handles import (
    Handle,
    forwards_star_arguments,
    handle_of,
    is_any,
    literal_names,
    unreadable_handle,
)
from pursocket_mypy.protocol_types import OPPOSITE, EventSpec


def checked_handle(
    api: CheckerPluginInterface, use: EventUse, receiver: Type, context: Context
) -> Handle | None:
    """The handle ``use.method()`` is called on, if the plugin can read it.

    A handle of a known protocol whose namespace is ``Any`` or ``str`` would leave the
    call unchecked, so it is reported (``pursocket-literal``), as a non-literal name is.
    """
    handle = handle_of(receiver, use.base)
    if handle is None:
        unreadable = unreadable_handle(receiver, use.base)
        if unreadable is not None:
            messages.unreadable_namespace(
                api,
                context,
                unreadable.typ,
                unreadable.namespace,
                use.method,
                unreadable.protocol.name,
                unreadable.protocol.namespace_names(),
            )
    return handle


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
        if namespace is None or not namespace.is_well_formed():
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
        if forwards_star_arguments(ctx.context):
            return signature
        handle = checked_handle(ctx.api, use, ctx.type, ctx.context)
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


def sender_check_hook(use: EventUse) -> Callable[[MethodContext], Type]:
    """Check what one sending method sends, after mypy checked the call.

    mypy has checked the payload against the narrowed signature; this adds what a
    signature cannot say: a payload sent under a union of event names with different
    payloads must fit each of them, and a bool is not a number (:mod:`bools`).
    Nothing is reported twice: a call the signature hook refused is skipped.
    """

    def check(ctx: MethodContext) -> Type:
        if use.payload_index is None or forwards_star_arguments(ctx.context):
            return ctx.default_return_type
        handle = handle_of(ctx.type, use.base)
        event_args = ctx.args[use.event_index] if use.event_index < len(ctx.args) else []
        payload_args = ctx.args[use.payload_index] if use.payload_index < len(ctx.args) else []
        if handle is None or len(event_args) != 1 or len(payload_args) != 1:
            return ctx.default_return_type
        names = literal_names(event_args[0], ctx.arg_types[use.event_index][0])
        specs = declared_specs(handle, use, names or [])
        if not specs or len(specs) != len(names or []) * len(handle.namespaces):
            return ctx.default_return_type
        payload = payload_args[0]
        distinct = _distinct(specs, use.argument)
        if len(distinct) > 1:
            # Inferred without context: against the declared Any, a dict display is
            # dict[Any, Any], which would say little.
            with ctx.api.msg.filter_errors():
                given = ctx.api.get_expression_type(payload)
            for spec, declared in distinct:
                # Inferred again against this event's type (so a dict display is read
                # as that TypedDict), with mypy's own errors held back: the one error
                # names the event.
                with ctx.api.msg.filter_errors() as inferring:
                    inferred = ctx.api.get_expression_type(payload, declared)
                if inferring.has_new_errors() or not is_subtype(inferred, declared):
                    messages.value_mismatch(
                        ctx.api, payload, spec, _role(spec, use.argument), declared, given
                    )
        for spec, declared in distinct:
            role = _role(spec, use.argument)
            for found in bools_for_numbers(ctx.api, payload, declared):
                where = role if found.path == "$" else f"{role}, at {found.path}"
                messages.bool_for_number(ctx.api, payload, "given", spec, found.declared, where)
        return ctx.default_return_type

    return check


def declared_specs(handle: Handle, use: EventUse, events: list[str]) -> list[EventSpec]:
    """The well-formed events of the right kind that ``events`` names, without reporting."""
    specs: list[EventSpec] = []
    for ns_name in handle.namespaces:
        namespace = handle.protocol.namespace(ns_name)
        for event in events:
            spec = namespace.event(use.direction, event) if namespace is not None else None
            if spec is not None and spec.kind == use.kind:
                specs.append(spec)
    return specs


def _distinct(specs: list[EventSpec], part: str) -> list[tuple[EventSpec, Type]]:
    """Each different ``"payload"``/``"response"`` type of ``specs``, with its first event."""
    distinct: list[tuple[EventSpec, Type]] = []
    for spec in specs:
        declared = _declared(spec, part)
        if declared is not None and not any(is_same_type(declared, t) for _, t in distinct):
            distinct.append((spec, declared))
    return distinct


def _role(spec: EventSpec, part: str) -> str:
    """What a value is to its event: ``payload``, ``request`` or ``response``."""
    if part == "response":
        return "response"
    return "payload" if spec.kind == "Msg" else "request"


def _with_result(coroutine: Type, result: Type) -> Type:
    # An ``async def`` returns Coroutine[Any, Any, T], received() list[T]: replace only T.
    proper = get_proper_type(coroutine)
    if isinstance(proper, Instance) and proper.args:
        return proper.copy_modified(args=[*proper.args[:-1], result])
    return coroutine
