"""docs/logging.md: the logger names, what each level carries, and the page's configuration."""

from __future__ import annotations

import logging
import sys
import time
import types
from pathlib import Path
from typing import Any

import pytest

from pursocket import Server
from pursocket._logging import LogLimiter
from pursocket.testing import ServeFixture
from tests.conftest import Inbox
from tests.protocols import AppProtocol, JoinRequest
from tests.test_concept_docs import blocks
from tests.trust_helpers import pursocket_records, raw_client


def run_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    monkeypatch.chdir(tmp_path)  # the page writes refused-input.log where it runs
    page = types.ModuleType("docs_logging")
    exec(compile("\n".join(blocks("logging.md")), "logging.md", "exec"), page.__dict__)
    return page


async def test_the_lines_the_page_quotes(
    pursocket_serve: ServeFixture,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    page = run_page(tmp_path, monkeypatch)
    try:
        server = Server(AppProtocol)
        failed = Inbox()

        @server.namespace("lobby").on_call("join")
        def join(conn: Any, request: JoinRequest) -> Any:
            failed.put(request)
            raise RuntimeError("a bug")

        url = await pursocket_serve(server)
        raw = await raw_client(url, "/lobby")
        try:
            sid = raw.get_sid("/lobby")
            await raw.emit("chat", {"text": 5}, namespace="/lobby")
            answer = await raw.call("join", {"name": "a"}, namespace="/lobby", timeout=5)
            await raw.emit("chat", {"text": "no handler"}, namespace="/lobby")
            await raw.call("join", {"name": "b"}, namespace="/lobby", timeout=5)
        finally:
            await raw.disconnect()
        assert answer["__pursocket_error__"]["code"] == "handler_error"
        lines = [(r.levelname, r.getMessage()) for r in pursocket_records(caplog)]
        raised = (
            f'The handler for "join" in namespace "lobby" (c2s) raised while handling an '
            f"event from sid {sid}: RuntimeError: a bug (at {__file__}:"
        )
        # The handler's frame, then pursocket's frames that called it.
        lines = [
            (level, line[: len(raised)] if line.startswith(raised) else line)
            for level, line in lines
        ]
        assert lines == [
            (
                "WARNING",
                f'Refused a Msg event from sid {sid} in namespace "lobby" (invalid_payload): '
                'invalid payload for "chat": Expected `str`, got `int` - at `$.text`',
            ),
            ("ERROR", raised),
            (
                "WARNING",
                f'No handler is registered for "chat" in namespace "lobby" (c2s); dropped an '
                f"event from sid {sid}",
            ),
            ("ERROR", raised),
        ]
        # One line each: no traceback.
        assert [r.exc_info for r in pursocket_records(caplog)] == [None] * 4
        page.refused_input.flush()
        written = (tmp_path / "refused-input.log").read_text().splitlines()
        assert [line.split(": ", 1)[1] for line in written] == [lines[0][1], lines[2][1]]
        assert len(written) == 2
        assert all(" WARNING pursocket: " in line for line in written)
    finally:
        logging.getLogger("pursocket").removeHandler(page.refused_input)
        page.refused_input.close()


def test_pursocket_logs_nothing_below_warning() -> None:
    package = Path(__file__).resolve().parent.parent / "pursocket"
    source = "\n".join(path.read_text() for path in package.rglob("*.py"))
    for call in ("logging.INFO", "logging.DEBUG", "logger.info(", "logger.debug("):
        assert call not in source


def test_a_peer_gets_five_lines_a_window_and_the_next_says_how_many_were_held_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    target = logging.getLogger("pursocket.test_limiter")
    limiter = LogLimiter(window=0.2, target=target)
    caplog.set_level(logging.WARNING, logger=target.name)
    for number in range(8):
        limiter.log(logging.WARNING, "sid x", "line %d", number)
    # The window is a span of time, opened by the first line: this test waits it out.
    time.sleep(0.25)
    limiter.log(logging.WARNING, "sid x", "line %d", 8)
    assert [r.getMessage() for r in caplog.records] == [
        "line 0",
        "line 1",
        "line 2",
        "line 3",
        "line 4",
        "line 8 (3 similar lines from this connection were held back)",
    ]


def test_the_logger_names_are_the_libraries_own() -> None:
    server = Server(AppProtocol)
    assert server.sio.logger.name == "socketio.server"
    assert server.sio.eio.logger.name == "engineio.server"
    assert sys.modules["pursocket._logging"].logger.name == "pursocket"
