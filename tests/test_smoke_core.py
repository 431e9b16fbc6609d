from __future__ import annotations

from typing import Any

from pursocket import Client, Server
from pursocket.testing import ServeFixture
from tests.conftest import Inbox
from tests.protocols import AppProtocol, ChatMessage, JoinRequest, JoinResult, UserCount


async def test_msg_call_both_directions(pursocket_serve: ServeFixture) -> None:
    server = Server(AppProtocol)
    lobby = server.namespace("lobby")
    chats = Inbox()

    @lobby.on("chat")
    async def chat(conn: Any, msg: ChatMessage) -> None:
        chats.put(msg)
        answer = await conn.call("confirm", msg)
        chats.put(answer)
        await conn.emit("userCount", {"count": 7})

    @lobby.on_call("join")
    def join(conn: Any, req: JoinRequest) -> JoinResult:
        return {"success": req["name"] == "Alice"}

    url = await pursocket_serve(server)
    client = Client(AppProtocol)
    clobby = client.namespace("lobby")
    counts = Inbox()

    @clobby.on("userCount")
    async def count(update: UserCount) -> None:
        counts.put(update)

    @clobby.on_call("confirm")
    async def confirm(req: ChatMessage) -> JoinResult:
        return {"success": req["text"] == "hi"}

    async with client:
        await client.connect(url)
        assert await clobby.call("join", {"name": "Alice"}) == {"success": True}
        await clobby.emit("chat", {"text": "hi"})
        assert await chats.wait_for(2) == [{"text": "hi"}, {"success": True}]
        assert await counts.wait_for(1) == [{"count": 7}]
