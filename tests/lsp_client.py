"""A small Language Server Protocol client: JSON-RPC over a server's stdin and stdout.

Enough to ask a language server (pyright's) what an editor would show: it frames
messages with ``Content-Length`` headers, matches each response to its request by id,
answers the server's own requests (``workspace/configuration`` from the settings it
was given, capability registrations and progress with an empty success, anything else
with JSON-RPC's "method not found") and skips its notifications. Every wait is
bounded, and a server that dies or fails to answer raises ``LspError`` carrying its
stderr.
"""

from __future__ import annotations

import contextlib
import json
import queue
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

#: The server's requests whose answer is an empty success: it may register
#: capabilities and report progress, which this client does not track.
ACKNOWLEDGED = frozenset(
    {"client/registerCapability", "client/unregisterCapability", "window/workDoneProgress/create"}
)
#: JSON-RPC's error code for a request the receiver does not implement.
METHOD_NOT_FOUND = -32601


class LspError(AssertionError):
    """The server died, answered with an error, or did not answer in time."""


class LspClient:
    """One language server process, spoken to from the calling thread.

    ``settings`` maps a configuration section (``"python"``) to its value, returned
    when the server asks for that section with ``workspace/configuration``.
    """

    def __init__(
        self, command: Sequence[str], *, cwd: Path, settings: Mapping[str, object]
    ) -> None:
        self._settings = settings
        self._process = subprocess.Popen(
            list(command),
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert self._process.stdout is not None and self._process.stderr is not None
        # Each message read, or None when stdout closed: the server is gone.
        self._inbox: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._stderr: list[bytes] = []
        self._next_id = 0
        self._readers = [
            threading.Thread(target=self._read_messages, args=(self._process.stdout,), daemon=True),
            threading.Thread(target=self._read_stderr, args=(self._process.stderr,), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    # -- the wire -----------------------------------------------------------------

    def _read_messages(self, stdout: IO[bytes]) -> None:
        while (body := self._read_body(stdout)) is not None:
            self._inbox.put(json.loads(body))
        self._inbox.put(None)

    @staticmethod
    def _read_body(stdout: IO[bytes]) -> bytes | None:
        """The next message's JSON, after its headers; None when the stream ends (or breaks)."""
        length = None
        while (line := stdout.readline()) != b"\r\n":
            if not line:
                return None
            name, _, value = line.decode("ascii").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        if length is None:
            return None
        body = stdout.read(length)
        return body if len(body) == length else None

    def _read_stderr(self, stderr: IO[bytes]) -> None:
        for line in stderr:
            self._stderr.append(line)

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        stdin = self._process.stdin
        assert stdin is not None
        try:
            stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
            stdin.flush()
        except BrokenPipeError:
            raise self._failure(f"the server exited before {message.get('method')}") from None

    def _failure(self, what: str, *, exited: bool = True) -> LspError:
        if exited:  # its last words: stderr up to its end
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._process.wait(timeout=10)
            self._readers[1].join(timeout=10)
        stderr = b"".join(self._stderr).decode(errors="replace")
        return LspError(f"{what}; exit code {self._process.poll()}; stderr:\n{stderr}")

    # -- JSON-RPC -----------------------------------------------------------------

    def notify(self, method: str, params: object) -> None:
        """Send a notification (no answer expected)."""
        self._send({"method": method, "params": params})

    def request(self, method: str, params: object, *, timeout: float = 10.0) -> Any:
        """Send a request and return its result, serving the server's requests meanwhile."""
        self._next_id += 1
        request_id = self._next_id
        self._send({"id": request_id, "method": method, "params": params})
        deadline = time.monotonic() + timeout
        while True:
            try:
                message = self._inbox.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise self._failure(
                    f"no answer to {method} within {timeout} s", exited=False
                ) from None
            if message is None:
                self._inbox.put(None)  # every later wait sees the end too
                raise self._failure(f"the server closed its output while answering {method}")
            if "method" in message:
                if "id" in message:
                    self._answer(message)
                continue  # a notification: diagnostics, logs, progress
            if message.get("id") != request_id:
                continue  # the late answer to an earlier request
            if "error" in message:
                raise self._failure(f"{method} failed: {message['error']}", exited=False)
            return message.get("result")

    def _answer(self, request: dict[str, Any]) -> None:
        method = request["method"]
        if method == "workspace/configuration":
            result = [
                self._settings.get(item.get("section", ""), {})
                for item in request["params"]["items"]
            ]
            self._send({"id": request["id"], "result": result})
        elif method in ACKNOWLEDGED:
            self._send({"id": request["id"], "result": None})
        else:
            error = {"code": METHOD_NOT_FOUND, "message": f"{method} is not supported"}
            self._send({"id": request["id"], "error": error})

    # -- the session ----------------------------------------------------------------

    def initialize(self, root: Path) -> None:
        """``initialize`` with ``root`` as the one workspace folder, then ``initialized``."""
        self.request(
            "initialize",
            {
                "processId": None,
                "rootUri": root.as_uri(),
                "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
                "capabilities": {
                    "workspace": {"configuration": True},
                    "textDocument": {
                        "completion": {"completionItem": {"documentationFormat": ["markdown"]}},
                        "hover": {"contentFormat": ["markdown"]},
                    },
                },
            },
            timeout=30.0,
        )
        self.notify("initialized", {})

    def open(self, path: Path, text: str) -> None:
        """Open ``path`` with ``text`` as its content (what the editor shows, not the disk)."""
        self.notify(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": path.as_uri(),
                    "languageId": "python",
                    "version": 1,
                    "text": text,
                }
            },
        )

    def close(self) -> None:
        """``shutdown`` and ``exit``, then wait for the process; kill it if it lingers."""
        try:
            if self._process.poll() is None:
                self.request("shutdown", None)
                self.notify("exit", None)
                self._process.wait(timeout=10)
        finally:
            if self._process.poll() is None:
                self._process.kill()
                self._process.wait(timeout=10)
            assert self._process.stdin is not None
            with contextlib.suppress(BrokenPipeError):  # a write the dead server never read
                self._process.stdin.close()
            for reader in self._readers:
                reader.join(timeout=10)
