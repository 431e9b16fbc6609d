"""Protocols whose payloads are aliases made with Python 3.12's ``type`` statement.

Read at run time by ``tests/py312/test_type_statement.py`` and checked by mypy with
the plugin from the same file; only Python 3.12 and later can parse it.
"""

from typing import Literal, TypedDict

from pursocket import Call, Msg

#: Any JSON value: the alias names itself, unquoted (the statement evaluates lazily).
type Json = dict[str, Json] | list[Json] | str | int | float | bool | None


class Note(TypedDict):
    title: str
    body: Json


class NotesC2S(TypedDict):
    annotate: Msg[Json]
    save: Call[Note, Json]


class NotesS2C(TypedDict):
    saved: Msg[Json]


class Notes(TypedDict):
    c2s: NotesC2S
    s2c: NotesS2C


class NotesProtocol(TypedDict):
    notes: Notes


#: A set has no JSON form, however deep in the alias.
type Bag = list[Bag] | set[int]


class BagC2S(TypedDict):
    put: Msg[Bag]


class BagNS(TypedDict):
    c2s: BagC2S


class BagProtocol(TypedDict):
    bag: BagNS


class Circle(TypedDict):
    kind: Literal["circle"]
    radius: float


#: A received object could be a Circle or a dict of Shapes: no tag tells them apart.
type Shapes = Circle | dict[str, Shapes]


class ShapesC2S(TypedDict):
    draw: Msg[Shapes]


class ShapesNS(TypedDict):
    c2s: ShapesC2S


class ShapesProtocol(TypedDict):
    shapes: ShapesNS
