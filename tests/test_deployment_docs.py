"""docs/deployment.md's application module: two processes' servers share broadcasts via Redis."""

from __future__ import annotations

import sys
import types
import uuid

import pytest
import redis.asyncio

from pursocket import Client
from pursocket.testing import ServeFixture
from tests.conftest import Inbox
from tests.test_concept_docs import blocks

REDIS_URL = "redis://127.0.0.1:6379/3"


def run_page() -> types.ModuleType:
    page = types.ModuleType("docs_deployment")
    sys.modules[page.__name__] = page  # the protocol's annotations resolve through it
    try:
        exec(compile("\n".join(blocks("deployment.md")), "deployment.md", "exec"), page.__dict__)
    finally:
        del sys.modules[page.__name__]
    return page


async def test_a_broadcast_reaches_the_clients_of_both_servers(
    pursocket_serve: ServeFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    probe = redis.asyncio.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        await probe.ping()  # make test runs the Redis server the rooms tests use
    finally:
        await probe.aclose()
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    page = run_page()
    first, second = page.build_server(), page.build_server()
    urls = {"first": await pursocket_serve(first), "second": await pursocket_serve(second)}
    text = f"maintenance {uuid.uuid4().hex}"  # other runs may share the channel
    received: dict[str, Inbox] = {}
    clients = []
    for name, url in urls.items():
        client = Client(page.AlertsProtocol, reconnection=False)
        received[name] = Inbox()
        client.namespace("alerts").on("notice")(received[name].put)
        await client.connect(url, transports=["websocket"])
        clients.append(client)
    try:
        await first.namespace("alerts").broadcast("notice", {"text": text})
        for inbox in received.values():
            count = 1
            while {"text": text} not in await inbox.wait_for(count):
                count = len(inbox.items) + 1
    finally:
        for client in clients:
            await client.disconnect()
