"""The chat example end to end: two headless Chromium pages and the Python client.

The server runs as ``make demo`` runs it (``python -m examples.chat.server``), in
its own process on a free port. The pages load the official npm socket.io-client
that the server serves from ``node_modules``. Chromium is Debian's, driven by
Playwright through ``executable_path``; no browser is downloaded.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from examples.chat.client import ChatClient
from examples.chat.server import BUILD, CLIENT_BUNDLE
from pursocket import ConnectError
from tests.browser import chromium, require
from tests.conftest import Inbox

REPO = Path(__file__).resolve().parent.parent
WAIT_MS = 10_000


@pytest.fixture
async def chat_url() -> AsyncIterator[str]:
    """The chat server in its own process, as ``make demo`` starts it, on a free port."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "examples.chat.server",
        "--port",
        "0",
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PURSOCKET_CHAT_REDIS_URL": ""},
    )
    try:
        assert proc.stdout is not None
        banner = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
        found = re.search(r"http://127\.0\.0\.1:\d+", banner)
        assert found, f"the chat server did not announce its address: {banner!r}"
        yield found.group(0)
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 10)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    require(CLIENT_BUNDLE, "the npm socket.io-client")
    require(BUILD / "app.js", "the chat page compiled by tsc")
    async with chromium() as launched:
        yield launched


async def _open(browser: Browser, url: str, nickname: str | None) -> Page:
    page = await (await browser.new_context()).new_page()
    await page.goto(url)
    await expect(page.locator("#status")).to_have_text(
        "not connected: pick a nickname", timeout=WAIT_MS
    )
    if nickname is not None:
        await _set_nickname(page, nickname, f"You are {nickname}.")
        await expect(page.locator("#status")).to_have_text("connected", timeout=WAIT_MS)
    return page


async def _set_nickname(page: Page, nickname: str, expected: str) -> None:
    await page.fill("#nickname", nickname)
    await page.click("#set-nickname")
    await expect(page.locator("#nickname-status")).to_have_text(expected, timeout=WAIT_MS)


async def _join(page: Page, room: str, expected: str) -> None:
    await page.fill("#room-name", room)
    await page.click("#join")
    await expect(page.locator("#room-status")).to_have_text(expected, timeout=WAIT_MS)


async def _members(page: Page, *names: str) -> None:
    await expect(page.locator("#members li")).to_have_text(list(names), timeout=WAIT_MS)


async def _sees(page: Page, text: str) -> None:
    await expect(page.locator("#messages")).to_contain_text(text, timeout=WAIT_MS)


async def _until_line(lines: Inbox, text: str) -> None:
    count = 1
    while text not in (seen := await lines.wait_for(count, WAIT_MS / 1000)):
        count = len(seen) + 1


async def test_two_browsers_and_the_python_client_chat(chat_url: str, browser: Browser) -> None:
    alice = await _open(browser, chat_url, "alice")
    bob = await _open(browser, chat_url, None)
    carol_lines = Inbox()
    carol = ChatClient(carol_lines.put)
    try:
        # Nickname: the chat namespace's auth, refused at connect when malformed or taken.
        await _set_nickname(bob, "alice", 'Refused: the nickname "alice" is taken')
        await _set_nickname(
            bob, "b o b", "Refused: a nickname is 1 to 20 letters, digits, '_' or '-'"
        )
        await _set_nickname(bob, "bob", "You are bob.")
        with pytest.raises(ConnectError) as taken:
            await carol.connect(chat_url, "bob")
        assert (taken.value.message, taken.value.data) == (
            'The server refused namespace "chat": the nickname "bob" is taken',
            {"code": "nickname_taken"},
        )
        await carol.connect(chat_url, "carol")

        # Join: the authorization placeholder refuses private rooms.
        await _join(
            bob, "private-x", 'Refused: "private-x" is a private room and bob has no invitation'
        )
        refused = await carol.join("private-x")
        assert refused["ok"] is False
        assert "private room" in refused["reason"]

        await _join(alice, "general", "You joined general.")
        await _members(alice, "alice")
        await _join(bob, "general", "You joined general.")
        await _sees(alice, "bob joined general")
        await _members(alice, "alice", "bob")
        await _members(bob, "alice", "bob")
        joined = await carol.join("general")
        assert joined == {
            "ok": True,
            "reason": "",
            "room": "general",
            "members": ["alice", "bob", "carol"],
        }
        await _sees(alice, "carol joined general")
        await _sees(bob, "carol joined general")
        await _members(alice, "alice", "bob", "carol")
        rooms = {room["name"]: room["members"] for room in (await carol.list_rooms())["rooms"]}
        assert rooms == {"general": 3, "random": 0}

        # Chat: every member sees every line, the speaker included.
        await alice.fill("#text", "hello from alice")
        await alice.click("#send")
        for page in (alice, bob):
            await _sees(page, "[general] alice: hello from alice")
        await _until_line(carol_lines, "[general] alice: hello from alice")
        await carol.say("general", "hi from python")
        for page in (alice, bob):
            await _sees(page, "[general] carol: hi from python")

        # Leave: announced to those who stay.
        await bob.click("#leave")
        await expect(bob.locator("#room-status")).to_have_text("You left general.", timeout=WAIT_MS)
        await _sees(alice, "bob left general")
        await _members(alice, "alice", "carol")
        await _until_line(carol_lines, "* bob left general (members: alice, carol)")
        assert carol.members["general"] == ["alice", "carol"]
        assert (await carol.leave("general"))["ok"]
        await _sees(alice, "carol left general")
        await _members(alice, "alice")

        # Bob is out of the room: a line said there no longer reaches him. A later
        # line in a room he is in comes over the same connection, so once he has it
        # he would have had the earlier one.
        await _join(bob, "random", "You joined random.")
        assert (await carol.join("random"))["ok"]
        await alice.fill("#text", "only alice now")
        await alice.click("#send")
        await _sees(alice, "[general] alice: only alice now")
        await carol.say("random", "later, in random")
        await _sees(bob, "[random] carol: later, in random")
        await expect(bob.locator("#messages")).not_to_contain_text("only alice now")
    finally:
        await carol.disconnect()


class Terminal:
    """``python -m examples.chat.client`` in its own process, typed into line by line."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.output: list[str] = []

    async def type(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"{line}\n".encode())
        await self.proc.stdin.drain()

    async def shows(self, expected: str) -> None:
        """Read the terminal's output until a line equal to ``expected``."""
        assert self.proc.stdout is not None
        while expected not in self.output:
            raw = await asyncio.wait_for(self.proc.stdout.readline(), WAIT_MS / 1000)
            assert raw, f"the terminal client ended; it showed {self.output}"
            self.output.append(raw.decode().rstrip("\n"))


async def test_the_terminal_client(chat_url: str) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "examples.chat.client",
        chat_url,
        cwd=REPO,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    terminal = Terminal(proc)
    peer_lines = Inbox()
    peer = ChatClient(peer_lines.put)
    await peer.connect(chat_url, "peer")
    try:
        assert (await peer.join("general"))["ok"]
        await terminal.shows(
            f"Chat at {chat_url}. Pick a nickname to connect: /nick NAME. /nick NAME  /rooms  "
            "/join ROOM  /leave [ROOM]  /who  /quit  (other lines: say it)"
        )
        await terminal.type("/join general")
        await terminal.shows("Pick a nickname first: /nick NAME")
        await terminal.type("/nick peer")
        await terminal.shows('The server refused namespace "chat": the nickname "peer" is taken')
        await terminal.type("/nick tess")
        await terminal.shows("You are tess.")
        await terminal.type("hello before a room")
        await terminal.type("/rooms")
        await terminal.shows("general (1), random (0)")
        await terminal.type("/join private-club")
        await terminal.shows('Refused: "private-club" is a private room and tess has no invitation')
        await terminal.type("/join general")
        await terminal.shows("You joined general (members: peer, tess)")
        await _until_line(peer_lines, "* tess joined general (members: peer, tess)")
        await terminal.type("hi from the terminal")
        await _until_line(peer_lines, "[general] tess: hi from the terminal")
        await terminal.shows("[general] tess: hi from the terminal")
        await peer.say("general", "hi tess")
        await terminal.shows("[general] peer: hi tess")
        await terminal.type("/leave")
        await terminal.shows("You left general.")
        await _until_line(peer_lines, "* tess left general (members: peer)")
        await terminal.type("/quit")
        assert await asyncio.wait_for(proc.wait(), WAIT_MS / 1000) == 0
        assert "Join a room first: /join general" in terminal.output
    finally:
        await peer.disconnect()
        if proc.returncode is None:
            proc.terminate()
            await proc.wait()
