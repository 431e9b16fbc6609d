"""Validation of the protocol forms msgspec cannot take by itself: tagged unions of
TypedDicts, recursive aliases, generic TypedDicts and annotated-types constraints.

Each is checked as strictly as msgspec checks the rest, with msgspec's wording and the
path of the offending value.
"""

import json
import sys
from typing import Annotated, Any, Generic, Literal, TypeAlias, TypeVar, Union

import annotated_types
import msgspec
import pytest

# typing_extensions' TypedDict: a generic one needs it on Python 3.10.
from typing_extensions import NotRequired, TypeAliasType, TypedDict

from pursocket import Call, Msg, read_protocol
from pursocket.exports import export
from pursocket.validation import EventValidators, InvalidValue, build_validators

T = TypeVar("T")

Json: TypeAlias = Union[dict[str, "Json"], list["Json"], str, int, float, bool, None]  # noqa: UP007
JsonValue = TypeAliasType(
    "JsonValue",
    Union[dict[str, "JsonValue"], list["JsonValue"], str, int, float, bool, None],  # noqa: UP007
)


class Circle(TypedDict):
    kind: Literal["circle"]
    radius: float


class Square(TypedDict):
    kind: Literal["square"]
    side: Annotated[int, annotated_types.Ge(1)]
    label: NotRequired[str]


class Box(TypedDict, Generic[T]):
    item: T


class Drawing(TypedDict):
    shapes: list[Circle | Square]
    extra: Json


class FormsC2S(TypedDict):
    shape: Msg[Circle | Square | None]
    drawing: Call[Drawing, Box[list[int]]]
    data: Msg[Json]
    value: Msg[JsonValue]
    age: Annotated[Msg[Annotated[int, annotated_types.Interval(ge=0, le=150)]], "years"]
    name: Msg[Annotated[str, annotated_types.Len(1, 3)]]
    code: Msg[Annotated[str, msgspec.Meta(pattern="^[A-Z]+$"), "ignored metadata"]]


class Forms(TypedDict):
    c2s: FormsC2S


class FormsProtocol(TypedDict):
    forms: Forms


@pytest.fixture(scope="module")
def validators() -> dict[str, EventValidators]:
    model = read_protocol(FormsProtocol)
    return {event: checks for (_, _, event), checks in build_validators(model).items()}


ACCEPTED: list[tuple[str, Any, Any]] = [
    ("shape", {"kind": "circle", "radius": 1.5, "extra": 1}, {"kind": "circle", "radius": 1.5}),
    ("shape", {"kind": "square", "side": 2}, {"kind": "square", "side": 2}),
    ("shape", None, None),
    (
        "drawing",
        {"shapes": [{"kind": "square", "side": 1, "label": "a"}], "extra": {"a": [1, None]}},
        {"shapes": [{"kind": "square", "side": 1, "label": "a"}], "extra": {"a": [1, None]}},
    ),
    ("data", [1, "x", {"y": [True, 2.5]}], [1, "x", {"y": [True, 2.5]}]),
    ("value", {"nested": [[{"deep": None}]]}, {"nested": [[{"deep": None}]]}),
    ("age", 150, 150),
    ("name", "abc", "abc"),
    ("code", "AB", "AB"),
]

REFUSED: list[tuple[str, Any, str]] = [
    ("shape", {"kind": "hexagon"}, "Invalid enum value 'hexagon' - at `$.kind`"),
    ("shape", {"radius": 1.0}, "Object missing required field `kind`"),
    ("shape", {"kind": "square", "side": 0}, "Expected `int` >= 1 - at `$.side`"),
    ("shape", {"kind": "circle", "radius": "1"}, "Expected `float`, got `str` - at `$.radius`"),
    ("shape", [1], "Expected `object | null`, got `array`"),
    (
        "drawing",
        {"shapes": [{"kind": "circle", "radius": 1}, {"kind": "square", "side": True}], "extra": 1},
        "Expected `int`, got `bool` - at `$.shapes[1].side`",
    ),
    (
        "drawing",
        {"shapes": [], "extra": b"x"},
        "Expected `bool | int | float | str | null`, got `bytes` - at `$.extra`",
    ),
    (
        "data",
        {"a": [{"b": {1, 2}}]},
        "Expected `bool | int | float | str | null`, got `set` - at `$[...][0][...]`",
    ),
    ("value", [[b"raw"]], "Expected `bool | int | float | str | null`, got `bytes` - at `$[0][0]`"),
    ("age", -1, "Expected `int` >= 0"),
    ("age", 151, "Expected `int` <= 150"),
    ("name", "", "Expected `str` of length >= 1"),
    ("name", "abcd", "Expected `str` of length <= 3"),
    ("code", "ab", "Expected `str` matching regex '^[A-Z]+$'"),
]


@pytest.mark.parametrize(("event", "value", "checked"), ACCEPTED)
def test_values_of_each_form_are_accepted(
    validators: dict[str, EventValidators], event: str, value: Any, checked: Any
) -> None:
    assert validators[event].payload(value) == checked


@pytest.mark.parametrize(("event", "value", "reason"), REFUSED)
def test_values_of_each_form_are_refused_with_the_path(
    validators: dict[str, EventValidators], event: str, value: Any, reason: str
) -> None:
    with pytest.raises(InvalidValue) as refused:
        validators[event].payload(value)
    assert str(refused.value) == reason


def test_a_call_response_of_a_generic_typeddict_is_checked(
    validators: dict[str, EventValidators],
) -> None:
    assert validators["drawing"].response({"item": [1, 2]}) == {"item": [1, 2]}
    with pytest.raises(InvalidValue) as refused:
        validators["drawing"].response({"item": ["1"]})
    assert str(refused.value) == "Expected `int`, got `str` - at `$.item[0]`"


def test_only_forms_msgspec_takes_are_decoded_from_json_in_one_pass(
    validators: dict[str, EventValidators],
) -> None:
    one_pass = {event: checks.payload_json is not None for event, checks in validators.items()}
    assert one_pass == {
        "shape": False,
        "drawing": False,
        "data": False,
        "value": False,
        "age": True,
        "name": True,
        "code": True,
    }


class Tree(TypedDict):
    name: str
    # A string inside a builtin generic: Python 3.10's get_type_hints leaves it a
    # string (3.11 resolves it), and msgspec cannot read the class by itself there.
    children: list["Tree"]


class TreeC2S(TypedDict):
    tree: Call[Tree, dict[str, "Tree"]]


class Trees(TypedDict):
    c2s: TreeC2S


class TreeProtocol(TypedDict):
    trees: Trees


def test_a_recursive_typeddict_naming_itself_in_a_string_is_checked_on_every_python() -> None:
    (checks,) = build_validators(read_protocol(TreeProtocol)).values()
    tree = {"name": "root", "children": [{"name": "leaf", "children": []}]}
    sent = json.dumps(tree).encode()
    # msgspec reads the class itself from 3.11 on; on 3.10 it is checked in Python.
    assert (checks.payload_json is not None) == (sys.version_info >= (3, 11))
    decoded = checks.payload_json.decode(sent) if checks.payload_json else json.loads(sent)
    assert checks.payload(decoded) == tree
    assert checks.response({"left": tree}) == {"left": tree}
    with pytest.raises(InvalidValue) as refused:
        checks.payload({"name": "root", "children": [{"name": 1, "children": []}]})
    assert str(refused.value) == "Expected `str`, got `int` - at `$.children[0].name`"
    with pytest.raises(InvalidValue) as refused:
        checks.response({"left": {"name": "root", "children": [{"name": "leaf"}]}})
    assert (
        str(refused.value) == "Object missing required field `children` - at `$[...].children[0]`"
    )


class Plain(TypedDict):
    kind: Literal["circle", "square"]
    sides: Literal[3, 4]


class PlainC2S(TypedDict):
    plain: Msg[Plain]


class PlainForms(TypedDict):
    c2s: PlainC2S


class PlainProtocol(TypedDict):
    plain: PlainForms


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ({"kind": "hexagon", "sides": 3}, "Invalid enum value 'hexagon' - at `$.kind`"),
        ({"kind": "circle", "sides": 7}, "Invalid enum value 7 - at `$.sides`"),
    ],
)
def test_a_value_outside_a_literal_is_quoted_in_the_reason_decoded_in_one_pass_or_not(
    value: Any, reason: str
) -> None:
    (checks,) = build_validators(read_protocol(PlainProtocol)).values()
    assert checks.payload_json is not None
    with pytest.raises(msgspec.ValidationError) as refused_in_one_pass:
        checks.payload_json.decode(json.dumps(value))
    assert str(refused_in_one_pass.value) == reason
    with pytest.raises(InvalidValue) as refused:
        checks.payload(value)
    assert str(refused.value) == reason


class LimitsC2S(TypedDict):
    age: Msg[Annotated[int, annotated_types.Interval(ge=0, le=150)]]
    name: Msg[Annotated[str, annotated_types.MaxLen(3)]]


class Limits(TypedDict):
    c2s: LimitsC2S


class LimitsProtocol(TypedDict):
    limits: Limits


def test_the_exports_carry_the_constraints_the_runtime_checks() -> None:
    schema = json.loads(export("jsonschema", read_protocol(LimitsProtocol)))
    texts = json.dumps(schema)
    assert ('"maximum": 150' in texts, '"minimum": 0' in texts, '"maxLength": 3' in texts) == (
        True,
        True,
        True,
    )
