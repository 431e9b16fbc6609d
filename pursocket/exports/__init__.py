"""The registry of export formats that ``pursocket export FORMAT MODULE:NAME`` writes.

Every format is generated from the one :class:`~pursocket.protocol.ProtocolModel` that
the runtime reads (``read_protocol``), never from a second description of the protocol.

A format is an :class:`ExportFormat`: a name, a one-line summary for ``--help``, and a
``render`` function that takes the model and the :class:`ExportOptions` and returns the
whole text of the file. ``render`` must be deterministic (same protocol and options,
same text), which is what ``pursocket export ... --check`` relies on, and raises
:class:`ExportError` for a type that has no form in its target format.

A format may also write a second file beside ``-o FILE``, its :class:`Companion`: the
``python`` format writes the typed API's stub, ``protocol_api.pyi``, beside the module
``protocol_api.py``. The command line then needs ``-o``, writes both files, and
``--check`` compares both.

Adding a format is two steps:

1. write a module in this package with a function
   ``render(model: ProtocolModel, options: ExportOptions) -> str``;
2. add one :class:`ExportFormat` entry for it to :data:`FORMATS` below, naming the
   options besides ``output`` that it reads (``reads``).

The format modules are imported only when their format is used, so a format's
dependencies cost nothing to the others.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from pathlib import Path

import attrs

from pursocket.errors import PursocketError
from pursocket.protocol import ProtocolModel

__all__ = ["FORMATS", "Companion", "ExportError", "ExportFormat", "ExportOptions", "export"]


class ExportError(PursocketError):
    """The protocol uses something the target format cannot express.

    The message names the type, where in the protocol it is, and what to do instead.
    """


@attrs.frozen
class ExportOptions:
    """What the command line passes to every format; each format reads what it needs."""

    #: Where the text will be written (``-o``), or ``None`` for standard output. A
    #: format may choose its syntax from the suffix (AsyncAPI writes YAML for ``.yaml``).
    output: Path | None = None
    #: A document title (AsyncAPI ``info.title``); ``None`` means the protocol's name.
    title: str | None = None
    #: The API's version (AsyncAPI ``info.version``); ``None`` means ``0.0.0``.
    api_version: str | None = None


Render = Callable[[ProtocolModel, ExportOptions], str]


def _renderer(reference: str) -> Render:
    """The function ``"package.module:function"`` names, importing its module."""
    module_name, _, function_name = reference.partition(":")
    render: Render = getattr(importlib.import_module(module_name), function_name)
    return render


@attrs.frozen
class Companion:
    """A second file a format writes beside ``-o FILE``: FILE with another suffix."""

    #: The suffix ``-o FILE`` must have (``.py``).
    main_suffix: str
    #: The companion's suffix, in place of FILE's (``.pyi``).
    suffix: str
    #: ``"package.module:function"`` writing its text, as :attr:`ExportFormat.renderer`.
    renderer: str

    def path(self, output: Path) -> Path:
        """Where the companion of ``output`` is written."""
        return output.with_suffix(self.suffix)

    def render(self, model: ProtocolModel, options: ExportOptions) -> str:
        """The whole text of the companion file."""
        return _renderer(self.renderer)(model, options)


@attrs.frozen
class ExportFormat:
    """One export format: its name on the command line and the function that writes it."""

    name: str
    summary: str
    #: ``"package.module:function"``, imported when the format is used.
    renderer: str
    #: The :class:`ExportOptions` fields besides ``output`` that the format reads
    #: (``"title"``, ``"api_version"``); the command line refuses the others for it.
    reads: frozenset[str] = frozenset()
    #: The second file the format writes beside ``-o FILE``, if any.
    companion: Companion | None = None

    def render(self, model: ProtocolModel, options: ExportOptions) -> str:
        """The whole text of the exported file (``-o FILE``)."""
        return _renderer(self.renderer)(model, options)


#: Every format, by the name ``pursocket export FORMAT`` accepts.
FORMATS: Mapping[str, ExportFormat] = {
    export_format.name: export_format
    for export_format in (
        ExportFormat(
            name="typescript",
            summary="a TypeScript module typing socket.io-client's Socket for each namespace",
            renderer="pursocket.exports.typescript:render",
        ),
        ExportFormat(
            name="asyncapi",
            summary="AsyncAPI 3.0.0, one channel per namespace (YAML when -o ends in .yaml)",
            renderer="pursocket.exports.asyncapi:render",
            reads=frozenset({"title", "api_version"}),
        ),
        ExportFormat(
            name="jsonschema",
            summary="JSON Schema 2020-12: $defs per named type, and an index of every event",
            renderer="pursocket.exports.jsonschema:render",
            reads=frozenset({"title"}),
        ),
        ExportFormat(
            name="python",
            summary="a typed API module and its .pyi stub: pyright, Pylance and mypy check the "
            "protocol, no plugin",
            renderer="pursocket.exports.python_api:render",
            companion=Companion(
                main_suffix=".py",
                suffix=".pyi",
                renderer="pursocket.exports.python_api:render_stub",
            ),
        ),
    )
}


def export(format_name: str, model: ProtocolModel, options: ExportOptions | None = None) -> str:
    """The text ``pursocket export format_name`` writes for ``model`` (to ``-o FILE``; a
    format's :class:`Companion` is rendered by ``FORMATS[format_name].companion``).

    Raises ``KeyError`` for an unknown format name and :class:`ExportError` for a type
    the format cannot express.
    """
    return FORMATS[format_name].render(model, options or ExportOptions())
