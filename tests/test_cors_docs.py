"""docs/cors.md's table, asked of a real server: which origins each setting accepts."""

from __future__ import annotations

import sys
import types
from typing import Any

import aiohttp
import pytest

from pursocket import Server
from pursocket.testing import ServeFixture
from tests.protocols import AppProtocol
from tests.test_concept_docs import blocks

APP = "https://app.example.com"
EVIL = "https://evil.example"


async def answer(url: str, origin: str) -> tuple[int, str | None, str]:
    """(status, Access-Control-Allow-Origin, body start) of an Engine.IO handshake."""
    handshake = f"{url}/socket.io/?EIO=4&transport=polling"
    async with aiohttp.ClientSession() as http:
        async with http.get(handshake, headers={"Origin": origin}) as response:
            body = await response.text()
            return response.status, response.headers.get("Access-Control-Allow-Origin"), body[:1]


def accepted(origin: str) -> tuple[int, str, str]:
    return 200, origin, "0"  # an Engine.IO OPEN packet


def refused(origin: str) -> tuple[int, None, str]:
    return 400, None, '"'  # a JSON string: "<origin> is not an accepted origin."


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        ({}, {"own": "accepted", APP: "refused", EVIL: "refused"}),
        ({"cors_allowed_origins": [APP]}, {"own": "refused", APP: "accepted", EVIL: "refused"}),
        ({"cors_allowed_origins": "*"}, {"own": "accepted", APP: "accepted", EVIL: "accepted"}),
        ({"cors_allowed_origins": []}, {"own": "unchecked", APP: "unchecked", EVIL: "unchecked"}),
    ],
    ids=["default", "listed", "star", "empty list"],
)
async def test_the_table(
    pursocket_serve: ServeFixture, option: dict[str, Any], expected: dict[str, str]
) -> None:
    url = await pursocket_serve(Server(AppProtocol, **option))
    for key, verdict in expected.items():
        origin = url if key == "own" else key  # the server's own origin is its URL
        want = {
            "accepted": accepted(origin),
            "refused": refused(origin),
            "unchecked": (200, None, "0"),
        }[verdict]
        assert await answer(url, origin) == want, (key, verdict)


async def test_the_production_example_accepts_only_its_origins(
    pursocket_serve: ServeFixture,
) -> None:
    page = types.ModuleType("docs_cors")
    sys.modules[page.__name__] = page  # the protocol's annotations resolve through it
    try:
        exec(compile("\n".join(blocks("cors.md")), "cors.md", "exec"), page.__dict__)
    finally:
        del sys.modules[page.__name__]
    url = await pursocket_serve(page.server)
    assert await answer(url, APP) == accepted(APP)
    assert await answer(url, "https://admin.example.com") == accepted("https://admin.example.com")
    assert await answer(url, EVIL) == refused(EVIL)
