"""What an editor shows for the generated typed API: pyright's language server, asked.

docs/editors.md promises that VS Code (Pylance, i.e. pyright's language server) offers
exactly the events a method may use, the payload keys of their ``TypedDict``s, and the
generated docstrings on hover. Here pyright's own language server, from the pinned npm
package, answers completion and hover requests over LSP on a file of a copy of the
typed_app fixture (typecheck_tests/typed_app), as an editor would send them; the
expected events come from pursocket's model of the protocol, never from a list here.
"""

from __future__ import annotations

import ast
import importlib
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from pursocket import read_protocol
from pursocket.protocol import Direction, EventKind, ProtocolModel
from tests.lsp_client import LspClient

ROOT = Path(__file__).resolve().parent.parent
APPS = ROOT / "typecheck_tests"
APP = APPS / "typed_app"
# The pyright package itself: node_modules/.bin/pyright-langserver is basedpyright's,
# whose package declares the same command names.
PYRIGHT_LANGSERVER = ROOT / "node_modules" / "pyright" / "langserver.index.js"
#: LSP's CompletionItemKind.Constant: what pyright gives a string literal it offers.
CONSTANT = 21

#: The file the editor has open; ``<|name|>`` marks a cursor position, and is not part
#: of the text the server sees. A cursor in a string sits between the two quotes an
#: editor's auto-closing leaves on typing the first.
PROBE = """\
from __future__ import annotations

from typed_app import protocol_api as api
from typed_app.protocol import ChatMessage

server = api.Server()
lobby = server.namespace("lobby")
lobby_client = api.Client().namespace("lobby")
game_client = api.Client().namespace("game-room")

lobby.on("<|lobby_on|>")


@lobby.on("chat")
async def chat(<|conn_parameter|>conn: api.<|conn_annotation|>LobbyConnection, message: ChatMessage) -> None:
    await conn.<|lobby_emit_method|>emit("<|lobby_emit|>")
    await conn.call("<|lobby_call|>")
    await conn.emit("userCount", {"<|user_count_key|>"})


async def game(conn: api.GameRoomConnection) -> None:
    await conn.<|game_emit_method|>emit("<|game_emit|>")
    await conn.emit("hit", {"<|point_key|>"})


async def client_side() -> None:
    await lobby_client.emit("<|lobby_client_emit|>")
    await lobby_client.call("<|lobby_client_call|>")
    await lobby_client.call("measure", {"<|shape_key|>"})
    await game_client.emit("<|game_client_emit|>")
    game_client.on("<|game_client_on|>")
"""
MARKER = re.compile(r"<\|(\w+)\|>")


def _cursors(marked: str) -> tuple[str, dict[str, tuple[int, int]]]:
    """The text without its markers, and each marker's (line, character), 0-based."""
    lines: list[str] = []
    cursors: dict[str, tuple[int, int]] = {}
    for number, line in enumerate(marked.splitlines()):
        while match := MARKER.search(line):
            cursors[match[1]] = (number, match.start())
            line = line[: match.start()] + line[match.end() :]
        lines.append(line)
    return "\n".join(lines) + "\n", cursors


TEXT, CURSORS = _cursors(PROBE)


@attrs.frozen
class Editor:
    """The language server with the probe file open in it."""

    server: LspClient
    uri: str

    def _at(self, marker: str) -> dict[str, Any]:
        line, character = CURSORS[marker]
        return {
            "textDocument": {"uri": self.uri},
            "position": {"line": line, "character": character},
        }

    def complete(self, marker: str) -> list[dict[str, Any]]:
        """The completion items offered at ``marker``."""
        result = self.server.request("textDocument/completion", self._at(marker))
        items: list[dict[str, Any]] = result["items"] if isinstance(result, dict) else result
        return items

    def hover(self, marker: str) -> str:
        """The markdown shown when hovering at ``marker``."""
        result = self.server.request("textDocument/hover", self._at(marker))
        assert result["contents"]["kind"] == "markdown"
        value: str = result["contents"]["value"]
        return value


@pytest.fixture(scope="module")
def editor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Editor]:
    """pyright's language server on a copy of the typed_app, with the probe file open."""
    workspace = tmp_path_factory.mktemp("editor")
    shutil.copytree(APP, workspace / "typed_app")
    shutil.copy(APPS / "pyrightconfig.json", workspace)
    probe = workspace / "typed_app" / "probe.py"
    probe.write_text(TEXT)
    server = LspClient(
        ["node", str(PYRIGHT_LANGSERVER), "--stdio"],
        cwd=workspace,
        # What VS Code's Python extension answers: the interpreter whose site-packages
        # (pursocket's editable install) pyright resolves imports from.
        settings={"python": {"pythonPath": sys.executable}},
    )
    try:
        server.initialize(workspace)
        server.open(probe, TEXT)
        yield Editor(server, probe.as_uri())
    finally:
        server.close()


@pytest.fixture(scope="module")
def model() -> ProtocolModel:
    """pursocket's model of the typed_app protocol, read from the fixture app."""
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(APPS))
        protocol = importlib.import_module("typed_app.protocol")
    return read_protocol(protocol.ApiProtocol)


def _offered_names(items: list[dict[str, Any]]) -> set[str]:
    """The strings offered as literals: each label is the quoted string the item inserts."""
    names: set[str] = set()
    for item in items:
        label = item["label"]
        assert (item["kind"], item["textEdit"]["newText"]) == (CONSTANT, label), item
        assert re.fullmatch(r'"[^"\\]*"', label), item
        names.add(label[1:-1])
    assert len(names) == len(items), f"a string offered twice: {items}"
    return names


def _events(
    model: ProtocolModel, namespace: str, direction: Direction, kind: EventKind
) -> set[str]:
    events = model.namespace(namespace).events(direction)
    return {name for name, spec in events.items() if spec.kind is kind}


@pytest.mark.parametrize(
    ("marker", "namespace", "direction", "kind"),
    [
        ("lobby_emit", "lobby", Direction.S2C, EventKind.MSG),
        ("lobby_call", "lobby", Direction.S2C, EventKind.CALL),
        ("lobby_on", "lobby", Direction.C2S, EventKind.MSG),
        ("game_emit", "game-room", Direction.S2C, EventKind.MSG),
        ("lobby_client_emit", "lobby", Direction.C2S, EventKind.MSG),
        ("lobby_client_call", "lobby", Direction.C2S, EventKind.CALL),
        ("game_client_emit", "game-room", Direction.C2S, EventKind.MSG),
        ("game_client_on", "game-room", Direction.S2C, EventKind.MSG),
    ],
)
def test_an_event_name_completes_to_exactly_the_events_the_method_takes(
    editor: Editor,
    model: ProtocolModel,
    marker: str,
    namespace: str,
    direction: Direction,
    kind: EventKind,
) -> None:
    expected = _events(model, namespace, direction, kind)
    assert expected
    assert _offered_names(editor.complete(marker)) == expected


def _payload_keys(
    model: ProtocolModel, namespace: str, direction: Direction, event: str
) -> set[str]:
    payload = model.namespace(namespace).events(direction)[event].payload_type
    return set(payload.__required_keys__ | payload.__optional_keys__)


@pytest.mark.parametrize(
    ("marker", "event", "other"),
    [
        # (the cursor, the event whose payload is being typed, an event of another TypedDict)
        (
            "user_count_key",
            ("lobby", Direction.S2C, "userCount"),
            ("game-room", Direction.S2C, "hit"),
        ),
        ("point_key", ("game-room", Direction.S2C, "hit"), ("lobby", Direction.S2C, "userCount")),
        # Shape: total=False, with Required, NotRequired and ReadOnly keys.
        ("shape_key", ("lobby", Direction.C2S, "measure"), ("lobby", Direction.C2S, "chat")),
    ],
)
def test_a_payload_key_completes_to_the_keys_of_the_events_typeddict(
    editor: Editor,
    model: ProtocolModel,
    marker: str,
    event: tuple[str, Direction, str],
    other: tuple[str, Direction, str],
) -> None:
    keys = _payload_keys(model, *event)
    other_keys = _payload_keys(model, *other)
    assert keys and other_keys and keys.isdisjoint(other_keys)
    items = editor.complete(marker)
    assert _offered_names([item for item in items if item["kind"] == CONSTANT]) == keys
    assert not {item["label"].strip("\"'") for item in items} & other_keys


def _generated_docstring(cls: str, method: str | None = None) -> str:
    """The docstring the golden stub gives ``cls`` (or its ``method``'s first item, which
    ``cls`` declares or inherits from a base the stub declares)."""
    module = ast.parse((APP / "protocol_api.pyi").read_text())
    classes = {node.name: node for node in ast.walk(module) if isinstance(node, ast.ClassDef)}
    found: ast.ClassDef | ast.AsyncFunctionDef | ast.FunctionDef = classes[cls]
    if method is not None:
        declaring = [classes[cls]] + [
            classes[base.id]
            for base in classes[cls].bases
            if isinstance(base, ast.Name) and base.id in classes
        ]
        found = next(
            node
            for declared in declaring
            for node in declared.body
            if isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef) and node.name == method
        )
    docstring = ast.get_docstring(found)
    assert docstring
    # pyright renders a docstring's ``code`` as markdown's `code`.
    return docstring.replace("``", "`")


def _shown_docstring(hover: str) -> str:
    """The documentation under the signature in a hover ("```python ... ```\\n---\\ndoc")."""
    signature, separator, documentation = hover.partition("\n```\n---\n")
    assert signature.startswith("```python\n") and separator, hover
    return documentation


@pytest.mark.parametrize(
    ("marker", "cls"),
    [
        ("lobby_emit_method", "LobbyConnection"),
        # Overloaded: the docstring sits on the first item, and there is no implementation.
        ("game_emit_method", "GameRoomConnection"),
    ],
)
def test_hovering_a_generated_method_shows_its_docstring(
    editor: Editor, marker: str, cls: str
) -> None:
    hover = editor.hover(marker)
    assert hover.startswith("```python\n(method)")
    assert _shown_docstring(hover) == _generated_docstring(cls, "emit")


def test_hovering_a_handlers_connection_type_shows_the_class_docstring(editor: Editor) -> None:
    assert _shown_docstring(editor.hover("conn_annotation")) == _generated_docstring(
        "LobbyConnection"
    )
    # The parameter itself shows its type, resolved through pursocket's installed
    # package (the state defaults to None), and no docstring.
    assert (
        editor.hover("conn_parameter") == "```python\n(parameter) conn: LobbyConnection[None]\n```"
    )
