"""docs/type-errors.md shows what mypy really prints.

Every code block of the page that starts with ``# <file name>`` is written to a
directory, every ``$ mypy <file>`` block is run there, and mypy's output must be the
output the page shows, line for line.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

DOC = Path(__file__).parent.parent / "docs" / "type-errors.md"

FILE_BLOCK = re.compile(r"```(?:python|toml)\n# (?P<name>\S+)\n(?P<body>.*?)```", re.S)
RUN_BLOCK = re.compile(r"```console\n\$ mypy (?P<name>\S+)\n(?P<output>.*?)```", re.S)

#: The mistakes the tour must show, by the file that shows each one.
TOUR = ["typo.py", "direction.py", "payload.py", "kinds.py", "handlers.py"]


def runs() -> list[tuple[str, str]]:
    return [(m["name"], m["output"]) for m in RUN_BLOCK.finditer(DOC.read_text())]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("type-errors")
    for match in FILE_BLOCK.finditer(DOC.read_text()):
        # The file as shown, its first line (the name comment) included, so that the
        # line numbers in the output are the ones a reader counts on the page.
        (directory / match["name"]).write_text(match.group(0).split("\n", 1)[1][: -len("```")])
    return directory


def test_the_tour_covers_every_kind_of_mistake() -> None:
    assert [name for name, _ in runs()][: len(TOUR)] == TOUR


@pytest.mark.parametrize(("name", "shown"), runs(), ids=[name for name, _ in runs()])
def test_mypy_prints_what_the_page_shows(project: Path, name: str, shown: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", ".cache", name],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert result.stdout == shown, result.stderr
    assert result.returncode == 1
