"""The plugin's error codes, registered with mypy when the plugin is imported.

Each can be silenced per line (``# type: ignore[pursocket-event]``) or switched off in
the configuration (``disable_error_code = ["pursocket-literal"]``).
"""

from __future__ import annotations

from typing import Final

from mypy.errorcodes import ErrorCode

_CATEGORY: Final = "pursocket"

NAMESPACE: Final = ErrorCode(
    "pursocket-namespace", "A namespace the protocol does not declare", _CATEGORY
)
EVENT: Final = ErrorCode(
    "pursocket-event", "An event the namespace does not declare in that direction", _CATEGORY
)
DIRECTION: Final = ErrorCode(
    "pursocket-direction", "An event used in the direction it is not sent in", _CATEGORY
)
KIND: Final = ErrorCode(
    "pursocket-kind", "A Msg event used as a Call, or a Call event used as a Msg", _CATEGORY
)
LITERAL: Final = ErrorCode(
    "pursocket-literal",
    "A namespace or event name the plugin cannot read (not a literal string)",
    _CATEGORY,
)
PROTOCOL: Final = ErrorCode(
    "pursocket-protocol", "A protocol TypedDict pursocket cannot use", _CATEGORY
)
AUTH: Final = ErrorCode(
    "pursocket-auth", "An auth a client sends that its namespaces cannot all accept", _CATEGORY
)
