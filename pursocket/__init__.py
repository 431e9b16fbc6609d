"""pursocket: type-safe Socket.IO for Python.

Declare a protocol once as nested ``TypedDict``s; run a typed async server and client
on python-socketio; let the ``pursocket_mypy`` plugin check every use of it.
"""

import importlib.metadata

from pursocket.client import Client, ClientNamespace
from pursocket.errors import (
    CallError,
    CallTimeout,
    ConnectError,
    ConnectionRefused,
    ProtocolError,
    PursocketError,
    StateNotSet,
)
from pursocket.protocol import Call, Msg, ProtocolModel, read_protocol
from pursocket.reasons import DisconnectReason
from pursocket.server import Connection, Server, ServerNamespace
from pursocket.validation import InvalidInput

__all__ = [
    "Call",
    "CallError",
    "CallTimeout",
    "Client",
    "ClientNamespace",
    "ConnectError",
    "Connection",
    "ConnectionRefused",
    "DisconnectReason",
    "InvalidInput",
    "Msg",
    "ProtocolError",
    "ProtocolModel",
    "PursocketError",
    "Server",
    "ServerNamespace",
    "StateNotSet",
    "read_protocol",
]

#: The installed distribution's version, read from its metadata.
__version__ = importlib.metadata.version("pursocket")
