"""The ``pursocket`` command line, run as users run it: a subprocess of this venv's Python."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from examples.chat.protocol import ChatProtocol
from pursocket import read_protocol
from pursocket.exports import FORMATS, ExportOptions

VALID = """
from typing import TypedDict
from pursocket import Call, Msg

class Chat(TypedDict):
    text: str

class Lobby(TypedDict):
    c2s: "LobbyC2S"

class LobbyC2S(TypedDict):
    chat: Msg[Chat]
    join: Call[Chat, Chat]

class AppProtocol(TypedDict):
    lobby: Lobby

not_a_protocol = 42
"""

MALFORMED = """
from typing import TypedDict

class LobbyC2S(TypedDict):
    chat: int

class Lobby(TypedDict):
    c2s: LobbyC2S

class AppProtocol(TypedDict):
    lobby: Lobby
"""


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pursocket", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A directory with app.py (a valid protocol), bad.py (a malformed one), broken.py."""
    (tmp_path / "app.py").write_text(textwrap.dedent(VALID))
    (tmp_path / "bad.py").write_text(textwrap.dedent(MALFORMED))
    (tmp_path / "broken.py").write_text("import json\nraise RuntimeError('no database')\n")
    (tmp_path / "needs.py").write_text("import not_installed_anywhere\n")
    return tmp_path


def test_check_accepts_a_valid_protocol_from_the_current_directory(project: Path) -> None:
    result = run("check", "app:AppProtocol", cwd=project)
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        "app:AppProtocol: protocol AppProtocol is valid: 1 namespace, 2 events\n",
        "",
    )


def test_the_console_script_is_the_same_command(project: Path) -> None:
    script = Path(sys.executable).with_name("pursocket")
    result = subprocess.run(
        [str(script), "check", "app:AppProtocol"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        "app:AppProtocol: protocol AppProtocol is valid: 1 namespace, 2 events\n",
        "",
    )


def test_check_prints_the_protocol_error_and_exits_1(project: Path) -> None:
    result = run("check", "bad:AppProtocol", cwd=project)
    assert (result.returncode, result.stdout, result.stderr) == (
        1,
        "",
        "pursocket: error: AppProtocol.lobby.c2s.chat: expected Msg[...] or Call[..., ...], "
        "got int\n",
    )


@pytest.mark.parametrize(
    ("target", "exit_code", "message"),
    [
        pytest.param(
            "missing_module:AppProtocol",
            2,
            'cannot import module "missing_module": no module named "missing_module" in the '
            "current directory ({cwd}) or on sys.path",
            id="unimportable",
        ),
        pytest.param(
            "broken:AppProtocol",
            1,
            'importing module "broken" raised RuntimeError: no database '
            "(run with --traceback to see where)",
            id="raises-on-import",
        ),
        pytest.param(
            "needs:AppProtocol",
            1,
            'importing module "needs" raised ModuleNotFoundError: No module named '
            "'not_installed_anywhere' (run with --traceback to see where)",
            id="missing-dependency",
        ),
        pytest.param(
            "app:Missing",
            2,
            'module "app" has no attribute "Missing"; TypedDicts it defines: AppProtocol, '
            "Chat, Lobby, LobbyC2S",
            id="missing-name",
        ),
        pytest.param(
            "app:not_a_protocol",
            1,
            "app:not_a_protocol is an int, not a protocol: a protocol is a TypedDict of "
            "namespaces (namespace -> c2s/s2c -> event -> Msg[T] or Call[Req, Res])",
            id="not-a-protocol",
        ),
        pytest.param(
            "app:Call",
            1,
            "app:Call is the class Call, not a protocol: a protocol is a TypedDict of "
            "namespaces (namespace -> c2s/s2c -> event -> Msg[T] or Call[Req, Res])",
            id="a-class",
        ),
        pytest.param(
            "app.AppProtocol",
            2,
            '"app.AppProtocol" is not of the form MODULE:NAME (for example '
            "myapp.protocol:AppProtocol)",
            id="not-module-colon-name",
        ),
    ],
)
def test_errors_are_one_line_for_humans(
    project: Path, target: str, exit_code: int, message: str
) -> None:
    result = run("check", target, cwd=project)
    expected = f"pursocket: error: {message.format(cwd=project)}\n"
    assert (result.returncode, result.stdout, result.stderr) == (exit_code, "", expected)


def test_traceback_shows_where_an_import_failed(project: Path) -> None:
    result = run("check", "broken:AppProtocol", "--traceback", cwd=project)
    assert result.returncode == 1
    assert result.stderr.startswith("Traceback (most recent call last):\n")
    assert 'broken.py", line 2, in <module>' in result.stderr
    assert result.stderr.endswith("RuntimeError: no database\n")


def test_export_writes_standard_output_or_the_file(project: Path) -> None:
    expected = FORMATS["jsonschema"].render(read_protocol(ChatProtocol), ExportOptions(output=None))
    to_stdout = run("export", "jsonschema", "examples.chat.protocol:ChatProtocol", cwd=REPO)
    assert (to_stdout.returncode, to_stdout.stdout, to_stdout.stderr) == (0, expected, "")
    out = project / "schema.json"
    to_file = run(
        "export", "jsonschema", "examples.chat.protocol:ChatProtocol", "-o", str(out), cwd=REPO
    )
    assert (to_file.returncode, to_file.stdout, to_file.stderr) == (0, "", "")
    assert out.read_bytes() == expected.encode()
    assert json.loads(expected)["title"] == "ChatProtocol"


def test_export_check_passes_when_the_file_is_current_and_diffs_when_not(project: Path) -> None:
    out = project / "schema.json"
    args = ("export", "jsonschema", "app:AppProtocol", "-o", "schema.json")
    assert run(*args, cwd=project).returncode == 0
    current = run(*args, "--check", cwd=project)
    assert (current.returncode, current.stdout, current.stderr) == (
        0,
        "",
        "schema.json is up to date\n",
    )
    out.write_text(out.read_text().replace('"title": "AppProtocol"', '"title": "Old"'))
    stale = run(*args, "--check", cwd=project)
    assert stale.returncode == 1
    assert stale.stdout.splitlines()[:5] == [
        "--- schema.json (on disk)",
        "+++ schema.json (exported now)",
        "@@ -1,6 +1,6 @@",
        " {",
        '   "$schema": "https://json-schema.org/draft/2020-12/schema",',
    ]
    assert '-  "title": "Old",' in stale.stdout.splitlines()
    assert '+  "title": "AppProtocol",' in stale.stdout.splitlines()
    assert stale.stderr == (
        "pursocket: schema.json is not what export writes for app:AppProtocol now; update it "
        "with: pursocket export jsonschema app:AppProtocol -o schema.json\n"
    )
    assert '"title": "Old"' in out.read_text(), "--check never writes the file"


def test_export_check_of_a_missing_file_fails(project: Path) -> None:
    result = run(
        "export", "jsonschema", "app:AppProtocol", "-o", "new.json", "--check", cwd=project
    )
    assert (result.returncode, result.stdout, result.stderr) == (
        1,
        "",
        "pursocket: error: new.json does not exist; write it with: "
        "pursocket export jsonschema app:AppProtocol -o new.json\n",
    )
    assert not (project / "new.json").exists()


def test_export_check_needs_a_file(project: Path) -> None:
    result = run("export", "jsonschema", "app:AppProtocol", "--check", cwd=project)
    assert (result.returncode, result.stdout, result.stderr) == (
        2,
        "",
        "pursocket: error: --check compares with a file: give it as -o FILE\n",
    )


def test_an_unknown_format_is_a_usage_error(project: Path) -> None:
    result = run("export", "protobuf", "app:AppProtocol", cwd=project)
    assert result.returncode == 2
    assert result.stderr.endswith(
        "pursocket export: error: argument FORMAT: invalid choice: 'protobuf' (choose from "
        + ", ".join(f"'{name}'" for name in sorted(FORMATS))
        + ")\n"
    )


REPO = Path(__file__).resolve().parent.parent


def test_title_and_api_version_reach_the_asyncapi_document(project: Path) -> None:
    result = run(
        "export",
        "asyncapi",
        "app:AppProtocol",
        "--title",
        "Chat API",
        "--api-version",
        "2.0.1",
        cwd=project,
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert json.loads(result.stdout)["info"] == {"title": "Chat API", "version": "2.0.1"}


def test_an_option_the_format_does_not_read_is_a_usage_error(project: Path) -> None:
    result = run("export", "typescript", "app:AppProtocol", "--api-version", "1.0.0", cwd=project)
    assert (result.returncode, result.stdout, result.stderr) == (
        2,
        "",
        "pursocket: error: --api-version does not apply to the typescript format; it applies "
        "to asyncapi\n",
    )
