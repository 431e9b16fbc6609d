"""What socket.io-client delivers for ``bytes`` in a browser: the fact the exports map to.

The TypeScript export types ``bytes`` as ``ArrayBuffer``. This runs the official
client's browser bundle in Debian's headless Chromium against a pursocket server and
checks that a binary attachment arrives as an ``ArrayBuffer`` (in an acknowledgement
and in an event), and that an ``ArrayBuffer`` the page sends arrives as ``bytes``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Literal, TypedDict

import pytest
from playwright.async_api import Browser

from examples.chat.server import CLIENT_BUNDLE
from pursocket import Call, Connection, Msg, Server
from pursocket.testing import ServeFixture
from tests.browser import chromium, require
from tests.conftest import Inbox


class FileData(TypedDict):
    name: str
    data: bytes


class FilesC2S(TypedDict):
    upload: Call[FileData, FileData]


class FilesS2C(TypedDict):
    file: Msg[FileData]


class Files(TypedDict):
    c2s: FilesC2S
    s2c: FilesS2C


class BinaryProtocol(TypedDict):
    files: Files


DESCRIBE_AND_UPLOAD = """async () => {
  const describe = (value) => ({
    type: Object.prototype.toString.call(value),
    isArrayBuffer: value instanceof ArrayBuffer,
    bytes: Array.from(new Uint8Array(value)),
  });
  const socket = io("/files");
  const pushed = new Promise((resolve) => socket.on("file", resolve));
  const answer = await socket.emitWithAck("upload", {
    name: "up",
    data: new Uint8Array([0, 1, 255]).buffer,
  });
  const file = await pushed;
  socket.disconnect();
  return { answer: describe(answer.data), pushed: describe(file.data) };
}"""


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    require(CLIENT_BUNDLE, "the npm socket.io-client")
    async with chromium() as launched:
        yield launched


async def test_bytes_arrive_in_a_browser_as_an_array_buffer(
    pursocket_serve: ServeFixture, browser: Browser
) -> None:
    server = Server(BinaryProtocol)
    files = server.namespace("files")
    uploads = Inbox()

    @files.on_call("upload")
    async def upload(
        conn: Connection[BinaryProtocol, Literal["files"]], request: FileData
    ) -> FileData:
        uploads.put(request)
        await conn.emit("file", {"name": "pushed", "data": b"\x00\xff"})
        return {"name": request["name"], "data": request["data"] + b"!"}

    url = await pursocket_serve(server)
    page = await browser.new_page()
    # Any page of the server's origin will do: python-socketio answers 404, same origin.
    await page.goto(f"{url}/blank")
    await page.add_script_tag(path=str(CLIENT_BUNDLE))
    result = await page.evaluate(DESCRIBE_AND_UPLOAD)
    assert result == {
        "answer": {"type": "[object ArrayBuffer]", "isArrayBuffer": True, "bytes": [0, 1, 255, 33]},
        "pushed": {"type": "[object ArrayBuffer]", "isArrayBuffer": True, "bytes": [0, 255]},
    }
    assert uploads.items == [{"name": "up", "data": b"\x00\x01\xff"}]
