"""One decoding path: no JSON the strict decoder refuses reaches a handler, however padded."""

from __future__ import annotations

import json
import logging
from typing import Any, TypedDict

import pytest

from pursocket import Call, CallError, Client, Msg, Server
from pursocket._codec import MAX_DEPTH, _has_huge_number, _nests_deeper
from pursocket.testing import ServeFixture
from tests.conftest import Inbox
from tests.protocol_forms import FormsProtocol
from tests.trust_helpers import RawSocket, pursocket_records, raw_client


class EchoC2S(TypedDict):
    echo: Call[Any, Any]
    note: Msg[Any]


class Echo(TypedDict):
    c2s: EchoC2S


class EchoProtocol(TypedDict):
    echo: Echo


def nested(depth: int) -> Any:
    """A value of ``depth`` nested arrays around ``0``."""
    value: Any = 0
    for _ in range(depth):
        value = [value]
    return value


#: A run of 101 digits: it used to switch the codec to the standard-library parser.
PAD = "1" * 101

#: JSON the strict decoder refuses, each inside a payload that is otherwise valid, and
#: what becomes of it: not JSON at all closes the connection; a number out of range
#: for a ``float`` is an invalid payload.
REFUSED = {
    "NaN": ('{"name":"s","points":[{"x":NaN,"y":0}]', "closed"),
    "Infinity": ('{"name":"s","points":[{"x":Infinity,"y":0}]', "closed"),
    "-Infinity": ('{"name":"s","points":[{"x":-Infinity,"y":0}]', "closed"),
    "1e999": ('{"name":"s","points":[{"x":1e999,"y":0}]', "invalid_payload"),
    "lone surrogate": ('{"name":"\\ud800"', "closed"),
}


@pytest.mark.parametrize("pad", ["none", "string", "key", "number"])
@pytest.mark.parametrize("value", list(REFUSED))
async def test_values_the_strict_decoder_refuses_never_reach_a_handler(
    pursocket_serve: ServeFixture, caplog: pytest.LogCaptureFixture, value: str, pad: str
) -> None:
    server = Server(FormsProtocol)
    shapes, offences = Inbox(), Inbox()
    server.namespace("forms").on("shape")(lambda conn, shape: shapes.put(shape))
    server.namespace("forms").on_invalid(lambda conn, offence: offences.put(offence.code))
    url = await pursocket_serve(server)
    payload, outcome = REFUSED[value]
    padding = {
        "none": "",
        "string": f',"note":"{PAD}"',  # a declared key
        "key": f',"extra":"{PAD}"',  # a key the TypedDict drops
        "number": f',"extra":{PAD[:100]},"more":"{PAD}"',
    }[pad]
    attacker = await RawSocket.open(url)
    try:
        await attacker.send(f'2/forms,["shape",{payload}{padding}}}]')
        if outcome == "closed":
            assert await attacker.closed_by_server()
        else:
            assert await offences.wait_for(1) == [outcome]
    finally:
        await attacker.close()
    bystander = await raw_client(url)
    try:
        await bystander.emit("shape", {"name": "fine", "note": PAD}, namespace="/forms")
        assert await shapes.wait_for(1) == [{"name": "fine", "note": PAD}]
    finally:
        await bystander.disconnect()
    assert not [r for r in caplog.records if r.exc_info]
    [line] = [r.getMessage() for r in pursocket_records(caplog, logging.WARNING)]
    assert ("is not valid JSON" if outcome == "closed" else "Number out of range") in line


async def test_a_huge_number_is_refused_wherever_it_is_padded(
    pursocket_serve: ServeFixture,
) -> None:
    server = Server(FormsProtocol)
    shapes = Inbox()
    server.namespace("forms").on("shape")(lambda conn, shape: shapes.put(shape))
    url = await pursocket_serve(server)
    for payload in (
        f'{{"name":"s","extra":{PAD}}}',
        f'{{"name":"s","extra":-{PAD}}}',
        f'{{"name":"s","extra":"\\\\","more":{PAD}}}',  # an escaped backslash before it
        f'{{"name":"s","extra":"\\"","more":0.{PAD}}}',  # an escaped quote before it
    ):
        attacker = await RawSocket.open(url)
        try:
            await attacker.send(f'2/forms,["shape",{payload}]')
            assert await attacker.closed_by_server(), payload
        finally:
            await attacker.close()
    assert shapes.items == []


def test_the_huge_number_guard_tells_numbers_from_text() -> None:
    assert not _has_huge_number(json.dumps([PAD[:100], int(PAD[:100]), "x" * 1000]))
    assert not _has_huge_number(json.dumps(["a\\" + PAD, 'b"' + PAD, {PAD: PAD}]))
    assert _has_huge_number(json.dumps(["a\\", int(PAD)]))
    assert _has_huge_number(json.dumps(['"', int(PAD)]))
    assert _has_huge_number("[" + PAD + "]")
    assert not _has_huge_number(("9" * 100 + ",") * 1000)
    assert _has_huge_number(("9" * 100 + ",") * 1000 + "9" * 101)


def test_the_depth_guard_measures_nesting_outside_strings() -> None:
    deep = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert not _nests_deeper(deep, MAX_DEPTH)
    assert _nests_deeper(f"[{deep}]", MAX_DEPTH)
    assert not _nests_deeper(json.dumps(["[" * 500, "{" * 500]), MAX_DEPTH)
    assert not _nests_deeper(json.dumps([[1]] * 5000), MAX_DEPTH)
    nested: Any = 1
    for _ in range(MAX_DEPTH):
        nested = [0, {"k": nested, "s": '"]}'}]
    assert _nests_deeper(json.dumps(nested), MAX_DEPTH)
    assert not _nests_deeper(json.dumps(nested), 2 * MAX_DEPTH)


async def test_payloads_deeper_than_the_limit_are_refused_as_invalid(
    pursocket_serve: ServeFixture, caplog: pytest.LogCaptureFixture
) -> None:
    server = Server(EchoProtocol)
    notes = Inbox()
    echo = server.namespace("echo")
    echo.on("note")(lambda conn, value: notes.put(value))
    echo.on_call("echo")(lambda conn, value: value)
    url = await pursocket_serve(server)
    raw = await raw_client(url, namespace="/echo")
    try:
        answer = await raw.call("echo", nested(MAX_DEPTH), namespace="/echo", timeout=5)
        assert answer == nested(MAX_DEPTH)
        refused = await raw.call("echo", nested(MAX_DEPTH + 1), namespace="/echo", timeout=5)
        assert refused == {
            "__pursocket_error__": {
                "code": "invalid_payload",
                "message": 'invalid payload for "echo": the payload nests deeper than 100 levels',
                "details": "the payload nests deeper than 100 levels",
            }
        }
        await raw.emit("note", nested(MAX_DEPTH + 1), namespace="/echo")
        await raw.emit("note", nested(MAX_DEPTH), namespace="/echo")
        assert await notes.wait_for(1) == [nested(MAX_DEPTH)]
    finally:
        await raw.disconnect()
    assert not [r for r in caplog.records if r.exc_info]


async def test_values_deeper_than_the_limit_are_never_sent(
    pursocket_serve: ServeFixture, caplog: pytest.LogCaptureFixture
) -> None:
    server = Server(EchoProtocol)
    server.namespace("echo").on_call("echo")(lambda conn, depth: nested(depth))
    url = await pursocket_serve(server)
    client = Client(EchoProtocol, reconnection=False)
    calls = client.namespace("echo")
    async with client:
        await client.connect(url)
        with pytest.raises(ValueError, match="nests deeper than 100 levels"):
            await calls.call("echo", nested(MAX_DEPTH + 1))
        assert await calls.call("echo", MAX_DEPTH) == nested(MAX_DEPTH)
        with pytest.raises(CallError) as refused:
            await calls.call("echo", 600)
    assert refused.value.code == "invalid_response"
    assert not [r for r in caplog.records if r.exc_info]
    [line] = [r.getMessage() for r in pursocket_records(caplog, logging.ERROR)]
    assert line.endswith("cannot be encoded: the value nests deeper than 100 levels")
