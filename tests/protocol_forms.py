"""A protocol using every payload form the issue allows, read with string annotations.

This module uses ``from __future__ import annotations`` on purpose: every annotation
here is a string until ``read_protocol`` resolves it.
"""

from __future__ import annotations

from typing import Any, Literal, Optional, TypedDict, Union

from typing_extensions import NotRequired, ReadOnly, Required

from pursocket import Call, Msg


class Point(TypedDict):
    x: float
    y: float


class Shape(TypedDict, total=False):
    name: Required[str]
    points: list[Point]
    tags: dict[str, list[str]]
    note: ReadOnly[NotRequired[str | None]]


class Tree(TypedDict):
    label: str
    children: list[Tree]


class FormsC2S(TypedDict):
    text: Msg[str]
    number: Msg[int]
    real: Msg[float]
    flag: Msg[bool]
    nothing: Msg[None]
    blob: Msg[bytes]
    anything: Msg[Any]
    choice: Msg[Literal["a", "b", 3, True, None]]
    maybe: Msg[Optional[int]]  # noqa: UP045  (the spelling under test)
    either: Msg[Union[int, str]]  # noqa: UP007  (the spelling under test)
    pipe_union: Msg[int | str | None]
    shape: Msg[Shape]
    shapes: Msg[list[Shape]]
    by_name: Msg[dict[str, Point]]
    tree: Msg[Tree]
    measure: Call[Shape, Point]
    lookup: Call[str, Optional[Shape]]  # noqa: UP045  (the spelling under test)


class FormsS2C(TypedDict):
    pushed: Msg[list[int]]
    ask: Call[None, bool]


class Forms(TypedDict):
    c2s: FormsC2S
    s2c: FormsS2C


class OnlyC2S(TypedDict):
    c2s: FormsC2S


class RootC2S(TypedDict):
    hello: Msg[str]


class Root(TypedDict):
    c2s: RootC2S


class GameRoomS2C(TypedDict):
    score: Msg[int]


class GameRoom(TypedDict):
    s2c: GameRoomS2C


# The root namespace and names that are not identifiers need the functional form.
FormsProtocol = TypedDict(
    "FormsProtocol",
    {"forms": Forms, "upload": OnlyC2S, "/": Root, "game-room": GameRoom},
)


def local_protocol() -> Any:
    """A protocol defined inside a function: its string annotations cannot be resolved."""

    class LocalC2S(TypedDict):
        chat: Msg[str]

    class Local(TypedDict):
        c2s: LocalC2S

    class LocalProtocol(TypedDict):
        local: Local

    return LocalProtocol
