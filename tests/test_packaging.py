"""What a user installs: the wheel and sdist the build backend makes from this repository."""

from __future__ import annotations

import email
import subprocess
import sys
import tarfile
import zipfile
from email.message import Message
from pathlib import Path

import pytest

import pursocket

ROOT = Path(__file__).resolve().parent.parent
_BUILD = (
    "import sys; from hatchling.build import build_sdist, build_wheel; "
    "print(build_wheel(sys.argv[1])); print(build_sdist(sys.argv[1]))"
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(wheel, sdist), built by hatchling, pursocket's build backend."""
    out = tmp_path_factory.mktemp("dist")
    run = subprocess.run(
        [sys.executable, "-c", _BUILD, str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    wheel, sdist = run.stdout.split()
    return out / wheel, out / sdist


def wheel_metadata(wheel: Path) -> Message:
    with zipfile.ZipFile(wheel) as archive:
        [name] = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return email.message_from_bytes(archive.read(name))


def test_the_wheel_carries_the_license(built: tuple[Path, Path]) -> None:
    wheel, _ = built
    with zipfile.ZipFile(wheel) as archive:
        licence = archive.read(f"pursocket-{pursocket.__version__}.dist-info/licenses/LICENSE")
    assert licence == (ROOT / "LICENSE").read_bytes()
    assert licence.startswith(b"MIT License\n")
    assert wheel_metadata(wheel)["License-Expression"] == "MIT"


def test_the_metadata_says_what_an_index_shows(built: tuple[Path, Path]) -> None:
    metadata = wheel_metadata(built[0])
    assert metadata["Version"] == pursocket.__version__
    assert metadata.get_all("Project-URL") == [
        "Homepage, https://github.com/pursocket/pursocket",
        "Documentation, https://github.com/pursocket/pursocket/tree/main/docs",
        "Repository, https://github.com/pursocket/pursocket",
        "Issues, https://github.com/pursocket/pursocket/issues",
        "Changelog, https://github.com/pursocket/pursocket/commits/main",
    ]
    assert "socket.io" in metadata["Keywords"].split(",")
    classifiers = metadata.get_all("Classifier")
    assert "Typing :: Typed" in classifiers
    assert [c for c in classifiers if c.startswith("Programming Language :: Python :: 3.")] == [
        "Programming Language :: Python :: 3.10",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
    ]


def test_development_tools_are_not_in_the_published_metadata(built: tuple[Path, Path]) -> None:
    metadata = wheel_metadata(built[0])
    assert metadata.get_all("Provides-Extra") == ["mypy", "server", "testing"]
    required = " ".join(metadata.get_all("Requires-Dist"))
    for tool in ("pytest", "ruff", "playwright", "pydantic", "hypothesis", "hatchling"):
        assert tool not in required, f"{tool} is published as a dependency"


def test_the_sdist_is_the_package_its_docs_and_examples(built: tuple[Path, Path]) -> None:
    with tarfile.open(built[1]) as archive:
        names = archive.getnames()
    top = {name.split("/", 2)[1] for name in names if name.count("/") >= 1}
    assert top == {
        ".gitignore",
        "LICENSE",
        "PKG-INFO",
        "README.md",
        "docs",
        "examples",
        "mypy_plugin",
        "pursocket",
        "pyproject.toml",
    }
    assert not [name for name in names if "/node_modules/" in name or "/build/" in name]
