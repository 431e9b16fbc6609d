"""The JSON Schema export agrees with pursocket's validation, checked by a real validator.

For every event of a protocol that uses every supported type (tests/export_protocol.py),
Hypothesis generates values of the payload and response types: pursocket accepts them
and so must the schema (the ``jsonschema`` package, draft 2020-12). It also generates
values with one part replaced by arbitrary JSON: those pursocket refuses, the schema
must refuse too.

Two deliberate differences (docs/exports.md) shape the generators: ``bytes`` is a
Socket.IO binary attachment, which JSON Schema cannot describe, so the schema marks it
``contentMediaType: application/octet-stream`` and the validator here reads that mark
as the Socket.IO decoder applies it (only binary data); and a float with no fraction
(``1.0``) is an integer for JSON Schema but not for pursocket, so the arbitrary JSON
has no such floats (JavaScript clients write ``1``, never ``1.0``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any, Literal, get_args, get_origin

import jsonschema
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pursocket import read_protocol
from pursocket.exports import ExportOptions, export
from pursocket.protocol import (
    UNION_ORIGINS,
    Direction,
    EventSpec,
    is_required,
    is_tuple_type,
    resolve_reference,
    tuple_form,
    typeddict_class,
    typeddict_fields,
)
from pursocket.validation import InvalidValue, build_validators
from tests.export_protocol import EveryType

MODEL = read_protocol(EveryType)
DOCUMENT = json.loads(export("jsonschema", MODEL, ExportOptions()))
VALIDATORS = build_validators(MODEL)
EVENTS = [
    spec
    for ns in MODEL.namespaces.values()
    for direction in Direction
    for spec in ns.events(direction).values()
]
PARTS = [(spec, "payload") for spec in EVENTS] + [
    (spec, "response") for spec in EVENTS if spec.is_call
]


def _binary(validator: Any, media_type: Any, instance: Any, schema: Any) -> Iterator[Any]:
    if media_type == "application/octet-stream" and not isinstance(instance, bytes):
        yield jsonschema.ValidationError(f"{instance!r} is not binary data")


SocketIOValidator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator, {"contentMediaType": _binary}
)


def schema_accepts(spec: EventSpec, part: str, value: Any) -> bool:
    pointer = f"#/namespaces/{spec.namespace.replace('/', '~1')}/{spec.direction.value}/{spec.name}/{part}"
    return bool(SocketIOValidator({**DOCUMENT, "$ref": pointer}).is_valid(value))


def pursocket_accepts(spec: EventSpec, part: str, value: Any) -> bool:
    validators = VALIDATORS[(MODEL.namespaces[spec.namespace].path, spec.direction, spec.name)]
    check = validators.payload if part == "payload" else validators.response
    try:
        check(value)
    except InvalidValue:
        return False
    return True


def declared_type(spec: EventSpec, part: str) -> Any:
    return spec.payload_type if part == "payload" else spec.response_type


JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: not f.is_integer())
    | st.text(max_size=5)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)

#: What replaces part of a valid value: any JSON, or binary data (which only ``bytes``
#: and ``Any`` take).
REPLACEMENTS = JSON_VALUES | st.binary(max_size=4)


def valid_values(tp: Any, module: str | None, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values of ``tp`` as they arrive decoded from Socket.IO (bytes from attachments).

    Constraints (``Annotated``) are left to a filter: the tests keep the values that
    pursocket accepts.
    """
    if tp is Any:
        return JSON_VALUES
    if tp is bytes:
        return st.binary(max_size=8)
    if tp is type(None) or tp is None:
        return st.none()
    if tp is bool:
        return st.booleans()
    if tp is int:
        return st.integers(min_value=-(2**53), max_value=2**53)
    if tp is float:
        return st.floats(allow_nan=False, allow_infinity=False) | st.integers(-100, 100)
    if tp is str:
        return st.text(max_size=8)
    reference = resolve_reference(tp, module)
    if reference is not None:
        if depth > 3:
            return st.just([]) if get_origin(reference[0]) in UNION_ORIGINS else st.nothing()
        return valid_values(reference[0], reference[1], depth + 1)
    if typeddict_class(tp) is not None:
        return typeddict_values(tp, depth)
    origin, args = get_origin(tp), get_args(tp)
    if origin is Annotated:
        return valid_values(args[0], module, depth)
    if origin is Literal:
        return st.sampled_from(args)
    if origin in UNION_ORIGINS:
        return st.one_of([valid_values(arg, module, depth) for arg in args])
    if is_tuple_type(tp):
        # An array, as it arrives: a tuple is a JSON array of its items.
        form = tuple_form(tp)
        items = [valid_values(item, module, depth + 1) for item in form.items]
        if form.variadic:
            return st.lists(items[0], max_size=3)
        return st.tuples(*items).map(list)
    if origin in (list, dict) and depth > 3:
        # Deep enough: a recursive type (Tree, Json) ends in empty containers.
        return st.just(origin())
    if origin is list:
        return st.lists(valid_values(args[0], module, depth + 1), max_size=3)
    if origin is dict:
        return st.dictionaries(
            st.text(max_size=4), valid_values(args[1], module, depth + 1), max_size=3
        )
    raise AssertionError(f"no generator for {tp!r}")


def typeddict_values(td: Any, depth: int) -> st.SearchStrategy[dict[str, Any]]:
    required: dict[str, st.SearchStrategy[Any]] = {}
    optional: dict[str, st.SearchStrategy[Any]] = {}
    cls = typeddict_class(td)
    for key, (qualifiers, inner) in typeddict_fields(td, cls.__name__).items():
        values = valid_values(inner, cls.__module__, depth + 1)
        (required if is_required(qualifiers, key, cls) else optional)[key] = values
    return st.fixed_dictionaries(required, optional=optional)


@st.composite
def with_one_part_replaced(draw: st.DrawFn, tp: Any, module: str | None) -> Any:
    """A valid value of ``tp`` with one nested value replaced by arbitrary JSON, dropped, or
    (in an array) one more inserted."""
    value = draw(valid_values(tp, module))
    paths = list(_paths(value))
    path = draw(st.sampled_from(paths))
    if not path:
        return draw(REPLACEMENTS)
    *parents, last = path
    container = value
    for step in parents:
        container = container[step]
    if isinstance(container, dict) and draw(st.booleans()):
        del container[last]
    elif isinstance(container, list) and draw(st.booleans()):
        # An array one item short or long: a fixed-length tuple's is refused.
        if draw(st.booleans()):
            del container[last]
        else:
            container.insert(last, draw(REPLACEMENTS))
    else:
        container[last] = draw(REPLACEMENTS)
    return value


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


def _id(part: tuple[EventSpec, str]) -> str:
    return f"{part[0].path}.{part[1]}"


@pytest.mark.parametrize("part", PARTS, ids=[_id(part) for part in PARTS])
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(data=st.data())
def test_what_pursocket_accepts_the_schema_accepts(
    part: tuple[EventSpec, str], data: st.DataObject
) -> None:
    spec, name = part
    value = data.draw(valid_values(declared_type(spec, name), spec.module))
    assume(pursocket_accepts(spec, name, value))
    assert schema_accepts(spec, name, value), value


@pytest.mark.parametrize("part", PARTS, ids=[_id(part) for part in PARTS])
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(data=st.data())
def test_what_pursocket_refuses_the_schema_refuses(
    part: tuple[EventSpec, str], data: st.DataObject
) -> None:
    spec, name = part
    value = data.draw(with_one_part_replaced(declared_type(spec, name), spec.module))
    assume(not pursocket_accepts(spec, name, value))
    assert not schema_accepts(spec, name, value), value
