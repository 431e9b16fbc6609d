"""The rooms test protocol and the server the rooms tests run, in one process or several.

Run as a program it serves that server from its own process on a message-queue
manager (see ``tests/test_rooms_multiprocess.py``)::

    python -m tests.rooms_app --name A --manager redis --url redis://127.0.0.1:6379/3 \
        --channel pursocket-test-1234

It binds a free port on 127.0.0.1, prints ``port=<n>`` on stdout, and serves until
it is terminated.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
from typing import Any, Literal, TypedDict

import socketio
import uvicorn

from pursocket import Call, Connection, Msg, Server, ServerNamespace


class RoomRequest(TypedDict):
    room: str


class Membership(TypedDict):
    """The server's answer to a join or leave: the connection's rooms() afterwards."""

    rooms: list[str]
    process: str


class Shout(TypedDict):
    """Ask the server to send ``text`` to ``room``, then a barrier to the whole namespace."""

    room: str
    text: str
    barrier: int


class Said(TypedDict):
    text: str
    process: str


class Barrier(TypedDict):
    token: int


class WhoAmI(TypedDict):
    sid: str
    process: str
    local_sids: list[str]


class Ping(TypedDict):
    n: int


class RoomsC2S(TypedDict):
    join: Call[RoomRequest, Membership]
    leave: Call[RoomRequest, Membership]
    shout: Msg[Shout]
    shoutExceptMe: Msg[Shout]
    whoami: Call[Ping, WhoAmI]
    pingMe: Call[Ping, Ping]


class RoomsS2C(TypedDict):
    said: Msg[Said]
    barrier: Msg[Barrier]
    ping: Call[Ping, Ping]


class RoomsNamespace(TypedDict):
    c2s: RoomsC2S
    s2c: RoomsS2C


class RoomsProtocol(TypedDict):
    main: RoomsNamespace
    other: RoomsNamespace


Conn = Connection[RoomsProtocol, Literal["main"]]


def build_server(process: str, **options: Any) -> Server[RoomsProtocol]:
    """The rooms test server; ``process`` names it in every answer."""
    server = Server(RoomsProtocol, **options)
    for name in ("main", "other"):
        _install(server.namespace(name), process)
    return server


def _install(namespace: ServerNamespace[RoomsProtocol, Any], process: str) -> None:
    @namespace.on_call("join")
    async def join(conn: Conn, request: RoomRequest) -> Membership:
        await conn.join_room(request["room"])
        return {"rooms": sorted(conn.rooms()), "process": process}

    @namespace.on_call("leave")
    async def leave(conn: Conn, request: RoomRequest) -> Membership:
        await conn.leave_room(request["room"])
        return {"rooms": sorted(conn.rooms()), "process": process}

    @namespace.on("shout")
    async def shout(conn: Conn, shout: Shout) -> None:
        await namespace.broadcast_to_room(shout["room"], "said", _said(shout, process))
        await namespace.broadcast("barrier", {"token": shout["barrier"]})

    @namespace.on("shoutExceptMe")
    async def shout_except_me(conn: Conn, shout: Shout) -> None:
        await conn.broadcast_to_room_except_sender(shout["room"], "said", _said(shout, process))
        await namespace.broadcast("barrier", {"token": shout["barrier"]})

    @namespace.on_call("whoami")
    def whoami(conn: Conn, ping: Ping) -> WhoAmI:
        local = sorted(c.sid for c in namespace.connections())
        return {"sid": conn.sid, "process": process, "local_sids": local}

    @namespace.on_call("pingMe")
    async def ping_me(conn: Conn, ping: Ping) -> Ping:
        answer: Ping = await conn.call("ping", ping)
        return answer


def _said(shout: Shout, process: str) -> Said:
    return {"text": shout["text"], "process": process}


def _manager(kind: str, url: str, channel: str) -> Any:
    if kind == "redis":
        return socketio.AsyncRedisManager(url, channel=channel)
    return socketio.AsyncAioPikaManager(url, channel=channel)


async def _serve(args: argparse.Namespace) -> None:
    server = build_server(args.name, client_manager=_manager(args.manager, args.url, args.channel))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    config = uvicorn.Config(server.asgi_app(), log_level="warning", lifespan="off")
    # The port is known before uvicorn starts; connections wait in the listen backlog.
    print(f"port={listener.getsockname()[1]}", flush=True)
    await uvicorn.Server(config).serve(sockets=[listener])


def main(argv: list[str]) -> None:
    """Serve the rooms test server on a message-queue manager until terminated."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--name", required=True)
    parser.add_argument("--manager", choices=["redis", "aiopika"], required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--channel", required=True)
    asyncio.run(_serve(parser.parse_args(argv)))


if __name__ == "__main__":
    main(sys.argv[1:])
