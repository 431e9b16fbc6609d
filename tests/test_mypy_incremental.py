"""The mypy plugin re-checks call sites when the protocol changes.

The call site lives in a module that never imports the protocol module: it gets its
namespace handle from another module. mypy must still re-check it when only the
protocol changes, in incremental mode (a warm cache), under the daemon (``dmypy``)
and in parallel mode (``-n 2``).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

PROTOCOL = """
from typing import TypedDict

from pursocket import Call, Msg


class ChatMessage(TypedDict):
    text: str


class LobbyC2S(TypedDict):
    {events}


class Lobby(TypedDict):
    c2s: LobbyC2S


class AppProtocol(TypedDict):
    lobby: Lobby
"""

HANDLES = """
from pursocket import Client

from proto import AppProtocol

lobby = Client(AppProtocol).namespace("lobby")
"""

CALL_SITE = """
from handles import lobby


async def send() -> None:
    await lobby.emit("chat", {"text": "hi"})
"""

CHAT_IS_A_MSG = "chat: Msg[ChatMessage]"
CHAT_RENAMED = "chats: Msg[ChatMessage]"
CHAT_TAKES_INT = "chat: Msg[int]"
CHAT_IS_A_CALL = "chat: Call[ChatMessage, bool]"
CHAT_TAKES_A_SET = "chat: Msg[set[int]]"

UNKNOWN = (
    'use.py:6: error: Unknown event "chat" in namespace "lobby" (c2s) of protocol '
    '"AppProtocol"  [pursocket-event]\n'
    'use.py:6: note: Did you mean "chats"?'
)
WRONG_PAYLOAD = (
    'use.py:6: error: Argument 2 to "emit" of "ClientNamespace" has incompatible type '
    '"dict[str, str]"; expected "int"  [arg-type]'
)
NO_JSON_FORM = (
    "handles.py:6: error: AppProtocol.lobby.c2s.chat (payload): set[int] has no JSON form; "
    "use a TypedDict, list[T], tuple[A, B], tuple[T, ...], dict[str, T], str, int, float, "
    "bool, None, bytes, a Literal, or a union of these  [pursocket-protocol]\n"
    'use.py:6: error: Argument 2 to "emit" of "ClientNamespace" has incompatible type '
    '"dict[str, str]"; expected "set[int]"  [arg-type]'
)
WRONG_KIND = (
    'use.py:6: error: "chat" is a Call event of namespace "lobby" (c2s): use call(), '
    "not emit()  [pursocket-kind]"
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "mypy.ini").write_text("[mypy]\nplugins = pursocket_mypy\nstrict = true\n")
    (tmp_path / "handles.py").write_text(textwrap.dedent(HANDLES))
    (tmp_path / "use.py").write_text(textwrap.dedent(CALL_SITE))
    declare(tmp_path, CHAT_IS_A_MSG)
    return tmp_path


def declare(project: Path, events: str) -> None:
    (project / "proto.py").write_text(textwrap.dedent(PROTOCOL).format(events=events))


def errors(result: subprocess.CompletedProcess[str]) -> str:
    lines = [
        line
        for line in result.stdout.splitlines()
        if line and not line.startswith(("Success", "Found ", "Daemon started"))
    ]
    assert "INTERNAL ERROR" not in result.stdout + result.stderr, result.stdout + result.stderr
    # Sorted: the daemon reports the files it re-checked in no fixed order.
    return "\n".join(sorted(lines))


#: What mypy prints when a parallel worker has not written its status file within mypy's
#: fixed start window (3 s, ``mypy.defaults.WORKER_START_TIMEOUT``, not configurable): on
#: a machine loaded far beyond its cores the worker's interpreter may not have started by
#: then. mypy then fails with an INTERNAL ERROR before checking anything.
WORKER_DID_NOT_START = "Failed to establish connection with worker"


def mypy(project: Path, *options: str) -> str:
    """mypy's errors for ``use.py``, run again (three runs at most) if a worker did not start."""
    command = [sys.executable, "-m", "mypy", "--cache-dir", ".cache", *options, "use.py"]
    for _ in range(3):
        result = subprocess.run(command, cwd=project, capture_output=True, text=True)
        if WORKER_DID_NOT_START not in result.stdout:
            break
    return errors(result)


@pytest.mark.parametrize("options", [(), ("-n", "2")], ids=["sequential", "parallel"])
def test_changing_the_protocol_rechecks_call_sites_through_the_cache(
    project: Path, options: tuple[str, ...]
) -> None:
    assert mypy(project, *options) == ""
    declare(project, CHAT_RENAMED)
    assert mypy(project, *options) == UNKNOWN
    declare(project, CHAT_TAKES_INT)
    assert mypy(project, *options) == WRONG_PAYLOAD
    declare(project, CHAT_IS_A_CALL)
    assert mypy(project, *options) == WRONG_KIND
    declare(project, CHAT_TAKES_A_SET)
    assert mypy(project, *options) == NO_JSON_FORM
    declare(project, CHAT_IS_A_MSG)
    assert mypy(project, *options) == ""


@pytest.fixture
def daemon(project: Path) -> Iterator[list[str]]:
    dmypy = [sys.executable, "-m", "mypy.dmypy", "--status-file", str(project / ".dmypy.json")]
    yield dmypy
    subprocess.run([*dmypy, "kill"], cwd=project, capture_output=True, text=True)


def test_changing_the_protocol_rechecks_call_sites_under_the_daemon(
    project: Path, daemon: list[str]
) -> None:
    def check() -> str:
        command = [*daemon, "run", "--", "use.py"]
        return errors(subprocess.run(command, cwd=project, capture_output=True, text=True))

    assert check() == ""
    declare(project, CHAT_RENAMED)
    assert check() == UNKNOWN
    declare(project, CHAT_TAKES_INT)
    assert check() == WRONG_PAYLOAD
    # The plugin remembers each protocol's problems; an edit is never answered from
    # what it remembered about the protocol before.
    declare(project, CHAT_TAKES_A_SET)
    assert check() == NO_JSON_FORM
    declare(project, CHAT_IS_A_MSG)
    assert check() == ""
    declare(project, CHAT_TAKES_A_SET)
    assert check() == NO_JSON_FORM
