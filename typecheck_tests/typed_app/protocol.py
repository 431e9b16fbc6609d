"""A protocol for the generated typed API's tests: every payload form, every name form.

Namespaces ``lobby`` (an identifier, with a declared auth), ``game-room`` (not one) and ``/`` (the root);
``/`` declares no server-to-client events and ``game-room`` no Calls at all, so the
generated methods for an empty set of events are exercised too.
"""

from __future__ import annotations

from typing import Annotated, Any, Generic, Literal, Optional, TypeVar, Union

from annotated_types import Ge
from typing_extensions import NotRequired, ReadOnly, Required, TypedDict

from pursocket import Call, Msg
from typed_app.json_value import JsonValue


class ChatMessage(TypedDict):
    text: str


class LobbyAuth(TypedDict):
    token: str


class JoinRequest(TypedDict):
    name: str


class JoinResult(TypedDict):
    success: bool


class UserCount(TypedDict):
    count: int


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


T = TypeVar("T")


class Box(TypedDict, Generic[T]):
    item: T


class LobbyC2S(TypedDict):
    chat: Msg[ChatMessage]
    join: Call[JoinRequest, JoinResult]
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
    shapes: Msg[list[Shape]]
    by_name: Msg[dict[str, Point]]
    tree: Msg[Tree]
    measure: Call[Shape, Point]
    lookup: Call[str, Optional[Shape]]  # noqa: UP045  (the spelling under test)
    boxed: Call[Box[int], Box[str]]
    score: Msg[Annotated[int, Ge(0)]]
    state: Msg[JsonValue]
    move: Msg[tuple[int, float]]
    span: Call[tuple[float, ...], tuple[float, float]]


class LobbyS2C(TypedDict):
    userCount: Msg[UserCount]
    confirm: Call[ChatMessage, JoinResult]


class Lobby(TypedDict):
    auth: LobbyAuth
    c2s: LobbyC2S
    s2c: LobbyS2C


class GameRoomC2S(TypedDict):
    fire: Msg[Point]


class GameRoomS2C(TypedDict):
    hit: Msg[Point]
    over: Msg[None]


class GameRoom(TypedDict):
    c2s: GameRoomC2S
    s2c: GameRoomS2C


class RootC2S(TypedDict):
    ping: Call[None, str]


class Root(TypedDict):
    c2s: RootC2S


ApiProtocol = TypedDict("ApiProtocol", {"lobby": Lobby, "game-room": GameRoom, "/": Root})
