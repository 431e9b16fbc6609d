"""Limits a peer cannot talk its way around: bytes counted as bytes, bounded logs."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
import pytest

from pursocket import Client, ConnectError
from pursocket._logging import LogLimiter
from pursocket.testing import ServeFixture
from tests.conftest import Inbox
from tests.protocol_forms import FormsProtocol
from tests.trust_helpers import (
    RawSocket,
    forms_server,
    frame_closes_only_its_websocket,
    healthy,
    pursocket_records,
    raw_client,
    silent_client,
)


async def test_the_message_limit_counts_bytes_over_websocket(pursocket_serve: ServeFixture) -> None:
    server = forms_server(max_http_buffer_size=10_000)
    texts = Inbox()
    server.namespace("forms").on("text")(lambda conn, text: texts.put(text))
    url = await pursocket_serve(server)
    within = await RawSocket.open(url)
    beyond = await RawSocket.open(url)
    try:
        # 3,000 characters of 4 bytes each are 12,000 bytes: over the limit.
        await beyond.send('2/forms,["text","' + "\U0001f600" * 3_000 + '"]')
        assert await beyond.closed_by_server()
        # 2,400 of them are 9,600 bytes: within it.
        await within.send('2/forms,["text","' + "\U0001f600" * 2_400 + '"]')
        assert await texts.wait_for(1) == ["\U0001f600" * 2_400]
    finally:
        await within.close()
        await beyond.close()


@pytest.mark.parametrize(
    "frame", ["4" + "[" * 100_000 + "]" * 100_000, '4{"a":1}', "4[1e999]", "2[1]", "3{}"]
)
async def test_engineio_packets_carrying_json_close_that_websocket(
    pursocket_serve: ServeFixture, caplog: pytest.LogCaptureFixture, frame: str
) -> None:
    url = await pursocket_serve(forms_server())
    await frame_closes_only_its_websocket(url, frame, caplog)
    assert not [r for r in caplog.records if r.exc_info], "a peer must not cause tracebacks"
    [line] = [r.getMessage() for r in pursocket_records(caplog, logging.WARNING)]
    assert line.startswith("Closing the websocket of 127.0.0.1:")
    assert line.endswith(", which sent a frame that is not an Engine.IO packet")


async def open_polling(http: aiohttp.ClientSession, base: str) -> str:
    """Open a long-polling Engine.IO session joined to /forms; return its sid."""
    async with http.get(base) as response:
        handshake = await response.text()
    sid = handshake[handshake.index('"sid":"') + 7 :].split('"', 1)[0]
    async with http.post(f"{base}&sid={sid}", data="40/forms,") as response:
        assert response.status == 200
    return sid


MALFORMED_BODIES = {
    "unknown packet type": ("9abc", "a body holding what is not an Engine.IO packet"),
    "deeply nested JSON": (
        "4" + "[" * 100_000 + "]" * 100_000,
        "a body holding what is not an Engine.IO packet",
    ),
    "not UTF-8": (b"4\xff\xfe", "a body that is not UTF-8"),
    "17 packets": ("\x1e".join(["6"] * 17), "a body of more than 16 packets"),
}


@pytest.mark.parametrize("case", list(MALFORMED_BODIES))
async def test_a_malformed_long_polling_body_closes_that_session(
    pursocket_serve: ServeFixture, caplog: pytest.LogCaptureFixture, case: str
) -> None:
    server = forms_server()
    url = await pursocket_serve(server)
    base = f"{url}/socket.io/?EIO=4&transport=polling"
    body, reason = MALFORMED_BODIES[case]
    async with aiohttp.ClientSession() as http:
        sid = await open_polling(http, base)
        async with http.post(f"{base}&sid={sid}", data=body) as response:
            assert response.status == 400
        async with http.get(f"{base}&sid={sid}") as response:
            assert response.status == 400  # the session is gone
    assert sid not in server.sio.eio.sockets
    await healthy(url)
    assert not [r for r in caplog.records if r.exc_info]
    [line] = [r.getMessage() for r in pursocket_records(caplog, logging.WARNING)]
    assert line == f"Closing the long-polling session of 127.0.0.1 eio {sid}, which sent {reason}"


async def test_reconnecting_a_namespace_does_not_renew_the_log_budget(
    pursocket_serve: ServeFixture, caplog: pytest.LogCaptureFixture
) -> None:
    server = forms_server()
    offences = Inbox()
    server.namespace("forms").on_invalid(lambda conn, offence: offences.put(offence.code))
    url = await pursocket_serve(server)
    caplog.set_level(logging.WARNING, logger="pursocket")
    attacker = await RawSocket.open(url)
    try:
        for _ in range(50):  # one Engine.IO session, 50 namespace connections
            for _ in range(3):
                await attacker.send('2/forms,["number","not a number"]')
            await attacker.send("1/forms,")
            await attacker.send("0/forms,")
            assert (await attacker.next_text()).startswith("40/forms,")
        assert len(await offences.wait_for(150)) == 150
        victim = await raw_client(url)
        victim_sid = victim.get_sid("/forms")
        try:
            await victim.emit("number", "also not a number", namespace="/forms")
            assert len(await offences.wait_for(151)) == 151
        finally:
            await victim.disconnect()
    finally:
        await attacker.close()
    lines = [r.getMessage() for r in pursocket_records(caplog, logging.WARNING)]
    assert len(lines) == 6  # the attacker's 5 a minute, and the victim's line
    assert f"from sid {victim_sid} " in lines[5]


async def test_a_process_wide_ceiling_sums_up_what_it_held_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    target = logging.getLogger("pursocket.test_ceiling")
    summary = asyncio.Event()

    class Watch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "suppressed" in record.getMessage():
                summary.set()

    watch = Watch()
    target.addHandler(watch)
    caplog.set_level(logging.INFO, logger="pursocket.test_ceiling")
    try:
        limiter = LogLimiter(burst=5, window=0.5, total=3, target=target)
        for peer in range(10):
            limiter.log(logging.WARNING, f"peer {peer}", "line from peer %d", peer)
        await asyncio.wait_for(summary.wait(), 5)
    finally:
        target.removeHandler(watch)
    lines = [r.getMessage() for r in caplog.records if r.name == "pursocket.test_ceiling"]
    assert lines == [
        "line from peer 0",
        "line from peer 1",
        "line from peer 2",
        "7 similar lines suppressed: peers caused more than 3 log lines in 0.5 s",
    ]


def test_a_log_line_a_peer_causes_is_one_bounded_line(caplog: pytest.LogCaptureFixture) -> None:
    limiter = LogLimiter()
    caplog.set_level(logging.INFO, logger="pursocket")
    try:
        raise ValueError("first\nsecond" + "x" * 5_000)
    except ValueError:
        limiter.log(logging.ERROR, "peer", "Handler raised for %s", "a\nb", exc_info=True)
    [record] = caplog.records
    line = record.getMessage()
    assert not record.exc_info and "\n" not in line
    assert line.startswith("Handler raised for a\\nb: ValueError: first\\nsecondxxx")
    assert line.endswith("... (cut at 1000 characters)") and len(line) == 1000 + 28


async def test_served_with_its_uvicorn_options_no_frame_is_compressed(
    pursocket_serve: ServeFixture,
) -> None:
    # A client offering per-message compression (as browsers and the npm client do)
    # is not given it: uvicorn would otherwise compress every frame it sends.
    url = await pursocket_serve(forms_server())  # tests/conftest.py passes uvicorn_options()
    endpoint = f"{url}/socket.io/?EIO=4&transport=websocket"
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(endpoint, compress=15) as ws:
            assert ws.compress == 0
            assert (await ws.receive_str()).startswith('0{"sid":')


async def test_uvicorn_refuses_a_frame_over_the_limit_before_buffering_it(
    pursocket_serve: ServeFixture,
) -> None:
    server = forms_server(max_http_buffer_size=10_000)
    assert server.uvicorn_options() == {"ws_max_size": 10_000, "ws_per_message_deflate": False}
    url = await pursocket_serve(server)  # tests/conftest.py passes server.uvicorn_options()
    attacker = await RawSocket.open(url)
    try:
        await attacker.send('2/forms,["text","' + "x" * 20_000 + '"]')
        assert await attacker.closed_by_server()
        assert attacker.close_code == 1009  # uvicorn's "message too big", not pursocket's
    finally:
        await attacker.close()


async def test_unanswered_server_calls_leave_no_callback_behind(
    pursocket_serve: ServeFixture,
) -> None:
    server = forms_server()
    connected = Inbox()
    server.namespace("forms").on_connect(connected.put)
    url = await pursocket_serve(server)
    async with silent_client(url):
        [conn] = await connected.wait_for(1)
        outcomes = await asyncio.gather(
            *(conn.call("ask", None, timeout=0.5) for _ in range(200)), return_exceptions=True
        )
        assert {type(outcome).__name__ for outcome in outcomes} == {"CallTimeout"}
        # Only python-socketio's id counter is left for this connection.
        assert list(server.sio.manager.callbacks[conn.sid]) == [0]


async def test_connect_auth_has_its_own_much_smaller_size_limit(
    pursocket_serve: ServeFixture, caplog: pytest.LogCaptureFixture
) -> None:
    server = forms_server(max_auth_bytes=8_000)
    seen = Inbox()
    server.namespace("forms").on_connect(lambda conn: seen.put(conn.auth))
    url = await pursocket_serve(server)
    refused = Client(FormsProtocol, reconnection=False)
    refused.namespace("forms")
    # 4,000 two-byte characters: 8,000 bytes of UTF-8 and more of JSON, in 4,012 characters.
    with pytest.raises(ConnectError) as error:
        await refused.connect(url, auth={"token": "é" * 4_000})
    reason = (
        "the connect auth is more than 8000 bytes of JSON, the most this server accepts "
        "(Server(max_auth_bytes=...))"
    )
    assert error.value.message == f'The server refused namespace "forms": {reason}'
    accepted = Client(FormsProtocol, reconnection=False)
    accepted.namespace("forms")
    async with accepted:
        await accepted.connect(url, auth={"token": "é" * 3_000})
        assert await seen.wait_for(1) == [{"token": "é" * 3_000}]
    [line] = [r.getMessage() for r in pursocket_records(caplog, logging.WARNING)]
    assert line.endswith(f'to "/forms": {reason}')


def test_the_default_auth_limit_is_16_kib() -> None:
    server = forms_server()
    assert server.sio.packet_class.max_auth_bytes == 16_384
    assert server.sio.eio.max_http_buffer_size == 1_000_000


async def test_a_connection_at_its_in_flight_bound_is_not_read_until_a_handler_finishes(
    pursocket_serve: ServeFixture,
) -> None:
    server = forms_server(max_in_flight=3)
    started, release = Inbox(), asyncio.Event()

    @server.namespace("forms").on("number")
    async def number(conn: Any, value: int) -> None:
        started.put(value)
        await release.wait()

    url = await pursocket_serve(server)
    flooder = await raw_client(url)
    bystander = await raw_client(url)
    try:
        for value in range(20):
            await flooder.emit("number", value, namespace="/forms")
        answer = asyncio.ensure_future(
            flooder.call("lookup", "after the flood", namespace="/forms", timeout=10)
        )
        assert await started.wait_for(3) == [0, 1, 2]
        # The server goes on serving others, and reads nothing more from the flooder.
        for _ in range(3):
            assert await bystander.call("lookup", "x", namespace="/forms", timeout=5)
        assert started.items == [0, 1, 2] and not answer.done()
        release.set()
        assert await started.wait_for(20) == list(range(20))
        assert await answer == {"name": "after the flood"}
    finally:
        release.set()
        await flooder.disconnect()
        await bystander.disconnect()


async def test_a_paused_connection_that_goes_away_is_cleaned_up(
    pursocket_serve: ServeFixture,
) -> None:
    server = forms_server(max_in_flight=1, ping_interval=0.2, ping_timeout=0.2)
    started, gone, release = Inbox(), Inbox(), asyncio.Event()
    forms = server.namespace("forms")
    forms.on_disconnect(lambda conn, reason: gone.put(reason.value))

    @forms.on("number")
    async def number(conn: Any, value: int) -> None:
        started.put(value)
        await release.wait()

    url = await pursocket_serve(server)
    flooder = await RawSocket.open(url)
    try:
        for value in range(5):
            await flooder.send(f'2/forms,["number",{value}]')
        assert await started.wait_for(1) == [0]
        await flooder.close()
        assert await gone.wait_for(1) in (["ping timeout"], ["transport close"])
        release.set()
        await healthy(url)
        assert started.items == [0] and server.namespace("forms").connections() == ()
    finally:
        release.set()


PLACEHOLDERS = '[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]'


async def test_a_binary_packet_waits_for_its_attachments_a_bounded_time(
    pursocket_serve: ServeFixture, caplog: pytest.LogCaptureFixture
) -> None:
    server = forms_server()
    server.sio._pursocket_parked.seconds = 0.3  # 30 s by default
    url = await pursocket_serve(server)
    parked = await RawSocket.open(url)
    try:
        await parked.send(f'52-/forms,["anything",{PLACEHOLDERS}]')
        await parked.send_bytes(b"\x01" * 1_000)  # one of the two attachments
        assert await parked.closed_by_server()
    finally:
        await parked.close()
    await healthy(url)
    [line] = [r.getMessage() for r in pursocket_records(caplog, logging.WARNING)]
    assert line.endswith(": a binary packet waited more than 0.3 s for its attachments")


async def test_binary_packets_waiting_on_all_connections_are_bounded_in_bytes(
    pursocket_serve: ServeFixture,
) -> None:
    server = forms_server(max_http_buffer_size=100_000)
    server.sio._pursocket_parked.total_bytes = 100_000  # 64 MB by default
    blobs = Inbox()
    server.namespace("forms").on("anything")(lambda conn, value: blobs.put(value))
    url = await pursocket_serve(server)
    first = await RawSocket.open(url)
    second = await RawSocket.open(url)
    bystander = await raw_client(url)
    try:
        await first.send(f'52-/forms,["anything",{PLACEHOLDERS}]')
        await first.send_bytes(b"\x01" * 60_000)
        # A round trip on another connection: the server has read the frame sent before.
        assert await bystander.call("lookup", "x", namespace="/forms", timeout=5)
        await second.send(f'52-/forms,["anything",{PLACEHOLDERS}]')
        await second.send_bytes(b"\x02" * 50_000)  # within its own 100 kB, not in total
        assert await second.closed_by_server()
        await first.send_bytes(b"\x03" * 10_000)
        assert await blobs.wait_for(1) == [[b"\x01" * 60_000, b"\x03" * 10_000]]
    finally:
        await first.close()
        await second.close()
        await bystander.disconnect()


async def test_a_client_that_does_not_read_is_closed_and_its_queue_freed(
    pursocket_serve: ServeFixture, caplog: pytest.LogCaptureFixture
) -> None:
    server = forms_server(max_http_buffer_size=100_000)  # at most 1.6 MB queued
    connected, gone = Inbox(), Inbox()
    forms = server.namespace("forms")
    forms.on_connect(connected.put)
    forms.on_disconnect(lambda conn, reason: gone.put(conn.sid))
    url = await pursocket_serve(server)
    reader = Client(FormsProtocol, reconnection=False)
    received = Inbox()
    reader.namespace("forms").on("pushed")(lambda numbers: received.put(len(numbers)))
    sleeper = await RawSocket.open(url)  # never reads what the server sends
    try:
        async with reader:
            await reader.connect(url)
            conns = await connected.wait_for(2)
            reading = next(c for c in conns if c.sid == reader.namespace("forms").sid)
            sleeping = next(c for c in conns if c is not reading)
            eio_sid = server.sio.manager.eio_sid_from_sid(sleeping.sid, "/forms")
            socket = server.sio.eio.sockets[eio_sid]
            numbers = list(range(10_000, 22_000))  # 72,001 bytes of JSON
            for count in range(1, 301):  # 21.6 MB to each, the reader reading each
                if sleeping.connected:
                    await sleeping.emit("pushed", numbers)
                await reading.emit("pushed", numbers)
                await received.wait_for(count)
            assert gone.items == [sleeping.sid] and reading.connected
            assert socket.queue.qsize() == 2  # all dropped but CLOSE and the end marker
    finally:
        await sleeper.drop()
    [line] = [r.getMessage() for r in pursocket_records(caplog, logging.WARNING)]
    assert line == (
        f"Closing the connection of Engine.IO session {eio_sid}: more than 1600000 bytes "
        "wait to be sent to it (it does not read)"
    )
