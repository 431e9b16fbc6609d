"""What is wrong with a malformed protocol, worded once for the runtime and the mypy plugin.

``read_protocol`` raises these as :class:`~pursocket.ProtocolError` and the
``pursocket_mypy`` plugin reports them where a ``Server``/``Client`` is created, so
both say the same thing about the same mistake. Each function takes the path of the
mistake (``AppProtocol.lobby.c2s.chat``) and types already written out by the caller
(``int``, ``list[int]``: the runtime from the annotation objects, mypy from its types).

This module imports nothing: the plugin loads it without importing ``pursocket`` (and
python-socketio with it).
"""

from __future__ import annotations

_JSON_FORMS = (
    "a TypedDict, list[T], tuple[A, B], tuple[T, ...], dict[str, T], str, int, float, bool, "
    "None, bytes, a Literal, or a union of these"
)


def not_a_protocol(name: str, got: str) -> str:
    """The protocol itself is not a ``TypedDict``."""
    return f"{name}: a protocol must be a TypedDict of namespaces, got {got}"


def no_namespaces(name: str) -> str:
    """The protocol ``TypedDict`` has no keys."""
    return f"{name}: a protocol must declare at least one namespace"


def namespace_not_a_typeddict(path: str, got: str) -> str:
    """A namespace declared as something other than a ``TypedDict``."""
    return f"{path}: expected a TypedDict with c2s and/or s2c keys, got {got}"


def namespace_key(path: str) -> str:
    """A namespace key that is not ``/`` and is empty or contains ``/``."""
    return (
        f'{path}: a namespace key is "/" for the root namespace or a name without "/" '
        f'(the key "admin" is the Socket.IO namespace /admin)'
    )


def namespace_member(path: str, key: str) -> str:
    """A namespace key other than ``auth``, ``c2s`` and ``s2c`` (a misspelt direction)."""
    return f'{path}: a namespace may only have the keys "auth", "c2s" and "s2c", got "{key}"'


def events_not_a_typeddict(path: str, got: str) -> str:
    """A direction declared as something other than a ``TypedDict`` of events."""
    return f"{path}: expected a TypedDict of events, got {got}"


def reserved_event(path: str, event: str) -> str:
    """An event named like one of Socket.IO's lifecycle events."""
    return (
        f'{path}: "{event}" is reserved by Socket.IO for its own lifecycle events; '
        f"the official client cannot send it. Choose another name"
    )


def not_an_event(path: str, got: str) -> str:
    """An event declared as something other than ``Msg[...]`` or ``Call[..., ...]``."""
    return f"{path}: expected Msg[...] or Call[..., ...], got {got}"


def auth_not_an_object(path: str, got: str) -> str:
    """A namespace's ``auth`` that is not a JSON object type."""
    return (
        f'{path}: expected a TypedDict (or dict[str, T]), optionally "| None", since '
        f"Socket.IO sends auth as a JSON object; got {got}"
    )


def no_json_form(path: str, got: str) -> str:
    """A payload, request, response or auth type (or a part of one) without a JSON form."""
    return f"{path}: {got} has no JSON form; use {_JSON_FORMS}"


def untagged_union(path: str, got: str) -> str:
    """A union of several JSON object types that no tag key tells apart."""
    return (
        f"{path}: {got} holds several JSON object types, which a received object cannot "
        f"be told apart by; make each a TypedDict with a tag, a key every one of them "
        f'declares as a Literal of its own values (kind: Literal["circle"])'
    )


def several_array_types(path: str, got: str) -> str:
    """A union of several list or tuple types, which a received array cannot be told apart by."""
    return (
        f"{path}: {got} holds several array types (lists, tuples), which a received array "
        f"cannot be told apart by; use one array type of a union (list[int | str])"
    )


def bare_tuple(path: str) -> str:
    """A ``tuple`` (or ``typing.Tuple``) without item types."""
    return (
        f"{path}: a bare tuple says nothing of its items; declare tuple[A, B] (these items in "
        f"this order), tuple[T, ...] (any number of T) or tuple[()] (empty)"
    )


def named_tuple(path: str, name: str) -> str:
    """A ``NamedTuple``, whose field names a JSON array cannot carry."""
    return (
        f"{path}: {name} is a NamedTuple, whose field names a JSON array does not carry; "
        f"declare a tuple[...] of its field types to send an array, or a TypedDict to send "
        f"the names"
    )


def unpacked_tuple(path: str) -> str:
    """A tuple with an unpacked part (``tuple[int, *tuple[str, ...]]``)."""
    return (
        f"{path}: a tuple with an unpacked part (*tuple[...] or Unpack[...]) has no JSON form "
        f"in pursocket; declare tuple[A, B] (fixed length) or tuple[T, ...] (any length)"
    )
