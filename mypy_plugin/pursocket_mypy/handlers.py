"""Handlers: ``@ns.on(event)``, ``@ns.on_call(event)`` and the namespace-level ones.

``ns.on("chat")`` is checked like any other use of an event, and typed
``MsgHandlerDecorator[<handle>, Literal["chat"]]``. Applying that decorator to a
function runs the decorator's ``__call__`` hook, which checks the function against
what pursocket will pass it (and, for a Call, what it must return) and names the
event in every message. ``on_connect``, ``on_disconnect`` and ``on_invalid`` are
checked the same way, directly by their method hook. The decorated function keeps its
own type.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from mypy.maptype import map_instance_to_supertype
from mypy.nodes import (
    ARG_NAMED,
    ARG_POS,
    ARG_STAR,
    FUNC_NO_INFO,
    Context,
    Expression,
    FuncDef,
    LambdaExpr,
    SymbolTableNode,
    TypeInfo,
)
from mypy.plugin import CheckerPluginInterface, MethodContext, MethodSigContext
from mypy.subtypes import is_subtype
from mypy.typeops import make_simplified_union, try_getting_str_literals_from_type
from mypy.types import (
    CallableType,
    FunctionLike,
    Instance,
    Type,
    UnionType,
    get_proper_type,
)

from pursocket_mypy import fullnames, messages
from pursocket_mypy.bools import is_bool, refuses_bool
from pursocket_mypy.entrypoints import REGISTRARS, EventUse
from pursocket_mypy.events import checked_handle, declared_specs, event_names, resolve
from pursocket_mypy.handles import Handle, forwards_star_arguments, handle_of, names_type
from pursocket_mypy.protocol_types import EventSpec, Kind
from pursocket_mypy.typed_api import stands_for

_REGISTRAR_BY_HANDLE_AND_KIND: Final = {(use.base, use.kind): use for use in REGISTRARS}


@dataclass(frozen=True)
class Parameter:
    """One argument pursocket passes to a handler."""

    #: The conventional name, for arity messages (``conn``).
    name: str
    #: What the argument is, for messages (``the payload``).
    role: str
    typ: Type


def registrar_hook(use: EventUse) -> Callable[[MethodContext], Type]:
    """Check the event of ``on(...)``/``on_call(...)`` and carry it into the decorator's type."""

    def narrow(ctx: MethodContext) -> Type:
        default = ctx.default_return_type
        if forwards_star_arguments(ctx.context):
            return default
        handle = checked_handle(ctx.api, use, ctx.type, ctx.context)
        if handle is None or not ctx.args or len(ctx.args[0]) != 1:
            return default
        expression, typ = ctx.args[0][0], ctx.arg_types[0][0]
        names = event_names(ctx.api, use, handle, expression, typ)
        if not names or resolve(ctx.api, expression, use, handle, names) is None:
            return default
        decorator = get_proper_type(default)
        if not isinstance(decorator, Instance) or len(decorator.args) != 2:
            return default
        return decorator.copy_modified(args=[handle.instance, names_type(ctx.api, names)])

    return narrow


#: Finds a class by its fully qualified name (``Plugin.lookup_fully_qualified``).
Lookup = Callable[[str], SymbolTableNode | None]


@dataclass(frozen=True)
class Registration:
    """What a handler decorator registers for: each event and what pursocket passes."""

    use: EventUse
    events: list[str]
    specs: list[EventSpec]
    #: The connection argument, on the server.
    connection: Parameter | None

    def parameters(self, spec: EventSpec) -> list[Parameter]:
        """The arguments pursocket passes to a handler of ``spec``."""
        payload = Parameter(*_PAYLOAD_ROLE[spec.kind], spec.payload)
        return [payload] if self.connection is None else [self.connection, payload]


def registration(decorator_type: Type, kind: Kind, lookup: Lookup) -> Registration | None:
    """What a ``MsgHandlerDecorator``/``CallHandlerDecorator`` type registers, if known.

    The registrar already reported any problem and then kept the permissive type, so
    every event here resolves; anything else is skipped rather than reported twice.
    """
    decorator = get_proper_type(decorator_type)
    if not isinstance(decorator, Instance) or len(decorator.args) != 2:
        return None
    handle_type = get_proper_type(decorator.args[0])
    if not isinstance(handle_type, Instance):
        return None
    use = _REGISTRAR_BY_HANDLE_AND_KIND.get((handle_type.type.fullname, kind))
    handle = handle_of(handle_type, use.base) if use is not None else None
    events = try_getting_str_literals_from_type(decorator.args[1])
    if use is None or handle is None or not events:
        return None
    connection = _connection(lookup, handle) if use.side == "server" else None
    if use.side == "server" and connection is None:
        return None
    return Registration(use, events, declared_specs(handle, use, events), connection)


def decorator_hook(kind: Kind, lookup: Lookup) -> Callable[[MethodContext], Type]:
    """Check the function a ``MsgHandlerDecorator``/``CallHandlerDecorator`` is applied to."""

    def check(ctx: MethodContext) -> Type:
        default = ctx.default_return_type
        registered = registration(ctx.type, kind, lookup)
        if registered is None or not ctx.arg_types or not ctx.arg_types[0]:
            return default
        handler = ctx.arg_types[0][0]
        for spec in registered.specs:
            check_handler(
                ctx.api,
                ctx.context,
                handler,
                messages.event_handler(spec),
                registered.parameters(spec),
                spec.response,
                ctx.args[0][0] if ctx.args and ctx.args[0] else None,
                _MethodAdvice(registered.use.method, spec.name),
                spec,
            )
        return default

    return check


def lambda_signature_hook(kind: Kind, lookup: Lookup) -> Callable[[MethodSigContext], FunctionLike]:
    """Give a lambda handler its parameter types, from the protocol.

    mypy infers a lambda's parameters from the callable type expected where it is
    written; the decorator's declared parameter is a bare type variable, so the lambda
    would get ``Any``. For a lambda with as many parameters as pursocket passes, the
    expected type becomes ``Callable[[<conn>, <payload>], object]`` (the payloads of
    several events are joined in a union, which each handler must accept).
    """

    def narrow(ctx: MethodSigContext) -> FunctionLike:
        signature = ctx.default_signature
        registered = registration(ctx.type, kind, lookup)
        handler = ctx.args[0][0] if ctx.args and len(ctx.args[0]) == 1 else None
        if registered is None or not registered.specs or not isinstance(handler, LambdaExpr):
            return signature
        parameters = registered.parameters(registered.specs[0])
        if handler.arg_kinds != [ARG_POS] * len(parameters):
            return signature
        payloads = make_simplified_union([spec.payload for spec in registered.specs])
        arg_types = [parameter.typ for parameter in parameters[:-1]] + [payloads]
        expected = CallableType(
            arg_types,
            [ARG_POS] * len(arg_types),
            [None] * len(arg_types),
            ctx.api.named_generic_type("builtins.object", []),
            ctx.api.named_generic_type("builtins.function", []),
        )
        return signature.copy_modified(arg_types=[expected], ret_type=expected, variables=[])

    return narrow


@dataclass(frozen=True)
class Lifecycle:
    """A namespace-level handler registered without an event name."""

    #: The registering method (``on_disconnect``).
    method: str
    #: How messages name the handler (``disconnect``).
    label: str
    #: What the handler receives after the connection (on the server), if anything:
    #: (conventional name, role, class fullname).
    argument: tuple[str, str, str] | None
    #: Whether the server's handler returns the connection's state.
    returns_state: bool = False


LIFECYCLES: Final = (
    Lifecycle("on_connect", "connect", None, returns_state=True),
    Lifecycle(
        "on_disconnect",
        "disconnect",
        ("reason", "the disconnect reason", fullnames.DISCONNECT_REASON),
    ),
    Lifecycle(
        "on_invalid", "invalid-input", ("offence", "the refused input", fullnames.INVALID_INPUT)
    ),
)


def lifecycle_hook(
    base: str, lifecycle: Lifecycle, lookup: Lookup
) -> Callable[[MethodContext], Type]:
    """Check an ``on_connect``/``on_disconnect``/``on_invalid`` handler's parameters."""

    def check(ctx: MethodContext) -> Type:
        default = ctx.default_return_type
        handle = handle_of(ctx.type, base)
        if handle is None or not ctx.arg_types or len(ctx.arg_types[0]) != 1:
            return default
        parameters: list[Parameter] = []
        state: Type | None = None
        if base == fullnames.SERVER_NAMESPACE:
            if lifecycle.returns_state and len(handle.instance.args) > 2:
                state = handle.instance.args[2]
            connection = _connection(lookup, handle)
            if connection is None:
                return default
            parameters.append(connection)
        if lifecycle.argument is not None:
            name, role, fullname = lifecycle.argument
            argument = _instance(lookup, fullname, [])
            if argument is None:
                return default
            parameters.append(Parameter(name, role, argument))
        check_handler(
            ctx.api,
            ctx.context,
            ctx.arg_types[0][0],
            messages.lifecycle_handler(lifecycle.label, handle.namespaces),
            parameters,
            state,
        )
        return default

    return check


def check_handler(
    api: CheckerPluginInterface,
    context: Context,
    handler_type: Type,
    handler: str,
    parameters: Sequence[Parameter],
    response: Type | None,
    expression: Expression | None = None,
    advice: _MethodAdvice | None = None,
    event: EventSpec | None = None,
) -> None:
    """Report how ``handler_type`` fails to accept ``parameters`` or to return ``response``.

    Only a plain (non-generic) function is judged; a callable object, an overloaded
    or generic function, or ``Any`` is accepted as declared. ``expression`` is the
    handler as written, when the hook has it (a lambda's result is re-inferred).
    ``advice`` says how to register a method decorated in its class body, and
    ``event`` is the event handled, to name it when a bool is returned for a number.
    """
    function = get_proper_type(handler_type)
    if not isinstance(function, CallableType) or function.variables:
        return
    count = len(parameters)
    required_extra = any(
        (kind == ARG_POS and index >= count) or kind == ARG_NAMED
        for index, kind in enumerate(function.arg_kinds)
    )
    formals = [function.argument_by_position(index) for index in range(count)]
    if required_extra or any(formal is None for formal in formals):
        names = [p.name for p in parameters]
        if advice is not None and _is_method(function):
            messages.handler_is_method(api, context, handler, names, advice.text(function))
        else:
            messages.handler_arity(api, context, handler, names)
        return
    for parameter, formal in zip(parameters, formals, strict=True):
        if (
            formal is not None
            and not is_subtype(parameter.typ, formal.typ)
            and not stands_for(parameter.typ, formal.typ)
        ):
            messages.handler_parameter(
                api,
                context,
                handler,
                parameter.role,
                parameter.typ,
                _parameter_name(function, formal.name),
                formal.typ,
            )
    if response is not None:
        returned_values = _returned_values(function.ret_type)
        if isinstance(expression, LambdaExpr):
            # A lambda's result was inferred without the response as context, so a dict
            # literal became a plain dict: infer it again against the response.
            returned_values = [api.get_expression_type(expression.expr(), response)]
        for returned in returned_values:
            if not is_subtype(returned, response):
                messages.handler_return(api, context, handler, response, returned)
                return
            if event is not None and is_bool(returned) and refuses_bool(response):
                messages.bool_for_number(api, context, "returned", event, response, "response")
                return


_PAYLOAD_ROLE: Final[dict[Kind, tuple[str, str]]] = {
    "Msg": ("payload", "the payload"),
    "Call": ("request", "the request"),
}


@dataclass(frozen=True)
class _MethodAdvice:
    """How to register a method as the handler: ``on("chat")(self.on_chat)``."""

    registrar: str
    event: str

    def text(self, function: CallableType) -> str:
        name = function.name.split(" of ")[0] if function.name else "handler"
        return f'{self.registrar}("{self.event}")(self.{name})'


def _is_method(function: CallableType) -> bool:
    """Whether ``function`` is a method defined in a class body, taking ``self``."""
    definition = function.definition
    return (
        isinstance(definition, FuncDef)
        and definition.info is not FUNC_NO_INFO
        and not definition.is_static
        and not definition.is_class
    )


def _parameter_name(function: CallableType, name: str | None) -> str:
    """A parameter as the user wrote it: ``"payload"``, or ``*args`` for the star one."""
    if name is not None:
        return f'"{name}"'
    for kind, arg_name in zip(function.arg_kinds, function.arg_names, strict=True):
        if kind == ARG_STAR and arg_name is not None:
            return f"*{arg_name}"
    return "*args"


def _connection(lookup: Lookup, handle: Handle) -> Parameter | None:
    connection = _instance(lookup, fullnames.CONNECTION, list(handle.instance.args))
    return Parameter("conn", "the connection", connection) if connection is not None else None


def _instance(lookup: Lookup, fullname: str, args: list[Type]) -> Instance | None:
    # The module that defines the class is always part of a build that uses it, but a
    # lookup that finds nothing keeps the permissive type rather than crash mypy.
    symbol = lookup(fullname)
    if symbol is None or not isinstance(symbol.node, TypeInfo):
        return None
    return Instance(symbol.node, args)


def _returned_values(ret_type: Type) -> list[Type]:
    """What a handler's return type delivers: awaited for a coroutine or awaitable."""
    proper = get_proper_type(ret_type)
    items = proper.relevant_items() if isinstance(proper, UnionType) else [proper]
    values: list[Type] = []
    for item in items:
        proper_item = get_proper_type(item)
        awaitable = _awaited(proper_item) if isinstance(proper_item, Instance) else None
        values.append(awaitable if awaitable is not None else item)
    return values


def _awaited(instance: Instance) -> Type | None:
    for info in instance.type.mro:
        if info.fullname == fullnames.AWAITABLE:
            mapped = map_instance_to_supertype(instance, info)
            return mapped.args[0] if mapped.args else None
    return None
