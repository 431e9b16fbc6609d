"""Every message the plugin reports, one function each.

Errors name what was wrong, where (protocol, namespace, direction, event) and what
would be right; a "Did you mean" note is attached to its error, so one
``# type: ignore[<code>]`` hides both.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from mypy.errorcodes import ARG_TYPE, RETURN_VALUE, ErrorCode
from mypy.messages import format_type
from mypy.nodes import Context
from mypy.plugin import CheckerPluginInterface
from mypy.types import Type

from pursocket_mypy import errorcodes
from pursocket_mypy.protocol_types import DESCRIPTION, OPPOSITE, Direction, EventSpec


def unknown_namespace(
    api: CheckerPluginInterface,
    context: Context,
    protocol: str,
    name: str,
    declared: Sequence[str],
) -> None:
    """``Unknown namespace "lobbby" in protocol "AppProtocol"``, with a suggestion."""
    _fail_with_hint(
        api,
        context,
        f'Unknown namespace "{name}" in protocol "{protocol}"',
        errorcodes.NAMESPACE,
        name,
        [declared],
        f"Declared namespaces: {_names(declared)}",
    )


def unknown_event(
    api: CheckerPluginInterface,
    context: Context,
    protocol: str,
    namespace: str,
    direction: Direction,
    event: str,
    candidates: Sequence[Sequence[str]],
) -> None:
    """An event the namespace does not declare in either direction.

    ``candidates`` are the names that would have been valid here, best group first
    (the events of the right direction and kind, then the rest of that direction).
    """
    declared = [name for group in candidates for name in group]
    fallback = (
        f'Declared {direction} events of namespace "{namespace}": {_names(declared)}'
        if declared
        else f'Namespace "{namespace}" declares no {direction} events'
    )
    _fail_with_hint(
        api,
        context,
        f'Unknown event "{event}" in namespace "{namespace}" ({direction}) '
        f'of protocol "{protocol}"',
        errorcodes.EVENT,
        event,
        candidates,
        fallback,
    )


def wrong_direction(
    api: CheckerPluginInterface,
    context: Context,
    namespace: str,
    direction: Direction,
    event: str,
    side: str,
    verb: str,
) -> None:
    """``"userCount" is a server-to-client (s2c) event of namespace "lobby"; a client cannot emit it``."""
    api.fail(
        f'"{event}" is a {DESCRIPTION[OPPOSITE[direction]]} event of namespace '
        f'"{namespace}"; a {side} cannot {verb} it',
        context,
        code=errorcodes.DIRECTION,
    )


def wrong_kind(
    api: CheckerPluginInterface,
    context: Context,
    spec: EventSpec,
    method: str,
    instead: str,
) -> None:
    """``"join" is a Call event of namespace "lobby" (c2s): use call(), not emit()``."""
    api.fail(
        f'"{spec.name}" is a {spec.kind} event of namespace "{spec.namespace}" '
        f"({spec.direction}): use {instead}, not {method}()",
        context,
        code=errorcodes.KIND,
    )


def not_literal(
    api: CheckerPluginInterface,
    context: Context,
    what: str,
    where: str,
    actual: Type,
) -> None:
    """A namespace or event name whose value mypy cannot know."""
    api.fail(
        f"{what} must be a literal string so it can be checked against {where}, "
        f"not {format_type(actual, api.options)}",
        context,
        code=errorcodes.LITERAL,
    )


def unreadable_namespace(
    api: CheckerPluginInterface,
    context: Context,
    handle: Type,
    namespace: Type,
    method: str,
    protocol: str,
    declared: Sequence[str],
) -> None:
    """A handle typed with an ``Any`` or ``str`` namespace: nothing on it could be checked."""
    example = sorted(declared)[0] if declared else "lobby"
    api.fail(
        f"The namespace of {format_type(handle, api.options)} is "
        f"{format_type(namespace, api.options)}, so {method}() on it cannot be checked "
        f'against protocol "{protocol}"; annotate the namespace as a Literal, e.g. '
        f'Literal["{example}"], as namespace("{example}") returns it',
        context,
        code=errorcodes.LITERAL,
    )


def value_mismatch(
    api: CheckerPluginInterface,
    context: Context,
    spec: EventSpec,
    role: str,
    declared: Type,
    given: Type,
) -> None:
    """A value sent under a union of event names that does not fit one of them."""
    api.fail(
        f"The {role} of {spec.label} must be {format_type(declared, api.options)}, "
        f"not {format_type(given, api.options)}",
        context,
        code=ARG_TYPE,
    )


def bool_for_number(
    api: CheckerPluginInterface,
    context: Context,
    verb: str,
    spec: EventSpec,
    declared: Type,
    where: str,
) -> None:
    """A ``bool`` where the protocol declares an ``int`` or ``float``.

    mypy accepts it (``bool`` subclasses ``int``), but JSON, TypeScript and the
    runtime's validation keep booleans and numbers apart.
    """
    api.fail(
        f"A bool is {verb} where {spec.label} declares {format_type(declared, api.options)} "
        f"({where}): mypy treats a bool as an int, but JSON keeps booleans and numbers "
        f"apart and the receiver refuses it",
        context,
        code=ARG_TYPE,
    )


def malformed_protocol(api: CheckerPluginInterface, context: Context, problem: str) -> None:
    """One malformed part of a protocol, ``problem`` naming its path."""
    api.fail(problem, context, code=errorcodes.PROTOCOL)


def handler_arity(
    api: CheckerPluginInterface, context: Context, handler: str, parameters: Sequence[str]
) -> None:
    """A handler that cannot be called with the arguments pursocket passes."""
    if parameters:
        count = len(parameters)
        accepts = f"{count} positional argument{'s' if count > 1 else ''} ({', '.join(parameters)})"
    else:
        accepts = "no arguments"
    api.fail(f"{_capitalized(handler)} must accept {accepts}", context, code=ARG_TYPE)


def handler_is_method(
    api: CheckerPluginInterface,
    context: Context,
    handler: str,
    parameters: Sequence[str],
    registration: str,
) -> None:
    """A method decorated in its class body: pursocket would call it without ``self``."""
    count = len(parameters)
    api.fail(
        f"{_capitalized(handler)} is a method: pursocket calls it with {count} positional "
        f"argument{'s' if count > 1 else ''} ({', '.join(parameters)}) and no self; "
        f"register the bound method instead, e.g. {registration} in __init__",
        context,
        code=ARG_TYPE,
    )


def handler_parameter(
    api: CheckerPluginInterface,
    context: Context,
    handler: str,
    role: str,
    received: Type,
    parameter: str,
    declared: Type,
) -> None:
    """A handler parameter that does not accept what pursocket passes to it."""
    api.fail(
        f"{_capitalized(handler)} receives {role} as "
        f"{format_type(received, api.options)}, but its parameter {parameter} "
        f"is declared {format_type(declared, api.options)}",
        context,
        code=ARG_TYPE,
    )


def handler_return(
    api: CheckerPluginInterface,
    context: Context,
    handler: str,
    response: Type,
    returned: Type,
) -> None:
    """A Call handler whose return value is not the declared response."""
    api.fail(
        f"{_capitalized(handler)} must return {format_type(response, api.options)} "
        f"(directly or awaited), not {format_type(returned, api.options)}",
        context,
        code=RETURN_VALUE,
    )


def shared_auth_differs(
    api: CheckerPluginInterface,
    context: Context,
    protocol: str,
    declared: Sequence[tuple[str, Type]],
) -> None:
    """``connect(auth=...)`` for a protocol whose namespaces declare different auth types."""
    listed = ", ".join(
        f'"{name}": {format_type(auth, api.options)}'
        for name, auth in sorted(declared, key=lambda d: d[0])
    )
    api.fail(
        f"The auth of connect() is sent to every namespace that has none of its own, but "
        f'the namespaces of protocol "{protocol}" declare different auth types ({listed}); '
        f'give each namespace its auth with client.namespace("...", auth=...)',
        context,
        code=errorcodes.AUTH,
    )


def guard_handler(namespaces: Sequence[str]) -> str:
    """``the guard of namespace "game", "lobby"``."""
    return f"the guard of namespace {_names(namespaces)}"


def event_handler(spec: EventSpec) -> str:
    """``the handler for "chat" (c2s Msg of namespace "lobby")``."""
    return f"the handler for {spec.label}"


def lifecycle_handler(lifecycle: str, namespaces: Sequence[str]) -> str:
    """``the connect handler of namespace "lobby"``."""
    return f"the {lifecycle} handler of namespace {_names(namespaces)}"


def _fail_with_hint(
    api: CheckerPluginInterface,
    context: Context,
    message: str,
    code: ErrorCode,
    typo: str,
    candidates: Sequence[Sequence[str]],
    fallback: str,
) -> None:
    error = api.fail(message, context, code=code)
    suggestion = _closest(typo, candidates)
    hint = f'Did you mean "{suggestion}"?' if suggestion is not None else fallback
    api.msg.note(hint, context, code=code, parent_error=error)


def _closest(typo: str, candidates: Sequence[Sequence[str]]) -> str | None:
    # difflib's default cutoff (0.6) still finds short transpositions such as
    # "caht" -> "chat" (ratio 0.75), which mypy's own best_matches (> 0.75) misses.
    for group in candidates:
        matches = difflib.get_close_matches(typo, group, n=1)
        if matches:
            return matches[0]
    return None


def _names(names: Sequence[str]) -> str:
    # Sorted: mypy's cache does not keep a TypedDict's declaration order.
    return ", ".join(f'"{name}"' for name in sorted(names))


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]
