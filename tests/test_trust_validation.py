"""Every value from the network is checked against the protocol before a handler sees it."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
from pathlib import Path
from typing import Any, TypedDict

import pytest
from typing_extensions import NotRequired

from pursocket import (
    CallError,
    Client,
    InvalidInput,
    Msg,
    ProtocolError,
    Server,
    read_protocol,
)
from pursocket._wire import ERROR_KEY
from pursocket.protocol import Direction
from pursocket.testing import ServeFixture
from pursocket.validation import InvalidValue, build_validators
from tests.conftest import Inbox
from tests.protocol_forms import FormsProtocol
from tests.trust_helpers import pursocket_records, raw_client

SHAPE = {"name": "square", "points": [{"x": 0.0, "y": 1.5}], "tags": {"k": ["v"]}}


def recording_server(**options: Any) -> tuple[Server[Any], Inbox, Inbox]:
    """A Forms server whose Msg handlers record (event, payload) and whose hook records offences."""
    server = Server(FormsProtocol, **options)
    forms = server.namespace("forms")
    received, offences = Inbox(), Inbox()
    for event in forms.spec.c2s.values():
        if event.is_call:
            continue

        def record(conn: Any, payload: Any, name: str = event.name) -> None:
            received.put((name, payload))

        forms.on(event.name)(record)

    @forms.on_invalid
    def offended(conn: Any, offence: InvalidInput) -> None:
        offences.put(offence)

    @forms.on_call("measure")
    def measure(conn: Any, shape: Any) -> Any:
        return shape["points"][0]

    @forms.on_call("lookup")
    def lookup(conn: Any, name: str) -> Any:
        if name == "explode":
            raise RuntimeError("secret internal detail")
        return None if name == "none" else {"name": name}

    return server, received, offences


async def test_every_type_form_arrives_unchanged(pursocket_serve: ServeFixture) -> None:
    server, received, _ = recording_server()
    url = await pursocket_serve(server)
    cases = [
        ("text", "héllo"),
        ("number", 42),
        ("real", 2.5),
        ("flag", False),
        ("nothing", None),
        ("blob", b"\x00\xffbinary"),
        ("anything", {"free": [1, "form"]}),
        ("choice", "b"),
        ("choice", 3),
        ("choice", None),
        ("maybe", None),
        ("maybe", 7),
        ("either", "seven"),
        ("pipe_union", 7),
        ("shape", SHAPE),
        ("shape", {"name": "no optional keys"}),
        ("shape", {"name": "n", "note": None}),
        ("shapes", [SHAPE, {"name": "x"}]),
        ("by_name", {"origin": {"x": 0.0, "y": 0.0}}),
        ("tree", {"label": "root", "children": [{"label": "leaf", "children": []}]}),
    ]
    client = Client(FormsProtocol)
    forms = client.namespace("forms")
    async with client:
        await client.connect(url)
        for event, payload in cases:
            await forms.emit(event, payload)
        assert await received.wait_for(len(cases)) == cases


async def test_strict_types_and_one_warning_line_without_the_payload(
    pursocket_serve: ServeFixture, caplog: pytest.LogCaptureFixture
) -> None:
    server, received, offences = recording_server()
    url = await pursocket_serve(server)
    raw = await raw_client(url)
    sid = raw.get_sid("/forms")
    caplog.set_level(logging.WARNING, logger="pursocket")
    try:
        await raw.emit("number", "1", namespace="/forms")
        await raw.emit("flag", 1, namespace="/forms")
        await raw.emit("shape", {"name": "top-secret-value", "points": [{"x": "1"}]}, "/forms")
        await raw.emit("number", 5, namespace="/forms")
        assert await received.wait_for(1) == [("number", 5)]
        found = await offences.wait_for(3)
    finally:
        await raw.disconnect()
    assert [(o.event, o.code) for o in found] == [
        ("number", "invalid_payload"),
        ("flag", "invalid_payload"),
        ("shape", "invalid_payload"),
    ]
    assert "Expected `float`, got `str` - at `$.points[0].x`" in found[2].reason
    lines = [r.getMessage() for r in pursocket_records(caplog, logging.WARNING)]
    assert len(lines) == 3
    for line, event in zip(lines, ["number", "flag", "shape"], strict=True):
        assert f'"{event}"' in line and '"forms"' in line and f"sid {sid}" in line
        assert "\n" not in line
    assert "$.points[0].x" in lines[2]
    assert "top-secret-value" not in lines[2]


async def test_bytes_come_only_as_binary_attachments(pursocket_serve: ServeFixture) -> None:
    server, received, offences = recording_server()
    url = await pursocket_serve(server)
    raw = await raw_client(url)
    try:
        await raw.emit("blob", "AAEC", namespace="/forms")  # base64 of b"\x00\x01\x02"
        await raw.emit("blob", b"\x00\x01\x02", namespace="/forms")
        assert await received.wait_for(1) == [("blob", b"\x00\x01\x02")]
        [offence] = await offences.wait_for(1)
    finally:
        await raw.disconnect()
    assert offence.reason.endswith("Expected `bytes`, got `str`")


async def test_the_handler_receives_exactly_the_declared_shape(
    pursocket_serve: ServeFixture,
) -> None:
    server, received, offences = recording_server()
    url = await pursocket_serve(server)
    raw = await raw_client(url)
    try:
        await raw.emit("shape", {"name": "n", "extra": {"deep": 1}}, namespace="/forms")
        await raw.emit("number", (1, 2), namespace="/forms")  # two Socket.IO arguments
        await raw.emit("nothing", namespace="/forms")  # no argument at all
        assert await received.wait_for(1) == [("shape", {"name": "n"})]
        found = await offences.wait_for(2)
    finally:
        await raw.disconnect()
    assert [o.reason for o in found] == [
        'invalid payload for "number": expected exactly 1 argument, got 2',
        'invalid payload for "nothing": expected exactly 1 argument, got 0',
    ]


async def test_bad_calls_get_an_error_acknowledgement_at_once(
    pursocket_serve: ServeFixture, caplog: pytest.LogCaptureFixture
) -> None:
    server, _, offences = recording_server()
    url = await pursocket_serve(server)
    raw = await raw_client(url)
    caplog.set_level(logging.WARNING, logger="pursocket")
    try:
        invalid = await raw.call("measure", {"points": []}, namespace="/forms", timeout=5)
        unknown = await raw.call("no_such_event", 1, namespace="/forms", timeout=5)
        forged = await raw.call("connect", 1, namespace="/forms", timeout=5)
        msg_as_call = await raw.call("number", 1, namespace="/forms", timeout=5)
        failed = await raw.call("lookup", "explode", namespace="/forms", timeout=5)
        ok = await raw.call("lookup", "none", namespace="/forms", timeout=5)
    finally:
        await raw.disconnect()
    assert invalid == {
        ERROR_KEY: {
            "code": "invalid_payload",
            "message": 'invalid payload for "measure": Object missing required field `name`',
            "details": "Object missing required field `name`",
        }
    }
    assert unknown[ERROR_KEY]["code"] == "unknown_event"
    assert forged[ERROR_KEY]["code"] == "unknown_event"
    assert msg_as_call[ERROR_KEY]["code"] == "wrong_kind"
    assert failed == {
        ERROR_KEY: {
            "code": "handler_error",
            "message": 'the handler for "lookup" failed',
            "details": None,
        }
    }
    assert ok is None
    assert [o.code for o in offences.items] == [
        "invalid_payload",
        "unknown_event",
        "unknown_event",
        "wrong_kind",
    ]
    [crash] = [r for r in pursocket_records(caplog, logging.ERROR)]
    assert "secret internal detail" in crash.getMessage() and not crash.exc_info


async def test_pursocket_client_raises_call_error_with_code_and_details(
    pursocket_serve: ServeFixture,
) -> None:
    server, _, _ = recording_server()
    url = await pursocket_serve(server)
    client = Client(FormsProtocol)
    forms = client.namespace("forms")
    async with client:
        await client.connect(url)
        with pytest.raises(CallError) as invalid:
            await forms.call("measure", {"points": []})  # no "name"
        with pytest.raises(CallError) as failed:
            await forms.call("lookup", "explode")
        assert await forms.call("lookup", "found") == {"name": "found"}
    assert invalid.value.code == "invalid_payload"
    assert invalid.value.details == "Object missing required field `name`"
    assert (invalid.value.namespace, invalid.value.event) == ("forms", "measure")
    assert failed.value.code == "handler_error"
    assert "secret" not in str(failed.value)


async def test_the_client_validates_what_the_server_sends(pursocket_serve: ServeFixture) -> None:
    server = Server(FormsProtocol)
    forms = server.namespace("forms")
    connected = Inbox()
    forms.on_connect(connected.put)
    url = await pursocket_serve(server)
    client = Client(FormsProtocol)
    cforms = client.namespace("forms")
    pushed, offences, asked = Inbox(), Inbox(), Inbox()
    cforms.on("pushed")(pushed.put)
    cforms.on_invalid(offences.put)

    @cforms.on_call("ask")
    def ask(request: None) -> bool:
        asked.put(request)
        return True

    async with client:
        await client.connect(url)
        [conn] = await connected.wait_for(1)
        # The escape hatch sends what the protocol forbids: the client must refuse it.
        await server.sio.emit("pushed", ["one"], to=conn.sid, namespace="/forms")
        await server.sio.emit("pushed", [True], to=conn.sid, namespace="/forms")
        await conn.emit("pushed", [1, 2])
        assert await pushed.wait_for(1) == [[1, 2]]
        found = await offences.wait_for(2)
        assert [o.reason for o in found] == [
            'invalid payload for "pushed": Expected `int`, got `str` - at `$[0]`',
            'invalid payload for "pushed": Expected `int`, got `bool` - at `$[0]`',
        ]
        assert await conn.call("ask", None) is True
        answer = await server.sio.call("ask", "not None", to=conn.sid, namespace="/forms")
        assert answer[ERROR_KEY]["code"] == "invalid_payload"
        assert asked.items == [None]


async def test_a_client_answering_a_server_call_with_bad_data_gives_call_error(
    pursocket_serve: ServeFixture,
) -> None:
    server = Server(FormsProtocol)
    forms = server.namespace("forms")
    connected = Inbox()
    forms.on_connect(connected.put)
    url = await pursocket_serve(server)
    raw = await raw_client(url)
    answers = iter(["yes", (True, True)])
    raw.on("ask", lambda *args: next(answers), namespace="/forms")
    try:
        [conn] = await connected.wait_for(1)
        with pytest.raises(CallError) as wrong_type:
            await conn.call("ask", None)
        with pytest.raises(CallError) as two_arguments:
            await conn.call("ask", None)
    finally:
        await raw.disconnect()
    assert wrong_type.value.code == "invalid_response"
    assert "Expected `bool`, got `str`" in wrong_type.value.message
    assert two_arguments.value.code == "invalid_response"
    assert "expected exactly 1 acknowledgement argument, got 2" in two_arguments.value.message


async def test_validate_false_trusts_the_network(pursocket_serve: ServeFixture) -> None:
    server, received, offences = recording_server(validate=False)
    url = await pursocket_serve(server)
    raw = await raw_client(url)
    try:
        await raw.emit("number", "1", namespace="/forms")
        assert await received.wait_for(1) == [("number", "1")]
    finally:
        await raw.disconnect()
    assert offences.items == []


async def test_validate_outgoing_checks_what_each_side_sends(pursocket_serve: ServeFixture) -> None:
    server = Server(FormsProtocol, validate_outgoing=True)
    forms = server.namespace("forms")
    connected = Inbox()
    forms.on_connect(connected.put)

    @forms.on_call("measure")
    def measure(conn: Any, shape: Any) -> Any:
        return {"x": "not a float", "y": 0.0}

    url = await pursocket_serve(server)
    client = Client(FormsProtocol, validate_outgoing=True)
    cforms = client.namespace("forms")
    async with client:
        await client.connect(url)
        [conn] = await connected.wait_for(1)
        with pytest.raises(ProtocolError, match=r"Expected `int`, got `str` - at `\$\[0\]`"):
            await conn.emit("pushed", ["x"])
        with pytest.raises(ProtocolError, match="Expected `int`, got `str`"):
            await cforms.emit("number", "1")
        with pytest.raises(CallError) as bad_response:
            await cforms.call("measure", {"name": "n"})
    assert bad_response.value.code == "invalid_response"


@pytest.mark.parametrize("ordered", [False, True])
async def test_handling_order_per_connection(pursocket_serve: ServeFixture, ordered: bool) -> None:
    server = Server(FormsProtocol, ordered=ordered)
    forms = server.namespace("forms")
    finished = Inbox()
    second_arrived = asyncio.Event()

    @forms.on("number")
    async def number(conn: Any, value: int) -> None:
        if value == 1:
            if ordered:
                await asyncio.sleep(0.05)  # slow work; a later event must still wait
            else:
                await asyncio.wait_for(second_arrived.wait(), 5)
        else:
            second_arrived.set()
        finished.put(value)

    url = await pursocket_serve(server)
    client = Client(FormsProtocol)
    cforms = client.namespace("forms")
    async with client:
        await client.connect(url)
        for value in (1, 2, 3):
            await cforms.emit("number", value)
        order = await finished.wait_for(3)
    if ordered:
        assert order == [1, 2, 3]
    else:  # the default: 2 overtakes the slow 1
        assert order[0] == 2 and sorted(order) == [1, 2, 3]


async def test_an_ordered_handler_may_await_a_call_to_its_own_client(
    pursocket_serve: ServeFixture,
) -> None:
    server = Server(FormsProtocol, ordered=True)
    forms = server.namespace("forms")

    @forms.on_call("lookup")
    async def lookup(conn: Any, name: str) -> Any:
        confirmed = await conn.call("ask", None)
        return {"name": f"{name} {confirmed}"}

    url = await pursocket_serve(server)
    client = Client(FormsProtocol, ordered=True)
    cforms = client.namespace("forms")
    cforms.on_call("ask")(lambda request: True)
    async with client:
        await client.connect(url)
        assert await cforms.call("lookup", "x") == {"name": "x True"}


async def test_a_js_client_is_held_to_the_protocol_and_can_read_errors(
    pursocket_serve: ServeFixture,
) -> None:
    server, received, offences = recording_server()
    url = await pursocket_serve(server)
    node = shutil.which("node")
    assert node, "Node.js is needed to run the npm socket.io-client"
    root = Path(__file__).resolve().parent.parent
    process = await asyncio.create_subprocess_exec(
        node,
        str(root / "tests" / "trust_js_client.mjs"),
        url,
        cwd=root,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, stderr.decode()
    replies = [json.loads(line) for line in stdout.decode().splitlines()]
    assert [(r["event"], r["error"] and r["error"]["code"]) for r in replies] == [
        ("measure", "invalid_payload"),
        ("lookup", "handler_error"),
        ("nope", "unknown_event"),
        ("measure", None),
    ]
    assert replies[3]["reply"] == {"x": 1, "y": 2.5}
    assert await received.wait_for(1) == [("blob", b"\x00\x01\x02")]
    assert [(o.event, o.code) for o in await offences.wait_for(5)] == [
        ("number", "invalid_payload"),
        ("blob", "invalid_payload"),
        ("number", "invalid_payload"),
        ("measure", "invalid_payload"),
        ("nope", "unknown_event"),
    ]
    assert [o.reason for o in offences.items[:3]] == [
        'invalid payload for "number": Expected `int`, got `str`',
        'invalid payload for "blob": Expected `bytes`, got `str`',
        'invalid payload for "number": expected exactly 1 argument, got 2',
    ]


class Optional_(TypedDict):
    required: int
    optional: NotRequired[str]


class StringAnnotationsC2S(TypedDict):
    opt: Msg[Optional_]


class StringAnnotations(TypedDict):
    c2s: StringAnnotationsC2S


class StringAnnotationsProtocol(TypedDict):
    ns: StringAnnotations


def test_not_required_keys_under_string_annotations_are_optional() -> None:
    # This module uses ``from __future__ import annotations``: on Python 3.11,
    # Optional_.__required_keys__ wrongly lists "optional".
    validators = build_validators(read_protocol(StringAnnotationsProtocol))
    checks = validators[("/ns", Direction.C2S, "opt")]
    assert checks.payload_json is not None
    assert checks.payload_json.decode(b'{"required": 1}') == {"required": 1}
    assert checks.payload({"required": 1, "optional": "x"}) == {"required": 1, "optional": "x"}
    with pytest.raises(InvalidValue, match="Object missing required field `required`"):
        checks.payload({"optional": "x"})
