"""The chat protocol: one namespace, ``/chat``, shared by the server and every client.

A user connects with a nickname as the namespace's auth (refused when malformed
or taken), then lists, joins and leaves rooms and chats in the rooms they are in. Joining and leaving are ordinary Calls
of this protocol (pursocket has no built-in join protocol): the server decides,
and the other members of the room are told.
"""

from __future__ import annotations

from typing import TypedDict

from pursocket import Call, Msg


class NicknameAuth(TypedDict):
    """What a client sends as auth when it connects to ``/chat``: who it is."""

    nickname: str


class Outcome(TypedDict):
    """The answer to a request that can be refused: ``reason`` says why when ``ok`` is false."""

    ok: bool
    reason: str


class NoArguments(TypedDict):
    """The request of a Call that needs no arguments: ``{}``."""


class RoomInfo(TypedDict):
    name: str
    members: int


class RoomList(TypedDict):
    rooms: list[RoomInfo]


class RoomRequest(TypedDict):
    room: str


class JoinOutcome(TypedDict):
    """The answer to ``joinRoom``: on success, who is in the room now, the joiner included."""

    ok: bool
    reason: str
    room: str
    members: list[str]


class SayRequest(TypedDict):
    room: str
    text: str


class ChatLine(TypedDict):
    room: str
    nickname: str
    text: str


class Presence(TypedDict):
    """Someone joined or left ``room``; ``members`` is who is in it now."""

    room: str
    nickname: str
    members: list[str]


class ChatC2S(TypedDict):
    listRooms: Call[NoArguments, RoomList]
    joinRoom: Call[RoomRequest, JoinOutcome]
    leaveRoom: Call[RoomRequest, Outcome]
    say: Msg[SayRequest]


class ChatS2C(TypedDict):
    message: Msg[ChatLine]
    joined: Msg[Presence]
    left: Msg[Presence]


class ChatNamespace(TypedDict):
    auth: NicknameAuth
    c2s: ChatC2S
    s2c: ChatS2C


class ChatProtocol(TypedDict):
    chat: ChatNamespace
