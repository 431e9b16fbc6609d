"""What the benchmarks that run their server in a subprocess share.

The parent picks a free port and starts the script again with ``--serve``; the child
serves under uvicorn on that port and prints ``ready`` once it listens; the parent waits
for that line before it starts measuring.
"""

from __future__ import annotations

import asyncio
import socket
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
