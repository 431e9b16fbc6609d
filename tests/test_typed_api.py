"""``pursocket export python``: the generated typed API, checked by four checkers and run.

The fixture app in ``typecheck_tests/typed_app`` is a user's project: ``protocol.py``,
the generated ``protocol_api.py`` and its stub ``protocol_api.pyi`` (the golden files,
kept fresh by ``--check``),
``accepted.py`` (no checker may report anything) and ``rejected.py`` (every line
marked ``# E`` must be reported, and nothing else). pyright and basedpyright run in
strict mode, mypy with ``--strict`` and no plugin, and mypy with the ``pursocket_mypy``
plugin, where each mistake must be reported once.
"""

from __future__ import annotations

import inspect
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal, TypedDict, get_origin

import attrs
import pytest

import pursocket
from pursocket import Call, Msg, read_protocol
from pursocket.exports import ExportError
from pursocket.exports.python_api import class_names, render_python_api
from pursocket.testing import RecordingClient, ServeFixture

ROOT = Path(__file__).resolve().parent.parent
APPS = ROOT / "typecheck_tests"
APP = APPS / "typed_app"
# Each checker's own entry script, run with node: both npm packages declare a
# ``pyright`` command, so ``node_modules/.bin/pyright`` is whichever npm linked last.
PYRIGHT = ROOT / "node_modules" / "pyright" / "index.js"
BASEDPYRIGHT = ROOT / "node_modules" / "basedpyright" / "index.js"
TARGET = "typed_app.protocol:ApiProtocol"
MARKED = re.compile(r"# E(\s|$)")


@pytest.fixture(autouse=True)
def _typed_app_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(APPS))


def _marked_lines(path: Path) -> set[int]:
    return {
        number
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if MARKED.search(line)
    }


def _pursocket(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pursocket", *args],
        cwd=APPS,
        capture_output=True,
        text=True,
        timeout=60,
    )


# -- the generated module ---------------------------------------------------------


def test_the_golden_files_are_what_export_writes_now() -> None:
    """The committed protocol_api.py and .pyi are the golden files: --check finds them
    up to date."""
    result = _pursocket("export", "python", TARGET, "-o", "typed_app/protocol_api.py", "--check")
    assert (result.returncode, result.stdout) == (0, "")
    assert result.stderr == (
        "typed_app/protocol_api.py is up to date\ntyped_app/protocol_api.pyi is up to date\n"
    )


def _copies(tmp_path: Path, edited: str = "", old: str = "", new: str = "") -> Path:
    """Copies of the golden files in ``tmp_path``, the one ending in ``edited`` with
    ``old`` replaced by ``new``, as an older export would have written it; the module's
    path."""
    for suffix in (".py", ".pyi"):
        text = (APP / "protocol_api").with_suffix(suffix).read_text()
        if suffix == edited:
            assert old in text
            text = text.replace(old, new)
        (tmp_path / "protocol_api").with_suffix(suffix).write_text(text)
    return tmp_path / "protocol_api.py"


@pytest.mark.parametrize(
    ("stale", "old", "new", "removed"),
    [
        (".pyi", '"userCount"', '"userCnt"', '-    async def emit(self, event: Literal["userCnt"]'),
        (
            ".py",
            'Literal["game-room"]',
            'Literal["game_room"]',
            '-GameRoomConnection = pursocket.Connection[ApiProtocol, Literal["game_room"], _StateT]',
        ),
    ],
)
def test_check_reports_a_stale_file_with_a_diff(
    tmp_path: Path, stale: str, old: str, new: str, removed: str
) -> None:
    """Each of the two files is compared: the stale one gets a diff, the other is current."""
    module = _copies(tmp_path, stale, old, new)
    result = _pursocket("export", "python", TARGET, "-o", str(module), "--check")
    stale_path, current_path = (
        module.with_suffix(suffix) for suffix in (stale, ".py" if stale == ".pyi" else ".pyi")
    )
    assert result.returncode == 1
    assert result.stdout.splitlines()[:2] == [
        f"--- {stale_path} (on disk)",
        f"+++ {stale_path} (exported now)",
    ]
    assert [line for line in result.stdout.splitlines() if line.startswith(removed)] != []
    reports = {
        stale_path: f"pursocket: {stale_path} is not what export writes for {TARGET} now; "
        f"update it with: pursocket export python {TARGET} -o {module}\n",
        current_path: f"{current_path} is up to date\n",
    }
    assert result.stderr == reports[module] + reports[module.with_suffix(".pyi")]


def test_check_of_a_missing_stub_fails(tmp_path: Path) -> None:
    module = _copies(tmp_path)
    (tmp_path / "protocol_api.pyi").unlink()
    result = _pursocket("export", "python", TARGET, "-o", str(module), "--check")
    assert (result.returncode, result.stdout, result.stderr) == (
        1,
        "",
        f"{module} is up to date\n"
        f"pursocket: error: {tmp_path}/protocol_api.pyi does not exist; write it with: "
        f"pursocket export python {TARGET} -o {module}\n",
    )


def test_export_writes_the_module_and_its_stub_beside_it(tmp_path: Path) -> None:
    written = tmp_path / "api.py"
    result = _pursocket("export", "python", TARGET, "-o", str(written))
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["api.py", "api.pyi"]
    assert written.read_text() == (APP / "protocol_api.py").read_text()
    assert (tmp_path / "api.pyi").read_text() == (APP / "protocol_api.pyi").read_text()


@pytest.mark.parametrize("output", [None, "protocol_api.txt", "protocol_api.pyi"])
def test_the_python_format_needs_a_module_to_write(output: str | None) -> None:
    """It writes two files, so standard output will not do, nor a name not ending in .py."""
    result = _pursocket("export", "python", TARGET, *(["-o", output] if output else []))
    assert (result.returncode, result.stdout, result.stderr) == (
        2,
        "",
        "pursocket: error: the python format writes two files, FILE.py and FILE.pyi beside "
        "it: give -o FILE.py\n",
    )
    assert not (APPS / "protocol_api.txt").exists()


@pytest.mark.parametrize(
    ("namespace", "prefix"),
    [
        ("lobby", "Lobby"),
        ("game-room", "GameRoom"),
        ("/", "Root"),
        ("chatRoom", "ChatRoom"),
        ("snake_case.name", "SnakeCaseName"),
        ("1v1", "Namespace1v1"),
    ],
)
def test_class_names_are_the_namespace_key_in_pascal_case(namespace: str, prefix: str) -> None:
    names = class_names(namespace)
    assert attrs.astuple(names) == (
        f"{prefix}ServerNamespace",
        f"{prefix}ClientNamespace",
        f"{prefix}Connection",
        f"{prefix}TestClient",
    )


def test_a_key_without_letters_or_digits_is_refused() -> None:
    with pytest.raises(ExportError) as raised:
        class_names("--")
    assert str(raised.value) == (
        'Namespace "--": its key has no letters or digits to name the generated classes '
        "after; rename it (e.g. to a word)"
    )


class Note(TypedDict):
    text: str


class GameRoomEvents(TypedDict):
    note: Msg[Note]


class GameRoomNs(TypedDict):
    c2s: GameRoomEvents


Clashing = TypedDict("Clashing", {"game-room": GameRoomNs, "game_room": GameRoomNs})


def test_two_namespaces_with_the_same_class_names_are_refused() -> None:
    with pytest.raises(ExportError) as raised:
        render_python_api(read_protocol(Clashing))
    assert str(raised.value) == (
        'Namespaces "game-room" and "game_room" of protocol Clashing would both generate '
        "the class GameRoomConnection; rename one of them"
    )


def _declared_in_a_function() -> type:
    class Local(TypedDict):
        text: str

    return Local


LocalPayload = _declared_in_a_function()


class LocalC2S(TypedDict):
    say: Msg[LocalPayload]  # type: ignore[valid-type]


class LocalNs(TypedDict):
    c2s: LocalC2S


class LocalProtocol(TypedDict):
    room: LocalNs


def test_a_payload_type_that_cannot_be_imported_is_refused() -> None:
    with pytest.raises(ExportError) as raised:
        render_python_api(read_protocol(LocalProtocol))
    assert str(raised.value) == (
        "_declared_in_a_function.<locals>.Local: the generated module imports it from where "
        "it is declared, but it cannot be imported as "
        "tests.test_typed_api._declared_in_a_function.<locals>.Local; declare it at the top "
        "level of an importable module (not in __main__ or inside a function)"
    )


def test_a_user_type_named_like_a_generated_class_is_imported_under_an_alias() -> None:
    stub = render_python_api(read_protocol(ClashingNames)).stub
    assert "from tests.test_typed_api import ClashingNames, Server as _Server_2\n" in stub
    assert 'async def emit(self, event: Literal["hello"], payload: _Server_2) -> None:' in stub


class Server(TypedDict):
    name: str


class HelloC2S(TypedDict):
    hello: Msg[Server]


class HelloNs(TypedDict):
    c2s: HelloC2S


class ClashingNames(TypedDict):
    hello: HelloNs


class Presence(TypedDict):
    nickname: str


class RoomRequest(TypedDict):
    room: str


class Outcome(TypedDict):
    ok: bool


class Joined(TypedDict):
    members: list[str]


class SharingC2S(TypedDict):
    join: Call[RoomRequest, Joined]
    leave: Call[RoomRequest, Outcome]
    rejoin: Call[RoomRequest, Joined]


class SharingS2C(TypedDict):
    joined: Msg[Presence]
    kicked: Msg[RoomRequest]
    left: Msg[Presence]
    confirm: Call[RoomRequest, Outcome]
    verify: Call[Presence, Outcome]


class SharingNs(TypedDict):
    c2s: SharingC2S
    s2c: SharingS2C


class SharingTypes(TypedDict):
    room: SharingNs


def _signatures(stub: str, cls: str, method: str) -> list[str]:
    """The ``method`` items of class ``cls`` in ``stub``, one line each, without ``:``
    or the ``...`` body."""
    body = re.split(rf"\nclass {cls}[(:]", stub, maxsplit=1)[1].split("\nclass ", 1)[0]
    found = re.findall(rf"^    ((?:async )?def {method}\(.*?):(?: \.\.\.)?$", body, flags=re.M)
    return [line.removesuffix(":") for line in found]


def test_events_written_alike_share_one_overload_item() -> None:
    """Events whose items differ only in the event's name share one, keyed by exactly
    the types the method writes: the payload, the response, or both."""
    stub = render_python_api(read_protocol(SharingTypes)).stub
    assert _signatures(stub, "_RoomConnection", "emit") == [
        'async def emit(self, event: Literal["joined", "left"], payload: Presence) -> None',
        'async def emit(self, event: Literal["kicked"], payload: RoomRequest) -> None',
    ]
    assert _signatures(stub, "_RoomClient", "call") == [
        'async def call(self, event: Literal["join", "rejoin"], payload: RoomRequest, *, '
        "timeout: float = 5.0) -> Joined",
        'async def call(self, event: Literal["leave"], payload: RoomRequest, *, '
        "timeout: float = 5.0) -> Outcome",
    ]
    # The test client's answer writes only the response: confirm and verify share it.
    assert _signatures(stub, "RoomTestClient", "answer") == [
        'def answer(self, event: Literal["confirm", "verify"], response: Outcome) -> None'
    ]
    assert _signatures(stub, "_RoomClient", "on_call") == [
        'def on_call(self, event: Literal["confirm"]) '
        "-> _ClientCallRegistrar[RoomRequest, Outcome]",
        'def on_call(self, event: Literal["verify"]) -> _ClientCallRegistrar[Presence, Outcome]',
    ]
    assert _signatures(stub, "RoomClientNamespace", "on") == [
        'def on(self, event: Literal["joined", "left"]) -> _ClientMsgRegistrar[Presence]',
        'def on(self, event: Literal["kicked"]) -> _ClientMsgRegistrar[RoomRequest]',
    ]


def test_the_shared_call_has_the_default_timeout_of_both_classes() -> None:
    """A namespace's client and test client share one ``call`` overload set in the
    generated module, which writes one default timeout for both."""
    defaults = {
        cls: inspect.signature(cls.call).parameters["timeout"].default
        for cls in (pursocket.ClientNamespace, RecordingClient)
    }
    assert defaults == {pursocket.ClientNamespace: 5.0, RecordingClient: 5.0}
    assert "timeout: float = 5.0) -> JoinResult" in (APP / "protocol_api.pyi").read_text()


# -- at run time ------------------------------------------------------------------


def test_at_run_time_the_names_are_pursocket_objects() -> None:
    from typed_app import protocol_api as api
    from typed_app.protocol import ApiProtocol
    from typed_app.users import User

    server = api.Server(cors_allowed_origins="*")
    lobby = server.namespace("lobby")
    assert isinstance(server, pursocket.Server)
    assert server.protocol is ApiProtocol
    assert type(lobby) is pursocket.ServerNamespace
    # The namespace names are pursocket's classes parametrised as the typed classes
    # are, so an annotation evaluated at run time works, state included.
    assert get_origin(api.LobbyServerNamespace) is pursocket.ServerNamespace
    assert api.LobbyConnection[User] == pursocket.Connection[ApiProtocol, Literal["lobby"], User]
    assert api.RootClientNamespace == pursocket.ClientNamespace[ApiProtocol, Literal["/"]]
    client = api.Client(reconnection=False)
    assert isinstance(client, pursocket.Client)
    assert type(client.namespace("game-room")) is pursocket.ClientNamespace
    assert api.LobbyTestClient == RecordingClient[ApiProtocol, Literal["lobby"]]
    with pytest.raises(AttributeError) as raised:
        api.LobbyTestClientt  # noqa: B018
    assert (
        str(raised.value) == "module 'typed_app.protocol_api' has no attribute 'LobbyTestClientt'"
    )


def test_importing_the_module_leaves_the_test_toolkit_and_uvicorn_unimported() -> None:
    """An app that does not test imports the generated module without uvicorn."""
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, typed_app.protocol_api as api; api.Server(); api.Client(); "
            "print(sorted(m for m in ('pursocket.testing', 'uvicorn') if m in sys.modules))",
        ],
        cwd=APPS,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.stdout, result.stderr) == ("[]\n", "")


async def test_a_generated_server_and_client_talk_over_a_real_socket(
    pursocket_serve: ServeFixture,
) -> None:
    from typed_app import protocol_api as api
    from typed_app.protocol import JoinRequest, JoinResult

    server = api.Server()
    lobby = server.namespace("lobby")
    seen: list[str] = []

    @lobby.on_call("join")
    async def join(conn: api.LobbyConnection, req: JoinRequest) -> JoinResult:
        seen.append(req["name"])
        return {"success": isinstance(conn, pursocket.Connection) and conn.auth["token"] != ""}

    url = await pursocket_serve(server)
    async with api.Client(reconnection=False) as client:
        c_lobby = client.namespace("lobby", auth={"token": "secret"})
        await client.connect(url)
        assert await c_lobby.call("join", {"name": "Alice"}) == {"success": True}
    assert seen == ["Alice"]


async def test_typed_state_through_the_generated_api(pursocket_serve: ServeFixture) -> None:
    from typed_app import protocol_api as api
    from typed_app.protocol import JoinRequest, JoinResult
    from typed_app.users import User

    server = api.Server()
    members = server.namespace("lobby", state=User)

    @members.on_connect
    async def log_in(conn: api.LobbyConnection[User]) -> User:
        return User(conn.auth["token"])

    @members.on_call("join")
    def join(conn: api.LobbyConnection[User], req: JoinRequest) -> JoinResult:
        return {"success": conn.state.name == req["name"]}

    url = await pursocket_serve(server)
    async with api.connect(url, "lobby", auth={"token": "Alice"}) as alice:
        assert await alice.call("join", {"name": "Alice"}) == {"success": True}
        assert await alice.call("join", {"name": "Bob"}) == {"success": False}


async def test_the_generated_connect_yields_a_recording_test_client(
    pursocket_serve: ServeFixture,
) -> None:
    from typed_app import protocol_api as api
    from typed_app.protocol import ChatMessage, JoinResult

    server = api.Server()
    lobby = server.namespace("lobby")

    @lobby.on("chat")
    async def chat(conn: api.LobbyConnection, msg: ChatMessage) -> None:
        confirmed = await conn.call("confirm", msg)
        await conn.emit("userCount", {"count": 1 if confirmed["success"] else 0})

    url = await pursocket_serve(server)
    async with api.connect(url, "lobby", auth={"token": "secret"}) as alice:
        assert type(alice) is RecordingClient

        @alice.on_call("confirm")
        def confirm(request: ChatMessage) -> JoinResult:
            return {"success": request["text"] == "hi"}

        await alice.emit("chat", {"text": "hi"})
        assert await alice.next("userCount", timeout=5.0) == {"count": 1}
        await alice.nothing_more("userCount")
        assert alice.received("userCount") == [{"count": 1}]


# -- three type checkers ----------------------------------------------------------


class Diagnostic(TypedDict):
    file: str
    line: int
    message: str


def _pyright(
    checker: Path = PYRIGHT, *files: Path, severities: frozenset[str] = frozenset({"error"})
) -> list[Diagnostic]:
    """What ``checker`` reports (of ``severities``) on the typed_app, or on ``files``."""
    result = subprocess.run(
        [
            "node",
            str(checker),
            "--outputjson",
            "--pythonpath",
            sys.executable,
            "-p",
            str(APPS),
            *map(str, files),
        ],
        cwd=APPS,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(result.stdout)
    return [
        {
            "file": Path(found["file"]).name,
            "line": found["range"]["start"]["line"] + 1,
            "message": found["message"],
        }
        for found in report["generalDiagnostics"]
        if found["severity"] in severities
    ]


#: mypy's report of a method of a typed class's stateless part (``_LobbyConnection``, the
#: base without type parameters) narrowing pursocket's (``override`` for a base class).
_STATELESS_PART_NARROWING = re.compile(
    r'Definition of "(\w+)" in base class "_\w+(Connection|ServerNamespace|Client)" is '
    r"incompatible with definition in base class "
    r'"(Connection|ServerNamespace|ClientNamespace|RecordingClient)"  \[misc\]'
)


def _mypy(tmp_path: Path, *, plugin: bool) -> list[Diagnostic]:
    """mypy's errors in a copy of the app whose generated stub asks to be judged too.

    The stub tells mypy to skip judging it (``# mypy: ignore-errors``, for speed); here
    only the deliberate narrowing of pursocket's methods (overridden, or inherited from
    a typed class's stateless part) is excused, so any other mistake in what the
    generator writes is reported.
    """
    app = tmp_path / "typed_app"
    shutil.copytree(APP, app)
    stub = app / "protocol_api.pyi"
    text = stub.read_text()
    assert "# mypy: ignore-errors\n" in text
    stub.write_text(
        text.replace("# mypy: ignore-errors\n", '# mypy: disable-error-code="override"\n')
    )
    config = tmp_path / "mypy.ini"
    config.write_text(
        "[mypy]\nstrict = True\npython_version = 3.10\n"
        + ("plugins = pursocket_mypy\n" if plugin else "")
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(config),
            "--cache-dir",
            str(tmp_path / "cache"),
            "--no-error-summary",
            "--hide-error-context",
            "typed_app",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    found = []
    for line in result.stdout.splitlines():
        match = re.match(r"typed_app/(\w+\.pyi?):(\d+): error: (.*)", line)
        if match and _STATELESS_PART_NARROWING.fullmatch(match[3]):
            continue
        if match:
            found.append({"file": match[1], "line": int(match[2]), "message": match[3]})
        else:
            assert ": note: " in line, line
    return found


def _by_line(diagnostics: list[Diagnostic]) -> Iterator[tuple[str, int, list[str]]]:
    lines: dict[tuple[str, int], list[str]] = {}
    for found in diagnostics:
        lines.setdefault((found["file"], found["line"]), []).append(found["message"])
    for (file, line), messages in sorted(lines.items()):
        yield file, line, messages


def _assert_reports_exactly_the_marked_lines(
    diagnostics: list[Diagnostic], *, once: bool = False
) -> None:
    marked = _marked_lines(APP / "rejected.py")
    unexpected = [
        (file, line, messages)
        for file, line, messages in _by_line(diagnostics)
        if file != "rejected.py" or line not in marked
    ]
    assert unexpected == []
    reported = {found["line"] for found in diagnostics}
    assert sorted(marked - reported) == []
    if once:
        # One mistake, one report: no message twice, and no overload or TypeVar
        # mismatch from the generated signatures beside the plugin's own message.
        repeated = [
            (line, messages)
            for _, line, messages in _by_line(diagnostics)
            if len(set(messages)) != len(messages)
            or (len(messages) > 1 and any(_from_signatures(m) for m in messages))
        ]
        assert repeated == []


@pytest.mark.parametrize(
    ("checker", "package"), [(PYRIGHT, "pyright"), (BASEDPYRIGHT, "basedpyright")]
)
def test_each_checker_is_the_version_package_json_pins(checker: Path, package: str) -> None:
    pinned = json.loads((ROOT / "package.json").read_text())["devDependencies"][package]
    result = subprocess.run(
        ["node", str(checker), "--version"], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.splitlines()[0] == f"{package} {pinned}"


def test_pyright_strict_reports_every_mistake_and_nothing_else() -> None:
    diagnostics = _pyright()
    _assert_reports_exactly_the_marked_lines(diagnostics)
    # A sample of the messages users see, in full.
    messages = {found["line"]: found["message"] for found in diagnostics}
    unknown_event = next(n for n, text in _numbered(APP / "rejected.py") if '"userCont"' in text)
    assert messages[unknown_event].startswith(
        'Argument of type "Literal[\'userCont\']" cannot be assigned to parameter "event" of '
        'type "Literal[\'userCount\']" in function "emit"'
    )


def test_basedpyright_strict_reports_every_mistake_and_nothing_else() -> None:
    _assert_reports_exactly_the_marked_lines(_pyright(BASEDPYRIGHT))


def test_mypy_without_the_plugin_reports_every_mistake_and_nothing_else(tmp_path: Path) -> None:
    diagnostics = _mypy(tmp_path, plugin=False)
    _assert_reports_exactly_the_marked_lines(diagnostics)
    missing_key = next(n for n, text in _numbered(APP / "rejected.py") if '{"cnt": 1}' in text)
    assert sorted(found["message"] for found in diagnostics if found["line"] == missing_key) == [
        'Extra key "cnt" for TypedDict "UserCount"  [typeddict-unknown-key]',
        'Missing key "count" for TypedDict "UserCount"  [typeddict-item]',
    ]
    # mypy names a method by the class declaring it: a typed class's stateless part.
    messages = {found["line"]: found["message"] for found in diagnostics}
    lines = dict((text.strip(), n) for n, text in _numbered(APP / "rejected.py"))
    assert messages[lines['await conn.emit("userCont", {"count": 1})  # E unknown event']] == (
        'Argument 1 to "emit" of "_LobbyConnection" has incompatible type '
        "\"Literal['userCont']\"; expected \"Literal['userCount']\"  [arg-type]"
    )
    assert messages[lines['await c_lobby.emit("chta", {"text": "hi"})  # E unknown event']] == (
        'No overload variant of "emit" of "_LobbyClient" matches argument types "str", '
        '"dict[str, str]"  [call-overload]'
    )


def test_mypy_with_the_plugin_reports_every_mistake_once_in_its_own_words(
    tmp_path: Path,
) -> None:
    diagnostics = _mypy(tmp_path, plugin=True)
    _assert_reports_exactly_the_marked_lines(diagnostics, once=True)
    messages = {found["line"]: found["message"] for found in diagnostics}
    lines = dict((text.strip(), n) for n, text in _numbered(APP / "rejected.py"))
    assert messages[lines['server.namespace("lobbby")  # E unknown namespace']] == (
        'Unknown namespace "lobbby" in protocol "ApiProtocol"  [pursocket-namespace]'
    )
    assert messages[
        lines['lobby.on("chat")(wrong_connection)  # E another namespace\'s connection']
    ] == (
        'The handler for "chat" (c2s Msg of namespace "lobby") receives the connection as '
        '"Connection[ApiProtocol, Literal[\'lobby\'], None]", but its parameter "conn" is declared '
        '"GameRoomConnection[None]"  [arg-type]'
    )
    assert messages[
        lines['await conn.emit("chat", {"text": "hi"})  # E a client-to-server event']
    ] == (
        '"chat" is a client-to-server (c2s) event of namespace "lobby"; a server cannot emit '
        "it  [pursocket-direction]"
    )


def _from_signatures(message: str) -> bool:
    return message.endswith(("[call-overload]", "[type-var]"))


def _numbered(path: Path) -> list[tuple[int, str]]:
    return list(enumerate(path.read_text().splitlines(), start=1))


def test_the_editors_page_runs_and_pyright_strict_accepts_it(tmp_path: Path) -> None:
    """docs/editors.md's example imports and registers its handlers, and type-checks."""
    page = (ROOT / "docs" / "editors.md").read_text()
    code = "\n".join(re.findall(r"```python\n(.*?)```", page, re.DOTALL))
    namespace: dict[str, Any] = {"__name__": "docs_editors"}
    exec(compile(code, "docs/editors.md", "exec"), namespace)
    assert isinstance(namespace["server"], pursocket.Server)
    assert namespace["chat"].name == "chat"
    checked = tmp_path / "editors_page.py"
    checked.write_text("# pyright: strict\n" + code)
    result = subprocess.run(
        # -p: the repository's own configuration, never a pyrightconfig.json found in a
        # folder above the clone.
        [
            "node",
            str(PYRIGHT),
            "--outputjson",
            "--pythonpath",
            sys.executable,
            "-p",
            str(ROOT),
            str(checked),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert json.loads(result.stdout)["generalDiagnostics"] == []


# -- without the plugin or the generated API ------------------------------------------

PLAIN_APP = APPS / "plain_app" / "app.py"
REVEALED = re.compile(r"reveal_type\((.*)\)  # T: (.*)$")


def test_pursocket_alone_leaks_no_unknown_under_pyright_strict() -> None:
    """The plain app uses every public entry point with pursocket's own classes.

    pyright strict reports any ``Unknown`` reaching user code as an error; ``# T:``
    lines pin what pyright shows, and nothing else may be reported.
    """
    diagnostics = _pyright(
        PYRIGHT, PLAIN_APP, severities=frozenset({"error", "warning", "information"})
    )
    expected = [
        (number, f'Type of "{match[1]}" is "{match[2]}"')
        for number, text in _numbered(PLAIN_APP)
        if (match := REVEALED.search(text))
    ]
    assert len(expected) == 8
    assert [(found["line"], found["message"]) for found in diagnostics] == expected
