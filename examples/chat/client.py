"""A terminal client for the chat: ``python -m examples.chat.client [URL]``.

Commands: ``/nick NAME`` (connects under that nickname), ``/rooms``, ``/join ROOM``,
``/leave [ROOM]``, ``/who``, ``/quit``; any other line is said in the room joined last.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable

from examples.chat import protocol_api as api
from examples.chat.protocol import ChatLine, JoinOutcome, Outcome, Presence, RoomList
from pursocket import ConnectError

HELP = "/nick NAME  /rooms  /join ROOM  /leave [ROOM]  /who  /quit  (other lines: say it)"


class ChatClient:
    """One chat user over pursocket's typed client, through the generated typed API.

    ``protocol_api.py`` and its stub ``protocol_api.pyi`` are written by ``pursocket
    export python examples.chat.protocol:ChatProtocol -o examples/chat/protocol_api.py``
    (and checked by ``make test`` to be up to date), so pyright and Pylance check this
    class too.

    Everything the server sends becomes one line of text handed to ``show``; the
    requests return the server's typed answers. The terminal front end below and
    the end-to-end test both drive it.
    """

    def __init__(self, show: Callable[[str], None]) -> None:
        self.show = show
        self.client = api.Client()
        self.chat = self.client.namespace("chat")
        #: Each joined room's member list, as the server last described it.
        self.members: dict[str, list[str]] = {}
        self.chat.on("message")(self._message)
        self.chat.on("joined")(self._joined)
        self.chat.on("left")(self._left)

    async def connect(self, url: str, nickname: str) -> None:
        """Connect as ``nickname``, the chat namespace's auth.

        :class:`~pursocket.ConnectError` when the server refuses it (malformed, or
        taken); the client can then connect again with another.
        """
        await self.client.connect(url, auth={"nickname": nickname})

    async def disconnect(self) -> None:
        await self.client.disconnect()

    async def list_rooms(self) -> RoomList:
        return await self.chat.call("listRooms", {})

    async def join(self, room: str) -> JoinOutcome:
        outcome = await self.chat.call("joinRoom", {"room": room})
        if outcome["ok"]:
            self.members[room] = outcome["members"]
        return outcome

    async def leave(self, room: str) -> Outcome:
        outcome = await self.chat.call("leaveRoom", {"room": room})
        if outcome["ok"]:
            self.members.pop(room, None)
        return outcome

    async def say(self, room: str, text: str) -> None:
        await self.chat.emit("say", {"room": room, "text": text})

    def _message(self, line: ChatLine) -> None:
        self.show(f"[{line['room']}] {line['nickname']}: {line['text']}")

    def _joined(self, presence: Presence) -> None:
        self.members[presence["room"]] = presence["members"]
        self.show(f"* {presence['nickname']} joined {presence['room']}{_who(presence)}")

    def _left(self, presence: Presence) -> None:
        if presence["room"] in self.members:
            self.members[presence["room"]] = presence["members"]
        self.show(f"* {presence['nickname']} left {presence['room']}{_who(presence)}")


def _who(presence: Presence) -> str:
    return f" (members: {', '.join(presence['members']) or 'none'})"


class Terminal:
    """The line-oriented front end: one command or chat line at a time."""

    def __init__(self) -> None:
        self.user = ChatClient(print)
        self.current: str | None = None
        self.url = ""

    async def run(self, url: str) -> None:
        self.url = url
        print(f"Chat at {url}. Pick a nickname to connect: /nick NAME. {HELP}")
        loop = asyncio.get_running_loop()
        try:
            while line := await loop.run_in_executor(None, sys.stdin.readline):
                if not await self.handle(line.strip()):
                    break
        finally:
            await self.user.disconnect()

    async def handle(self, line: str) -> bool:
        """Act on one line; false when the user quits."""
        command, _, argument = line.partition(" ")
        argument = argument.strip()
        if command == "/quit":
            return False
        if command == "/nick":
            if self.user.client.connected:
                print("You have a nickname; /quit and connect again to change it")
                return True
            try:
                await self.user.connect(self.url, argument)
                print(f"You are {argument}.")
            except ConnectError as refusal:
                print(refusal.message)
        elif line and not self.user.client.connected and _needs_connection(command):
            print("Pick a nickname first: /nick NAME")
        elif command == "/rooms":
            rooms = (await self.user.list_rooms())["rooms"]
            print(", ".join(f"{room['name']} ({room['members']})" for room in rooms))
        elif command == "/join":
            joined = await self.user.join(argument)
            if joined["ok"]:
                self.current = argument
                print(f"You joined {argument} (members: {', '.join(joined['members'])})")
            else:
                print(f"Refused: {joined['reason']}")
        elif command == "/leave":
            room = argument or self.current or ""
            left = await self.user.leave(room)
            print(f"You left {room}." if left["ok"] else f"Refused: {left['reason']}")
            if left["ok"] and room == self.current:
                self.current = next(iter(self.user.members), None)
        elif command == "/who":
            for room, members in sorted(self.user.members.items()):
                print(f"{room}: {', '.join(members)}")
        elif command.startswith("/"):
            print(HELP)
        elif line and self.current is None:
            print("Join a room first: /join general")
        elif line and self.current is not None:
            await self.user.say(self.current, line)
        return True


def _needs_connection(command: str) -> bool:
    return command in ("/rooms", "/join", "/leave") or not command.startswith("/")


def main(argv: list[str]) -> None:
    """Connect to the chat at ``argv[0]`` (default http://127.0.0.1:8000) and read stdin."""
    url = argv[0] if argv else "http://127.0.0.1:8000"
    try:
        asyncio.run(Terminal().run(url))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main(sys.argv[1:])
