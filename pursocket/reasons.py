"""Why a connection ended, on either side."""

from __future__ import annotations

import enum

__all__ = ["DisconnectReason"]


class DisconnectReason(enum.Enum):
    """Why a Socket.IO connection to one namespace ended.

    The values are python-socketio's (and the JS client's) reason strings.
    """

    #: The server ended the connection (``Connection.disconnect`` or shutdown).
    SERVER_DISCONNECT = "server disconnect"
    #: The client ended the connection (``Client.disconnect``).
    CLIENT_DISCONNECT = "client disconnect"
    #: The underlying transport closed without a Socket.IO DISCONNECT packet.
    TRANSPORT_CLOSE = "transport close"
    #: The transport failed (network error, malformed traffic).
    TRANSPORT_ERROR = "transport error"
    #: The peer stopped answering Engine.IO pings.
    PING_TIMEOUT = "ping timeout"
    #: A reason python-socketio did not name.
    UNKNOWN = "unknown"

    @property
    def will_auto_reconnect(self) -> bool:
        """Whether a client with reconnection enabled tries to reconnect after this.

        Deliberate disconnects (by the server or by the client itself) are final;
        transport failures and ping timeouts are retried.
        """
        return self not in (DisconnectReason.SERVER_DISCONNECT, DisconnectReason.CLIENT_DISCONNECT)

    @classmethod
    def from_socketio(cls, reason: object) -> DisconnectReason:
        """Map a python-socketio reason string (or ``None``) to the enum."""
        for member in cls:
            if member.value == reason:
                return member
        return cls.UNKNOWN
