"""docs/fastapi.md runs under uvicorn with its lifespan on: routes, broadcasts, shutdown."""

from __future__ import annotations

import asyncio
import socket
import sys
import time
import types

import aiohttp
import uvicorn

from pursocket import Client
from tests.conftest import Inbox
from tests.test_concept_docs import blocks


def run_page() -> types.ModuleType:
    page = types.ModuleType("docs_fastapi")
    sys.modules[page.__name__] = page  # the protocol's annotations resolve through it
    try:
        exec(compile("\n".join(blocks("fastapi.md")), "fastapi.md", "exec"), page.__dict__)
    finally:
        del sys.modules[page.__name__]
    return page


async def test_the_fastapi_page_serves_both_and_shuts_down_with_the_lifespan() -> None:
    page = run_page()
    # uvicorn listens on a socket bound here: no race for a port picked in advance.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    config = uvicorn.Config(page.app, host="127.0.0.1", port=port, log_level="warning")
    assert config.lifespan == "auto"
    web = uvicorn.Server(config)
    serving = asyncio.create_task(web.serve(sockets=[listener]))
    while not web.started:
        assert not serving.done()
        await asyncio.sleep(0.01)
    client = Client(page.NewsProtocol, reconnection=False)
    news = client.namespace("news")
    announcements, gone = Inbox(), Inbox()
    news.on("announcement")(announcements.put)
    news.on_disconnect(gone.put)
    try:
        await client.connect(url)
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{url}/online") as response:
                assert await response.json() == {"connections": 1}
            async with http.post(f"{url}/announce", json={"text": "maintenance"}) as response:
                assert (response.status, await response.json()) == (200, {"sent": True})
            async with http.post(f"{url}/announce", json={"txt": "x"}) as response:
                assert response.status == 422  # FastAPI validates the route's body
        assert await announcements.wait_for(1) == [{"text": "maintenance"}]
        assert page.news.connections() != ()
        # python-engineio's background task (ping timeouts), which only shutdown() stops.
        service = page.server.sio.eio.service_task_handle
        assert service is not None and not service.done()
        started = time.monotonic()
        web.should_exit = True
        await asyncio.wait_for(serving, 10)
        assert time.monotonic() - started < 5
        # The lifespan's server.shutdown() ran: the background task has ended, no
        # connection is left, and the client was disconnected.
        assert service.done() and page.server.sio.eio.service_task_handle is None
        assert page.news.connections() == ()
        assert len(await gone.wait_for(1)) == 1
    finally:
        await client.disconnect()
        if not serving.done():
            web.should_exit = True
            await serving
