"""The runtime and the mypy plugin agree on every protocol: both accept it, or both refuse
it with the same message.

One corpus of protocols (every supported form of the protocol language, and every way
to get one wrong) is written to a module; each is built with ``Server(P)`` at run time
(``read_protocol`` and the validators) and checked by mypy with the plugin. The
expected outcome is spelled out per protocol, so the test also pins what each says.
"""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pursocket import ProtocolError, Server, read_protocol
from pursocket.exports import FORMATS, ExportOptions, export

DEFINITIONS = """
import enum
from datetime import datetime
from typing import Annotated, Generic, Literal, NamedTuple, Optional, Tuple, TypeVar, Union

import annotated_types
import msgspec
from typing_extensions import NotRequired, ReadOnly, Required, TypeAlias, TypedDict, Unpack

from pursocket import Call, Msg

T = TypeVar("T")
Json: TypeAlias = Union[dict[str, "Json"], list["Json"], str, int, float, bool, None]


class Color(enum.Enum):
    RED = "red"


class Point(TypedDict):
    x: float
    y: float


class Size(TypedDict):
    width: float


class Shape(TypedDict, total=False):
    name: Required[str]
    points: list[Point]
    note: ReadOnly[NotRequired[Optional[str]]]


class Circle(TypedDict):
    kind: Literal["circle"]
    radius: float


class Square(TypedDict):
    kind: Literal["square", "box"]
    side: Annotated[int, annotated_types.Ge(1)]


class Oval(TypedDict):
    kind: Literal["circle"]
    width: float


class Tree(TypedDict):
    label: str
    # The whole annotation quoted: Python 3.10 leaves a string inside list[...] as is.
    children: "list[Tree]"


class Ping(TypedDict):
    pong: Optional["Pong"]


class Pong(TypedDict):
    ping: Ping


class Box(TypedDict, Generic[T]):
    item: T


class GenericEvents(TypedDict, Generic[T]):
    update: Msg[T]


class Token(TypedDict):
    token: str


class Pair(NamedTuple):
    x: int
    y: int
"""

#: Each protocol: its events (one namespace ``ns``, direction ``c2s``, unless the entry
#: declares its own namespace body with ``namespace:``), and what both sides must say:
#: ``None`` for accepted, else the message.
CORPUS: dict[str, tuple[str, str | None]] = {
    "Scalars": (
        "text: Msg[str]\n"
        "number: Msg[Union[int, float, bool, None]]\n"
        "blob: Msg[bytes]\n"
        "choice: Msg[Literal['a', 1, True, None]]\n"
        "lookup: Call[list[Point], dict[str, Point]]",
        None,
    ),
    "Qualifiers": ("shape: Msg[Shape]", None),
    "TaggedUnion": (
        "shape: Msg[Union[Circle, Square]]\nshapes: Call[list[Union[Circle, Square, None]], int]",
        None,
    ),
    "RecursiveAlias": ("data: Msg[Json]", None),
    "RecursiveTypedDicts": ("tree: Msg[Tree]\nping: Msg[Ping]", None),
    "GenericTypedDicts": ("box: Msg[Box[int]]\nboxes: Call[Box[str], Box[list[Point]]]", None),
    "GenericNamespace": ("namespace: c2s: GenericEvents[int]", None),
    "Constrained": (
        "age: Msg[Annotated[int, annotated_types.Ge(0), annotated_types.Le(150)]]\n"
        "name: Msg[Annotated[str, msgspec.Meta(min_length=1)]]\n"
        "documented: Annotated[Msg[int], 'the score']",
        None,
    ),
    "Authenticated": ("namespace: auth: Token\n    c2s: GenericEvents[str]", None),
    "Tuples": (
        "pair: Msg[tuple[int, str]]\n"
        "floats: Msg[tuple[float, ...]]\n"
        "empty: Call[tuple[()], Tuple[()]]\n"
        "old: Call[Tuple[int, Point], list[Tuple[Point, ...]]]\n"
        "either: Msg[Union[tuple[int, int], Point, None]]\n"
        "deep: Msg[tuple[Box[tuple[bytes, ...]], Json, Union[Circle, Square]]]\n"
        "typed: Msg[dict[str, tuple[Literal['a'], Optional[Shape]]]]",
        None,
    ),
    "BareTuple": (
        "pairs: Msg[list[tuple]]",
        "BareTuple.ns.c2s.pairs (payload)[]: a bare tuple says nothing of its items; declare "
        "tuple[A, B] (these items in this order), tuple[T, ...] (any number of T) or tuple[()] "
        "(empty)",
    ),
    "BareTypingTuple": (
        "pair: Call[int, Tuple]",
        "BareTypingTuple.ns.c2s.pair (response): a bare tuple says nothing of its items; declare "
        "tuple[A, B] (these items in this order), tuple[T, ...] (any number of T) or tuple[()] "
        "(empty)",
    ),
    "NamedTupleRefused": (
        "pair: Msg[tuple[int, Pair]]",
        "NamedTupleRefused.ns.c2s.pair (payload)[1]: Pair is a NamedTuple, whose field names a "
        "JSON array does not carry; declare a tuple[...] of its field types to send an array, "
        "or a TypedDict to send the names",
    ),
    "UnpackedTuple": (
        "pair: Msg[tuple[int, Unpack[tuple[str, ...]]]]",
        "UnpackedTuple.ns.c2s.pair (payload): a tuple with an unpacked part (*tuple[...] or "
        "Unpack[...]) has no JSON form in pursocket; declare tuple[A, B] (fixed length) or "
        "tuple[T, ...] (any length)",
    ),
    "TupleItem": (
        "pair: Msg[tuple[int, datetime]]",
        "TupleItem.ns.c2s.pair (payload)[1]: datetime has no JSON form; use a TypedDict, "
        "list[T], tuple[A, B], tuple[T, ...], dict[str, T], str, int, float, bool, None, bytes, "
        "a Literal, or a union of these",
    ),
    "BareList": (
        "items: Msg[Union[list, list[int]]]",
        "BareList.ns.c2s.items (payload): list has no JSON form; use a TypedDict, list[T], "
        "tuple[A, B], tuple[T, ...], dict[str, T], str, int, float, bool, None, bytes, a "
        "Literal, or a union of these",
    ),
    "BareDict": (
        "lookup: Call[str, dict]",
        "BareDict.ns.c2s.lookup (response): dict has no JSON form; use a TypedDict, list[T], "
        "tuple[A, B], tuple[T, ...], dict[str, T], str, int, float, bool, None, bytes, a "
        "Literal, or a union of these",
    ),
    "ListAndTuple": (
        "numbers: Msg[Union[list[int], tuple[int, int]]]",
        "ListAndTuple.ns.c2s.numbers (payload): list[int] | tuple[int, int] holds several array "
        "types (lists, tuples), which a received array cannot be told apart by; use one array "
        "type of a union (list[int | str])",
    ),
    "TwoTuples": (
        "numbers: Msg[Optional[Union[tuple[int], tuple[str, ...]]]]",
        "TwoTuples.ns.c2s.numbers (payload): tuple[int] | tuple[str, ...] | None holds several "
        "array types (lists, tuples), which a received array cannot be told apart by; use one "
        "array type of a union (list[int | str])",
    ),
    "NotAnEvent": (
        "chat: int",
        "NotAnEvent.ns.c2s.chat: expected Msg[...] or Call[..., ...], got int",
    ),
    "Reserved": (
        "connect: Msg[int]",
        'Reserved.ns.c2s.connect: "connect" is reserved by Socket.IO for its own lifecycle '
        "events; the official client cannot send it. Choose another name",
    ),
    "MisspeltDirection": (
        "namespace: up: GenericEvents[int]",
        'MisspeltDirection.ns.up: a namespace may only have the keys "auth", "c2s" and "s2c", '
        'got "up"',
    ),
    "EventsNotATypedDict": (
        "namespace: c2s: list[int]",
        "EventsNotATypedDict.ns.c2s: expected a TypedDict of events, got list[int]",
    ),
    "AuthNotAnObject": (
        "namespace: auth: str",
        'AuthNotAnObject.ns.auth: expected a TypedDict (or dict[str, T]), optionally "| None", '
        "since Socket.IO sends auth as a JSON object; got str",
    ),
    "DateTime": (
        "stamp: Msg[list[Box[datetime]]]",
        "DateTime.ns.c2s.stamp (payload)[].item: datetime has no JSON form; use a TypedDict, "
        "list[T], tuple[A, B], tuple[T, ...], dict[str, T], str, int, float, bool, None, bytes, "
        "a Literal, or a union of these",
    ),
    "IntKeys": (
        "keyed: Call[str, dict[int, str]]",
        "IntKeys.ns.c2s.keyed (response): dict[int, str] has no JSON form; use a TypedDict, "
        "list[T], tuple[A, B], tuple[T, ...], dict[str, T], str, int, float, bool, None, bytes, "
        "a Literal, or a union of these",
    ),
    "EnumLiteral": (
        "pick: Msg[Literal[Color.RED]]",
        "EnumLiteral.ns.c2s.pick (payload): Literal[Color.RED] has no JSON form; use a "
        "TypedDict, list[T], tuple[A, B], tuple[T, ...], dict[str, T], str, int, float, bool, "
        "None, bytes, a Literal, or a union of these",
    ),
    "UntaggedUnion": (
        "shape: Msg[Union[Point, Size]]",
        "UntaggedUnion.ns.c2s.shape (payload): Point | Size holds several JSON object types, "
        "which a received object cannot be told apart by; make each a TypedDict with a tag, a "
        'key every one of them declares as a Literal of its own values (kind: Literal["circle"])',
    ),
    "SharedTagValue": (
        "shape: Msg[Union[Circle, Oval]]",
        "SharedTagValue.ns.c2s.shape (payload): Circle | Oval holds several JSON object types, "
        "which a received object cannot be told apart by; make each a TypedDict with a tag, a "
        'key every one of them declares as a Literal of its own values (kind: Literal["circle"])',
    ),
    "DictAndTypedDict": (
        "shape: Msg[Union[Circle, dict[str, int]]]",
        "DictAndTypedDict.ns.c2s.shape (payload): Circle | dict[str, int] holds several JSON "
        "object types, which a received object cannot be told apart by; make each a TypedDict "
        "with a tag, a key every one of them declares as a Literal of its own values (kind: "
        'Literal["circle"])',
    ),
    "SeveralLists": (
        "numbers: Msg[Union[list[int], list[str]]]",
        "SeveralLists.ns.c2s.numbers (payload): list[int] | list[str] holds several array "
        "types (lists, tuples), which a received array cannot be told apart by; use one array "
        "type of a union (list[int | str])",
    ),
}


def protocol_source(name: str, events: str) -> str:
    """The classes of one corpus protocol: its events, namespace and protocol."""
    if events.startswith("namespace: "):
        body = events.removeprefix("namespace: ")
        return f"class {name}NS(TypedDict):\n    {body}\n\n\nclass {name}(TypedDict):\n    ns: {name}NS\n"
    lines = "\n    ".join(events.splitlines())
    return (
        f"class {name}C2S(TypedDict):\n    {lines}\n\n\n"
        f"class {name}NS(TypedDict):\n    c2s: {name}C2S\n\n\n"
        f"class {name}(TypedDict):\n    ns: {name}NS\n"
    )


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    directory = tmp_path_factory.mktemp("parity")
    sources = [DEFINITIONS] + [
        protocol_source(name, events) for name, (events, _) in CORPUS.items()
    ]
    sources.append("class Empty(TypedDict):\n    pass\n")
    (directory / "parity_corpus.py").write_text("\n\n".join(sources))
    sys.path.insert(0, str(directory))
    yield directory
    sys.path.remove(str(directory))
    sys.modules.pop("parity_corpus", None)


#: Protocols built outside the corpus module's pattern, with what both sides say.
EXTRA: dict[str, str | None] = {
    "Empty": "Empty: a protocol must declare at least one namespace",
}


def expected() -> dict[str, str | None]:
    return {name: outcome for name, (_, outcome) in CORPUS.items()} | EXTRA


def runtime_outcome(protocol: object) -> str | None:
    try:
        Server(protocol)
    except ProtocolError as error:
        return str(error)
    return None


@pytest.fixture(scope="module")
def mypy_outcomes(corpus_dir: Path) -> dict[str, str | None]:
    names = list(expected())
    lines = ["from pursocket import Server", "import parity_corpus", ""]
    lines += [f"Server(parity_corpus.{name})" for name in names]
    (corpus_dir / "check.py").write_text("\n".join(lines) + "\n")
    (corpus_dir / "mypy.ini").write_text("[mypy]\nplugins = pursocket_mypy\n")
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "check.py"],
        cwd=corpus_dir,
        capture_output=True,
        text=True,
    )
    outcomes: dict[str, str | None] = dict.fromkeys(names)
    for line in run.stdout.splitlines():
        found = re.fullmatch(r"check\.py:(\d+): error: (.*)  \[pursocket-protocol\]", line)
        assert found is not None or line.startswith("Found "), run.stdout + run.stderr
        if found is not None:
            name = names[int(found[1]) - 4]
            assert outcomes[name] is None, f"{name} reported twice:\n{run.stdout}"
            outcomes[name] = found[2]
    return outcomes


@pytest.mark.parametrize("name", list(expected()))
def test_the_runtime_and_the_plugin_say_the_same(
    corpus_dir: Path, mypy_outcomes: dict[str, str | None], name: str
) -> None:
    protocol = getattr(importlib.import_module("parity_corpus"), name)
    assert (runtime_outcome(protocol), mypy_outcomes[name]) == (expected()[name],) * 2


#: The exports that describe every protocol the runtime accepts.
SCHEMA_EXPORTS = ("jsonschema", "asyncapi", "typescript", "python")


@pytest.mark.parametrize("name", [name for name, outcome in expected().items() if outcome is None])
def test_the_schema_exports_describe_every_accepted_protocol(corpus_dir: Path, name: str) -> None:
    model = read_protocol(getattr(importlib.import_module("parity_corpus"), name))
    exported = {fmt: bool(export(fmt, model)) for fmt in SCHEMA_EXPORTS}
    assert exported == dict.fromkeys(SCHEMA_EXPORTS, True)
    stub = FORMATS["python"].companion
    assert stub is not None
    assert stub.render(model, ExportOptions())


def test_the_plugin_loads_the_shared_messages_without_importing_the_runtime() -> None:
    probe = (
        "import sys, pursocket_mypy.shared_messages as shared; "
        "print(shared.protocol_messages.no_namespaces('P'), "
        "sorted(m for m in sys.modules if m.split('.')[0] in ('pursocket', 'socketio')))"
    )
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert (run.stdout, run.stderr) == (
        "P: a protocol must declare at least one namespace []\n",
        "",
    )
