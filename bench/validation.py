"""The cost of validating one payload, in microseconds: msgspec against pydantic.

Run it with ``.venv/bin/python bench/validation.py`` (``--quick`` for a smoke run).

Both libraries validate strictly (``"1"`` is not an ``int``) against the same
payload types, a small chat message and a large room snapshot (200 messages with
nested members), in the two ways pursocket could use them:

- ``from Python``: the payload has already been decoded by a JSON parser and is
  checked (``msgspec.convert(..., strict=True)`` /
  ``TypeAdapter.validate_python(..., strict=True)``). This is what pursocket does
  for values that are not plain JSON (binary attachments, acknowledgements).
- ``from JSON``: raw JSON text is decoded and validated in one pass
  (``msgspec.json.Decoder(type, strict=True)`` /
  ``TypeAdapter.validate_json(..., strict=True)``).
  This is what pursocket's codec does for EVENT packets.

For reference, the table also shows decoding the same JSON without validation
(``json.loads``, python-socketio's default, and ``msgspec.json.decode``).
The types use ``typing_extensions.TypedDict`` because pydantic refuses
``typing.TypedDict`` on Python < 3.12.
"""

from __future__ import annotations

import argparse
import json
import platform
import timeit
from collections.abc import Callable
from typing import Any, Literal

import msgspec
import pydantic
from typing_extensions import NotRequired, TypedDict


class Member(TypedDict):
    id: int
    name: str
    role: Literal["owner", "moderator", "member"]
    avatar: NotRequired[str | None]


class ChatMessage(TypedDict):
    room: str
    author: Member
    text: str
    sent_at: float
    tags: list[str]
    reactions: dict[str, int]


class RoomSnapshot(TypedDict):
    room: str
    members: list[Member]
    history: list[ChatMessage]


def small_payload() -> ChatMessage:
    return {
        "room": "lobby",
        "author": {"id": 7, "name": "Alice", "role": "member", "avatar": None},
        "text": "the quick brown fox jumps over the lazy dog",
        "sent_at": 1_700_000_000.25,
        "tags": ["greeting", "fox"],
        "reactions": {"+1": 3, "heart": 1},
    }


def large_payload() -> RoomSnapshot:
    members: list[Member] = [{"id": i, "name": f"user{i}", "role": "member"} for i in range(50)]
    history = []
    for i in range(200):
        message = small_payload()
        message["author"] = members[i % 50]
        message["text"] = f"message {i}: " + "lorem ipsum " * 8
        history.append(message)
    return {"room": "lobby", "members": members, "history": history}


def per_call_us(function: Callable[[], Any], seconds: float) -> float:
    """Best-of-5 time of one call, in microseconds."""
    timer = timeit.Timer(function)
    number, _ = timer.autorange()
    number = max(1, int(number * seconds / 0.2))
    return min(timer.repeat(5, number)) / number * 1e6


def measure(label: str, tp: Any, payload: Any, seconds: float) -> None:
    """Print one row per method for one payload type."""
    text = json.dumps(payload, separators=(",", ":"))
    adapter: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(tp)
    decoder = msgspec.json.Decoder(tp, strict=True)
    assert decoder.decode(text) == adapter.validate_json(text, strict=True) == payload
    rows: list[tuple[str, Callable[[], Any]]] = [
        ("msgspec convert (from Python)", lambda: msgspec.convert(payload, tp, strict=True)),
        (
            "pydantic validate_python (from Python)",
            lambda: adapter.validate_python(payload, strict=True),
        ),
        ("msgspec Decoder(type) (from JSON)", lambda: decoder.decode(text)),
        ("pydantic validate_json (from JSON)", lambda: adapter.validate_json(text, strict=True)),
        ("json.loads, no validation", lambda: json.loads(text)),
        ("msgspec.json.decode, no validation", lambda: msgspec.json.decode(text)),
    ]
    for method, function in rows:
        print(f"{label:<8} {len(text):>7}  {method:<40} {per_call_us(function, seconds):>9.2f}")


def main(seconds: float) -> None:
    print(
        f"python {platform.python_version()}, msgspec {msgspec.__version__}, "
        f"pydantic {pydantic.VERSION}; best of 5; microseconds per message"
    )
    print(f"{'payload':<8} {'bytes':>7}  {'method':<40} {'us/msg':>9}")
    measure("small", ChatMessage, small_payload(), seconds)
    measure("large", RoomSnapshot, large_payload(), seconds)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    arguments = parser.parse_args()
    main(0.05 if arguments.quick else 0.5)
