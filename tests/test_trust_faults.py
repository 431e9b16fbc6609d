"""Faults never take down the server, other connections, or a caller."""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import AsyncExitStack
from typing import Any

import aiohttp
import pytest

from pursocket import CallError, CallTimeout, Client, ConnectError, Server
from pursocket.testing import ServeFixture, serve
from tests.conftest import Inbox
from tests.protocol_forms import FormsProtocol
from tests.trust_helpers import (
    RawSocket,
    attacker_and_bystander,
    forms_server,
    frame_closes_only_its_websocket,
    healthy,
    pursocket_records,
    raw_client,
    silent_client,
)


async def test_raising_connect_handler_leaves_nothing_behind(
    pursocket_serve: ServeFixture, caplog: pytest.LogCaptureFixture
) -> None:
    server = forms_server()
    forms = server.namespace("forms")
    attempts = Inbox()

    @forms.on_connect
    def connect(conn: Any) -> None:
        attempts.put(conn.sid)
        if conn.auth == {"fail": True}:
            raise RuntimeError("connect handler bug")

    url = await pursocket_serve(server)
    for _ in range(3):
        client = Client(FormsProtocol, reconnection=False)
        client.namespace("forms")
        with pytest.raises(ConnectError, match="Internal server error"):
            await client.connect(url, auth={"fail": True})
    refused = await attempts.wait_for(3)
    manager = server.sio.manager
    assert list(manager.get_participants("/forms", None)) == []
    assert all(not manager.is_connected(sid, "/forms") for sid in refused)
    assert forms.connections() == ()
    assert "/forms" not in server.sio.manager.rooms or not any(
        manager.rooms["/forms"].get(None, {})
    )
    await healthy(url)
    errors = [r.getMessage() for r in pursocket_records(caplog, logging.ERROR)]
    assert len(errors) == 3
    assert all("RuntimeError: connect handler bug (at " in line for line in errors)


async def test_raising_msg_and_disconnect_handlers_harm_no_one(
    pursocket_serve: ServeFixture, caplog: pytest.LogCaptureFixture
) -> None:
    server = forms_server()
    forms = server.namespace("forms")
    numbers, gone = Inbox(), Inbox()

    @forms.on("number")
    def number(conn: Any, value: int) -> None:
        numbers.put(value)
        if value < 0:
            raise ValueError("negative")

    @forms.on_disconnect
    def disconnected(conn: Any, reason: Any) -> None:
        gone.put(conn.sid)
        raise RuntimeError("disconnect handler bug")

    url = await pursocket_serve(server)
    bystander = Client(FormsProtocol)
    bforms = bystander.namespace("forms")
    offender = Client(FormsProtocol)
    oforms = offender.namespace("forms")
    async with bystander, offender:
        await bystander.connect(url)
        await offender.connect(url)
        for value in range(-20, 0):
            await oforms.emit("number", value)
        await oforms.emit("number", 1)
        assert await numbers.wait_for(21) == [*range(-20, 0), 1]
        offender_sid = oforms.sid
        await offender.disconnect()
        assert await gone.wait_for(1) == [offender_sid]
        assert await bforms.call("lookup", "still here") == {"name": "still here"}
        assert [c.sid for c in forms.connections()] == [bforms.sid]
        # A client that can trigger a raising handler at will cannot flood the log: of
        # its 20 raising events, the first 5 are logged (the limiter's burst per
        # connection), each as one line; its disconnect handler's failure is held
        # back with them. (Counted before the bystander leaves: its own disconnect
        # handler raises too.)
        errors = [r.getMessage() for r in pursocket_records(caplog, logging.ERROR)]
        raised = 'The handler for "number" in namespace "forms" (c2s) raised'
        assert [line.startswith(raised) for line in errors] == [True] * 5
        assert all("ValueError: negative (at " in line for line in errors)
        assert not [r for r in caplog.records if r.exc_info]


async def test_forged_lifecycle_events_never_reach_lifecycle_handlers(
    pursocket_serve: ServeFixture,
) -> None:
    server = forms_server()
    forms = server.namespace("forms")
    connects, disconnects, offences = Inbox(), Inbox(), Inbox()
    forms.on_connect(connects.put)
    forms.on_disconnect(lambda conn, reason: disconnects.put(reason))
    forms.on_invalid(lambda conn, offence: offences.put(offence.event))
    url = await pursocket_serve(server)
    raw = await raw_client(url)
    websocket = await RawSocket.open(url)
    try:
        for name in ("connect", "disconnect", "disconnecting", "connect_error"):
            await raw.emit(name, {"forged": True}, namespace="/forms")
        await websocket.send('2/forms,["disconnect","forged reason"]')
        await websocket.send('2/forms,["connect",{"HTTP_COOKIE":"forged"},null]')
        assert len(await offences.wait_for(6)) == 6
        assert await raw.call("lookup", "alive", namespace="/forms", timeout=5) == {"name": "alive"}
        assert len(connects.items) == 2 and disconnects.items == []
        assert len(forms.connections()) == 2
    finally:
        await raw.disconnect()
        await websocket.close()


MALFORMED = {
    "bad JSON": ['2/forms,["text",'],
    "not an array": ['2/forms,{"event":"text"}'],
    "no event name": ["2/forms,[]"],
    "huge integer": ['2/forms,["number",' + "9" * 5000 + "]"],
    "huge integer under Any": ['2/forms,["anything",' + "1" * 101 + "]"],
    "deep nesting": ['2/forms,["anything",' + "[" * 100_000 + "]" * 100_000 + "]"],
    "unknown packet type": ['9/forms,["text","x"]'],
    "CONNECT_ERROR from a client": ['4/forms,{"message":"x"}'],
    "binary placeholder out of range": [
        '51-/forms,["blob",{"_placeholder":true,"num":7}]',
        b"\x00\x01",
    ],
    "text where an attachment is due": [
        '51-/forms,["blob",{"_placeholder":true,"num":0}]',
        '2/forms,["text","x"]',
    ],
    "binary frame out of the blue": [b"\x00\x01"],
    "ack that is not an array": ['3/forms,1{"a":1}'],
    "attachment count too large": ['5999999-/forms,["blob",null]'],
}


@pytest.mark.parametrize("case", list(MALFORMED))
async def test_malformed_packets_close_only_that_connection_without_a_traceback(
    pursocket_serve: ServeFixture, caplog: pytest.LogCaptureFixture, case: str
) -> None:
    url = await pursocket_serve(forms_server())
    async with attacker_and_bystander(url) as (attacker, bystander):
        for frame in MALFORMED[case]:
            if isinstance(frame, bytes):
                await attacker.send_bytes(frame)
            else:
                await attacker.send(frame)
        assert await attacker.closed_by_server()
        answer = await bystander.call("lookup", "fine", namespace="/forms", timeout=5)
        assert answer == {"name": "fine"}
    assert not [r for r in caplog.records if r.exc_info], "a peer must not cause tracebacks"
    assert len(pursocket_records(caplog, logging.WARNING)) == 1
    await healthy(url)


async def test_long_strings_of_digits_are_not_huge_integers(pursocket_serve: ServeFixture) -> None:
    server = forms_server()
    texts = Inbox()
    server.namespace("forms").on("text")(lambda conn, text: texts.put(text))
    url = await pursocket_serve(server)
    raw = await raw_client(url)
    try:
        await raw.emit("text", "7" * 500, namespace="/forms")
        assert await texts.wait_for(1) == ["7" * 500]
    finally:
        await raw.disconnect()


async def test_oversized_websocket_message_closes_that_connection(
    pursocket_serve: ServeFixture,
) -> None:
    url = await pursocket_serve(forms_server(max_http_buffer_size=10_000))
    async with attacker_and_bystander(url) as (attacker, bystander):
        await attacker.send('2/forms,["text","' + "x" * 20_000 + '"]')
        assert await attacker.closed_by_server()
        answer = await bystander.call("lookup", "fine", namespace="/forms", timeout=5)
        assert answer == {"name": "fine"}


async def test_oversized_long_polling_post_is_answered_and_shutdown_stays_prompt() -> None:
    serving = AsyncExitStack()
    url = await serving.enter_async_context(serve(forms_server(max_http_buffer_size=10_000)))
    base = f"{url}/socket.io/?EIO=4&transport=polling"
    try:
        bystander = await raw_client(url)
        async with aiohttp.ClientSession() as http:
            async with http.get(base) as response:
                handshake = await response.text()
            sid = handshake[handshake.index('"sid":"') + 7 :].split('"', 1)[0]
            async with http.post(f"{base}&sid={sid}", data="40/forms,") as response:
                assert response.status == 200
            body = '42/forms,["text","' + "x" * 50_000 + '"]'
            started = time.monotonic()
            response = await asyncio.wait_for(http.post(f"{base}&sid={sid}", data=body), 5)
            async with response:
                assert response.status == 400
            assert time.monotonic() - started < 5
        answer = await bystander.call("lookup", "fine", namespace="/forms", timeout=5)
        assert answer == {"name": "fine"}
        await bystander.disconnect()
    finally:
        started = time.monotonic()
        await serving.aclose()
    assert time.monotonic() - started < 5


async def test_a_flood_of_unknown_events_is_logged_a_bounded_number_of_times(
    pursocket_serve: ServeFixture, caplog: pytest.LogCaptureFixture
) -> None:
    server = forms_server()
    offences = Inbox()
    server.namespace("forms").on_invalid(lambda conn, offence: offences.put(offence.code))
    url = await pursocket_serve(server)
    attacker = await RawSocket.open(url)
    bystander = await raw_client(url)
    caplog.set_level(logging.WARNING, logger="pursocket")
    try:
        for number in range(1000):
            await attacker.send(f'2/forms,["flood{number}",{number}]')
        assert await offences.wait_for(1000) == ["unknown_event"] * 1000
        answer = await bystander.call("lookup", "fine", namespace="/forms", timeout=5)
        assert answer == {"name": "fine"}
    finally:
        await attacker.close()
        await bystander.disconnect()
    # The limiter's burst: 5 lines for the attacker, the other 995 held back.
    lines = [r.getMessage() for r in pursocket_records(caplog, logging.WARNING)]
    assert len(lines) == 5
    [sender] = {line.split(" in namespace")[0] for line in lines}
    assert sender.startswith("Refused a Msg event from sid ")


async def test_a_client_that_disconnects_mid_call_gets_an_error_at_once(
    pursocket_serve: ServeFixture,
) -> None:
    server = Server(FormsProtocol)
    forms = server.namespace("forms")
    started, finished, release = Inbox(), Inbox(), asyncio.Event()

    @forms.on_call("lookup")
    async def lookup(conn: Any, name: str) -> Any:
        started.put(name)
        if name == "slow":
            await release.wait()
        finished.put(name)
        return {"name": name}

    url = await pursocket_serve(server)
    client = Client(FormsProtocol)
    cforms = client.namespace("forms")
    async with client:
        await client.connect(url)
        pending = asyncio.create_task(cforms.call("lookup", "slow", timeout=30))
        await started.wait_for(1)
        began = time.monotonic()
        await client.disconnect()
        with pytest.raises(CallError) as error:
            await pending
    assert error.value.code == "disconnected"
    assert time.monotonic() - began < 2
    # The handler the departed client was waiting on still runs to its end...
    release.set()
    assert await finished.wait_for(1) == ["slow"]
    # ...and the server goes on answering.
    await healthy(url)
    assert finished.items == ["slow", "ping"]


async def test_a_client_that_never_answers_a_server_call_times_out(
    pursocket_serve: ServeFixture,
) -> None:
    server = forms_server()
    forms = server.namespace("forms")
    connected = Inbox()
    forms.on_connect(connected.put)
    url = await pursocket_serve(server)
    async with silent_client(url):
        [conn] = await connected.wait_for(1)
        with pytest.raises(CallTimeout):
            await conn.call("ask", None, timeout=0.3)


async def test_shutdown_fails_calls_in_flight_on_both_sides() -> None:
    server = Server(FormsProtocol)
    forms = server.namespace("forms")
    connected, started = Inbox(), Inbox()
    forms.on_connect(connected.put)

    @forms.on_call("lookup")
    async def lookup(conn: Any, name: str) -> Any:
        started.put(name)
        await asyncio.Event().wait()  # never answers

    serving = AsyncExitStack()
    url = await serving.enter_async_context(serve(server))
    silent = await raw_client(url)
    client = Client(FormsProtocol, reconnection=False)
    cforms = client.namespace("forms")
    await client.connect(url)
    try:
        conns = await connected.wait_for(2)
        silent_conn = next(c for c in conns if c.sid == silent.get_sid("/forms"))
        server_call = asyncio.create_task(silent_conn.call("ask", None, timeout=30))
        client_call = asyncio.create_task(cforms.call("lookup", "x", timeout=30))
        await started.wait_for(1)
        began = time.monotonic()
        await serving.aclose()
        with pytest.raises(CallError) as on_server:
            await server_call
        with pytest.raises(CallError) as on_client:
            await client_call
        assert time.monotonic() - began < 5
    finally:
        await client.disconnect()
        await silent.disconnect()
    assert on_server.value.code in ("shutdown", "disconnected")
    assert on_client.value.code == "disconnected"


async def test_the_client_drops_malformed_packets_and_carries_on(
    pursocket_serve: ServeFixture, caplog: pytest.LogCaptureFixture
) -> None:
    server = forms_server()
    forms = server.namespace("forms")
    connected = Inbox()
    forms.on_connect(connected.put)
    url = await pursocket_serve(server)
    client = Client(FormsProtocol)
    cforms = client.namespace("forms")
    pushed = Inbox()
    cforms.on("pushed")(pushed.put)
    async with client:
        await client.connect(url)
        [conn] = await connected.wait_for(1)
        eio_sid = server.sio.manager.eio_sid_from_sid(conn.sid, "/forms")
        # Raw Engine.IO messages, straight past pursocket's and python-socketio's encoders.
        for text in ('2/forms,["pushed",', '2/forms,["pushed",' + "1" * 200 + "]", "9"):
            await server.sio.eio.send(eio_sid, text)
        await conn.emit("pushed", [1])
        assert await pushed.wait_for(1) == [[1]]
        assert await cforms.call("lookup", "still connected") == {"name": "still connected"}
    assert not [r for r in caplog.records if r.exc_info]
    assert len(pursocket_records(caplog, logging.WARNING)) == 3


async def test_on_invalid_can_disconnect_a_repeat_offender(pursocket_serve: ServeFixture) -> None:
    server = forms_server()
    forms = server.namespace("forms")
    offences: dict[str, int] = {}
    gone = Inbox()

    @forms.on_invalid
    async def count(conn: Any, offence: Any) -> None:
        offences[conn.sid] = offences.get(conn.sid, 0) + 1
        if offences[conn.sid] == 3:
            await conn.disconnect()

    forms.on_disconnect(lambda conn, reason: gone.put(reason))
    url = await pursocket_serve(server)
    raw = await raw_client(url)
    try:
        for _ in range(3):
            await raw.emit("number", "not a number", namespace="/forms")
        [reason] = await gone.wait_for(1)
    finally:
        await raw.disconnect()
    assert reason.value == "server disconnect"


def test_the_packet_codec_cannot_be_replaced() -> None:
    with pytest.raises(TypeError, match="serializer= and json= options"):
        Server(FormsProtocol, serializer="msgpack")
    with pytest.raises(TypeError, match="serializer= and json= options"):
        Client(FormsProtocol, json=object())


async def test_a_peer_cannot_forge_log_lines_with_its_event_name(
    pursocket_serve: ServeFixture, caplog: pytest.LogCaptureFixture
) -> None:
    server = forms_server()
    offences = Inbox()
    server.namespace("forms").on_invalid(lambda conn, offence: offences.put(offence))
    url = await pursocket_serve(server)
    raw = await raw_client(url)
    caplog.set_level(logging.WARNING, logger="pursocket")
    try:
        await raw.emit("x\nCRITICAL forged line" + "y" * 500, 1, namespace="/forms")
        await offences.wait_for(1)
    finally:
        await raw.disconnect()
    [line] = [r.getMessage() for r in pursocket_records(caplog, logging.WARNING)]
    assert "\n" not in line and "\\nCRITICAL forged line" in line
    assert "y" * 101 not in line


async def test_binary_attachments_together_obey_the_message_size_limit(
    pursocket_serve: ServeFixture,
) -> None:
    server = forms_server(max_http_buffer_size=10_000)
    blobs = Inbox()
    server.namespace("forms").on("anything")(lambda conn, value: blobs.put(value))
    url = await pursocket_serve(server)
    within = await RawSocket.open(url)
    beyond = await RawSocket.open(url)
    placeholders = '[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]'
    try:
        await within.send(f'52-/forms,["anything",{placeholders}]')
        for _ in range(2):
            await within.send_bytes(b"\x01" * 4_000)
        assert await blobs.wait_for(1) == [[b"\x01" * 4_000] * 2]
        await beyond.send(f'52-/forms,["anything",{placeholders}]')
        for _ in range(2):
            await beyond.send_bytes(b"\x02" * 8_000)  # each fits, together they do not
        assert await beyond.closed_by_server()
        await within.send('2/forms,["anything","still open"]')
        assert (await blobs.wait_for(2))[1] == "still open"
    finally:
        await within.close()
        await beyond.close()


async def test_a_response_that_cannot_be_encoded_is_answered_with_an_error(
    pursocket_serve: ServeFixture, caplog: pytest.LogCaptureFixture
) -> None:
    server = Server(FormsProtocol)

    @server.namespace("forms").on_call("lookup")
    def lookup(conn: Any, name: str) -> Any:
        return {"name": object()}  # no JSON form

    url = await pursocket_serve(server)
    client = Client(FormsProtocol)
    client.namespace("forms")
    async with client:
        await client.connect(url)
        with pytest.raises(CallError) as error:
            await client.namespace("forms").call("lookup", "x", timeout=5)
    assert error.value.code == "invalid_response"
    [record] = pursocket_records(caplog, logging.ERROR)
    assert not record.exc_info
    assert record.getMessage().endswith(
        "cannot be encoded: Encoding objects of type object is unsupported"
    )


@pytest.mark.parametrize("frame", ["", "x", "9abc", "b!!not base64!!"])
async def test_frames_that_are_not_engineio_packets_close_only_that_websocket(
    pursocket_serve: ServeFixture, caplog: pytest.LogCaptureFixture, frame: str
) -> None:
    url = await pursocket_serve(forms_server())
    await frame_closes_only_its_websocket(url, frame, caplog)
    assert not [r for r in caplog.records if r.exc_info], "a peer must not cause tracebacks"


async def test_malformed_long_polling_posts_close_the_session_and_are_logged_once(
    pursocket_serve: ServeFixture, caplog: pytest.LogCaptureFixture
) -> None:
    url = await pursocket_serve(forms_server())
    base = f"{url}/socket.io/?EIO=4&transport=polling"
    caplog.set_level(logging.INFO)
    async with aiohttp.ClientSession() as http:
        async with http.get(base) as response:
            handshake = await response.text()
        sid = handshake[handshake.index('"sid":"') + 7 :].split('"', 1)[0]
        statuses = []
        for _ in range(30):
            async with http.post(f"{base}&sid={sid}", data="9abc") as response:
                await response.read()
                statuses.append(response.status)
    # The first malformed body closes the session; the others name a session that is gone.
    assert statuses == [400] * 30
    assert not [r for r in caplog.records if r.exc_info]
    [line] = [r.getMessage() for r in pursocket_records(caplog, logging.WARNING)]
    assert line == (
        f"Closing the long-polling session of 127.0.0.1 eio {sid}, which sent a body "
        "holding what is not an Engine.IO packet"
    )
    await healthy(url)
