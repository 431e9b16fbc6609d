"""The chat server: pursocket on uvicorn, with the browser page served beside it.

Run it with ``python -m examples.chat.server`` (``make demo`` does) and open
http://127.0.0.1:8000 in two browser windows. It keeps its directory of nicknames
and rooms in memory. Set ``PURSOCKET_CHAT_REDIS_URL=redis://127.0.0.1:6379/0`` to
run several processes (on different ``--port`` values) that share it, and share
their broadcasts, through Redis.

The page loads the official npm ``socket.io-client`` from ``node_modules`` (run
``npm install`` at the repository root), never from a CDN. Its script is TypeScript
(``web/app.ts``), typed by ``web/protocol.ts``, which ``pursocket export typescript``
generates from ``protocol.py``; ``make demo`` compiles both with tsc into ``build/``.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import socket
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any, Literal

import socketio
import uvicorn

from examples import serving
from examples.chat.protocol import (
    ChatLine,
    ChatProtocol,
    JoinOutcome,
    NoArguments,
    Outcome,
    RoomList,
    RoomRequest,
    SayRequest,
)
from examples.chat.state import ChatState, MemoryState, RedisState
from pursocket import Connection, ConnectionRefused, DisconnectReason, Server

logger = logging.getLogger("chat")

#: Names the environment variable that switches the server to Redis.
REDIS_URL_VARIABLE = "PURSOCKET_CHAT_REDIS_URL"
STATIC = Path(__file__).resolve().parent / "static"
#: Where tsc writes the page's compiled TypeScript (``make demo`` runs it).
BUILD = Path(__file__).resolve().parent / "build"
#: The official client's browser bundle, as ``npm install`` lays it out.
CLIENT_BUNDLE = (
    Path(__file__).resolve().parents[2] / "node_modules/socket.io-client/dist/socket.io.min.js"
)
NICKNAME = re.compile(r"[A-Za-z0-9_-]{1,20}")
ROOM_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
MAX_TEXT = 500

#: A connection to ``/chat``; its state is the nickname it connected with.
Conn = Connection[ChatProtocol, Literal["chat"], str]


def may_join(nickname: str, room: str) -> str | None:
    """Why ``nickname`` may not enter ``room``, or ``None`` to let them in.

    The authorization placeholder: a real application asks its own permission
    system here (room owners, invitations, bans). This one refuses every room whose
    name starts with ``private-``.
    """
    if room.startswith("private-"):
        return f'"{room}" is a private room and {nickname} has no invitation'
    return None


class ChatServer:
    """The chat application: the protocol's handlers over one pursocket ``Server``."""

    def __init__(self, state: ChatState, **options: Any) -> None:
        self.state = state
        self.server = Server(ChatProtocol, **options)
        self.chat = self.server.namespace("chat", state=str)
        self.chat.on_connect(self.connected)
        self.chat.on_call("listRooms")(self.list_rooms)
        self.chat.on_call("joinRoom")(self.join_room)
        self.chat.on_call("leaveRoom")(self.leave_room)
        self.chat.on("say")(self.say)
        self.chat.on_disconnect(self.disconnected)

    def asgi_app(self) -> socketio.ASGIApp:
        """Socket.IO at ``/socket.io/``, the page and its scripts everywhere else."""
        return self.server.asgi_app(serve_static)

    async def connected(self, conn: Conn) -> str:
        """Let a client in under the nickname of its auth: the connection's state."""
        nickname: str = conn.auth["nickname"].strip()
        if not NICKNAME.fullmatch(nickname):
            raise ConnectionRefused(
                "a nickname is 1 to 20 letters, digits, '_' or '-'", {"code": "bad_nickname"}
            )
        if not await self.state.claim_nickname(nickname):
            raise ConnectionRefused(
                f'the nickname "{nickname}" is taken', {"code": "nickname_taken"}
            )
        return nickname

    async def list_rooms(self, conn: Conn, request: NoArguments) -> RoomList:
        rooms = await self.state.rooms()
        return {"rooms": [{"name": name, "members": rooms[name]} for name in sorted(rooms)]}

    async def join_room(self, conn: Conn, request: RoomRequest) -> JoinOutcome:
        room, nickname = request["room"], conn.state
        if not ROOM_NAME.fullmatch(room):
            return _join_refused(room, "a room name is 1 to 32 of a-z, 0-9 and '-'")
        refusal = may_join(nickname, room)
        if refusal is not None:
            return _join_refused(room, refusal)
        if room in conn.rooms():
            return _join_refused(room, f'you are already in "{room}"')
        await conn.join_room(room)
        members = await self.state.enter(room, nickname)
        # The joiner learns the member list from this answer; the others from "joined".
        await conn.broadcast_to_room_except_sender(
            room, "joined", {"room": room, "nickname": nickname, "members": members}
        )
        return {"ok": True, "reason": "", "room": room, "members": members}

    async def leave_room(self, conn: Conn, request: RoomRequest) -> Outcome:
        room = request["room"]
        if room == conn.sid or room not in conn.rooms():
            return _refused(f'you are not in "{room}"')
        await conn.leave_room(room)
        await self._announce_departure(room, conn.state)
        return {"ok": True, "reason": ""}

    async def say(self, conn: Conn, request: SayRequest) -> None:
        nickname = conn.state
        room, text = request["room"], request["text"].strip()[:MAX_TEXT]
        if room == conn.sid or room not in conn.rooms() or not text:
            logger.info("%s may not say %r in %r; ignored", conn.sid, text, room)
            return
        line: ChatLine = {"room": room, "nickname": nickname, "text": text}
        # Every member, the speaker included: their own line comes back as confirmation.
        await self.chat.broadcast_to_room(room, "message", line)

    async def disconnected(self, conn: Conn, reason: DisconnectReason) -> None:
        nickname = conn.state
        for room in sorted(conn.rooms() - {conn.sid}):
            await self._announce_departure(room, nickname)
        await self.state.release_nickname(nickname)

    async def _announce_departure(self, room: str, nickname: str) -> None:
        members = await self.state.exit(room, nickname)
        # Sent once the leaver is out of the room, so it reaches exactly those who stay.
        await self.chat.broadcast_to_room(
            room, "left", {"room": room, "nickname": nickname, "members": members}
        )


def _refused(reason: str) -> Outcome:
    return {"ok": False, "reason": reason}


def _join_refused(room: str, reason: str) -> JoinOutcome:
    return {"ok": False, "reason": reason, "room": room, "members": []}


Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

_FILES = {
    "/": (STATIC / "index.html", "text/html; charset=utf-8"),
    "/app.js": (BUILD / "app.js", "text/javascript; charset=utf-8"),
    "/protocol.js": (BUILD / "protocol.js", "text/javascript; charset=utf-8"),
    "/style.css": (STATIC / "style.css", "text/css; charset=utf-8"),
    "/socket.io.min.js": (CLIENT_BUNDLE, "text/javascript; charset=utf-8"),
}


async def serve_static(scope: Scope, receive: Receive, send: Send) -> None:
    """The page, its compiled scripts and style, and the official client's browser bundle."""
    if scope["type"] != "http":
        return
    found = _FILES.get(scope["path"])
    if found is None:
        await _respond(send, 404, "text/plain", b"Not found")
        return
    path, content_type = found
    if not path.exists():
        message = f"{path} is missing: `make demo` installs and builds it"
        await _respond(send, 500, "text/plain", message.encode())
        return
    await _respond(send, 200, content_type, path.read_bytes())


async def _respond(send: Send, status: int, content_type: str, body: bytes) -> None:
    headers = [(b"content-type", content_type.encode()), (b"cache-control", b"no-store")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def build(redis_url: str | None) -> ChatServer:
    """The chat server in memory, or on Redis when ``redis_url`` is given."""
    if redis_url is None:
        return ChatServer(MemoryState())
    return ChatServer(
        RedisState(redis_url),
        client_manager=socketio.AsyncRedisManager(redis_url, channel="pursocket-chat"),
    )


async def serve(host: str, port: int) -> None:
    """Serve the chat on ``host:port`` until interrupted."""
    redis_url = os.environ.get(REDIS_URL_VARIABLE) or None
    chat = build(redis_url)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as exc:
        raise SystemExit(
            f"Cannot serve the chat on {host}:{port} ({exc.strerror}); "
            f"stop what uses that port or choose another with --port"
        ) from None
    listener.listen(128)
    bound_port = listener.getsockname()[1]
    config = uvicorn.Config(
        chat.asgi_app(),
        log_level="warning",
        lifespan="off",
        **chat.server.uvicorn_options(),
    )
    where = f"Redis at {redis_url}" if redis_url else "memory"
    print(
        f"Chat demo at http://{host}:{bound_port} (state in {where}); "
        f"open it in two browser windows, or run `python -m examples.chat.client`. Ctrl+C stops.",
        flush=True,
    )
    try:
        await uvicorn.Server(config).serve(sockets=[listener])
    finally:
        await chat.server.shutdown()
        await chat.state.close()


def main(argv: list[str]) -> None:
    """Parse ``--host``/``--port`` and serve."""
    parser = argparse.ArgumentParser(description="Serve the pursocket chat example.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    serving.run(serve(args.host, args.port))


if __name__ == "__main__":
    main(sys.argv[1:])
