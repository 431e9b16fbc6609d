"""How each Python type of a protocol is exported: the one place that decides it.

Every format (JSON Schema, AsyncAPI, TypeScript) starts from :func:`protocol_schemas`:
JSON Schema for every event's payload and response, with each ``TypedDict`` as a
named component. The schemas come from ``msgspec.json.schema_components``, the same
library that validates the values at run time, so constraints such as
``Annotated[int, msgspec.Meta(ge=0)]`` (or annotated-types' ``Ge(0)``, read as the
runtime reads it) are exported as validated. What msgspec cannot say by itself is
handled here, by rewriting the types before it runs and its schemas after:

- ``ReadOnly[X]`` (which msgspec refuses) is exported as ``X`` with the JSON Schema
  annotation ``"readOnly": true`` (TypeScript: ``readonly``);
- ``bytes`` travels as a Socket.IO binary attachment, not as a base64 string, so
  it is exported as :data:`BINARY_SCHEMA` (TypeScript: ``ArrayBuffer``, what
  socket.io-client delivers in a browser);
- a union is exported as ``anyOf`` of its members' schemas (msgspec refuses a union
  of several ``TypedDict``s, such as a tagged union);
- a type alias (``TypeAliasType``, or a name in quotes such as a recursive ``"Json"``)
  is a named component, so a recursive one refers to itself;
- a generic ``TypedDict`` (``Box[int]``) is a component named ``Box_int``;
- a ``Literal``'s values are listed as declared;
- a tuple (``tuple[int, str]``, ``tuple[int, ...]``, ``tuple[()]``, or the same with
  ``typing.Tuple``) is described by msgspec as JSON Schema 2020-12 writes one
  (``prefixItems``, ``items: false`` and the length for a fixed one; ``items`` for a
  variadic one).
"""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Iterator, Mapping, Sequence
from typing import Annotated, Any, Literal, get_args, get_origin

import attrs
import msgspec
import typing_extensions
from typing_extensions import ReadOnly

from pursocket._wire_types import as_meta
from pursocket.exports import ExportError
from pursocket.protocol import (
    TYPE_ALIAS_TYPES,
    UNION_ORIGINS,
    Direction,
    EventSpec,
    ProtocolModel,
    is_required,
    is_tuple_type,
    module_of,
    reference_key,
    resolve_reference,
    tuple_form,
    typeddict_class,
    typeddict_fields,
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
# Stands for a union: the post-processing puts the anyOf of its members' schemas there.
_UNION_MARK = "x-pursocket-union"
# Stands for a reference to a named alias: the post-processing puts its $ref there.
_ALIAS_MARK = "x-pursocket-alias"


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
    Raises :class:`ExportError` naming the type that has no JSON Schema form, and where.
    """
    specs = [
        spec
        for ns in model.namespaces.values()
        for direction in Direction
        for spec in ns.events(direction).values()
    ]
    # (where, type, module in which its references resolve) of every root type.
    roots: list[tuple[str, Any, str | None]] = []
    for spec in specs:
        role = "request" if spec.is_call else "payload"
        roots.append((f"{spec.path} ({role})", spec.payload_type, spec.module))
        if spec.is_call:
            roots.append((f"{spec.path} (response)", spec.response_type, spec.module))
    with_auth = [ns for ns in model.namespaces.values() if ns.auth_type is not None]
    roots.extend((ns.auth_path, ns.auth_type, ns.module) for ns in with_auth)
    rewriter = _Rewriter()
    exported = [rewriter.rewrite(tp, module, where) for where, tp, module in roots]
    parts = rewriter.parts()
    try:
        schemas, components = msgspec.json.schema_components(
            [*exported, *parts], ref_template=ref_template
        )
    except (TypeError, ValueError) as exc:
        raise ExportError(
            f"{model.name}: {exc}; this type has no JSON Schema form, so no export can describe "
            f"it. Use a TypedDict, list[T], tuple[A, B], tuple[T, ...], dict[str, T], str, int, "
            f"float, bool, None, bytes, a Literal, a type alias, or a union of these"
        ) from None
    finisher = _Finisher(rewriter, schemas[len(exported) :], ref_template)
    finished_roots = iter(finisher.finish(schema) for schema in schemas[: len(exported)])
    events = tuple(
        EventSchemas(
            spec=spec,
            payload=next(finished_roots),
            response=next(finished_roots) if spec.is_call else None,
        )
        for spec in specs
    )
    auth = {ns.name: next(finished_roots) for ns in with_auth}
    finished = {name: finisher.finish(schema, name) for name, schema in components.items()}
    finished.update(finisher.aliases())
    if ERROR_SCHEMA_NAME in finished:
        raise ExportError(
            f"{model.name}: a type named {ERROR_SCHEMA_NAME} would clash with the error "
            f"answer of Calls, exported under that name; rename the type"
        )
    finished[ERROR_SCHEMA_NAME] = dict(ERROR_SCHEMA)
    return ProtocolSchemas(components=dict(sorted(finished.items())), events=events, auth=auth)


def _mark(tp: Any, **marks: Any) -> Any:
    """``tp`` carrying ``marks`` into its JSON Schema, for :class:`_Finisher`."""
    return Annotated[tp, msgspec.Meta(extra_json_schema=marks)]


class _Rewriter:
    """Rewrites protocol types into what msgspec describes, with marks for the rest.

    Every ``TypedDict`` (and parametrised generic one) is rebuilt once, under its name
    and docstring, with ``ReadOnly`` keys annotated ``readOnly``; recursive ones refer
    to their rebuilt selves. Unions and aliases become marks whose schemas come from
    :meth:`parts`, described by msgspec beside the roots.
    """

    def __init__(self) -> None:
        self._rebuilt: dict[Any, Any] = {}
        # Component name -> what it was made from (a TypedDict, Box[int], an alias).
        self._named: dict[str, tuple[Any, str]] = {}
        self._key_orders: dict[str, tuple[str, ...]] = {}
        self._parts: list[Any] = []
        self._unions: dict[int, tuple[int, ...]] = {}
        self._aliases: dict[Any, str] = {}
        self._alias_values: dict[str, int] = {}

    def parts(self) -> list[Any]:
        """The rewritten union members and alias values, for msgspec to describe."""
        return list(self._parts)

    def union_members(self, union: int) -> tuple[int, ...]:
        """The indexes in :meth:`parts` of a union mark's members."""
        return self._unions[union]

    def alias_values(self) -> Mapping[str, int]:
        """Each alias's name and the index in :meth:`parts` of its value."""
        return self._alias_values

    def key_orders(self) -> Mapping[str, tuple[str, ...]]:
        """Each rebuilt TypedDict's keys in declaration order, by component name."""
        return self._key_orders

    def rewrite(self, tp: Any, module: str | None, where: str) -> Any:
        """``tp`` (whose string references resolve in ``module``) as msgspec describes it."""
        if tp is bytes or tp is bytearray:
            return _mark(bytes, **{_BINARY_MARK: True})
        reference = resolve_reference(tp, module)
        if reference is not None:
            return self._reference(tp, module, reference, where)
        if typeddict_class(tp) is not None:
            return self._typeddict(tp, where)
        if is_tuple_type(tp):
            form = tuple_form(tp)
            items = tuple(self.rewrite(item, module, where) for item in form.items)
            if not form.items:
                # msgspec bounds an empty tuple by its length only; "no items" as for the rest.
                return _mark(form.of(items), items=False)
            return form.of(items)
        origin, args = get_origin(tp), get_args(tp)
        if origin is Literal:
            # msgspec sorts a Literal's values; the exports list them as declared.
            return _mark(tp, **{_ENUM_MARK: list(args)})
        if origin is None or not args:
            return tp
        if origin is Annotated:
            metas = [meta for meta in map(as_meta, args[1:]) if meta is not None]
            inner = self.rewrite(args[0], module, where)
            return Annotated[(inner, *metas)] if metas else inner
        if origin in UNION_ORIGINS:
            members = tuple(self._part(self.rewrite(arg, module, where)) for arg in args)
            self._unions[len(self._unions)] = members
            return _mark(Any, **{_UNION_MARK: len(self._unions) - 1})
        return origin[tuple(self.rewrite(arg, module, where) for arg in args)]

    def _part(self, tp: Any) -> int:
        self._parts.append(tp)
        return len(self._parts) - 1

    def _name(self, name: str, source: Any, described: str) -> None:
        """Claim ``name`` for ``source``; refuse a second, different type under that name."""
        known = self._named.setdefault(name, (source, described))
        if known[0] is not source and known[0] != source:
            raise ExportError(
                f"two different types are exported as {name} ({known[1]} and {described}); "
                f"exported types are named as in Python, so rename one of them"
            )

    def _reference(
        self, tp: Any, module: str | None, reference: tuple[Any, str | None], where: str
    ) -> Any:
        value, value_module = reference
        if isinstance(tp, (str, typing.ForwardRef)) and (
            typeddict_class(value) is not None or isinstance(value, TYPE_ALIAS_TYPES)
        ):
            # A TypedDict or alias object named in quotes is exported as itself.
            return self.rewrite(value, value_module, where)
        key = reference_key(tp, module)
        name = self._aliases.get(key)
        if name is None:
            if isinstance(tp, (str, typing.ForwardRef)):
                name = tp if isinstance(tp, str) else tp.__forward_arg__
                self._name(name, key, f'the alias "{name}" in {value_module}')
            else:
                name = tp.__name__
                self._name(name, key, f"the alias {tp.__module__}.{name}")
            self._aliases[key] = name
            index = self._part(None)
            self._parts[index] = self.rewrite(value, value_module, where)
            self._alias_values[name] = index
        return _mark(Any, **{_ALIAS_MARK: name})

    def _typeddict(self, tp: Any, where: str) -> Any:
        key = _hashable(tp)
        known = self._rebuilt.get(key)
        if known is not None:
            return known
        cls = typeddict_class(tp)
        if cls is tp:
            name = cls.__name__
            self._name(name, cls, f"{cls.__module__}.{cls.__qualname__}")
        else:
            name = _generic_name(tp)
            self._name(name, key, f"{_describe(tp)} of {cls.__module__}")
        rebuilt = _new_typeddict(name)
        self._rebuilt[key] = rebuilt
        annotations: dict[str, Any] = {}
        required: set[str] = set()
        for field, (qualifiers, inner) in typeddict_fields(tp, where).items():
            exported = self.rewrite(inner, module_of(tp, None), f"{where}.{field}")
            if ReadOnly in qualifiers:
                exported = Annotated[exported, msgspec.Meta(extra_json_schema={"readOnly": True})]
            annotations[field] = exported
            if is_required(qualifiers, field, cls):
                required.add(field)
        # Filled in after creation so that a recursive TypedDict refers to this class.
        rebuilt.__annotations__ = annotations
        rebuilt.__required_keys__ = frozenset(required)
        rebuilt.__optional_keys__ = frozenset(annotations) - frozenset(required)
        rebuilt.__doc__ = inspect.cleandoc(cls.__doc__) if cls.__doc__ else None
        rebuilt.__module__ = cls.__module__
        rebuilt.__qualname__ = name
        self._key_orders[name] = tuple(annotations)
        return rebuilt


class _Finisher:
    """Turns msgspec's schemas into the exported ones: the marks replaced, keys ordered."""

    def __init__(self, rewriter: _Rewriter, parts: Sequence[Any], ref_template: str) -> None:
        self._rewriter = rewriter
        self._parts = parts
        self._ref_template = ref_template

    def aliases(self) -> dict[str, Any]:
        """The component of each alias: its value's schema."""
        return {
            name: self.finish(self._parts[index])
            for name, index in self._rewriter.alias_values().items()
        }

    def finish(self, schema: Any, component: str | None = None) -> Any:
        """``schema`` with every mark replaced, and a component's keys in declared order."""
        if isinstance(schema, list):
            return [self.finish(item) for item in schema]
        if not isinstance(schema, dict):
            return schema
        annotations = {key: schema[key] for key in ("readOnly",) if key in schema}
        if schema.get(_BINARY_MARK):
            return {**annotations, **BINARY_SCHEMA}
        if _UNION_MARK in schema:
            members = self._rewriter.union_members(schema[_UNION_MARK])
            schemas = [self.finish(self._parts[index]) for index in members]
            return {**annotations, "anyOf": list(_unique(schemas))}
        if _ALIAS_MARK in schema:
            return {**annotations, "$ref": self._ref_template.format(name=schema[_ALIAS_MARK])}
        finished = {key: self.finish(value) for key, value in schema.items()}
        if _ENUM_MARK in finished:
            finished["enum"] = finished.pop(_ENUM_MARK)
        order = self._rewriter.key_orders().get(component or "")
        if order is not None and isinstance(finished.get("properties"), dict):
            properties = finished["properties"]
            finished["properties"] = {key: properties[key] for key in order if key in properties}
            required = set(finished.get("required", ()))
            finished["required"] = [key for key in order if key in required]
        return finished


def _unique(schemas: list[Any]) -> Iterator[Any]:
    seen: list[Any] = []
    for schema in schemas:
        if schema not in seen:
            seen.append(schema)
            yield schema


def _hashable(tp: Any) -> Any:
    try:
        hash(tp)
    except TypeError:
        return id(tp)
    return tp


def _generic_name(tp: Any) -> str:
    """The component name of a parametrised generic TypedDict: ``Box[int]`` is ``Box_int``."""
    return re.sub(r"_+", "_", re.sub(r"[^A-Za-z0-9_]", "_", _describe(tp))).strip("_")


def _describe(tp: Any) -> str:
    if tp is type(None):
        return "None"
    origin, args = get_origin(tp), get_args(tp)
    if origin is not None and args:
        name = getattr(origin, "__name__", None) or repr(origin)
        return f"{name}[{', '.join(_describe(arg) for arg in args)}]"
    return str(getattr(tp, "__qualname__", None) or getattr(tp, "__name__", None) or repr(tp))


def _new_typeddict(name: str) -> Any:
    """An empty TypedDict class named ``name``, for the caller to fill in."""
    return typing_extensions.TypedDict(name, {})  # type: ignore[operator]
