"""What the type-checker benchmarks (mypy_scale.py, typed_api_scale.py) share.

Both generate the same protocol of N namespaces x E events and time a checker's run
over modules that use it, in wall time and in CPU time.
"""

from __future__ import annotations

import resource
import subprocess
import time
from pathlib import Path


def is_c2s(index: int) -> bool:
    """Event ``index`` of a namespace goes client to server (the others server to client)."""
    return index % 2 == 0


def is_call(index: int) -> bool:
    """Event ``index`` of a namespace is a Call (the others are Msgs)."""
    return index % 3 == 0


def protocol_source(namespaces: int, events: int) -> str:
    """A protocol module: ``ns{i}`` namespaces, each with ``events`` events ``event{j}``.

    Each event has its own payload TypedDict ``Ns{i}Event{j}`` (``seq: int``,
    ``text: str``); a Call answers ``bool``.
    """
    lines = ["from typing import TypedDict", "", "from pursocket import Call, Msg", ""]
    for ns in range(namespaces):
        fields: dict[str, list[str]] = {"c2s": [], "s2c": []}
        for index in range(events):
            payload = f"Ns{ns}Event{index}"
            lines += [f"class {payload}(TypedDict):", "    seq: int", "    text: str", ""]
            marker = f"Call[{payload}, bool]" if is_call(index) else f"Msg[{payload}]"
            fields["c2s" if is_c2s(index) else "s2c"].append(f"    event{index}: {marker}")
        for direction, declared in fields.items():
            lines += [f"class Ns{ns}{direction.upper()}(TypedDict):", *declared, ""]
        lines += [f"class Ns{ns}(TypedDict):", f"    c2s: Ns{ns}C2S", f"    s2c: Ns{ns}S2C", ""]
    lines += ["class AppProtocol(TypedDict):", *(f"    ns{ns}: Ns{ns}" for ns in range(namespaces))]
    return "\n".join(lines) + "\n"


def timed_run(
    command: list[str], cwd: Path
) -> tuple[subprocess.CompletedProcess[str], float, float]:
    """Run ``command`` in ``cwd``: its result, wall seconds and CPU seconds.

    The CPU time is user + system of the command's processes; on a shared machine it
    is steadier than the wall time.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return result, wall, cpu
