"""A server whose namespaces declare different auth types and keep typed state."""

from __future__ import annotations

from typing import Literal, TypedDict

import attrs

from pursocket import Call, Connection, Msg


class LoginToken(TypedDict):
    token: str


class Seat(TypedDict):
    table: int


class Whoami(TypedDict):
    whoami: Call[str, str]
    note: Msg[str]


class Lobby(TypedDict):
    auth: LoginToken
    c2s: Whoami


class Game(TypedDict):
    auth: Seat
    c2s: Whoami


class Public(TypedDict):
    c2s: Whoami


class AuthProtocol(TypedDict):
    lobby: Lobby
    game: Game
    public: Public


@attrs.frozen
class User:
    """Who a lobby connection belongs to: what the lobby's connect handler returns."""

    name: str


LobbyConn = Connection[AuthProtocol, Literal["lobby"], User]
GameConn = Connection[AuthProtocol, Literal["game"], int]
PublicConn = Connection[AuthProtocol, Literal["public"]]
