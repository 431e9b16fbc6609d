"""Reading and type-checking a protocol costs one visit per distinct type.

A graph of ``TypedDict``s that each reference the next one twice has 2**depth paths
but only depth + 1 types: a walk that visits every path separately takes minutes at
depth 22 (``read_protocol``) or 26 (the mypy plugin), so the timeouts below fail it.
"""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from pursocket import Server, read_protocol
from pursocket.validation import InvalidValue, build_validators


def doubly_linked_source(depth: int) -> str:
    """A module declaring ``T0`` .. ``T<depth>``, each ``T<i>`` holding ``T<i+1>`` twice."""
    classes = [f"class T{depth}(TypedDict):\n    leaf: int\n"]
    classes += [
        f"class T{i}(TypedDict):\n    left: T{i + 1}\n    right: T{i + 1}\n"
        for i in range(depth - 1, -1, -1)
    ]
    return "from typing import TypedDict\n\n" + "\n".join(classes)


PROTOCOL = """
from pursocket import Msg, Server


class DeepC2S(TypedDict):
    deep: Msg[T0]


class Deep(TypedDict):
    c2s: DeepC2S


class DeepProtocol(TypedDict):
    deep: Deep
"""


def doubly_linked_protocol(depth: int) -> Any:
    # A module of its own, so that read_protocol resolves the annotations in its globals.
    module = types.ModuleType(f"deep_protocol_{depth}")
    sys.modules[module.__name__] = module
    exec(doubly_linked_source(depth) + PROTOCOL, module.__dict__)
    return module.DeepProtocol


@pytest.mark.timeout(20)
def test_read_protocol_and_the_validators_visit_each_type_once() -> None:
    protocol = doubly_linked_protocol(22)
    model = read_protocol(protocol)
    validators = build_validators(model, outgoing=True)
    (check,) = validators.values()
    with pytest.raises(InvalidValue) as refused:
        check.payload({"left": {"left": {}}, "right": {}})
    assert str(refused.value) == "Object missing required field `left` - at `$.left.left`"
    assert Server(protocol).model.namespace("deep").c2s["deep"].payload_type.__name__ == "T0"


@pytest.mark.timeout(90)
def test_the_mypy_plugin_visits_each_type_once(tmp_path: Path) -> None:
    (tmp_path / "mypy.ini").write_text("[mypy]\nplugins = pursocket_mypy\n")
    (tmp_path / "deep.py").write_text(
        doubly_linked_source(26)
        + PROTOCOL
        + "\nservers = [Server(DeepProtocol) for _ in range(3)]\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "deep.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert (result.stdout, result.stderr) == ("Success: no issues found in 1 source file\n", "")
