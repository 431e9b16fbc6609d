"""Soak test: many concurrent clients sending a mix of valid and invalid messages.

Run it with ``.venv/bin/python bench/soak.py`` (500 clients x 200 messages; ``--clients``
and ``--messages`` change the load, ``--quick`` is a small smoke run).

A pursocket server runs under uvicorn in a subprocess. Each client connects over
websocket, sends its messages without waiting (one in five invalid, in four ways:
a wrong type, a missing key, two arguments instead of one, an unknown event), then
makes a ``done`` Call. The server counts what its handler received and what it
refused (through ``on_invalid``), and reports its own peak resident memory.

Pass criteria: every valid message delivered (delivered/expected = 100%), every
invalid one refused, no client error, and the server still answering afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import resource
import sys
import time
from collections import Counter
from typing import Any, TypedDict

from _common import free_port, serve_and_say_ready, wait_until_ready

from pursocket import Call, Client, Connection, InvalidInput, Msg, Server


class Note(TypedDict):
    client: int
    seq: int
    text: str


class Totals(TypedDict):
    delivered: int
    rejected: dict[str, int]
    server_errors: int
    peak_rss_mb: float


class SoakC2S(TypedDict):
    note: Msg[Note]
    done: Call[None, int]
    totals: Call[None, Totals]


class SoakNamespace(TypedDict):
    c2s: SoakC2S


class SoakProtocol(TypedDict):
    soak: SoakNamespace


def peak_rss_mb() -> float:
    """This process's peak resident set size, in MB (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class ErrorCount(logging.Handler):
    """Counts the ERROR lines pursocket logs (handler failures, internal errors)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


def soak_app() -> Any:
    errors = ErrorCount()
    logging.getLogger("pursocket").addHandler(errors)
    server = Server(SoakProtocol)
    soak = server.namespace("soak")
    delivered = Counter[str]()
    rejected = Counter[str]()
    SoakConn = Connection[SoakProtocol, Any]

    @soak.on("note")
    def note(conn: SoakConn, message: Note) -> None:
        delivered[conn.sid] += 1

    @soak.on_invalid
    def invalid(conn: SoakConn, offence: InvalidInput) -> None:
        rejected[offence.code] += 1

    @soak.on_call("done")
    def done(conn: SoakConn, request: None) -> int:
        return delivered[conn.sid]

    @soak.on_call("totals")
    def totals(conn: SoakConn, request: None) -> Totals:
        return {
            "delivered": sum(delivered.values()),
            "rejected": dict(rejected),
            "server_errors": errors.count,
            "peak_rss_mb": peak_rss_mb(),
        }

    return server.asgi_app()


async def serve(port: int) -> None:
    await serve_and_say_ready(soak_app(), port, log_level="error")


INVALID_KINDS = ("wrong type", "missing key", "two arguments", "unknown event")


async def run_client(url: str, number: int, messages: int, errors: list[str]) -> int:
    """Connect, send ``messages`` notes (every fifth invalid), return the valid ones sent."""
    client = Client(SoakProtocol, reconnection=False)
    soak = client.namespace("soak")
    valid = 0
    try:
        await client.connect(url, transports=["websocket"], wait_timeout=60)
        for seq in range(messages):
            if seq % 5 != 4:
                await soak.emit("note", {"client": number, "seq": seq, "text": "hello"})
                valid += 1
                continue
            kind = INVALID_KINDS[(seq // 5) % len(INVALID_KINDS)]
            if kind == "wrong type":
                await soak.emit("note", {"client": str(number), "seq": seq, "text": "x"})
            elif kind == "missing key":
                await soak.emit("note", {"client": number, "seq": seq})
            elif kind == "two arguments":
                await client.sio.emit("note", ({"client": number}, 2), namespace="/soak")
            else:
                await client.sio.emit("no_such_event", {"seq": seq}, namespace="/soak")
        handled = await soak.call("done", None, timeout=120)
        if handled != valid:
            errors.append(f"client {number}: server handled {handled} of {valid} valid notes")
    except Exception as exc:
        errors.append(f"client {number}: {exc!r}")
    finally:
        await client.disconnect()
    return valid


async def main(clients: int, messages: int) -> int:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--serve", "--port", str(port), stdout=asyncio.subprocess.PIPE
    )
    try:
        await wait_until_ready(process, "the soak server")
        errors: list[str] = []
        started = time.monotonic()
        sent_valid = await asyncio.gather(
            *(run_client(url, number, messages, errors) for number in range(clients))
        )
        elapsed = time.monotonic() - started
        checker = Client(SoakProtocol, reconnection=False)
        checker.namespace("soak")
        async with checker:
            await checker.connect(url)
            totals = await checker.namespace("soak").call("totals", None, timeout=30)
    finally:
        process.terminate()
        await process.wait()

    expected_valid = clients * messages - clients * (messages // 5)
    expected_invalid = clients * messages - expected_valid
    rejected = totals["rejected"]
    print(f"{clients} clients x {messages} messages in {elapsed:.1f} s")
    print(
        f"valid delivered/expected: {totals['delivered']}/{expected_valid} "
        f"({100 * totals['delivered'] / expected_valid:.2f}%); sent {sum(sent_valid)}"
    )
    print(
        f"invalid rejected/sent: {sum(rejected.values())}/{expected_invalid} "
        + ", ".join(f"{code} {count}" for code, count in sorted(rejected.items()))
    )
    print(f"client errors: {len(errors)}; server ERROR log lines: {totals['server_errors']}")
    for error in errors[:10]:
        print(f"  {error}")
    print(f"server peak RSS: {totals['peak_rss_mb']:.1f} MB")
    print(f"load generator peak RSS: {peak_rss_mb():.1f} MB")
    ok = (
        totals["delivered"] == expected_valid
        and sum(rejected.values()) == expected_invalid
        and not errors
        and totals["server_errors"] == 0
    )
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="50 clients x 40 messages")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.serve:
        asyncio.run(serve(arguments.port))
    elif arguments.quick:
        sys.exit(asyncio.run(main(50, 40)))
    else:
        sys.exit(asyncio.run(main(arguments.clients, arguments.messages)))
