"""A protocol that uses every type pursocket exports: the golden files in tests/exports/.

Regenerate a golden file after a deliberate change with, e.g.,
``pursocket export typescript tests.export_protocol:EveryType -o tests/exports/every_type.ts``
(the failing test prints the exact command).
"""

from __future__ import annotations

from typing import (  # noqa: UP035 (typing.Tuple is one of the spellings exported)
    Annotated,
    Any,
    Generic,
    Literal,
    Optional,
    Tuple,
    TypeVar,
    Union,
)

import annotated_types
import msgspec
from typing_extensions import NotRequired, ReadOnly, Required, TypeAliasType, TypedDict

from pursocket import Call, Msg


class Point(TypedDict):
    """A cell of the board.

    Coordinates start at 0 in the top left corner.
    """

    x: int
    y: float


class Labelled(Point):
    """A point with a label: an inherited TypedDict keeps the keys of its base."""

    label: str


class Tree(TypedDict):
    """A recursive TypedDict: every node holds its children."""

    value: int
    children: list[Tree]


class Settings(TypedDict, total=False):
    theme: Literal["dark", "light"]
    volume: int
    name: Required[str]


class Profile(TypedDict):
    id: ReadOnly[str]
    nickname: str
    bio: NotRequired[str | None]
    avatar: bytes
    scores: dict[str, float]
    tags: list[str]
    settings: Settings
    extra: Any
    verified: bool
    nothing: None
    level: Literal[1, 2, 3]
    mood: Literal["ok", 0, False, None]
    home: Optional[Point]  # noqa: UP045 (Optional is one of the spellings exported)
    either: Union[int, str]  # noqa: UP007 (Union is one of the spellings exported)
    nested: list[dict[str, list[Point]]]
    thumbnails: NotRequired[list[bytes]]


class Circle(TypedDict):
    """A member of a tagged union: ``kind`` tells the members apart."""

    kind: Literal["circle"]
    radius: Annotated[float, annotated_types.Gt(0)]


class Square(TypedDict):
    kind: Literal["square"]
    side: Annotated[int, msgspec.Meta(ge=1)]
    label: NotRequired[str]


T = TypeVar("T")


class Box(TypedDict, Generic[T]):
    """A generic TypedDict: ``Box[int]`` is exported as ``Box_int``."""

    item: T
    tag: ReadOnly[str]


#: A recursive TypeAliasType (``type JsonValue = ...`` on Python 3.12).
JsonValue = TypeAliasType(
    "JsonValue",
    Union[dict[str, "JsonValue"], list["JsonValue"], str, int, float, bool, None],  # noqa: UP007
)
#: A TypeAliasType that is not recursive.
Tags = TypeAliasType("Tags", list[Annotated[str, annotated_types.MaxLen(8)]])


class Route(TypedDict):
    """Tuples: of a fixed length, of any length, and empty."""

    start: tuple[int, int]
    stops: tuple[Point, ...]
    legs: list[tuple[float | None, Literal["walk", "ride"]]]
    done: tuple[()]
    ticket: NotRequired[tuple[str, bytes]]
    codes: Tuple[int, ...]  # noqa: UP006 (typing.Tuple is one of the spellings exported)


class Empty(TypedDict):
    """A request that carries nothing: ``{}``."""


class LobbyAuth(TypedDict):
    token: str


class LobbyC2S(TypedDict):
    update: Msg[Profile]
    plant: Call[Tree, Labelled]
    ping: Call[Empty, None]
    upload: Msg[bytes]
    count: Msg[int]
    lookup: Call[list[str], dict[str, int]]


class FormsC2S(TypedDict):
    draw: Msg[Circle | Square | None]
    store: Call[Box[Point], Box[list[bytes]]]
    value: Msg[JsonValue]
    tags: Msg[Tags]
    age: Annotated[Msg[Annotated[int, annotated_types.Interval(ge=0, le=150)]], "years"]
    name: Msg[Annotated[str, annotated_types.Len(1, 3)]]
    route: Call[Route, tuple[bool, Optional[Route]]]  # noqa: UP045
    pair: Msg[tuple[int, str]]


class Forms(TypedDict):
    c2s: FormsC2S


class LobbyS2C(TypedDict):
    profile: Msg[Profile]
    confirm: Call[Point, bool]


class Lobby(TypedDict):
    auth: LobbyAuth
    c2s: LobbyC2S
    s2c: LobbyS2C


class RootS2C(TypedDict):
    tick: Msg[float]


class Root(TypedDict):
    s2c: RootS2C


BattleC2S = TypedDict("BattleC2S", {"move-to": Msg[Point], "reset": Call[Empty, Empty]})


class Battle(TypedDict):
    c2s: BattleC2S


EveryType = TypedDict(
    "EveryType", {"lobby": Lobby, "/": Root, "battle-field": Battle, "forms": Forms}
)
EveryType.__doc__ = "Every type pursocket exports, in four namespaces."
