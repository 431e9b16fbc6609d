"""A protocol that uses every type pursocket exports: the golden files in tests/exports/.

Regenerate a golden file after a deliberate change with, e.g.,
``pursocket export typescript tests.export_protocol:EveryType -o tests/exports/every_type.ts``
(the failing test prints the exact command).
"""

from __future__ import annotations

from typing import Any, Literal, Optional, TypedDict, Union

from typing_extensions import NotRequired, ReadOnly, Required

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


EveryType = TypedDict("EveryType", {"lobby": Lobby, "/": Root, "battle-field": Battle})
EveryType.__doc__ = "Every type pursocket exports, in three namespaces."
