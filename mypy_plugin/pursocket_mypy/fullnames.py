"""Fully qualified names of everything the plugin recognises, at their defining modules."""

from __future__ import annotations

from typing import Final

SERVER: Final = "pursocket.server.Server"
SERVER_NAMESPACE: Final = "pursocket.server.ServerNamespace"
CONNECTION: Final = "pursocket.server.Connection"
CLIENT: Final = "pursocket.client.Client"
CLIENT_NAMESPACE: Final = "pursocket.client.ClientNamespace"
RECORDING_CLIENT: Final = "pursocket.recording.RecordingClient"
CONNECT: Final = "pursocket.testing.connect"
CONNECT_FIXTURE: Final = "pursocket.testing.ConnectFixture"

MSG: Final = "pursocket.protocol.Msg"
CALL: Final = "pursocket.protocol.Call"
DISCONNECT_REASON: Final = "pursocket.reasons.DisconnectReason"
INVALID_INPUT: Final = "pursocket.validation.InvalidInput"

MSG_HANDLER_DECORATOR: Final = "pursocket._typing.MsgHandlerDecorator"
CALL_HANDLER_DECORATOR: Final = "pursocket._typing.CallHandlerDecorator"
GUARD_DECORATOR: Final = "pursocket._typing.GuardDecorator"

AWAITABLE: Final = "typing.Awaitable"
