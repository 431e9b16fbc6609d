"""Entry point: mypy calls :func:`plugin` with its version."""

from __future__ import annotations

from mypy.plugin import Plugin


class PursocketPlugin(Plugin):
    """Checks every use of a pursocket protocol."""


def plugin(version: str) -> type[Plugin]:
    return PursocketPlugin
