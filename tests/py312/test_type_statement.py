"""A recursive alias made with Python 3.12's ``type`` statement, in mypy and at run time.

``make pytest-python312`` runs this module in a venv on Python 3.12 (mypy running on
3.11 cannot parse the statement; tests/conftest.py leaves it out there). The protocols
are in ``type_statement.py``: mypy with the plugin checks call sites against them, the
runtime reads them and validates what a real round trip carries, and both refuse the
malformed ones with the same message.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from pursocket import Client, ProtocolError, Server, read_protocol
from pursocket._wire import ERROR_KEY
from pursocket.testing import ServeFixture
from pursocket.validation import InvalidValue, build_validators
from tests.conftest import Inbox
from tests.py312 import type_statement
from tests.py312.type_statement import BagProtocol, NotesProtocol, ShapesProtocol
from tests.trust_helpers import raw_client

BAG = (
    "BagProtocol.bag.c2s.put (payload): set[int] has no JSON form; use a TypedDict, "
    "list[T], tuple[A, B], tuple[T, ...], dict[str, T], str, int, float, bool, None, bytes, "
    "a Literal, or a union of these"
)
SHAPES = (
    "ShapesProtocol.shapes.c2s.draw (payload): Circle | dict[str, Shapes] holds several JSON "
    "object types, which a received object cannot be told apart by; make each a TypedDict "
    "with a tag, a key every one of them declares as a Literal of its own values (kind: "
    'Literal["circle"])'
)

CALL_SITES = """\
from pursocket import Client, Server
from type_statement import BagProtocol, NotesProtocol, ShapesProtocol

notes = Client(NotesProtocol).namespace("notes")


async def send() -> None:
    await notes.emit("annotate", {"tags": ["a", 1, None], "nested": {"deep": [True, 2.5]}})
    answer = await notes.call("save", {"title": "t", "body": [1, {"k": None}]})
    reveal_type(answer)
    await notes.emit("annotate", {"tags": {1, 2}})
    await notes.call("save", {"title": "t", "body": b"raw"})


Server(BagProtocol)
Server(ShapesProtocol)
"""

#: The Call's result is the alias unfolded; each wrong payload is reported where it is.
JSON_UNFOLDED = "dict[str, ...] | list[...] | str | int | float | bool | None"
MYPY_SAYS = [
    f'check.py:10: note: Revealed type is "dict[str, {JSON_UNFOLDED}] | list[{JSON_UNFOLDED}] '
    '| str | int | float | None"',
    'check.py:11: error: Dict entry 0 has incompatible type "str": "set[int]"; expected '
    '"str": "dict[str, Json] | list[Json] | str | int | float | None"  [dict-item]',
    'check.py:12: error: Incompatible types (expression has type "bytes", TypedDict item '
    '"body" has type "Json")  [typeddict-item]',
    f"check.py:15: error: {BAG}  [pursocket-protocol]",
    f"check.py:16: error: {SHAPES}  [pursocket-protocol]",
]


def test_mypy_with_the_plugin_checks_call_sites_against_the_alias(tmp_path: Path) -> None:
    shutil.copy(type_statement.__file__, tmp_path / "type_statement.py")
    (tmp_path / "check.py").write_text(CALL_SITES)
    (tmp_path / "mypy.ini").write_text("[mypy]\nstrict = true\nplugins = pursocket_mypy\n")
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "--no-error-summary", "check.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert (run.stdout.splitlines(), run.stderr) == (MYPY_SAYS, "")


@pytest.mark.parametrize(
    ("protocol", "message"), [(BagProtocol, BAG), (ShapesProtocol, SHAPES)], ids=["bag", "shapes"]
)
def test_the_runtime_refuses_what_the_plugin_refuses_with_the_same_message(
    protocol: Any, message: str
) -> None:
    with pytest.raises(ProtocolError) as refused:
        read_protocol(protocol)
    assert str(refused.value) == message


def test_the_runtime_reads_the_alias_itself() -> None:
    notes = read_protocol(NotesProtocol).namespace("notes")
    assert notes.c2s["annotate"].payload_type is type_statement.Json
    assert notes.c2s["save"].response_type is type_statement.Json
    assert notes.s2c["saved"].payload_type is type_statement.Json


async def test_a_round_trip_validates_values_of_the_alias(pursocket_serve: ServeFixture) -> None:
    server = Server(NotesProtocol)
    served = server.namespace("notes")
    annotated = Inbox()
    served.on("annotate")(lambda conn, value: annotated.put(value))

    @served.on_call("save")
    async def save(conn: Any, note: Any) -> Any:
        await conn.emit("saved", note["body"])
        return {"saved": note["title"], "body": note["body"]}

    url = await pursocket_serve(server)
    client = Client(NotesProtocol)
    notes = client.namespace("notes")
    saved = Inbox()
    notes.on("saved")(saved.put)
    value = {"tags": ["a", 1, None], "nested": {"deep": [True, 2.5, {"x": []}]}}
    async with client:
        await client.connect(url)
        await notes.emit("annotate", value)
        answer = await notes.call("save", {"title": "t", "body": value})
        assert await annotated.wait_for(1) == [value]
        assert await saved.wait_for(1) == [value]
    assert answer == {"saved": "t", "body": value}

    raw = await raw_client(url, "/notes")
    try:
        refused = await raw.call(
            "save", {"title": "t", "body": {"a": [1, b"raw"]}}, namespace="/notes", timeout=5
        )
    finally:
        await raw.disconnect()
    reason = "Expected `bool | int | float | str | null`, got `bytes` - at `$.body[...][1]`"
    assert refused == {
        ERROR_KEY: {
            "code": "invalid_payload",
            "message": f'invalid payload for "save": {reason}',
            "details": reason,
        }
    }


def test_the_docs_example_reads_and_validates(monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/protocol.md's ``python 3.12`` block, run after the page's other blocks."""
    page = (Path(__file__).parents[2] / "docs" / "protocol.md").read_text()
    code = re.findall(r"^```python\n(.*?)^```$", page, flags=re.S | re.M)
    typed = re.findall(r"^```python 3\.12\n(.*?)^```$", page, flags=re.S | re.M)
    assert len(typed) == 1
    module = types.ModuleType("docs_protocol_312")
    monkeypatch.setitem(sys.modules, module.__name__, module)  # annotations resolve there
    exec(compile("\n".join([*code, *typed]), "protocol.md", "exec"), module.__dict__)
    checks = {
        event: validators
        for (_, _, event), validators in build_validators(
            read_protocol(module.NotesProtocol)
        ).items()
    }
    value = {"tags": ["a", 1, None], "nested": {"deep": [True, 2.5]}}
    assert checks["annotate"].payload(value) == value
    assert checks["save"].response(value) == value
    with pytest.raises(InvalidValue) as refused:
        checks["save"].payload({"title": "t", "body": {"a": [b"raw"]}})
    assert str(refused.value) == (
        "Expected `bool | int | float | str | null`, got `bytes` - at `$.body[...][0]`"
    )
