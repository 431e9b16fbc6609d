"""Every link in the README and docs/ leads somewhere.

The README is also the package index's page, where a relative link leads nowhere:
its links are absolute, to the repository's files. Links between docs pages are
relative, to a page that exists and, with a ``#fragment``, to one of its headings.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
REPOSITORY = "https://github.com/pursocket/pursocket/blob/main/"
_LINK = re.compile(r"\]\(([^)\s]+)\)")
_CODE = re.compile(r"^```.*?^```$", re.S | re.M)


def links(text: str) -> list[str]:
    """The targets of a markdown text's links, outside code blocks."""
    return _LINK.findall(_CODE.sub("", text))


def anchors(page: Path) -> set[str]:
    """The GitHub-style anchors of a page's headings."""
    headings = re.findall(r"^#+ (.+)$", _CODE.sub("", page.read_text()), re.M)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


def test_the_readme_links_are_absolute_and_lead_to_files_that_exist() -> None:
    targets = links((ROOT / "README.md").read_text())
    assert targets, "the README links the docs"
    for target in targets:
        assert target.startswith(("https://", "http://")), f"README.md links {target!r}"
        if target.startswith(REPOSITORY):
            path = target.removeprefix(REPOSITORY).split("#", 1)[0]
            assert (ROOT / path).exists(), f"README.md links {target!r}: no {path}"


@pytest.mark.parametrize("page", sorted(p.name for p in DOCS.glob("*.md")))
def test_a_docs_page_links_pages_and_headings_that_exist(page: str) -> None:
    for target in links((DOCS / page).read_text()):
        if target.startswith(("https://", "http://", "mailto:")):
            continue
        path, _, fragment = target.partition("#")
        linked = DOCS / path if path else DOCS / page
        assert linked.exists(), f"docs/{page} links {target!r}: no such file"
        if fragment:
            assert fragment in anchors(linked), f"docs/{page} links {target!r}: no such heading"
