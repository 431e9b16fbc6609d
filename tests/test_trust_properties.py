"""Property: a handler runs if and only if its payload is valid, once, with the value unchanged.

Hypothesis generates batches of events for every event of the Forms protocol (which
uses every payload form): valid values, valid values with one part broken, arbitrary
JSON (with binary data), the wrong number of arguments, Msgs sent as Calls and the
other way round, and unknown or lifecycle event names. A plain python-socketio client
sends each batch, pipelined, to a real pursocket server; the batch ends with a Call,
and since the server runs with ``ordered=True`` its answer means every earlier event
has been handled. The expectations come from a small reference checker written here,
independent of the library under test.

100 batches of 100 events: 10,000 generated cases per run. A second property does the
same on the client side (server-to-client payloads, and the client's answers to the
server's Calls): 100 batches of 100, another 10,000 cases.
"""

from __future__ import annotations

import asyncio
import functools
import threading
import types
import typing
from collections.abc import Coroutine, Iterator
from contextlib import AsyncExitStack
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

import pytest
import socketio
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from typing_extensions import NotRequired, ReadOnly, Required, is_typeddict

from pursocket import CallError, Client, Server, read_protocol
from pursocket._wire import ERROR_KEY
from pursocket.testing import serve
from tests.protocol_forms import FormsProtocol
from tests.trust_helpers import raw_client

# The clients' websockets (aiohttp) draw frame masks from the random module on the loop
# thread while Hypothesis generates on this one, which it takes for a strategy using it.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Do not use the `random` module inside strategies"
    ":hypothesis.errors.HypothesisDeprecationWarning"
)

BATCHES = 100
BATCH_SIZE = 100
NAMESPACE = read_protocol(FormsProtocol).namespace("forms")
EVENTS = dict(NAMESPACE.c2s)
BARRIER = "barrier"

T = TypeVar("T")

# ---------------------------------------------------------------- reference checker

_QUALIFIERS = (Required, NotRequired, ReadOnly)
_MISSING = object()


def _fields(td: Any) -> Iterator[tuple[str, Any, bool]]:
    """(key, type, required) for each key of a TypedDict."""
    for key, hint in typing.get_type_hints(td, include_extras=True).items():
        required = bool(td.__total__)
        while get_origin(hint) in _QUALIFIERS:
            if get_origin(hint) is Required:
                required = True
            elif get_origin(hint) is NotRequired:
                required = False
            hint = get_args(hint)[0]
        yield key, hint, required


def conform(value: Any, tp: Any) -> Any:
    """``value`` as a handler must receive it if it is a valid ``tp``; else ``_MISSING``."""
    if tp is Any:
        return value
    if tp is None or tp is type(None):
        return value if value is None else _MISSING
    if tp in (bool, str, bytes):
        return value if type(value) is tp else _MISSING
    if tp is int:
        return value if type(value) is int else _MISSING
    if tp is float:
        return float(value) if type(value) in (int, float) else _MISSING
    origin, args = get_origin(tp), get_args(tp)
    if origin is Literal:
        ok = any(type(value) is type(arg) and value == arg for arg in args)
        return value if ok else _MISSING
    if origin in (Union, types.UnionType):
        for arg in args:
            result = conform(value, arg)
            if result is not _MISSING:
                return result
        return _MISSING
    if origin is list:
        if type(value) is not list:
            return _MISSING
        items = [conform(item, args[0]) for item in value]
        return _MISSING if any(i is _MISSING for i in items) else items
    if origin is dict:
        if type(value) is not dict:
            return _MISSING
        entries = {key: conform(item, args[1]) for key, item in value.items()}
        return _MISSING if any(e is _MISSING for e in entries.values()) else entries
    if is_typeddict(tp):
        if type(value) is not dict:
            return _MISSING
        result = {}
        for key, hint, required in _fields(tp):
            if key not in value:
                if required:
                    return _MISSING
                continue
            result[key] = conform(value[key], hint)
            if result[key] is _MISSING:
                return _MISSING
        return result
    raise AssertionError(f"the reference checker does not know {tp!r}")


# ---------------------------------------------------------------- strategies

SMALL_INT = st.integers(-(2**63), 2**63 - 1)
FLOATS = st.floats(allow_nan=False, allow_infinity=False)
SCALARS = (
    st.none() | st.booleans() | SMALL_INT | FLOATS | st.text(max_size=8) | st.binary(max_size=4)
)


def nested(depth: int) -> st.SearchStrategy[Any]:
    """Scalars, and lists and objects of them nested at most ``depth`` deep.

    Bounded by construction: ``st.recursive`` with ``max_leaves`` overshoots and retries
    most of its draws, which made generation the test's main cost.
    """
    if depth == 0:
        return SCALARS
    inner = nested(depth - 1)
    return (
        SCALARS
        | st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    )


JSON = nested(3)


@functools.cache
def valid(tp: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values of type ``tp`` (as a well-behaved client would send them), nesting bounded."""
    if tp is Any:
        return JSON
    if tp is None or tp is type(None):
        return st.none()
    simple: dict[Any, st.SearchStrategy[Any]] = {
        bool: st.booleans(),
        int: SMALL_INT,
        float: FLOATS,
        str: st.text(max_size=8),
        bytes: st.binary(max_size=8),
    }
    if tp in simple:
        return simple[tp]
    origin, args = get_origin(tp), get_args(tp)
    if origin is Literal:
        return st.sampled_from(args)
    if origin in (Union, types.UnionType):
        return st.one_of([valid(arg, depth) for arg in args])
    if origin is list:
        if depth > 2:
            return st.builds(list)
        return st.lists(valid(args[0], depth + 1), max_size=3)
    if origin is dict:
        if depth > 2:
            return st.builds(dict)
        return st.dictionaries(st.text(max_size=4), valid(args[1], depth + 1), max_size=2)
    if is_typeddict(tp):
        required, optional = {}, {}
        for key, hint, is_required in _fields(tp):
            (required if is_required else optional)[key] = valid(hint, depth + 1)
        return st.fixed_dictionaries(required, optional=optional)
    raise AssertionError(f"no strategy for {tp!r}")


@st.composite
def broken(draw: st.DrawFn, tp: Any) -> Any:
    """A valid value with one part dropped, replaced, or added."""
    value = draw(valid(tp))
    if isinstance(value, dict) and value:
        key = draw(st.sampled_from(sorted(value)))
        action = draw(st.sampled_from(["drop", "replace", "add"]))
        if action == "drop":
            del value[key]
        elif action == "replace":
            value[key] = draw(JSON)
        else:
            value[draw(st.text(max_size=4))] = draw(JSON)
        return value
    if isinstance(value, list) and value:
        value[draw(st.integers(0, len(value) - 1))] = draw(JSON)
        return value
    return draw(JSON)


@functools.cache
def payloads(tp: Any) -> st.SearchStrategy[Any]:
    """Half the payloads valid, a quarter broken in one place, a quarter anything.

    Built once per type: a strategy built anew for every draw is validated anew too.
    """
    return st.one_of(valid(tp), valid(tp), broken(tp), JSON)


NAMES = st.sampled_from(sorted(EVENTS)) | st.sampled_from(["connect", "disconnect", "nope"])
ARGUMENT_COUNTS = st.sampled_from([1] * 18 + [0, 2])


@st.composite
def case(draw: st.DrawFn) -> tuple[str, bool, tuple[Any, ...]]:
    """(event name, sent as a Call, Socket.IO arguments)."""
    name = draw(NAMES)
    spec = EVENTS.get(name)
    as_call = draw(st.booleans()) if spec is None or draw(st.integers(0, 9)) == 0 else spec.is_call
    payload = draw(payloads(spec.payload_type if spec is not None else Any))
    count = draw(ARGUMENT_COUNTS)
    arguments = (payload,) if count == 1 else () if count == 0 else (payload, draw(JSON))
    return name, as_call, arguments


def expectation(name: str, as_call: bool, arguments: tuple[Any, ...]) -> tuple[str, Any]:
    """("handled", value the handler must see) or ("refused", error code)."""
    spec = EVENTS.get(name)
    if spec is None:
        return "refused", "unknown_event"
    if spec.is_call != as_call:
        return "refused", "wrong_kind"
    if len(arguments) != 1:
        return "refused", "invalid_payload"
    value = conform(arguments[0], spec.payload_type)
    return ("refused", "invalid_payload") if value is _MISSING else ("handled", value)


# ---------------------------------------------------------------- a server on its own loop


class LoopHarness:
    """A private event loop running in a thread, for a server and its client.

    Subclasses build a ``Server`` as ``self.server`` and a client; ``start()`` serves the
    server (``self.url``) and connects the client, and ``stop()``, extended to disconnect
    the client, shuts the server down.
    """

    server: Server[Any]
    url: str

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self._serving = AsyncExitStack()

    def run(self, job: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        return asyncio.run_coroutine_threadsafe(job, self.loop).result(timeout)

    async def start(self) -> None:
        self.url = await self._serving.enter_async_context(serve(self.server))

    async def stop(self) -> None:
        await self._serving.aclose()
        leftovers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in leftovers:
            task.cancel()
        await asyncio.gather(*leftovers, return_exceptions=True)


H = TypeVar("H", bound=LoopHarness)


def serve_for_the_module(harness: H) -> Iterator[H]:
    """The body of a module-scoped fixture: start ``harness``, yield it, stop it and its loop."""
    harness.run(harness.start())
    yield harness
    harness.run(harness.stop())
    harness.loop.call_soon_threadsafe(harness.loop.stop)


class Harness(LoopHarness):
    """A pursocket server and a raw client running on a private event loop in a thread."""

    def __init__(self) -> None:
        super().__init__()
        self.handled: list[tuple[str, Any]] = []
        self.server = Server(FormsProtocol, ordered=True)
        forms = self.server.namespace("forms")
        for spec in EVENTS.values():

            def record(conn: Any, payload: Any, name: str = spec.name) -> Any:
                self.handled.append((name, payload))
                if name == "measure":
                    return {"x": 1.0, "y": 2.0}
                return None  # lookup answers None, a valid Optional[Shape]

            (forms.on_call if spec.is_call else forms.on)(spec.name)(record)
        self.client: socketio.AsyncClient | None = None

    async def start(self) -> None:
        await super().start()
        self.client = await raw_client(self.url)

    async def send_batch(self, cases: list[tuple[str, bool, tuple[Any, ...]]]) -> list[Any]:
        """Send every case without waiting; return the acknowledgements of the Calls."""
        assert self.client is not None
        loop = asyncio.get_running_loop()
        answers: list[asyncio.Future[Any]] = []
        for name, as_call, arguments in cases:
            if as_call:
                answer: asyncio.Future[Any] = loop.create_future()

                def on_ack(*args: Any, answer: asyncio.Future[Any] = answer) -> None:
                    answer.set_result(args)

                answers.append(answer)
                await self.client.emit(name, arguments, namespace="/forms", callback=on_ack)
            else:
                await self.client.emit(name, arguments, namespace="/forms")
        barrier = await self.client.call("lookup", BARRIER, namespace="/forms", timeout=10)
        assert barrier is None
        return list(await asyncio.wait_for(asyncio.gather(*answers), 10))

    async def stop(self) -> None:
        if self.client is not None:
            await self.client.disconnect()
        await super().stop()


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    yield from serve_for_the_module(Harness())


@settings(
    max_examples=BATCHES,
    deadline=None,
    database=None,
    # Shrinking a 100-event batch against a live server outlasts the test timeout;
    # the assertion diff already points at the first event that went wrong.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(batch=st.lists(case(), min_size=BATCH_SIZE, max_size=BATCH_SIZE))
def test_handlers_run_iff_the_payload_is_valid(
    harness: Harness, batch: list[tuple[str, bool, tuple[Any, ...]]]
) -> None:
    harness.handled.clear()
    acks = harness.run(harness.send_batch(batch))
    expected_handled = []
    expected_acks = []
    for name, as_call, arguments in batch:
        outcome, detail = expectation(name, as_call, arguments)
        if outcome == "handled":
            expected_handled.append((name, detail))
        if as_call:
            if outcome == "refused":
                expected_acks.append(detail)
            else:
                expected_acks.append({"measure": {"x": 1.0, "y": 2.0}}.get(name))
    assert harness.handled[:-1] == expected_handled
    assert harness.handled[-1] == ("lookup", BARRIER)
    got = []
    for args in acks:
        assert len(args) == 1, "every Call is acknowledged with exactly one argument"
        reply = args[0]
        is_error = isinstance(reply, dict) and set(reply) == {ERROR_KEY}
        got.append(reply[ERROR_KEY]["code"] if is_error else reply)
    assert got == expected_acks


#: A batch of one of each kind of refusal, so the test below stands on its own.
HOSTILE = [
    ("nope", True, (1,)),
    ("measure", False, ({"name": "n"},)),
    ("measure", True, ()),
    ("measure", True, ({"name": 5},)),
    ("connect", True, ({"forged": True},)),
    ("disconnect", False, ("forged",)),
]


def test_the_server_is_healthy_after_hostile_input(harness: Harness) -> None:
    async def check() -> None:
        acks = await harness.send_batch(HOSTILE)
        assert [args[0][ERROR_KEY]["code"] for args in acks] == [
            "unknown_event",
            "invalid_payload",
            "invalid_payload",
            "unknown_event",
        ]
        assert harness.client is not None and harness.client.connected
        fresh = await raw_client(harness.url)
        try:
            answer = await fresh.call("measure", {"name": "n"}, namespace="/forms", timeout=5)
            sids = {conn.sid for conn in harness.server.namespace("forms").connections()}
            assert sids == {harness.client.get_sid("/forms"), fresh.get_sid("/forms")}
        finally:
            await fresh.disconnect()
        assert answer == {"x": 1.0, "y": 2.0}

    harness.run(check())


# ---------------------------------------------------------------- the client side

S2C = dict(NAMESPACE.s2c)
CLIENT_BATCHES = 100


class ClientHarness(LoopHarness):
    """A pursocket server and a pursocket client (``ordered=True``) on a private loop.

    The server sends through its escape hatch (``server.sio``), which the protocol does
    not check, so the client meets every kind of payload; the client answers the
    server's ``ask`` Calls with values the test chooses, valid or not.
    """

    def __init__(self) -> None:
        super().__init__()
        self.server = Server(FormsProtocol)
        self.server.namespace("forms").on_connect(self._connected)
        self.client = Client(FormsProtocol, ordered=True, reconnection=False)
        forms = self.client.namespace("forms")
        self.pushed: list[Any] = []
        self.answers: list[Any] = []
        forms.on("pushed")(self.pushed.append)
        forms.on_call("ask")(lambda request: self.answers.pop(0))
        self.conn: Any = None

    def _connected(self, conn: Any) -> None:
        self.conn = conn

    async def start(self) -> None:
        await super().start()
        await self.client.connect(self.url, transports=["websocket"])

    async def send_batch(self, cases: list[tuple[str, Any]]) -> list[Any]:
        """Push or ask for every case; return each Call's result or CallError code."""
        self.pushed.clear()
        self.answers = [value for kind, value in cases if kind == "ask"]
        calls = []
        for kind, value in cases:
            if kind == "pushed":
                await self.server.sio.emit("pushed", (value,), to=self.conn.sid, namespace="/forms")
            else:
                calls.append(asyncio.ensure_future(self.conn.call("ask", None, timeout=10)))
        # The client is ordered: once this Call is answered, every push before it was
        # handled. Calls go out in the order their tasks were created.
        self.answers.append(True)
        barrier = asyncio.ensure_future(self.conn.call("ask", None, timeout=10))
        results = await asyncio.gather(*calls, return_exceptions=True)
        assert await barrier is True
        return [r.code if isinstance(r, CallError) else r for r in results]

    async def stop(self) -> None:
        await self.client.disconnect()
        await super().stop()


@pytest.fixture(scope="module")
def client_harness() -> Iterator[ClientHarness]:
    yield from serve_for_the_module(ClientHarness())


S2C_CASE = st.one_of(
    st.tuples(st.just("pushed"), st.one_of(valid(S2C["pushed"].payload_type), JSON)),
    st.tuples(st.just("ask"), st.one_of(valid(S2C["ask"].response_type), JSON)),
)


@settings(
    max_examples=CLIENT_BATCHES,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(batch=st.lists(S2C_CASE, min_size=BATCH_SIZE, max_size=BATCH_SIZE))
def test_the_client_accepts_a_value_iff_it_is_valid(
    client_harness: ClientHarness, batch: list[tuple[str, Any]]
) -> None:
    """Server-to-client payloads and the answers to server Calls, 10,000 cases per run."""
    results = client_harness.run(client_harness.send_batch(batch))
    expected_pushed = []
    expected_results = []
    for kind, value in batch:
        if kind == "pushed":
            accepted = conform(value, S2C["pushed"].payload_type)
            if accepted is not _MISSING:
                expected_pushed.append(accepted)
        else:
            answer = conform(value, S2C["ask"].response_type)
            expected_results.append("invalid_response" if answer is _MISSING else answer)
    assert client_harness.pushed == expected_pushed
    assert results == expected_results
