"""Tuples in the protocol language: validated strictly, one JSON array on the wire, a
``tuple`` in every Python handler.

``tuple[A, B]`` (fixed length), ``tuple[T, ...]`` (any length) and ``tuple[()]`` travel
as one JSON array: python-socketio would send a top-level tuple as several Socket.IO
arguments, and searches only lists and dicts for binary data, so pursocket hands it
the tuples as lists. What arrives is checked item by item and handed over as a tuple.
"""

from __future__ import annotations

import asyncio
import contextlib
from contextlib import AsyncExitStack
from typing import Any, Literal, TypeAlias, Union

import pytest
from typing_extensions import NotRequired, TypedDict

from pursocket import Call, CallError, Client, Connection, Msg, Server, read_protocol
from pursocket.testing import ServeFixture, serve
from pursocket.validation import EventValidators, InvalidValue, build_validators
from tests.conftest import Inbox
from tests.test_interop import node

Json: TypeAlias = Union[dict[str, "Json"], list["Json"], str, int, float, bool, None]  # noqa: UP007


class Circle(TypedDict):
    kind: Literal["circle"]
    radius: float


class Square(TypedDict):
    kind: Literal["square"]
    side: int


class Track(TypedDict):
    point: tuple[int, int]
    path: tuple[tuple[float, float], ...]
    label: NotRequired[tuple[str, bytes]]


class TuplesC2S(TypedDict):
    move: Msg[tuple[int, int]]
    track: Msg[Track]
    nothing: Msg[tuple[()]]
    scale: Call[tuple[float, ...], tuple[float, float]]
    upload: Call[tuple[str, bytes], tuple[int, bytes]]
    shapes: Msg[tuple[Circle | Square, Json]]


class TuplesS2C(TypedDict):
    moved: Msg[tuple[int, int]]
    tracked: Msg[Track]
    ask: Call[tuple[str, int], tuple[bool, str]]
    sent: Msg[tuple[str, bytes]]


class Login(TypedDict):
    version: tuple[int, int]


class TuplesNamespace(TypedDict):
    auth: Login
    c2s: TuplesC2S
    s2c: TuplesS2C


class TuplesProtocol(TypedDict):
    tuples: TuplesNamespace


TuplesConn = Connection[TuplesProtocol, Literal["tuples"]]


@pytest.fixture(scope="module")
def checks() -> dict[str, EventValidators]:
    model = read_protocol(TuplesProtocol)
    return {event: validators for (_, _, event), validators in build_validators(model).items()}


# --- validation --------------------------------------------------------------------------

ACCEPTED: list[tuple[str, Any, Any]] = [
    ("move", [1, 2], (1, 2)),
    ("nothing", [], ()),
    (
        "track",
        {"point": [0, 1], "path": [[0.5, 1], [2, 3.5]], "label": ["a", b"\x00"], "x": 1},
        {"point": (0, 1), "path": ((0.5, 1.0), (2.0, 3.5)), "label": ("a", b"\x00")},
    ),
    ("track", {"point": [0, 1], "path": []}, {"point": (0, 1), "path": ()}),
    ("scale", [1, 2.5, 3], (1.0, 2.5, 3.0)),
    ("upload", ["a", b"\x01\x02"], ("a", b"\x01\x02")),
    # A tagged union and a recursive alias inside: checked in Python, not by msgspec.
    (
        "shapes",
        [{"kind": "square", "side": 2}, [1, {"a": None}]],
        ({"kind": "square", "side": 2}, [1, {"a": None}]),
    ),
]

REFUSED: list[tuple[str, Any, str]] = [
    ("move", [1, 2, 3], "Expected `array` of length 2, got 3"),
    ("move", [1], "Expected `array` of length 2, got 1"),
    ("move", [1, "2"], "Expected `int`, got `str` - at `$[1]`"),
    ("move", [1, True], "Expected `int`, got `bool` - at `$[1]`"),
    ("move", {"0": 1, "1": 2}, "Expected `array`, got `object`"),
    ("nothing", [0], "Expected `array` of length 0, got 1"),
    ("track", {"point": [0, 1.5], "path": []}, "Expected `int`, got `float` - at `$.point[1]`"),
    (
        "track",
        {"point": [0, 1], "path": [[1, 2], [3]]},
        "Expected `array` of length 2, got 1 - at `$.path[1]`",
    ),
    (
        "track",
        {"point": [0, 1], "path": [], "label": ["a", "AAEC"]},
        "Expected `bytes`, got `str` - at `$.label[1]`",
    ),
    ("scale", [1, "2", 3], "Expected `float`, got `str` - at `$[1]`"),
    ("shapes", [{"kind": "square", "side": 2}], "Expected `array` of length 2, got 1"),
    (
        "shapes",
        [{"kind": "circle", "radius": "1"}, None],
        "Expected `float`, got `str` - at `$[0].radius`",
    ),
    ("shapes", "no", "Expected `array`, got `str`"),
]


@pytest.mark.parametrize(("event", "value", "checked"), ACCEPTED)
def test_an_array_of_the_declared_items_is_handed_over_as_a_tuple(
    checks: dict[str, EventValidators], event: str, value: Any, checked: Any
) -> None:
    result = checks[event].payload(value)
    assert result == checked
    assert type(result) is type(checked)


@pytest.mark.parametrize(("event", "value", "reason"), REFUSED)
def test_a_wrong_length_or_item_is_refused_with_its_path(
    checks: dict[str, EventValidators], event: str, value: Any, reason: str
) -> None:
    with pytest.raises(InvalidValue) as refused:
        checks[event].payload(value)
    assert str(refused.value) == reason


def test_a_tuple_payload_is_decoded_from_json_into_a_tuple_in_one_pass(
    checks: dict[str, EventValidators],
) -> None:
    assert checks["move"].payload_json is not None
    assert checks["move"].payload_json.decode(b"[3, 4]") == (3, 4)
    assert type(checks["move"].payload_json.decode(b"[3, 4]")) is tuple
    assert checks["scale"].response([1, 2]) == (1.0, 2.0)
    # bytes arrive as attachments, a tagged union is checked in Python: decoded first.
    assert (checks["upload"].payload_json, checks["shapes"].payload_json) == (None, None)


def test_tuples_are_sent_as_lists_so_python_socketio_sends_one_argument(
    checks: dict[str, EventValidators],
) -> None:
    assert checks["move"].outgoing_payload((1, 2)) == [1, 2]
    sent = {"point": (0, 1), "path": ((1.0, 2.0),), "label": ("a", b"x")}
    assert checks["track"].outgoing_payload(sent) == {
        "point": [0, 1],
        "path": [[1.0, 2.0]],
        "label": ["a", b"x"],
    }
    assert checks["upload"].outgoing_response((1, b"x")) == [1, b"x"]


class Chain(TypedDict):
    link: tuple[int, str]
    rest: tuple[Chain, ...]


class ChainC2S(TypedDict):
    chain: Call[None, Chain]


class ChainNamespace(TypedDict):
    c2s: ChainC2S


class ChainProtocol(TypedDict):
    chains: ChainNamespace


def test_tuples_are_sent_as_lists_however_deep_the_value() -> None:
    (checks,) = build_validators(read_protocol(ChainProtocol)).values()
    sent = checks.outgoing_response(deep_chain(5000))
    for index in reversed(range(1, 5000)):
        assert sent["link"] == [index, "x"]
        (sent,) = sent["rest"]
    assert sent == {"link": [0, "end"], "rest": []}


def deep_chain(depth: int) -> Chain:
    chain: Chain = {"link": (0, "end"), "rest": ()}
    for index in range(1, depth):
        chain = {"link": (index, "x"), "rest": (chain,)}
    return chain


def test_a_checked_send_refuses_a_value_too_deep_to_check() -> None:
    (checks,) = build_validators(read_protocol(ChainProtocol), outgoing=True).values()
    with pytest.raises(InvalidValue) as refused:
        checks.outgoing_response(deep_chain(5000))
    assert str(refused.value) == "Nested too deeply to check - at `$`"


async def test_a_call_answer_too_deep_to_check_is_answered_invalid_response(
    pursocket_serve: ServeFixture,
) -> None:
    # As a value too deep to encode is when outgoing validation is off: never no answer.
    server = Server(ChainProtocol, validate_outgoing=True)

    @server.namespace("chains").on_call("chain")
    def chain(conn: Connection[ChainProtocol, Literal["chains"]], request: None) -> Chain:
        return deep_chain(5000)

    url = await pursocket_serve(server)
    client = Client(ChainProtocol, reconnection=False)
    chains = client.namespace("chains")
    await client.connect(url)
    try:
        with pytest.raises(CallError) as failed:
            await chains.call("chain", None, timeout=10)
    finally:
        await client.disconnect()
    assert (failed.value.code, failed.value.message) == (
        "invalid_response",
        'the handler for "chain" returned a value that is not its declared response',
    )


def test_checked_sends_need_a_tuple_where_one_is_declared() -> None:
    model = read_protocol(TuplesProtocol)
    checks = {
        event: validators
        for (_, _, event), validators in build_validators(model, outgoing=True).items()
    }
    assert checks["move"].outgoing_payload((1, 2)) == [1, 2]
    refusals = []
    for event, value in [
        ("move", [1, 2]),
        ("track", {"point": (0, 1), "path": [(1.0, 2.0)]}),
        ("track", {"point": (0, 1), "path": ((1.0, 2.0), [3.0, 4.0])}),
        ("move", (1, "2")),
    ]:
        with pytest.raises(InvalidValue) as refused:
            checks[event].outgoing_payload(value)
        refusals.append(str(refused.value))
    assert refusals == [
        "Expected `tuple`, got `list` - at `$`",
        "Expected `tuple`, got `list` - at `$.path`",
        "Expected `tuple`, got `list` - at `$.path[1]`",
        "Expected `int`, got `str` - at `$[1]`",
    ]


# --- real sockets: pursocket server and client ----------------------------------------


def tuple_server(seen: Inbox, room: str = "all") -> Server[TuplesProtocol]:
    server = Server(TuplesProtocol)
    tuples = server.namespace("tuples")

    @tuples.on_connect
    async def connected(conn: TuplesConn) -> None:
        seen.put(("auth", conn.auth))
        await conn.join_room(room)

    @tuples.on("move")
    async def move(conn: TuplesConn, point: tuple[int, int]) -> None:
        seen.put(("move", point))
        await conn.emit("moved", point)
        await tuples.broadcast("moved", (point[0] + 1, point[1]))
        await tuples.broadcast_to_room(room, "moved", (point[0] + 2, point[1]))
        await conn.broadcast_to_room_except_sender(room, "moved", (0, 0))
        await conn.broadcast_except_sender("moved", (0, 0))
        await conn.emit("tracked", {"point": point, "path": ((0.5, 1.5),), "label": ("x", b"\xff")})
        await conn.emit("sent", ("bin", b"\x00\x01"))
        seen.put(("answer", await conn.call("ask", ("q", 1))))

    @tuples.on("track")
    def track(conn: TuplesConn, track: Track) -> None:
        seen.put(("track", track))

    @tuples.on("nothing")
    def nothing(conn: TuplesConn, empty: tuple[()]) -> None:
        seen.put(("nothing", empty))

    @tuples.on_call("scale")
    def scale(conn: TuplesConn, factors: tuple[float, ...]) -> tuple[float, float]:
        seen.put(("scale", factors))
        return (min(factors), max(factors))

    @tuples.on_call("upload")
    def upload(conn: TuplesConn, named: tuple[str, bytes]) -> tuple[int, bytes]:
        seen.put(("upload", named))
        return (len(named[1]), named[1][::-1])

    @tuples.on("shapes")
    def shapes(conn: TuplesConn, pair: tuple[Circle | Square, Json]) -> None:
        seen.put(("shapes", pair))

    return server


def types_of(value: Any) -> Any:
    """``value`` with each list and tuple replaced by its type's name and items."""
    if isinstance(value, (list, tuple)):
        return [type(value).__name__, *map(types_of, value)]
    if isinstance(value, dict):
        return {key: types_of(item) for key, item in value.items()}
    return value


async def test_python_peers_exchange_tuples_as_one_argument_both_ways(
    pursocket_serve: ServeFixture,
) -> None:
    seen = Inbox()
    url = await pursocket_serve(tuple_server(seen))
    client = Client(TuplesProtocol, reconnection=False)
    tuples = client.namespace("tuples", auth={"version": (1, 2)})
    received = Inbox()

    @tuples.on("moved")
    def moved(point: tuple[int, int]) -> None:
        received.put(("moved", point))

    @tuples.on("tracked")
    def tracked(track: Track) -> None:
        received.put(("tracked", track))

    @tuples.on("sent")
    def sent(named: tuple[str, bytes]) -> None:
        received.put(("sent", named))

    @tuples.on_call("ask")
    def ask(question: tuple[str, int]) -> tuple[bool, str]:
        received.put(("ask", question))
        return (True, question[0])

    async with client:
        await client.connect(url)
        assert await tuples.call("scale", (2.0, 0.5, 1.0)) == (0.5, 2.0)
        assert await tuples.call("upload", ("name", b"\x01\x02\x03")) == (3, b"\x03\x02\x01")
        await tuples.emit(
            "track", {"point": (1, 2), "path": ((1.0, 2.0),), "label": ("l", b"\x07")}
        )
        await tuples.emit("nothing", ())
        await tuples.emit("shapes", ({"kind": "circle", "radius": 1.0}, [1, [2]]))
        await tuples.emit("move", (5, 6))
        got = await received.wait_for(6)
        answers = await seen.wait_for(8)
    assert types_of(answers) == types_of(
        [
            ("auth", {"version": (1, 2)}),
            ("scale", (2.0, 0.5, 1.0)),
            ("upload", ("name", b"\x01\x02\x03")),
            ("track", {"point": (1, 2), "path": ((1.0, 2.0),), "label": ("l", b"\x07")}),
            ("nothing", ()),
            ("shapes", ({"kind": "circle", "radius": 1.0}, [1, [2]])),
            ("move", (5, 6)),
            ("answer", (True, "q")),
        ]
    )
    assert types_of(got) == types_of(
        [
            ("moved", (5, 6)),
            ("moved", (6, 6)),
            ("moved", (7, 6)),
            ("tracked", {"point": (5, 6), "path": ((0.5, 1.5),), "label": ("x", b"\xff")}),
            ("sent", ("bin", b"\x00\x01")),
            ("ask", ("q", 1)),
        ]
    )


async def test_a_broadcast_through_redis_carries_a_tuple_as_one_argument() -> None:
    redis_asyncio = pytest.importorskip("redis.asyncio")
    import socketio

    from tests.test_chat_redis import REDIS_URL

    probe = redis_asyncio.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        await probe.ping()
    except Exception as exc:
        pytest.skip(f"Redis at {REDIS_URL} is not reachable ({exc!r})")
    finally:
        await probe.aclose()
    channel = f"pursocket-tuples-{id(probe)}"
    servers = [
        Server(
            TuplesProtocol,
            client_manager=socketio.AsyncRedisManager(REDIS_URL, channel=channel),
        )
        for _ in range(2)
    ]
    async with AsyncExitStack() as stack:
        urls = [await stack.enter_async_context(serve(server)) for server in servers]
        inboxes = []
        for url in urls:
            client = Client(TuplesProtocol, reconnection=False)
            inbox = Inbox()
            client.namespace("tuples", auth={"version": (1, 0)}).on("sent")(inbox.put)
            await stack.enter_async_context(client)
            await client.connect(url)
            inboxes.append(inbox)
        lobby = servers[0].namespace("tuples")
        # Each process subscribes to the channel in the background: once a broadcast has
        # reached both clients, every later one does.
        while not all(inbox.items for inbox in inboxes):
            await lobby.broadcast("sent", ("ready", b""))
            with contextlib.suppress(asyncio.TimeoutError):
                await inboxes[1].wait_for(1, timeout=0.5)
        await lobby.broadcast("sent", ("both", b"\x02"))
        for inbox in inboxes:
            while inbox.items[-1][0] != "both":
                await inbox.wait_for(len(inbox.items) + 1)
            assert types_of(inbox.items[-1]) == ["tuple", "both", b"\x02"]


# --- the official npm socket.io-client --------------------------------------------------


async def test_the_js_client_sends_and_receives_tuples_as_arrays(
    pursocket_serve: ServeFixture,
) -> None:
    seen = Inbox()
    url = await pursocket_serve(tuple_server(seen))
    async with node("js_tuples.mjs", url) as js:
        lines = await js.until("done")
        assert await js.process.wait() == 0
    by_type: dict[str, list[Any]] = {}
    for line in lines:
        by_type.setdefault(line.pop("type"), []).append(line)
    assert by_type["scale"] == [{"response": [0.5, 2]}]
    assert by_type["upload"] == [{"response": [3, {"binary": [3, 2, 1]}]}]
    assert by_type["badUpload"] == [
        {
            "response": {
                "__pursocket_error__": {
                    "code": "invalid_payload",
                    "message": 'invalid payload for "upload": Expected `array` of length 2, got 1',
                    "details": "Expected `array` of length 2, got 1",
                }
            }
        }
    ]
    assert by_type["badScale"][0]["response"]["__pursocket_error__"]["details"] == (
        "Expected `float`, got `str` - at `$[1]`"
    )
    assert by_type["moved"] == [{"payload": [1, 2]}, {"payload": [2, 2]}, {"payload": [3, 2]}]
    assert by_type["tracked"] == [
        {"payload": {"point": [1, 2], "path": [[0.5, 1.5]], "label": ["x", {"binary": [255]}]}}
    ]
    assert by_type["sent"] == [{"payload": ["bin", {"binary": [0, 1]}]}]
    assert by_type["ask"] == [{"request": ["q", 1]}]
    answers = await seen.wait_for(6)
    # "answer" is recorded once the client's answer to the server's Call has come back,
    # which is not ordered with the events the client sends after it.
    assert sorted(types_of(answers), key=str) == sorted(
        types_of(
            [
                ("auth", {"version": (3, 4)}),
                ("scale", (2.0, 0.5, 1.0)),
                ("upload", ("abc", b"\x01\x02\x03")),
                ("move", (1, 2)),
                ("answer", (True, "q")),
                ("track", {"point": (1, 2), "path": ((1.0, 2.0),)}),
            ]
        ),
        key=str,
    )
