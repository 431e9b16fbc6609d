"""Rooms across two real server processes that share a message-queue manager.

Each test starts two uvicorn processes (``tests/rooms_app.py``) on free ports,
sharing ``socketio.AsyncRedisManager`` on the Redis at 127.0.0.1:6379 or
``socketio.AsyncAioPikaManager`` on the RabbitMQ at 127.0.0.1:5672, on a channel
named for this test alone so that parallel or stale runs never cross. The tests
skip when the broker cannot be reached, and fail instead when ``CI=true``.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.brokers import BROKERS, drop_channel, require_broker
from tests.rooms_members import Member, everyone_until

REPO = Path(__file__).resolve().parent.parent


class Process:
    """One server process of the cluster."""

    def __init__(self, name: str, proc: asyncio.subprocess.Process, port: int) -> None:
        self.name = name
        self.proc = proc
        self.url = f"http://127.0.0.1:{port}"


class Cluster:
    """Two server processes, A and B, on one manager channel, and their clients."""

    def __init__(self, manager: str, channel: str) -> None:
        self.manager = manager
        self.channel = channel
        self.processes: dict[str, Process] = {}
        self.members: list[Member] = []

    async def start(self, name: str) -> None:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.rooms_app",
            "--name",
            name,
            "--manager",
            self.manager,
            "--url",
            BROKERS[self.manager],
            "--channel",
            self.channel,
            cwd=REPO,
            stdout=asyncio.subprocess.PIPE,
        )
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode().strip()
        if not line.startswith("port="):
            raise RuntimeError(f"server process {name} did not start: {line!r}")
        self.processes[name] = Process(name, proc, int(line.removeprefix("port=")))

    async def member(self, name: str, process: str) -> Member:
        member = await Member(name).connect(self.processes[process].url)
        self.members.append(member)
        return member

    async def linked(self, one: Member, other: Member) -> None:
        """Wait until a broadcast from ``one``'s process reaches ``other``'s process.

        A process subscribes to the channel when its first client connects, a moment
        that is not observable from outside; a broadcast before it is lost. So send
        barriers until one comes through, each waited for briefly.
        """
        for _ in range(60):
            token = await one.shout("no-such-room", "probe")
            try:
                await other.texts_until(token, timeout=0.5)
                return
            except asyncio.TimeoutError:
                continue
        raise AssertionError(f"processes never linked through the {self.manager} channel")

    async def stop(self) -> None:
        for member in self.members:
            await member.client.disconnect()
        for process in self.processes.values():
            if process.proc.returncode is None:
                process.proc.terminate()
            try:
                await asyncio.wait_for(process.proc.wait(), 10)
            except asyncio.TimeoutError:
                process.proc.kill()
                await process.proc.wait()
        await drop_channel(self.manager, self.channel)


@pytest.fixture(params=["redis", "aiopika"])
async def cluster(request: pytest.FixtureRequest) -> AsyncIterator[Cluster]:
    manager: str = request.param
    await require_broker(manager)
    setup = Cluster(manager, f"pursocket-test-{uuid.uuid4().hex}")
    try:
        await asyncio.gather(setup.start("A"), setup.start("B"))
        yield setup
    finally:
        await setup.stop()


async def test_room_broadcasts_reach_members_on_both_processes(cluster: Cluster) -> None:
    alice, ann, carol = [await cluster.member(n, "A") for n in ("alice", "ann", "carol")]
    bob, dave = [await cluster.member(n, "B") for n in ("bob", "dave")]
    await cluster.linked(alice, bob)
    await cluster.linked(bob, alice)
    for member in (alice, ann, bob):
        assert (await member.join("r1"))["process"] in ("A", "B")
    everyone = [alice, ann, bob, carol, dave]

    token = await alice.shout("r1", "from A")
    assert await everyone_until(everyone, token) == {
        "alice": ["from A"],
        "ann": ["from A"],
        "bob": ["from A"],
        "carol": [],
        "dave": [],
    }

    token = await bob.shout("r1", "from B")
    assert await everyone_until(everyone, token) == {
        "alice": ["from A", "from B"],
        "ann": ["from A", "from B"],
        "bob": ["from A", "from B"],
        "carol": [],
        "dave": [],
    }

    token = await alice.shout("r1", "not for alice", except_me=True)
    assert await everyone_until(everyone, token) == {
        "alice": ["from A", "from B"],
        "ann": ["from A", "from B", "not for alice"],
        "bob": ["from A", "from B", "not for alice"],
        "carol": [],
        "dave": [],
    }


async def test_a_sid_on_the_other_process_and_calls(cluster: Cluster) -> None:
    alice, carol = await cluster.member("alice", "A"), await cluster.member("carol", "A")
    bob, dave = await cluster.member("bob", "B"), await cluster.member("dave", "B")
    await cluster.linked(alice, bob)

    token = await alice.shout(bob.sid, "just bob")
    seen = await everyone_until([alice, bob, carol, dave], token)
    assert seen == {"alice": [], "bob": ["just bob"], "carol": [], "dave": []}

    # A client's Call is answered by the process that holds its connection, and a
    # process only has Connection objects (so only Calls) for its own clients.
    me = await bob.ns().call("whoami", {"n": 0})
    assert me["process"] == "B"
    assert me["sid"] == bob.sid
    assert set(me["local_sids"]) == {bob.sid, dave.sid}
    # A server-to-client Call under the manager still gets its answer back.
    assert await alice.ns().call("pingMe", {"n": 41}) == {"n": 42}
    assert await bob.ns().call("pingMe", {"n": 1}) == {"n": 2}
