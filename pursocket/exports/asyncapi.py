"""``pursocket export asyncapi``: the protocol as an AsyncAPI 3.0.0 document.

- One channel per namespace; its ``address`` is the namespace's Socket.IO path.
- One message per event (``name`` is the event's name on the wire), with its payload
  schema; a Call also has a response message whose payload is the response or the
  error answer (``#/components/schemas/PursocketError``, documented once).
- Operations are from the server's point of view: ``receive`` for c2s events,
  ``send`` for s2c events. A Call's operation has a ``reply`` on the same channel.
- A namespace that declares ``auth`` has an ``auth`` message (what a client sends in
  its Socket.IO CONNECT packet) and a ``receive`` operation for it.
- Named types are ``components.schemas``; the schemas are those of the other formats
  (:mod:`pursocket.exports.schema`) in the keywords of JSON Schema draft-07, which
  AsyncAPI schemas extend: a fixed-length tuple's 2020-12 ``prefixItems`` is written
  as draft-07's ``items`` array with ``additionalItems: false``.

``-o FILE.yaml`` (or ``.yml``) writes YAML, anything else JSON. ``--title`` and
``--api-version`` set ``info.title`` (default: the protocol's name) and
``info.version`` (default: ``0.0.0``).
"""

from __future__ import annotations

import inspect
import json
import re
from typing import Any

from pursocket.exports import ExportOptions
from pursocket.exports.schema import ERROR_SCHEMA_NAME, EventSchemas, protocol_schemas
from pursocket.exports.yaml import dump
from pursocket.protocol import Direction, ProtocolModel

__all__ = ["ASYNCAPI_VERSION", "asyncapi_document", "render"]

#: The AsyncAPI version of the document.
ASYNCAPI_VERSION = "3.0.0"
_SCHEMAS = "#/components/schemas/"
_ACTIONS = {Direction.C2S: "receive", Direction.S2C: "send"}
_NOT_IN_ID = re.compile(r"[^A-Za-z0-9_\-]")


def render(model: ProtocolModel, options: ExportOptions) -> str:
    """The document as YAML when the output file ends in .yaml/.yml, else as JSON."""
    document = asyncapi_document(model, options)
    if options.output is not None and options.output.suffix.lower() in (".yaml", ".yml"):
        return dump(document)
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def asyncapi_document(model: ProtocolModel, options: ExportOptions) -> dict[str, Any]:
    """The AsyncAPI document of ``model``, as a JSON-compatible value."""
    schemas = protocol_schemas(model, ref_template=_SCHEMAS + "{name}")
    channel_ids = _Ids()
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    channel_of: dict[str, str] = {}
    for ns in model.namespaces.values():
        channel_id = channel_ids.make("root" if ns.name == "/" else ns.name)
        channel_of[ns.name] = channel_id
        channel: dict[str, Any] = {
            "address": ns.path,
            "title": ns.name,
            "description": f"The Socket.IO namespace {ns.path}.",
            "messages": {},
        }
        channels[channel_id] = channel
        if ns.name in schemas.auth:
            channel["messages"]["auth"] = {
                "title": "auth",
                "summary": f"What a client sends as auth in its CONNECT packet to {ns.path}.",
                "payload": schemas.auth[ns.name],
            }
            operations[f"{channel_id}-connect"] = {
                "action": "receive",
                "channel": {"$ref": f"#/channels/{channel_id}"},
                "summary": f"A client connects to {ns.path} with its auth.",
                "messages": [{"$ref": f"#/channels/{channel_id}/messages/auth"}],
            }
    message_ids: dict[str, _Ids] = {channel_id: _Ids({"auth"}) for channel_id in channels}
    operation_ids = _Ids(set(operations))
    for event in schemas.events:
        spec = event.spec
        channel_id = channel_of[spec.namespace]
        ids = message_ids[channel_id]
        message_id = ids.make(f"{spec.direction.value}-{spec.name}")
        messages = channels[channel_id]["messages"]
        messages[message_id] = _message(event)
        operation: dict[str, Any] = {
            "action": _ACTIONS[spec.direction],
            "channel": {"$ref": f"#/channels/{channel_id}"},
            "summary": f"{spec.kind.value} {spec.path}, {spec.direction.description}.",
            "messages": [{"$ref": f"#/channels/{channel_id}/messages/{message_id}"}],
        }
        if event.response is not None:
            response_id = ids.make(f"{message_id}-response")
            messages[response_id] = {
                "name": spec.name,
                "title": f"{spec.name} (response)",
                "summary": f"The acknowledgement of {spec.name}: its response or the "
                f"error answer {ERROR_SCHEMA_NAME}.",
                "payload": {"anyOf": [event.response, {"$ref": _SCHEMAS + ERROR_SCHEMA_NAME}]},
            }
            operation["reply"] = {
                "channel": {"$ref": f"#/channels/{channel_id}"},
                "messages": [{"$ref": f"#/channels/{channel_id}/messages/{response_id}"}],
            }
        operations[operation_ids.make(f"{channel_id}-{message_id}")] = operation
    info: dict[str, Any] = {
        "title": options.title or model.name,
        "version": options.api_version or "0.0.0",
    }
    if model.protocol.__doc__:
        info["description"] = inspect.cleandoc(model.protocol.__doc__)
    document = {
        "asyncapi": ASYNCAPI_VERSION,
        "info": info,
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"schemas": dict(schemas.components)},
    }
    return dict(_draft07(document))


def _draft07(value: Any) -> Any:
    """``value`` with every fixed-length tuple schema in draft-07's keywords."""
    if isinstance(value, list):
        return [_draft07(item) for item in value]
    if not isinstance(value, dict):
        return value
    converted = {key: _draft07(item) for key, item in value.items()}
    prefix = converted.get("prefixItems")
    if isinstance(prefix, list) and converted.get("items") is False:
        del converted["prefixItems"]
        converted["items"] = prefix
        converted["additionalItems"] = False
    return converted


def _message(event: EventSchemas) -> dict[str, Any]:
    spec = event.spec
    what = "request" if spec.is_call else "payload"
    return {
        "name": spec.name,
        "title": spec.name,
        "summary": f"The {what} of {spec.kind.value} {spec.name} ({spec.direction.value}).",
        "payload": event.payload,
    }


class _Ids:
    """Unique ids made of the characters AsyncAPI allows in a component's key."""

    def __init__(self, taken: set[str] | None = None) -> None:
        self._taken: set[str] = set(taken or ())

    def make(self, wanted: str) -> str:
        base = _NOT_IN_ID.sub("_", wanted) or "_"
        candidate, number = base, 1
        while candidate in self._taken:
            number += 1
            candidate = f"{base}_{number}"
        self._taken.add(candidate)
        return candidate
