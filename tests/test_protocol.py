"""Reading a protocol: the model it gives, and the exact error for each malformed part.

The protocols of the malformed cases are built inside the tests, without
``from __future__ import annotations``, so their annotations are real objects;
``tests/protocol_forms.py`` covers protocols whose annotations are strings.
"""

import datetime
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, Literal, TypedDict

import attrs
import pytest

from pursocket import Call, Client, Msg, ProtocolError, Server, read_protocol
from pursocket.protocol import RESERVED_EVENT_NAMES, Direction, EventKind
from tests.protocol_forms import FormsProtocol, Point, Shape, Tree, local_protocol
from tests.protocols import AppProtocol, ChatMessage, JoinRequest, JoinResult


def protocol_with_event(event_type: Any, event: str = "chat") -> Any:
    """``AppProtocol.lobby.c2s.<event>: <event_type>``, built with the functional form."""
    events = TypedDict("LobbyC2S", {event: event_type})

    class Lobby(TypedDict):
        c2s: events

    class AppProtocol(TypedDict):
        lobby: Lobby

    return AppProtocol


def refused(protocol: Any, message: str) -> None:
    """Reading ``protocol`` raises ``ProtocolError`` with exactly ``message``, everywhere."""
    for build in (read_protocol, Server, Client):
        with pytest.raises(ProtocolError, match=f"^{re.escape(message)}$"):
            build(protocol)


# --- the model ---------------------------------------------------------------------------


def test_the_model_lists_namespaces_directions_and_events() -> None:
    model = read_protocol(AppProtocol)
    assert model.name == "AppProtocol"
    assert list(model.namespaces) == ["lobby", "game"]
    lobby = model.namespace("lobby")
    assert lobby.path == "/lobby"
    assert list(lobby.c2s) == ["chat", "join", "slow"]
    assert list(lobby.s2c) == ["userCount", "confirm"]
    chat = lobby.c2s["chat"]
    assert (chat.kind, chat.payload_type, chat.response_type) == (EventKind.MSG, ChatMessage, None)
    assert chat.direction is Direction.C2S
    assert chat.path == "AppProtocol.lobby.c2s.chat"
    join = lobby.c2s["join"]
    assert (join.kind, join.payload_type, join.response_type) == (
        EventKind.CALL,
        JoinRequest,
        JoinResult,
    )


def test_the_model_is_read_once_and_immutable() -> None:
    model = read_protocol(AppProtocol)
    assert read_protocol(AppProtocol) is model
    assert Server(AppProtocol).model is model
    assert Client(AppProtocol).model is model
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        model.name = "Other"
    with pytest.raises(TypeError):
        model.namespaces["admin"] = model.namespaces["lobby"]
    with pytest.raises(TypeError):
        model.namespaces["lobby"].c2s["other"] = model.namespaces["lobby"].c2s["chat"]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        model.namespaces["lobby"].c2s["chat"].name = "other"


def test_string_annotations_and_every_payload_form_are_read() -> None:
    model = read_protocol(FormsProtocol)
    forms = model.namespace("forms")
    assert forms.c2s["shape"].payload_type is Shape
    assert forms.c2s["tree"].payload_type is Tree
    assert forms.c2s["by_name"].payload_type == dict[str, Point]
    assert forms.c2s["measure"].response_type is Point
    assert forms.c2s["choice"].payload_type == Literal["a", "b", 3, True, None]
    assert forms.s2c["ask"].kind is EventKind.CALL


def test_a_namespace_may_leave_out_a_direction() -> None:
    model = read_protocol(FormsProtocol)
    assert model.namespace("upload").s2c == {}
    assert model.namespace("game-room").c2s == {}
    assert list(model.namespace("game-room").s2c) == ["score"]


def test_root_namespace_and_names_that_are_not_identifiers() -> None:
    model = read_protocol(FormsProtocol)
    assert model.namespace("/").path == "/"
    assert model.namespace("game-room").path == "/game-room"
    assert [spec.path for spec in model.namespaces.values()] == [
        "/forms",
        "/upload",
        "/",
        "/game-room",
    ]


def test_unknown_namespace_names_the_declared_ones() -> None:
    with pytest.raises(
        ProtocolError,
        match=re.escape(
            'Unknown namespace "admin" in protocol AppProtocol; '
            'declared namespaces: "lobby", "game"'
        ),
    ):
        read_protocol(AppProtocol).namespace("admin")


# --- every malformed part, with its exact path -------------------------------------------


def test_protocol_must_be_a_typeddict() -> None:
    refused(dict, "dict: a protocol must be a TypedDict of namespaces, got dict")

    class NotATypedDict:
        lobby: int

    refused(
        NotATypedDict,
        "NotATypedDict: a protocol must be a TypedDict of namespaces, got NotATypedDict",
    )


def test_protocol_must_declare_a_namespace() -> None:
    class Empty(TypedDict):
        pass

    refused(Empty, "Empty: a protocol must declare at least one namespace")


def test_namespace_must_be_a_typeddict() -> None:
    class AppProtocol(TypedDict):
        lobby: int

    refused(
        AppProtocol, "AppProtocol.lobby: expected a TypedDict with c2s and/or s2c keys, got int"
    )


@pytest.mark.parametrize("key", ["", "/lobby", "a/b"])
def test_namespace_key_is_root_or_has_no_slash(key: str) -> None:
    class Lobby(TypedDict):
        c2s: TypedDict("C2S", {})

    protocol = TypedDict("AppProtocol", {key: Lobby})
    refused(
        protocol,
        f'AppProtocol.{key}: a namespace key is "/" for the root namespace or a name without '
        f'"/" (the key "admin" is the Socket.IO namespace /admin)',
    )


def test_direction_keys_are_c2s_and_s2c() -> None:
    class Lobby(TypedDict):
        c2s: TypedDict("C2S", {})
        toServer: TypedDict("C2S", {})

    class AppProtocol(TypedDict):
        lobby: Lobby

    refused(
        AppProtocol,
        'AppProtocol.lobby.toServer: a namespace may only have the keys "auth", "c2s" and '
        '"s2c", got "toServer"',
    )


class LoginToken(TypedDict):
    token: str


def protocol_with_auth(auth_type: Any) -> Any:
    """``AppProtocol.lobby`` declaring ``auth: <auth_type>``, with one c2s event."""

    class Lobby(TypedDict):
        auth: auth_type  # type: ignore[valid-type]
        c2s: TypedDict("C2S", {"chat": Msg[str]})

    class AppProtocol(TypedDict):
        lobby: Lobby

    return AppProtocol


@pytest.mark.parametrize(
    "auth_type",
    [LoginToken, LoginToken | None, dict[str, int], dict[str, str] | None],
)
def test_a_namespace_may_declare_its_auth(auth_type: Any) -> None:
    lobby = read_protocol(protocol_with_auth(auth_type)).namespace("lobby")
    assert (lobby.auth_type, lobby.auth_path) == (auth_type, "AppProtocol.lobby.auth")
    assert list(lobby.c2s) == ["chat"]


def test_a_namespace_without_auth_has_no_auth_type() -> None:
    assert read_protocol(AppProtocol).namespace("lobby").auth_type is None


AUTH_IS_AN_OBJECT = (
    'expected a TypedDict (or dict[str, T]), optionally "| None", since Socket.IO sends '
    "auth as a JSON object"
)


@pytest.mark.parametrize(
    ("auth_type", "message"),
    [
        (str, "str"),
        (list[LoginToken], "list[LoginToken]"),
        (LoginToken | int, "LoginToken | int"),
    ],
)
def test_auth_must_be_a_json_object(auth_type: Any, message: str) -> None:
    refused(
        protocol_with_auth(auth_type), f"AppProtocol.lobby.auth: {AUTH_IS_AN_OBJECT}; got {message}"
    )


def test_auth_must_have_a_json_form() -> None:
    refused(
        protocol_with_auth(dict[str, complex]),
        "AppProtocol.lobby.auth[str]: complex has no JSON form; use a TypedDict, list[T], "
        "tuple[A, B], tuple[T, ...], dict[str, T], str, int, float, bool, None, bytes, a "
        "Literal, or a union of these",
    )


def test_direction_must_be_a_typeddict() -> None:
    class Lobby(TypedDict):
        s2c: list[str]

    class AppProtocol(TypedDict):
        lobby: Lobby

    refused(AppProtocol, "AppProtocol.lobby.s2c: expected a TypedDict of events, got list[str]")


@pytest.mark.parametrize(
    ("event_type", "shown"),
    [
        (int, "int"),
        (ChatMessage, "ChatMessage"),
        (Msg, "Msg"),
        (Call, "Call"),
        (list[Msg[ChatMessage]], "list[Msg[ChatMessage]]"),
    ],
)
def test_event_must_be_msg_or_call(event_type: Any, shown: str) -> None:
    refused(
        protocol_with_event(event_type),
        f"AppProtocol.lobby.c2s.chat: expected Msg[...] or Call[..., ...], got {shown}",
    )


@pytest.mark.parametrize("name", sorted(RESERVED_EVENT_NAMES))
def test_reserved_event_names_are_refused(name: str) -> None:
    refused(
        protocol_with_event(Msg[ChatMessage], event=name),
        f'AppProtocol.lobby.c2s.{name}: "{name}" is reserved by Socket.IO for its own '
        f"lifecycle events; the official client cannot send it. Choose another name",
    )


# Names the official client might refuse, beside the reserved ones: a few that other
# libraries keep for themselves ("message", "error", "ping") and an ordinary one.
_OTHER_NAMES = ["chat", "message", "error", "ping", "reconnect", "connecting"]
_JS_REFUSALS = """
import { io } from "socket.io-client";
const socket = io("http://127.0.0.1:9", { autoConnect: false });
const refused = [];
for (const name of JSON.parse(process.argv[1])) {
  try { socket.emit(name, 1); } catch (error) { refused.push([name, error.message]); }
}
process.stdout.write(JSON.stringify(refused));
"""


def test_reserved_names_are_the_ones_the_official_client_refuses_to_send() -> None:
    candidates = sorted(RESERVED_EVENT_NAMES) + _OTHER_NAMES
    node = shutil.which("node")
    assert node, "Node.js is needed: make test installs the npm packages it uses"
    result = subprocess.run(
        [node, "--input-type=module", "-e", _JS_REFUSALS, json.dumps(candidates)],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert json.loads(result.stdout) == [
        [name, f'"{name}" is a reserved event name'] for name in sorted(RESERVED_EVENT_NAMES)
    ]


def test_the_mypy_plugin_refuses_the_same_reserved_names() -> None:
    # The plugin keeps its own copy so that mypy never imports the runtime package.
    from pursocket_mypy.protocol_types import RESERVED_EVENT_NAMES as PLUGIN_RESERVED

    assert PLUGIN_RESERVED == RESERVED_EVENT_NAMES


class Stamped(TypedDict):
    at: datetime.datetime


class Outer(TypedDict):
    inner: list[dict[str, Stamped]]


NO_JSON_FORM = (
    "has no JSON form; use a TypedDict, list[T], tuple[A, B], tuple[T, ...], dict[str, T], "
    "str, int, float, bool, None, bytes, a Literal, or a union of these"
)


@pytest.mark.parametrize(
    ("event_type", "where", "shown"),
    [
        (Msg[set[int]], "(payload)", "set[int]"),
        (Msg[tuple[int, complex]], "(payload)[1]", "complex"),
        (Msg[tuple[complex, ...]], "(payload)[]", "complex"),
        (Msg[dict[int, str]], "(payload)", "dict[int, str]"),
        (Msg[list[complex]], "(payload)[]", "complex"),
        (Msg[dict[str, object]], "(payload)[str]", "object"),
        (Msg[Literal[1.5]], "(payload)", "Literal[1.5]"),
        (Msg[int | datetime.date], "(payload)", "date"),
        (Msg[Stamped], "(payload).at", "datetime"),
        (Msg[Outer], "(payload).inner[][str].at", "datetime"),
        (Call[datetime.date, bool], "(request)", "date"),
        (Call[bool, frozenset[str]], "(response)", "frozenset[str]"),
    ],
)
def test_payload_types_without_json_form_are_refused(
    event_type: Any, where: str, shown: str
) -> None:
    refused(
        protocol_with_event(event_type),
        f"AppProtocol.lobby.c2s.chat {where}: {shown} {NO_JSON_FORM}",
    )


def test_protocol_defined_in_a_function_with_string_annotations() -> None:
    refused(
        local_protocol(),
        "LocalProtocol: cannot resolve the annotation 'Local'; protocol TypedDicts must be "
        "defined at module level so their annotations can be resolved",
    )


def test_markers_are_never_instantiated() -> None:
    with pytest.raises(TypeError, match="protocol marker"):
        Msg()
    with pytest.raises(TypeError, match="protocol marker"):
        Call()
