"""What the benchmarks that run their server in a subprocess share.

The parent picks a free port and starts the script again with ``--serve``; the child
serves under uvicorn on that port and prints ``ready`` once it listens; the parent waits
for that line before it starts measuring.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from pathlib import Path
from typing import Any

import uvicorn


def free_port() -> int:
    """A loopback port that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def serve_and_say_ready(app: Any, port: int, **options: Any) -> None:
    """Serve ``app`` on 127.0.0.1:``port`` (uvicorn ``options``); print ``ready`` once it listens."""
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", **options)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    print("ready", flush=True)
    await task


async def wait_until_ready(process: asyncio.subprocess.Process, name: str) -> None:
    """Wait (30 s at most) for the ``ready`` line of the server ``process`` started."""
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), 30)
    if line.strip() != b"ready":
        raise RuntimeError(f"{name} did not start")


BENCH = Path(__file__).resolve().parent


class ServerProcess:
    """One benchmark server in a subprocess on a free loopback port.

    ``kind`` is ``pursocket`` or ``raw`` (bench/bench_server.py, on ``stack``, with its
    ``handlers`` style, with a Redis manager when ``redis`` is a URL) or ``node``
    (bench/node_server.mjs).
    """

    def __init__(
        self,
        kind: str,
        stack: str = "fast",
        redis: str | None = None,
        channel: str = "",
        *,
        handlers: str = "plain",
        extra: list[str] | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.kind = kind
        self.stack = stack
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: asyncio.subprocess.Process | None = None
        if kind == "node":
            self.command = ["node", str(BENCH / "node_server.mjs"), str(self.port)]
        else:
            self.command = [sys.executable, str(BENCH / "bench_server.py"), kind, str(self.port)]
            self.command += ["--stack", stack, "--handlers", handlers]
            if redis:
                self.command += ["--redis", redis, "--channel", channel or "pursocket-bench"]
            self.command += extra or []
        self.env = env

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def rss_bytes(self) -> int:
        """The server process's resident memory now (Linux ``/proc``)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS line in /proc/PID/status")

    async def __aenter__(self) -> ServerProcess:
        self.process = await asyncio.create_subprocess_exec(
            *self.command, stdout=asyncio.subprocess.PIPE, env=self.env
        )
        await wait_until_ready(self.process, f"the {self.kind} server")
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()


async def run_load(**options: Any) -> dict[str, Any]:
    """Run bench/load.mjs with ``options`` (its JSON argument); return what it printed."""
    process = await asyncio.create_subprocess_exec(
        "node", str(BENCH / "load.mjs"), json.dumps(options),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"load.mjs {options['scenario']} failed: {err.decode().strip()}")
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return result
