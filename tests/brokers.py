"""The message-queue brokers the tests share: Redis at 127.0.0.1:6379, RabbitMQ at 127.0.0.1:5672.

A test that needs one skips when it cannot be reached, and fails instead when ``CI=true``.
"""

from __future__ import annotations

import os

import aio_pika
import pytest
import redis.asyncio
import socketio

REDIS_URL = "redis://127.0.0.1:6379/3"
AMQP_URL = "amqp://guest:guest@127.0.0.1:5672//"
#: The python-socketio manager kinds, by the name the tests use, and their broker.
BROKERS = {"redis": REDIS_URL, "aiopika": AMQP_URL}


async def _unreachable(kind: str) -> str | None:
    """Why the broker of ``kind`` cannot be used, or ``None`` when it can."""
    try:
        if kind == "redis":
            client = redis.asyncio.from_url(REDIS_URL, socket_connect_timeout=3)
            try:
                await client.ping()
            finally:
                await client.aclose()
        else:
            connection = await aio_pika.connect(AMQP_URL, timeout=3)
            await connection.close()
    except Exception as exc:
        return f"the {kind} broker at {BROKERS[kind]} is not reachable ({exc!r})"
    return None


async def require_broker(kind: str) -> None:
    """Skip the test (fail it when ``CI=true``) unless the broker of ``kind`` answers."""
    problem = await _unreachable(kind)
    if problem is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{problem}; CI=true requires it")
        pytest.skip(problem)


def manager(kind: str, channel: str) -> socketio.AsyncManager:
    """python-socketio's message-queue manager of ``kind`` on ``channel``."""
    if kind == "redis":
        return socketio.AsyncRedisManager(REDIS_URL, channel=channel)
    return socketio.AsyncAioPikaManager(AMQP_URL, channel=channel)


async def drop_channel(kind: str, channel: str) -> None:
    """Remove what the manager of ``kind`` leaves behind on the broker for ``channel``."""
    if kind == "aiopika":
        # The manager declares a durable fanout exchange named after the channel.
        connection = await aio_pika.connect(AMQP_URL)
        async with connection:
            amqp_channel = await connection.channel()
            await amqp_channel.exchange_delete(channel)
