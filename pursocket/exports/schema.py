"""How each Python type of a protocol is exported: the one place that decides it.

Every format (JSON Schema, AsyncAPI, TypeScript) starts from :func:`protocol_schemas`:
JSON Schema for every event's payload and response, with each ``TypedDict`` as a
named component. The schemas come from ``msgspec.json.schema_components``, the same
library that validates the values at run time, so constraints such as
``Annotated[int, msgspec.Meta(ge=0)]`` are exported as validated. Two things of the
protocol language msgspec cannot say by itself are handled here before it runs:

- ``ReadOnly[X]`` (which msgspec refuses) is exported as ``X`` with the JSON Schema
  annotation ``"readOnly": true`` (TypeScript: ``readonly``);
- ``bytes`` travels as a Socket.IO binary attachment, not as a base64 string, so
  it is exported as :data:`BINARY_SCHEMA` (TypeScript: ``ArrayBuffer``, what
  socket.io-client delivers in a browser).
"""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Iterator, Mapping
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import attrs
import msgspec
import typing_extensions
from typing_extensions import NotRequired, ReadOnly, Required, is_typeddict

from pursocket.exports import ExportError
from pursocket.protocol import (
    UNION_ORIGINS,
    Direction,
    EventSpec,
    NamespaceSpec,
    ProtocolModel,
    unwrap_qualifiers,
)

__all__ = [
    "BINARY_SCHEMA",
    "ERROR_SCHEMA",
    "ERROR_SCHEMA_NAME",
    "EventSchemas",
    "ProtocolSchemas",
    "protocol_schemas",
]

#: The schema of ``bytes``: binary data, which JSON has no type for. Socket.IO sends
#: it as a binary attachment (a placeholder in the JSON text), so it has no ``type``.
BINARY_SCHEMA: Mapping[str, Any] = {"contentMediaType": "application/octet-stream"}

#: The name of :data:`ERROR_SCHEMA` among the components.
ERROR_SCHEMA_NAME = "PursocketError"

#: The error answer a Call may get instead of its response (``docs/errors.md``).
ERROR_SCHEMA: Mapping[str, Any] = {
    "title": ERROR_SCHEMA_NAME,
    "description": "The answer to a Call that failed: the request was refused, the handler "
    "raised, or the call could not be answered. See pursocket's docs/errors.md for the codes.",
    "type": "object",
    "properties": {
        "__pursocket_error__": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {},
            },
            "required": ["code", "message", "details"],
        }
    },
    "required": ["__pursocket_error__"],
}

# Marks a bytes schema for the post-processing that replaces it by BINARY_SCHEMA.
_BINARY_MARK = "x-pursocket-binary"
# Carries a Literal's values in declared order to the post-processing, which makes it
# the schema's enum (msgspec sorts them, and overrides an enum given as extra schema).
_ENUM_MARK = "x-pursocket-enum"


@attrs.frozen
class EventSchemas:
    """The schemas of one event: its payload (a Call's request) and a Call's response."""

    spec: EventSpec
    payload: Mapping[str, Any]
    #: ``None`` for a Msg.
    response: Mapping[str, Any] | None


@attrs.frozen
class ProtocolSchemas:
    """JSON Schema for a whole protocol: named components, auth and every event's schemas."""

    #: Named types (one per ``TypedDict``) by component name, sorted by name; the
    #: schemas refer to them with the ``ref_template`` given to :func:`protocol_schemas`.
    components: Mapping[str, Mapping[str, Any]]
    #: Every event, namespace by namespace, c2s before s2c, in declaration order.
    events: tuple[EventSchemas, ...]
    #: The schema of the ``auth`` each namespace declares, by namespace name (only
    #: the namespaces that declare one).
    auth: Mapping[str, Mapping[str, Any]]


def protocol_schemas(model: ProtocolModel, ref_template: str) -> ProtocolSchemas:
    """The JSON Schema of every payload and response of ``model``.

    ``ref_template`` is how a schema refers to a component, e.g. ``"#/$defs/{name}"``.
    Raises :class:`ExportError` naming the event and type that have no JSON Schema form.
    """
    specs = [
        spec
        for ns in model.namespaces.values()
        for direction in Direction
        for spec in ns.events(direction).values()
    ]
    with_auth = [ns for ns in model.namespaces.values() if ns.auth_type is not None]
    rewriter = _Rewriter()
    exported: list[Any] = []
    for spec in specs:
        exported.append(rewriter.rewrite(spec.payload_type))
        exported.append(rewriter.rewrite(spec.response_type) if spec.is_call else None)
    exported.extend(rewriter.rewrite(ns.auth_type) for ns in with_auth)
    _check_unique_names(rewriter.originals())
    try:
        schemas, components = msgspec.json.schema_components(exported, ref_template=ref_template)
    except (TypeError, ValueError) as exc:
        raise _locate_failure(specs, with_auth, exported, exc) from None
    order = rewriter.key_orders()
    events = tuple(
        EventSchemas(
            spec=spec,
            payload=_finish(schemas[2 * index], order),
            response=_finish(schemas[2 * index + 1], order) if spec.is_call else None,
        )
        for index, spec in enumerate(specs)
    )
    auth = {
        ns.name: _finish(schemas[2 * len(specs) + index], order)
        for index, ns in enumerate(with_auth)
    }
    finished = {name: _finish(schema, order, name) for name, schema in components.items()}
    if ERROR_SCHEMA_NAME in finished:
        raise ExportError(
            f"{model.name}: a TypedDict named {ERROR_SCHEMA_NAME} would clash with the error "
            f"answer of Calls, exported under that name; rename the TypedDict"
        )
    finished[ERROR_SCHEMA_NAME] = dict(ERROR_SCHEMA)
    return ProtocolSchemas(components=dict(sorted(finished.items())), events=events, auth=auth)


def _locate_failure(
    specs: list[EventSpec], with_auth: list[NamespaceSpec], exported: list[Any], exc: Exception
) -> ExportError:
    """The ExportError naming the first type that msgspec cannot describe, and where it is."""
    places = [
        f"{spec.path} ({part})"
        for spec in specs
        for part in (("payload", "response") if spec.is_call else ("payload", "-"))
    ] + [ns.auth_path for ns in with_auth]
    for place, tp in zip(places, exported, strict=True):
        try:
            msgspec.json.schema(tp)
        except (TypeError, ValueError) as part_exc:
            return ExportError(
                f"{place}: {part_exc}; this type has no JSON Schema form, so no export can "
                f"describe it. Use a TypedDict, list[T], dict[str, T], str, int, float, bool, "
                f"None, bytes, a Literal, or a union of these"
            )
    return ExportError(f"{places[0]}: no JSON Schema form: {exc}")


def _check_unique_names(originals: Iterator[Any]) -> None:
    by_name: dict[str, Any] = {}
    for td in originals:
        other = by_name.setdefault(td.__name__, td)
        if other is not td:
            raise ExportError(
                f"two different TypedDicts are named {td.__name__} ({_where(other)} and "
                f"{_where(td)}); exported types are named as in Python, so rename one of them"
            )


def _where(td: Any) -> str:
    return f"{td.__module__}.{td.__qualname__}"


def _finish(
    schema: Any, key_orders: Mapping[str, tuple[str, ...]], component: str | None = None
) -> Any:
    """``schema`` with bytes as BINARY_SCHEMA, and keys and Literal values in declared order."""
    if isinstance(schema, list):
        return [_finish(item, key_orders) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if schema.get(_BINARY_MARK):
        return {**{k: v for k, v in schema.items() if k == "readOnly"}, **BINARY_SCHEMA}
    finished = {key: _finish(value, key_orders) for key, value in schema.items()}
    if _ENUM_MARK in finished:
        finished["enum"] = finished.pop(_ENUM_MARK)
    order = key_orders.get(component or "")
    if order is not None and isinstance(finished.get("properties"), dict):
        properties = finished["properties"]
        finished["properties"] = {key: properties[key] for key in order if key in properties}
        required = set(finished.get("required", ()))
        finished["required"] = [key for key in order if key in required]
    return finished


class _Rewriter:
    """Rebuilds types into what msgspec can describe, keeping what it cannot say as marks.

    Every ``TypedDict`` is rebuilt once (recursive ones refer to their rebuilt selves),
    under its own name and docstring, with ``ReadOnly`` keys annotated ``readOnly``.
    """

    def __init__(self) -> None:
        self._rebuilt: dict[int, Any] = {}
        self._originals: dict[int, Any] = {}
        self._key_orders: dict[str, tuple[str, ...]] = {}

    def originals(self) -> Iterator[Any]:
        """Every TypedDict met, in the order met."""
        return iter(self._originals.values())

    def key_orders(self) -> Mapping[str, tuple[str, ...]]:
        """Each rebuilt TypedDict's keys in declaration order, by component name."""
        return self._key_orders

    def rewrite(self, tp: Any) -> Any:
        if tp is bytes or tp is bytearray:
            return Annotated[bytes, msgspec.Meta(extra_json_schema={_BINARY_MARK: True})]
        if is_typeddict(tp):
            return self._typeddict(tp)
        origin, args = get_origin(tp), get_args(tp)
        if origin is Literal:
            # msgspec sorts a Literal's values; the exports list them as declared.
            return Annotated[tp, msgspec.Meta(extra_json_schema={_ENUM_MARK: list(args)})]
        if origin is None or not args:
            return tp
        if origin is Annotated:
            return Annotated[(self.rewrite(args[0]), *tp.__metadata__)]
        new_args = tuple(self.rewrite(arg) for arg in args)
        if origin in UNION_ORIGINS:
            return Union[new_args]  # noqa: UP007 (a runtime union of computed members)
        return origin[new_args]

    def _typeddict(self, td: Any) -> Any:
        known = self._rebuilt.get(id(td))
        if known is not None:
            return known
        rebuilt = _new_typeddict(td.__name__)
        self._rebuilt[id(td)] = rebuilt
        self._originals[id(td)] = td
        hints = typing.get_type_hints(td, include_extras=True)
        annotations: dict[str, Any] = {}
        required: set[str] = set()
        for key, annotation in hints.items():
            qualifiers, inner = unwrap_qualifiers(annotation)
            exported = self.rewrite(inner)
            if ReadOnly in qualifiers:
                exported = Annotated[exported, msgspec.Meta(extra_json_schema={"readOnly": True})]
            annotations[key] = exported
            # __required_keys__ is wrong on Python 3.11 for a NotRequired key under
            # ``from __future__ import annotations``; the qualifier itself is reliable.
            if Required in qualifiers or (
                NotRequired not in qualifiers and key in td.__required_keys__
            ):
                required.add(key)
        # Filled in after creation so that a recursive TypedDict refers to this class.
        rebuilt.__annotations__ = annotations
        rebuilt.__required_keys__ = frozenset(required)
        rebuilt.__optional_keys__ = frozenset(annotations) - frozenset(required)
        rebuilt.__doc__ = inspect.cleandoc(td.__doc__) if td.__doc__ else None
        rebuilt.__module__ = td.__module__
        rebuilt.__qualname__ = td.__qualname__
        self._key_orders[re.sub(r"[^a-zA-Z0-9.\-_]", "_", td.__name__)] = tuple(annotations)
        return rebuilt


def _new_typeddict(name: str) -> Any:
    """An empty TypedDict class named ``name``, for the caller to fill in."""
    return typing_extensions.TypedDict(name, {})  # type: ignore[operator]
