"""docs/rooms.md's room-joining lifecycle, run as the page shows it on a real server,
and type-checked with the pursocket mypy plugin together with the chat example."""

from __future__ import annotations

import re
import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pursocket.testing import ServeFixture
from tests.conftest import Inbox

DOC = Path(__file__).resolve().parent.parent / "docs" / "rooms.md"


@pytest.fixture
def doc() -> Iterator[Any]:
    """The page's ``python`` code blocks, in order, executed as one module."""
    blocks = re.findall(r"^```python\n(.*?)^```$", DOC.read_text(), flags=re.S | re.M)
    assert len(blocks) >= 3, f"expected the protocol, server and client blocks in {DOC}"
    module = types.ModuleType("rooms_doc_example")
    # Protocol TypedDicts resolve their annotations through their module.
    sys.modules[module.__name__] = module
    try:
        exec(compile("\n".join(blocks), str(DOC), "exec"), module.__dict__)
        yield module
    finally:
        del sys.modules[module.__name__]


async def test_the_documented_lifecycle(doc: Any, pursocket_serve: ServeFixture) -> None:
    url = await pursocket_serve(doc.server)
    alice_saw, bob_saw = Inbox(), Inbox()
    alice, bob = doc.tables_client(alice_saw.put), doc.tables_client(bob_saw.put)
    await alice.connect(url)
    await bob.connect(url)
    a, b = alice.namespace("tables"), bob.namespace("tables")
    bob_sid = b.sid
    try:
        assert await doc.enter(a, "table-1", alice_saw.put) is True
        assert await doc.enter(b, "table-1", bob_saw.put) is True
        assert await alice_saw.wait_for(2) == ["you joined table-1", f"{bob_sid} joined table-1"]
        # The refusal reaches the client as an answer; nobody else hears of it.
        assert await doc.enter(b, "private-9", bob_saw.put) is False
        assert await doc.leave(b, "table-1", bob_saw.put) is True
        assert await alice_saw.wait_for(3) == [
            "you joined table-1",
            f"{bob_sid} joined table-1",
            f"{bob_sid} left table-1",
        ]
        assert await doc.leave(b, "table-1", bob_saw.put) is False
        # Every answer came after any notice the server sent bob before it, so bob's
        # list is complete: he never saw his own join or leave announced.
        assert bob_saw.items == [
            "you joined table-1",
            "could not join private-9: private-9 is private",
            "you left table-1",
            "could not leave table-1: you are not in table-1",
        ]

        assert await doc.enter(b, "table-1", bob_saw.put) is True
        await bob.disconnect()
        assert (await alice_saw.wait_for(5))[3:] == [
            f"{bob_sid} joined table-1",
            f"{bob_sid} left table-1",
        ]
    finally:
        await alice.disconnect()
        await bob.disconnect()


def test_the_documented_code_and_the_chat_example_pass_the_plugin(tmp_path: Path) -> None:
    """``mypy --strict`` with the pursocket plugin accepts this page's code and the chat."""
    blocks = re.findall(r"^```python\n(.*?)^```$", DOC.read_text(), flags=re.S | re.M)
    (tmp_path / "rooms_lifecycle.py").write_text("\n".join(blocks))
    (tmp_path / "mypy.ini").write_text(
        "[mypy]\nstrict = True\nplugins = pursocket_mypy\n"
        "[mypy-socketio.*,engineio.*,uvicorn.*]\nignore_missing_imports = True\n"
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(tmp_path / "mypy.ini"),
            "--cache-dir",
            str(tmp_path / ".cache"),
            str(tmp_path / "rooms_lifecycle.py"),
            "examples/chat",
        ],
        cwd=DOC.parent.parent,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
