"""The upstream shapes pursocket's overrides of private python-socketio/engineio code rely on.

pursocket's trust boundary overrides private methods of python-socketio and
python-engineio and calls some of their private helpers. An upstream release that
renames one, changes its parameters, or stops keeping an attribute pursocket reads
would otherwise fail somewhere unrelated (or not at all). Each test here names one
such hook, so an upgrade fails with "python-socketio changed `X`: pursocket's
override of `X` needs review". ``make test-upstream`` runs the suite against the
newest releases on PyPI.
"""

from __future__ import annotations

import hashlib
import inspect
import textwrap
from typing import Any

import engineio
import pytest
import socketio
from engineio import async_socket
from socketio import packet

from pursocket import Client, Server
from pursocket._engine import EngineIOServer
from pursocket._logging import LogLimiter
from pursocket._manager import LocalManager
from pursocket._sio_client import SocketIOClient
from pursocket._sio_server import SocketIOServer
from pursocket._websocket import SendQueue, is_engineio_handler
from tests.protocols import AppProtocol

SOCKETIO = "python-socketio"
ENGINEIO = "python-engineio"


def review_message(package: str, hook: str, use: str, problem: str) -> str:
    """What a failing contract says: which upstream hook changed, and what pursocket does with it."""
    return f"{package} changed `{hook}`: pursocket's {use} of `{hook}` needs review ({problem})"


def check_signature(package: str, owner: type, name: str, expected: str, use: str) -> None:
    """Fail with :func:`review_message` unless ``owner.name`` has the signature ``expected``."""
    hook = f"{owner.__name__}.{name}"
    function = inspect.getattr_static(owner, name, None)
    if function is None:
        raise AssertionError(review_message(package, hook, use, "it no longer exists"))
    found = str(inspect.signature(getattr(owner, name)))
    if found != expected:
        raise AssertionError(
            review_message(package, hook, use, f"expected the signature {expected}, found {found}")
        )


def check_attributes(package: str, owner: str, instance: object, names: dict[str, type]) -> None:
    """Fail with :func:`review_message` unless ``instance`` has each attribute, of its type."""
    for name, kind in names.items():
        hook = f"{owner}.{name}"
        if not hasattr(instance, name):
            raise AssertionError(
                review_message(package, hook, "use", "an instance no longer has it")
            )
        value = getattr(instance, name)
        if not isinstance(value, kind):
            raise AssertionError(
                review_message(
                    package,
                    hook,
                    "use",
                    f"expected a {kind.__name__}, found a {type(value).__name__}",
                )
            )


# --- methods pursocket overrides -----------------------------------------------------------

OVERRIDES = [
    # The Socket.IO server pursocket builds (pursocket/_sio_server.py).
    (SOCKETIO, socketio.AsyncServer, "_engineio_server_class", "(self)"),
    (SOCKETIO, socketio.AsyncServer, "_handle_eio_message", "(self, eio_sid, data)"),
    (SOCKETIO, socketio.AsyncServer, "_handle_connect", "(self, eio_sid, namespace, data)"),
    (SOCKETIO, socketio.AsyncServer, "_handle_eio_disconnect", "(self, eio_sid, reason)"),
    (SOCKETIO, socketio.AsyncServer, "_trigger_event", "(self, event, namespace, *args)"),
    (
        SOCKETIO,
        socketio.AsyncServer,
        "instrument",
        "(self, auth=None, mode='development', read_only=False, server_id=None, "
        "namespace='/admin', server_stats_interval=2)",
    ),
    (SOCKETIO, socketio.AsyncServer, "shutdown", "(self)"),
    # The single-process manager (pursocket/_manager.py).
    (
        SOCKETIO,
        socketio.AsyncManager,
        "emit",
        "(self, event, data, namespace, room=None, skip_sid=None, callback=None, to=None, **kwargs)",
    ),
    # The Socket.IO client (pursocket/_sio_client.py).
    (SOCKETIO, socketio.AsyncClient, "_handle_eio_message", "(self, data)"),
    (SOCKETIO, socketio.AsyncClient, "_handle_connect", "(self, namespace, data)"),
    (SOCKETIO, socketio.AsyncClient, "_handle_disconnect", "(self, namespace)"),
    (SOCKETIO, socketio.AsyncClient, "_handle_error", "(self, namespace, data)"),
    (SOCKETIO, socketio.AsyncClient, "_handle_eio_disconnect", "(self, reason)"),
    (SOCKETIO, socketio.AsyncClient, "_send_packet", "(self, pkt)"),
    # The packet codec (pursocket/_codec.py).
    (
        SOCKETIO,
        packet.Packet,
        "__init__",
        "(self, packet_type=2, data=None, namespace=None, id=None, binary=None, "
        "encoded_packet=None)",
    ),
    (SOCKETIO, packet.Packet, "encode", "(self)"),
    (SOCKETIO, packet.Packet, "decode", "(self, encoded_packet)"),
    (SOCKETIO, packet.Packet, "add_attachment", "(self, attachment)"),
    (SOCKETIO, packet.Packet, "data_is_binary", "(data)"),
    # The Engine.IO server (pursocket/_engine.py).
    (ENGINEIO, engineio.AsyncServer, "disconnect", "(self, sid=None)"),
    (ENGINEIO, engineio.AsyncServer, "handle_request", "(self, *args, **kwargs)"),
    (ENGINEIO, engineio.AsyncServer, "create_queue", "(self, *args, **kwargs)"),
    # The websocket session (pursocket/_websocket.py) and what it calls on the socket.
    (ENGINEIO, async_socket.AsyncSocket, "_websocket_handler", "(self, ws)"),
    (ENGINEIO, async_socket.AsyncSocket, "schedule_ping", "(self)"),
    (ENGINEIO, async_socket.AsyncSocket, "send", "(self, pkt)"),
    (ENGINEIO, async_socket.AsyncSocket, "close", "(self, wait=True, abort=False, reason=None)"),
    (ENGINEIO, engineio.AsyncServer, "send_packet", "(self, sid, pkt)"),
]


@pytest.mark.parametrize(
    ("package", "owner", "name", "expected"),
    OVERRIDES,
    ids=[f"{owner.__name__}.{name}" for _, owner, name, _ in OVERRIDES],
)
def test_overridden_method_keeps_its_signature(
    package: str, owner: type, name: str, expected: str
) -> None:
    check_signature(package, owner, name, expected, "override")


# --- private helpers pursocket's overrides call --------------------------------------------

CALLED = [
    (SOCKETIO, socketio.AsyncServer, "_send_packet", "(self, eio_sid, pkt)"),
    (SOCKETIO, socketio.AsyncServer, "_handle_ack", "(self, eio_sid, namespace, id, data)"),
    (
        SOCKETIO,
        socketio.AsyncServer,
        "_handle_disconnect",
        "(self, eio_sid, namespace, reason=None)",
    ),
    (SOCKETIO, socketio.AsyncServer, "_handle_event", "(self, eio_sid, namespace, id, data)"),
    (SOCKETIO, socketio.AsyncServer, "_get_event_handler", "(self, event, namespace, args)"),
    (SOCKETIO, socketio.AsyncServer, "_get_namespace_handler", "(self, namespace, args)"),
    (SOCKETIO, socketio.AsyncClient, "_handle_ack", "(self, namespace, id, data)"),
    (SOCKETIO, socketio.AsyncClient, "_handle_event", "(self, namespace, id, data)"),
    (SOCKETIO, socketio.AsyncClient, "_get_event_handler", "(self, event, namespace, args)"),
    (SOCKETIO, socketio.AsyncClient, "_get_namespace_handler", "(self, namespace, args)"),
    (SOCKETIO, socketio.AsyncManager, "get_participants", "(self, namespace, room)"),
    (SOCKETIO, socketio.AsyncManager, "sid_from_eio_sid", "(self, eio_sid, namespace)"),
    (SOCKETIO, socketio.AsyncManager, "is_connected", "(self, sid, namespace)"),
    (SOCKETIO, socketio.AsyncManager, "is_sid_room", "(self, namespace, room)"),
    (SOCKETIO, packet.Packet, "deconstruct_binary", "(data)"),
    (ENGINEIO, async_socket.AsyncSocket, "close", "(self, wait=True, abort=False, reason=None)"),
]


@pytest.mark.parametrize(
    ("package", "owner", "name", "expected"),
    CALLED,
    ids=[f"{owner.__name__}.{name}" for _, owner, name, _ in CALLED],
)
def test_called_private_helper_keeps_its_signature(
    package: str, owner: type, name: str, expected: str
) -> None:
    check_signature(package, owner, name, expected, "use")


def test_the_server_keeps_the_state_pursocket_reads() -> None:
    sio = socketio.AsyncServer(async_mode="asgi")
    check_attributes(
        SOCKETIO,
        "AsyncServer",
        sio,
        {
            "_binary_packet": dict,
            "handlers": dict,
            "namespace_handlers": dict,
            "manager": socketio.AsyncManager,
            "eio": engineio.AsyncServer,
        },
    )
    check_attributes(SOCKETIO, "AsyncServer.reason", sio.reason, {"CLIENT_DISCONNECT": str})
    # What _get_event_handler answers when nothing takes an event, and what
    # _trigger_event returns then; pursocket's _trigger_event returns it too.
    assert sio._get_event_handler("x", "/", ()) == (None, ()), review_message(
        SOCKETIO, "AsyncServer._get_event_handler", "use", "no handler is no longer (None, args)"
    )
    assert hasattr(sio, "not_handled"), review_message(
        SOCKETIO, "AsyncServer.not_handled", "use", "an instance no longer has it"
    )


def test_the_admin_ui_instrumentation_keeps_what_pursocket_relies_on() -> None:
    # SocketIOServer.instrument keeps the object instrument() returns and awaits its
    # shutdown(); the Admin UI sees declared events through the _trigger_event it wraps.
    from socketio.async_admin import InstrumentedAsyncServer

    check_signature(SOCKETIO, InstrumentedAsyncServer, "shutdown", "(self)", "use")
    check_signature(
        SOCKETIO,
        InstrumentedAsyncServer,
        "_trigger_event",
        "(self, event, namespace, *args)",
        "use",
    )


def test_the_client_keeps_the_state_pursocket_reads() -> None:
    sio = socketio.AsyncClient()
    # A binary packet waiting for its attachments is held here; None when there is none.
    assert sio._binary_packet is None, review_message(
        SOCKETIO, "AsyncClient._binary_packet", "use", f"found {sio._binary_packet!r}"
    )
    check_attributes(
        SOCKETIO,
        "AsyncClient",
        sio,
        {
            "namespaces": dict,
            "handlers": dict,
            "namespace_handlers": dict,
            "eio": engineio.AsyncClient,
        },
    )
    # SocketIOClient._send_packet replaces the auth of each CONNECT packet it sends
    # with the namespace's own, read from the auth connect() stored here.
    assert hasattr(sio, "connection_auth"), review_message(
        SOCKETIO, "AsyncClient.connection_auth", "use", "an instance no longer has it"
    )
    check_attributes(ENGINEIO, "AsyncClient", sio.eio, {"state": str})
    assert sio.eio.state == "disconnected", review_message(
        ENGINEIO, "AsyncClient.state", "use", f"found {sio.eio.state!r}"
    )


def test_the_client_connect_waits_on_what_pursocket_ends_it_with() -> None:
    # SocketIOClient._handle_eio_disconnect ends a connect() whose connection the server
    # closed before every namespace answered: it adds each unanswered namespace of
    # connection_namespaces to failed_namespaces and sets _connect_event, which connect()
    # waits on until every namespace is connected or failed. It turns reconnection off
    # for python-socketio's _handle_eio_disconnect, which would start reconnecting.
    sio = socketio.AsyncClient()
    check_attributes(
        SOCKETIO,
        "AsyncClient",
        sio,
        {"connection_namespaces": list, "failed_namespaces": list, "reconnection": bool},
    )
    assert hasattr(sio, "_connect_event"), review_message(
        SOCKETIO, "AsyncClient._connect_event", "use", "an instance no longer has it"
    )
    connect = inspect.getsource(socketio.AsyncClient.connect)
    for line in (
        "self._connect_event = self.eio.create_event()",
        "await asyncio.wait_for(self._connect_event.wait(),",
        "if len(self.namespaces) + len(self.failed_namespaces) == \\",
    ):
        assert line in connect, review_message(
            SOCKETIO, "AsyncClient.connect", "use", f"its wait no longer has `{line}`"
        )
    disconnect = inspect.getsource(socketio.AsyncClient._handle_eio_disconnect)
    assert "will_reconnect = self.reconnection and " in disconnect, review_message(
        SOCKETIO,
        "AsyncClient._handle_eio_disconnect",
        "override",
        "it no longer reads self.reconnection to reconnect",
    )


async def test_an_engineio_socket_keeps_the_state_pursocket_reads() -> None:
    server = engineio.AsyncServer(async_mode="asgi")
    socket = async_socket.AsyncSocket(server, "sid")
    check_attributes(ENGINEIO, "AsyncSocket", socket, {"upgraded": bool})
    check_attributes(ENGINEIO, "AsyncSocket", socket, {"queue": object})
    for method in ("put", "join"):
        assert inspect.iscoroutinefunction(getattr(socket.queue, method)), review_message(
            ENGINEIO, f"AsyncSocket.queue.{method}", "use", "it is no longer a coroutine"
        )
    check_attributes(ENGINEIO, "AsyncServer.reason", server.reason, {"SERVER_DISCONNECT": str})


def test_the_engineio_websocket_driver_is_still_pluggable() -> None:
    # EngineIOServer swaps the websocket class in its driver table for one whose
    # wait() refuses frames that are not Engine.IO packets.
    server = engineio.AsyncServer(async_mode="asgi")
    drivers = getattr(server, "_async", None)
    assert isinstance(drivers, dict) and "websocket" in drivers, review_message(
        ENGINEIO, "AsyncServer._async", "override", "no driver table with a websocket class"
    )
    assert inspect.iscoroutinefunction(drivers["websocket"].wait), review_message(
        ENGINEIO, "AsyncServer._async['websocket'].wait", "override", "not a coroutine"
    )
    assert isinstance(server.logger, object) and hasattr(server.logger, "error")


async def test_the_engineio_request_reader_is_still_pluggable() -> None:
    # EngineIOServer wraps the driver table's translate_request so that a long-polling
    # body is checked as engineio reads it (``environ["wsgi.input"].read(length)``),
    # and raises an EngineIOError, which engineio answers by closing the session.
    server = engineio.AsyncServer(async_mode="asgi")
    translate = server._async.get("translate_request")
    assert translate is not None and inspect.iscoroutinefunction(translate), review_message(
        ENGINEIO, "AsyncServer._async['translate_request']", "wrapper", "not a coroutine"
    )
    source = inspect.getsource(async_socket.AsyncSocket.handle_post_request)
    assert "environ['wsgi.input'].read(length)" in source, review_message(
        ENGINEIO, "AsyncSocket.handle_post_request", "body check", "reads the body differently"
    )
    handler = inspect.getsource(engineio.AsyncServer.handle_request)
    assert "except exceptions.EngineIOError:" in handler, review_message(
        ENGINEIO, "AsyncServer.handle_request", "body check", "no longer closes on EngineIOError"
    )
    assert isinstance(engineio.payload.Payload.max_decode_packets, int)


# pursocket's LocalManager.emit is a modified copy of AsyncManager.emit for the case
# without acknowledgements: a new upstream emit (a bug fix, a new option) must be
# read and carried over. The hashes are of the upstream source pursocket was
# reviewed against; add one after reviewing a new release.
REVIEWED_MANAGER_EMIT = {
    # python-socketio 5.18.1
    "974bad6cde33d1a64cffee8b6f9af24de17c5fad9ca02879dcf798ab8d6c19fd",
}


def source_hash(function: Any) -> str:
    return hashlib.sha256(textwrap.dedent(inspect.getsource(function)).encode()).hexdigest()


def test_the_upstream_manager_emit_is_the_one_pursocket_copied() -> None:
    found = source_hash(socketio.AsyncManager.emit)
    assert found in REVIEWED_MANAGER_EMIT, review_message(
        SOCKETIO,
        "AsyncManager.emit",
        "override",
        f"LocalManager.emit is a modified copy of its source, which now hashes to {found}",
    )


def test_a_message_queue_manager_delivers_locally_through_super_emit() -> None:
    # deliver_locally_without_tasks (pursocket/_manager.py) puts LocalManager right after
    # AsyncPubSubManager in a message-queue manager's method resolution order, so that
    # the local delivery AsyncPubSubManager makes with super().emit(...), for its own
    # broadcasts (in _handle_emit) and for what it reads from the channel, is LocalManager's.
    from socketio.async_pubsub_manager import AsyncPubSubManager

    handle_emit = inspect.getsource(AsyncPubSubManager._handle_emit)
    assert "await super().emit(" in handle_emit, review_message(
        SOCKETIO,
        "AsyncPubSubManager._handle_emit",
        "local delivery",
        "it no longer delivers through super().emit",
    )
    emit = inspect.getsource(AsyncPubSubManager.emit)
    assert "await self._handle_emit(message)" in emit, review_message(
        SOCKETIO,
        "AsyncPubSubManager.emit",
        "local delivery",
        "it no longer delivers its own broadcasts through _handle_emit",
    )
    for kind in (socketio.AsyncRedisManager, socketio.AsyncAioPikaManager):
        assert "emit" not in vars(kind), review_message(
            SOCKETIO, f"{kind.__name__}.emit", "local delivery", "it overrides emit"
        )
        manager = kind(
            "redis://127.0.0.1:6379/3" if kind is socketio.AsyncRedisManager else "amqp://"
        )
        server = Server(AppProtocol, client_manager=manager)
        assert server.sio.manager is manager and isinstance(manager, kind)
        assert type(manager).__name__ == kind.__name__
        assert type(manager).__mro__[1:5] == (
            kind,
            AsyncPubSubManager,
            LocalManager,
            socketio.AsyncManager,
        )


def test_pursocket_builds_on_the_classes_the_contracts_name() -> None:
    server = Server(AppProtocol)
    client = Client(AppProtocol)
    assert type(server.sio) is SocketIOServer
    assert isinstance(server.sio.eio, EngineIOServer)
    assert type(server.sio.manager) is LocalManager
    assert type(client.sio) is SocketIOClient
    assert [base.__name__ for base in SocketIOServer.__mro__[1:3]] == [
        "AsyncServer",
        "BaseServer",
    ]


# --- the contract check itself -------------------------------------------------------------


class _Changed:
    async def _handle_eio_message(self, eio_sid: str, data: Any, extra: int) -> None: ...


def test_a_changed_signature_fails_naming_the_hook() -> None:
    with pytest.raises(AssertionError) as failure:
        check_signature(
            SOCKETIO, _Changed, "_handle_eio_message", "(self, eio_sid, data)", "override"
        )
    assert str(failure.value) == (
        "python-socketio changed `_Changed._handle_eio_message`: pursocket's override of "
        "`_Changed._handle_eio_message` needs review (expected the signature "
        "(self, eio_sid, data), found (self, eio_sid: 'str', data: 'Any', extra: 'int') -> 'None')"
    )


def test_a_removed_method_fails_naming_the_hook() -> None:
    with pytest.raises(AssertionError) as failure:
        check_signature(SOCKETIO, _Changed, "_handle_connect", "(self)", "override")
    assert str(failure.value) == (
        "python-socketio changed `_Changed._handle_connect`: pursocket's override of "
        "`_Changed._handle_connect` needs review (it no longer exists)"
    )


def test_a_missing_attribute_fails_naming_it() -> None:
    with pytest.raises(AssertionError) as failure:
        check_attributes(SOCKETIO, "AsyncServer", object(), {"_binary_packet": dict})
    assert str(failure.value) == (
        "python-socketio changed `AsyncServer._binary_packet`: pursocket's use of "
        "`AsyncServer._binary_packet` needs review (an instance no longer has it)"
    )


def test_the_manager_keeps_ack_callbacks_where_pursocket_drops_them() -> None:
    # SocketIOServer.forget_acknowledgement deletes a timed-out Call's callback from
    # manager.callbacks[sid], where python-socketio's emit(callback=...) stores it.
    manager = socketio.AsyncManager()

    def callback(*args: Any) -> None:
        pass

    ack_id = manager._generate_ack_id("sid", callback)
    stored = getattr(manager, "callbacks", {}).get("sid", {})
    assert stored.get(ack_id) is callback, review_message(
        SOCKETIO, "AsyncManager.callbacks", "clean-up", "callbacks are kept elsewhere"
    )


async def test_engineio_hands_the_websocket_driver_its_sockets_websocket_handler() -> None:
    # pursocket/_websocket.py replaces AsyncSocket._websocket_handler: the websocket
    # driver swaps it out when it is built with that bound method (in
    # AsyncSocket._upgrade_websocket); otherwise engineio's handler would silently run.
    handed: list[Any] = []

    class RecordingDriver:
        def __init__(self, handler: Any, server: Any) -> None:
            handed.append(handler)

        async def __call__(self, environ: Any) -> str:
            return ""

    server = engineio.AsyncServer(async_mode="asgi")
    socket = async_socket.AsyncSocket(server, "sid")
    server._async = {**server._async, "websocket": RecordingDriver}
    await socket._upgrade_websocket({})
    assert len(handed) == 1 and is_engineio_handler(handed[0]), review_message(
        ENGINEIO,
        "AsyncSocket._upgrade_websocket",
        "replacement of the handler it hands the driver",
        f"it handed {handed!r}",
    )
    assert handed[0].__self__ is socket
    check_attributes(
        ENGINEIO,
        "AsyncSocket",
        socket,
        {"connected": bool, "upgrading": bool, "upgraded": bool, "sid": str},
    )
    check_attributes(
        ENGINEIO,
        "AsyncServer",
        server,
        {"handlers": dict, "max_http_buffer_size": int, "ping_interval": int, "ping_timeout": int},
    )


async def test_an_engineio_socket_queues_its_packets_on_the_servers_queue() -> None:
    # EngineIOServer.create_queue gives every socket a SendQueue, which a websocket
    # writer lets send a packet at once; every packet must reach it through put().
    server = EngineIOServer(async_mode="asgi", log=LogLimiter())
    socket = async_socket.AsyncSocket(server, "sid")
    assert isinstance(socket.queue, SendQueue), review_message(
        ENGINEIO,
        "AsyncSocket.queue",
        "SendQueue",
        f"the socket's queue is a {type(socket.queue).__name__}, not made by create_queue()",
    )


def test_engineio_sends_through_send_packet_and_a_socket_queue() -> None:
    # EngineIOServer.send_packet counts the bytes queued for a connection and
    # session_ended() empties socket.queue: every send must go through send_packet.
    source = inspect.getsource(engineio.AsyncServer.send)
    assert "self.send_packet(" in source, review_message(
        ENGINEIO, "AsyncServer.send", "queue bound", "no longer sends through send_packet"
    )
    assert "queue.put(pkt)" in inspect.getsource(async_socket.AsyncSocket.send), review_message(
        ENGINEIO, "AsyncSocket.send", "queue bound", "no longer queues on socket.queue"
    )
