"""Protocols the tests share."""

from __future__ import annotations

from typing import TypedDict

from pursocket import Call, Msg


class ChatMessage(TypedDict):
    text: str


class JoinRequest(TypedDict):
    name: str


class JoinResult(TypedDict):
    success: bool


class UserCount(TypedDict):
    count: int


class LobbyC2S(TypedDict):
    chat: Msg[ChatMessage]
    join: Call[JoinRequest, JoinResult]
    slow: Call[UserCount, UserCount]


class LobbyS2C(TypedDict):
    userCount: Msg[UserCount]
    confirm: Call[ChatMessage, JoinResult]


class Lobby(TypedDict):
    c2s: LobbyC2S
    s2c: LobbyS2C


class GameC2S(TypedDict):
    chat: Msg[ChatMessage]


class GameS2C(TypedDict):
    userCount: Msg[UserCount]


class Game(TypedDict):
    c2s: GameC2S
    s2c: GameS2C


class AppProtocol(TypedDict):
    lobby: Lobby
    game: Game
