"""``pursocket export jsonschema``: the protocol as one JSON Schema 2020-12 document.

The document has a ``$defs`` entry per named type (one per ``TypedDict``, plus
``PursocketError``, the error answer of a Call) and an index of the protocol under
``namespaces``: ``namespaces[namespace]`` holds the namespace's Socket.IO ``path``,
the schema of its ``auth`` when it declares one, and its ``c2s`` and ``s2c`` events
(both always present); ``namespaces[namespace][direction][event]`` holds the event's
``kind`` (``Msg`` or ``Call``), its ``payload`` schema and, for a Call, its
``response`` schema. A validator checks a payload against, for example,
``{"$ref": "schema.json#/namespaces/lobby/c2s/chat/payload"}``.
"""

from __future__ import annotations

import inspect
import json
from typing import Any

from pursocket.exports import ExportOptions
from pursocket.exports.schema import protocol_schemas
from pursocket.protocol import Direction, ProtocolModel

__all__ = ["DIALECT", "render", "schema_document"]

#: The JSON Schema dialect of the document.
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def schema_document(model: ProtocolModel, options: ExportOptions) -> dict[str, Any]:
    """The JSON Schema document of ``model``, as a JSON-compatible value."""
    schemas = protocol_schemas(model, ref_template="#/$defs/{name}")
    namespaces: dict[str, Any] = {}
    for ns in model.namespaces.values():
        namespaces[ns.name] = {
            "path": ns.path,
            **({"auth": schemas.auth[ns.name]} if ns.name in schemas.auth else {}),
            **{direction.value: {} for direction in Direction},
        }
    for event in schemas.events:
        spec = event.spec
        entry: dict[str, Any] = {"kind": spec.kind.value, "payload": event.payload}
        if event.response is not None:
            entry["response"] = event.response
        namespaces[spec.namespace][spec.direction.value][spec.name] = entry
    return {
        "$schema": DIALECT,
        "title": options.title or model.name,
        **({"description": doc} if (doc := _docstring(model.protocol)) else {}),
        "$defs": dict(schemas.components),
        "namespaces": namespaces,
    }


def render(model: ProtocolModel, options: ExportOptions) -> str:
    """The document as JSON text: two-space indents, keys in a fixed order, a final newline."""
    return json.dumps(schema_document(model, options), indent=2, ensure_ascii=False) + "\n"


def _docstring(protocol: type) -> str | None:
    doc = protocol.__doc__
    return inspect.cleandoc(doc) if doc else None
