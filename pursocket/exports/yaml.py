"""A YAML writer for JSON-compatible values, for ``pursocket export asyncapi -o FILE.yaml``.

JSON values need only a small part of YAML, so pursocket writes it itself rather than
depending on a YAML library: block mappings and sequences, ``{}`` and ``[]`` for empty
ones, plain scalars where YAML 1.1 and 1.2 readers both read them back as the same
string, and JSON's double-quoted strings (a subset of YAML's) everywhere else.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["dump"]

# Strings a YAML reader takes as the string itself: no indicator or special character
# at the start, no ": " or " #" inside, and not a number, boolean or null in either
# YAML 1.1 or 1.2 (checked separately).
_PLAIN = re.compile(r"^[A-Za-z_/$][A-Za-z0-9_ /$.()\-]*$")
_NOT_PLAIN = re.compile(
    r"^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF"
    r"|null|Null|NULL|~|\.inf|\.Inf|\.INF|\.nan|\.NaN|\.NAN)$"
)


def dump(value: Any) -> str:
    """``value`` (dicts with string keys, lists, strings, numbers, booleans, None) as YAML."""
    return "".join(_block(value, 0)) if _is_collection(value) else _scalar(value) + "\n"


def _is_collection(value: Any) -> bool:
    return isinstance(value, (Mapping, list, tuple)) and len(value) > 0


def _block(value: Any, indent: int) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            if _is_collection(item):
                lines.append(f"{pad}{_string(str(key))}:\n")
                # A sequence under a key is indented like the key's children.
                lines.extend(_block(item, indent + 2))
            else:
                lines.append(f"{pad}{_string(str(key))}: {_scalar(item)}\n")
        return lines
    for item in value:
        if isinstance(item, Mapping) and item:
            nested = _block(item, indent + 2)
            lines.append(f"{pad}- {nested[0][indent + 2 :]}")
            lines.extend(nested[1:])
        elif _is_collection(item):
            lines.append(f"{pad}-\n")
            lines.extend(_block(item, indent + 2))
        else:
            lines.append(f"{pad}- {_scalar(item)}\n")
    return lines


def _scalar(value: Any) -> str:
    if isinstance(value, Mapping):
        return "{}"
    if isinstance(value, Sequence) and not isinstance(value, str):
        return "[]"
    if isinstance(value, str):
        return _string(value)
    # json.dumps writes null, true, false and numbers as YAML reads them.
    return json.dumps(value)


def _string(text: str) -> str:
    if _PLAIN.match(text) and not _NOT_PLAIN.match(text) and not text.endswith(" "):
        return text
    # A JSON string is a valid YAML double-quoted scalar with the same value.
    return json.dumps(text, ensure_ascii=False)
