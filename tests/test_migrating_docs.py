"""docs/migrating.md: the same plain python-socketio clients see the same app before and after."""

from __future__ import annotations

import asyncio
import socket
import sys
import types
from typing import Any

import socketio
import uvicorn

from tests.conftest import Inbox
from tests.test_concept_docs import blocks


def run_page() -> types.ModuleType:
    page = types.ModuleType("docs_migrating")
    sys.modules[page.__name__] = page  # the protocol's annotations resolve through it
    try:
        exec(compile("\n".join(blocks("migrating.md")), "migrating.md", "exec"), page.__dict__)
    finally:
        del sys.modules[page.__name__]
    return page


async def session(app: Any) -> dict[str, Any]:
    """Two plain python-socketio clients join, chat and move; what the first one sees."""
    # uvicorn listens on a socket bound here: no race for a port picked in advance.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    web = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    serving = asyncio.create_task(web.serve(sockets=[listener]))
    while not web.started:
        assert not serving.done()
        await asyncio.sleep(0.01)
    ada, bob = (socketio.AsyncClient(handle_sigint=False, reconnection=False) for _ in "ab")
    relayed, moved = Inbox(), Inbox()
    ada.on("relay", relayed.put, namespace="/lobby")
    ada.on("moved", lambda *args: moved.put(list(args)), namespace="/lobby")
    try:
        for client in (ada, bob):
            await client.connect(f"http://127.0.0.1:{port}", namespaces=["/lobby"])
        joined = [
            await ada.call("join", {"name": "Ada"}, namespace="/lobby", timeout=5),
            await bob.call("join", {"name": "Bob"}, namespace="/lobby", timeout=5),
        ]
        await bob.emit("chat", {"text": "hello"}, namespace="/lobby")
        await bob.emit("move", (3, 4), namespace="/lobby")
        return {
            "joined": joined,
            "relayed": await relayed.wait_for(1),
            "moved": await moved.wait_for(1),
        }
    finally:
        for client in (ada, bob):
            await client.disconnect()
        web.should_exit = True
        await serving


async def test_the_clients_see_the_same_app_before_and_after() -> None:
    page = run_page()
    seen = {"before": await session(page.before), "after": await session(page.after)}
    await page.server.shutdown()
    expected = {
        "joined": [{"success": True}, {"success": True}],
        "relayed": [{"sender": "Bob", "text": "hello"}],
        "moved": [["Bob", 3, 4]],
    }
    assert seen == {"before": expected, "after": expected}
