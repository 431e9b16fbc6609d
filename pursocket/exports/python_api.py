"""``pursocket export python``: a typed API module for pyright, Pylance and plain mypy.

pyright has no plugins, so it cannot read a protocol's ``TypedDict`` through
``Server(AppProtocol)``. The generated API spells the protocol out as ordinary
typing: per namespace a ``<Name>ServerNamespace``, ``<Name>ClientNamespace`` and
``<Name>Connection`` whose sending and registering methods are ``Literal``-keyed
overloads (one overload set per namespace and method, so checking time grows with
call sites, not with the protocol), plus ``Server`` and ``Client`` bound to the
protocol; and for tests a ``<Name>TestClient`` per namespace, which the module's
``connect(url, namespace)`` yields. Every checker reads them without a plugin.

It is two files, as mypy-protobuf writes them: the module (``protocol_api.py``), which
runs, and its stub (``protocol_api.pyi``), which every type checker and editor reads
instead. The stub is where the typing lives. pyright resolves a name in a ``.py`` file
by following the module's code flow back to where the name was bound, and every
``@overload`` decorator of a big module walked back through every definition above it
(a sixth of pyright's time on a big protocol); in a stub, names are looked up directly.
At run time nothing is typed: the namespace names are pursocket's own classes
parametrised with the protocol and the namespace, ``Server``/``Client`` are subclasses
whose only addition is passing the protocol, and ``connect`` is
``pursocket.testing.connect`` with the protocol bound, which imports pursocket.testing
(and so uvicorn) only when called. Nothing wraps a send or a handler.

Each overload item costs a checker time on every run, so the stub holds as few as it
can: the methods a namespace's client and test client share (``emit``, ``call``,
``on_call``) are written once, in a class both derive from; events a method would
write alike but for their names (``joined`` and ``left``, both ``Presence``) share one
item, its event a ``Literal`` of them all; and a method whose types do not depend on
the event at all takes one ``Literal`` of every event. Each call costs mypy a look at
every item of the method, which it also specialises with the receiver's type
parameters if it has any: so the sending methods, whose types do not depend on the
connections' state, sit in classes without parameters (:class:`_StatelessParts`).

The server's classes are generic in the connection's state, as pursocket's are:
``Server().namespace("lobby", state=User)`` is a ``LobbyServerNamespace[User]`` whose
handlers take a ``LobbyConnection[User]``. The handler decorators are generic
protocols specialised with the connection and the payload, since a TypeVar's bound
cannot name the class's state parameter.

A test client class is :class:`pursocket.recording.RecordingClient` parametrised. The
typed classes name ``pursocket.recording`` rather than ``pursocket.testing``: mypy reads
every module an import names, and uvicorn's graph of modules was a fifth of its time on
a big protocol.

The typed classes narrow pursocket's permissive methods (``emit(event: str, ...)``),
which both checkers call an incompatible override; the stub turns exactly that check
off for itself, so objects typed with it still pass to functions that take
pursocket's classes. The ``pursocket_mypy`` plugin recognises the typed classes by
their ``__pursocket_typed_api__`` marker and checks them as the pursocket handles
they are, so mypy with the plugin reports each mistake once, in the plugin's words.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, ForwardRef, Literal, get_args, get_origin

import attrs

from pursocket._calls import DEFAULT_CALL_TIMEOUT
from pursocket.exports import ExportError, ExportOptions
from pursocket.protocol import (
    TYPE_ALIAS_TYPES,
    UNION_ORIGINS,
    Direction,
    EventKind,
    EventSpec,
    NamespaceSpec,
    ProtocolModel,
    is_tuple_type,
    tuple_form,
    typeddict_class,
)
from pursocket.recording import DEFAULT_TIMEOUT as DEFAULT_TEST_TIMEOUT

__all__ = [
    "NamespaceClassNames",
    "PythonApi",
    "class_names",
    "render",
    "render_python_api",
    "render_stub",
]

#: The class attribute the ``pursocket_mypy`` plugin recognises the typed classes by.
TYPED_API_MARKER = "__pursocket_typed_api__"

_BUILTIN_NAMES = {str: "str", int: "int", float: "float", bool: "bool", bytes: "bytes"}


@attrs.frozen
class NamespaceClassNames:
    """The generated class names of one namespace."""

    server_namespace: str
    client_namespace: str
    connection: str
    test_client: str


def class_names(namespace: str) -> NamespaceClassNames:
    """``lobby`` -> ``LobbyServerNamespace``, ``LobbyClientNamespace``, ``LobbyConnection``,
    ``LobbyTestClient``.

    The prefix is the namespace key in PascalCase (``game-room`` -> ``GameRoom``,
    ``/`` -> ``Root``); a key starting with a digit gets ``Namespace`` in front
    (``1v1`` -> ``Namespace1v1``), since an identifier cannot.
    """
    if namespace == "/":
        prefix = "Root"
    else:
        prefix = _pascal(namespace)
        if prefix[:1].isdigit():
            prefix = f"Namespace{prefix}"
    if not prefix.isidentifier():
        raise ExportError(
            f'Namespace "{namespace}": its key has no letters or digits to name the '
            f"generated classes after; rename it (e.g. to a word)"
        )
    return NamespaceClassNames(
        f"{prefix}ServerNamespace",
        f"{prefix}ClientNamespace",
        f"{prefix}Connection",
        f"{prefix}TestClient",
    )


@attrs.frozen
class PythonApi:
    """The two files of a typed API: the module and its stub, written side by side."""

    #: ``protocol_api.py``: what runs. Every name is an ordinary pursocket object.
    module: str
    #: ``protocol_api.pyi``: what type checkers and editors read instead of the module.
    stub: str


def render(model: ProtocolModel, options: ExportOptions) -> str:
    """The ``python`` export format's module (it reads no option): :attr:`PythonApi.module`."""
    return render_python_api(model).module


def render_stub(model: ProtocolModel, options: ExportOptions) -> str:
    """The ``python`` export format's stub, written beside the module: :attr:`PythonApi.stub`."""
    return render_python_api(model).stub


def render_python_api(model: ProtocolModel) -> PythonApi:
    """The typed API of ``model``'s protocol: the module's text and its stub's.

    Raises :class:`~pursocket.exports.ExportError` if the protocol or a payload type cannot
    be imported from the module that declares it (a class defined inside a function
    or in ``__main__``), or two namespaces would give classes the same name.
    """
    generated = _Module(model)
    return PythonApi(module=generated.module(), stub=generated.stub())


class _Module:
    """Builds the stub's and the module's texts, collecting the imports they need."""

    def __init__(self, model: ProtocolModel) -> None:
        self.model = model
        self.names = _unique_class_names(model)
        self.reserved = {
            "Server",
            "Client",
            "connect",
            "pursocket",
            *(name for names in self.names.values() for name in attrs.astuple(names)),
            *(
                name
                for names in self.names.values()
                for name in attrs.astuple(_stateless_parts(names))
            ),
        }
        # (module, qualified name) -> the name the generated module uses for it.
        self.user_imports: dict[tuple[str, str], str] = {}
        self.runtime_imports: dict[tuple[str, str], str] = {}
        self.typing_names: set[str] = set()
        # The handler registrars the methods name, in the order first named.
        self.registrars: dict[str, str] = {}
        self.protocol = self._import_user_object(model.protocol, model.name, runtime=True)

    def stub(self) -> str:
        """The stub's text: the typed classes, and ``Server``, ``Client`` and ``connect``
        as type checkers see them."""
        typed = [self._typed_namespace(spec) for spec in self.model.namespaces.values()]
        connections = [connection for connection, *_ in typed]
        handles = [handle for _, *handles in typed for handle in handles]
        server = self._server_stub()
        client = self._client_stub()
        connect = self._connect_stub()
        parts = [
            self._docstring(
                "Type checkers and editors read this stub instead of the module beside it\n"
                "(the .py of the same name), where every name is an ordinary pursocket object."
            ),
            "# The typed classes narrow pursocket's permissive methods on purpose. mypy need\n"
            "# not judge the stub (pursocket's tests check what it writes): unjudged, it\n"
            "# skips comparing every pair of overloads, a quarter of its time on a big protocol.\n"
            "# mypy: ignore-errors\n"
            "# pyright: reportIncompatibleMethodOverride=false\n",
            self._stub_imports(),
            self._exported(),
            # The classes' bases name the TypeVars, so they come first.
            _TYPEVARS,
            self._bases(),
            *self.registrars.values(),
            *connections,
            *handles,
            server,
            client,
            connect,
        ]
        return _join(parts)

    def module(self) -> str:
        """The module's text: what runs, with no typing beyond the stub's names."""
        parts = [
            self._docstring(
                "Type checkers and editors read the stub beside this module (the .pyi of the\n"
                "same name). Here every name is an ordinary pursocket object: the namespace\n"
                "names are pursocket's classes parametrised with the protocol and the\n"
                "namespace, so an annotation evaluated at run time (``LobbyConnection[User]``)\n"
                "is a type too; Server and Client pass the protocol to pursocket's."
            ),
            self._module_imports(),
            self._exported(),
            self._runtime_aliases(),
            self._side_runtime("Server"),
            self._side_runtime("Client"),
            self._connect_runtime(),
        ]
        return _join(parts)

    def _docstring(self, about: str) -> str:
        module, qualname = _where(self.model.protocol, self.model.name)
        return (
            f'"""The typed API of protocol {qualname} ({module}), for pyright, Pylance and mypy.\n\n'
            f"Generated by `pursocket export python {module}:{qualname}`; do not edit.\n"
            f'{about}\n"""\n'
        )

    def _exported(self) -> str:
        exported = sorted(
            [
                "Server",
                "Client",
                "connect",
                *(name for names in self.names.values() for name in attrs.astuple(names)),
            ]
        )
        return "__all__ = [\n" + "".join(f'    "{name}",\n' for name in exported) + "]\n"

    # -- imports ---------------------------------------------------------------------

    def _import_user_object(self, obj: Any, what: str, *, runtime: bool = False) -> str:
        module, qualname = _where(obj, what)
        return self._import_name(module, qualname, runtime=runtime)

    def _import_name(self, module: str, qualname: str, *, runtime: bool = False) -> str:
        key = (module, qualname)
        table = self.runtime_imports if runtime else self.user_imports
        existing = self.runtime_imports.get(key) or self.user_imports.get(key)
        if existing is not None:
            return existing
        top = qualname.split(".")[0]
        taken = {
            alias.split(".")[0]
            for imports in (self.runtime_imports, self.user_imports)
            for (other_module, other_qualname), alias in imports.items()
            if (other_module, other_qualname.split(".")[0]) != (module, top)
        }
        local_top = top
        counter = 1
        while local_top in self.reserved or local_top in _TYPING_NAMES or local_top in taken:
            counter += 1
            local_top = f"_{top}_{counter}"
        name = ".".join([local_top, *qualname.split(".")[1:]])
        table[key] = name
        return name

    def _stub_imports(self) -> str:
        collections = sorted(self.typing_names & {"Awaitable", "Callable", "Mapping"})
        typing_only = sorted(
            {"Any", "ClassVar", "Literal"} | (self.typing_names & {"Protocol", "overload"})
        )
        # typing_extensions' TypeVar takes a default (PEP 696) on every Python pursocket supports.
        extensions = sorted({"TypeVar"} | (self.typing_names & {"Never", "Self"}))
        lines: list[str] = []
        if collections:
            lines.append(f"from collections.abc import {', '.join(collections)}")
        if "AbstractAsyncContextManager" in self.typing_names:
            lines.append("from contextlib import AbstractAsyncContextManager")
        lines += [f"from typing import {', '.join(typing_only)}", ""]
        lines += ["import pursocket", "import pursocket.recording"]
        lines.append("from pursocket import DisconnectReason, InvalidInput")
        lines += [f"from typing_extensions import {', '.join(extensions)}", ""]
        lines += _from_imports({**self.runtime_imports, **self.user_imports})
        return "\n".join(lines) + "\n"

    def _module_imports(self) -> str:
        lines = ["from __future__ import annotations", "", "from typing import Any, Literal", ""]
        lines += ["import pursocket", "import pursocket.recording"]
        lines += ["from typing_extensions import TypeVar", ""]
        lines += _from_imports(self.runtime_imports)
        return "\n".join(lines) + "\n"

    # -- types -----------------------------------------------------------------------

    def annotation(self, tp: Any, module: str | None = None) -> str:
        """The source text of ``tp`` as an annotation in the generated module.

        ``module`` is where names in quotes inside ``tp`` resolve (a recursive alias's
        ``"Json"``): the generated module imports that name from there. A type alias
        object is imported by its name, a generic ``TypedDict`` is imported and
        subscripted, and ``Annotated[T, ...]`` is written as ``T``: its constraints are
        checked at run time, and no type checker reads them.
        """
        if tp is None or tp is type(None):
            return "None"
        if tp is Any:
            return "Any"
        builtin = _BUILTIN_NAMES.get(tp)
        if builtin is not None:
            return builtin
        if isinstance(tp, TYPE_ALIAS_TYPES):
            return self._import_user_object(tp, repr(tp))
        if isinstance(tp, (str, ForwardRef)):
            return self._referenced_name(tp, module)
        cls = typeddict_class(tp)
        if cls is not None:
            name = self._import_user_object(cls, getattr(cls, "__qualname__", repr(cls)))
            if cls is tp:
                return name
            return f"{name}[{', '.join(self.annotation(arg, module) for arg in get_args(tp))}]"
        origin, args = get_origin(tp), get_args(tp)
        if origin is Annotated:
            return self.annotation(args[0], module)
        if origin is Literal:
            self.typing_names.add("Literal")
            return f"Literal[{', '.join(_literal(arg) for arg in args)}]"
        if origin in UNION_ORIGINS:
            return " | ".join(self.annotation(arg, module) for arg in args)
        if origin is list and len(args) == 1:
            return f"list[{self.annotation(args[0], module)}]"
        if is_tuple_type(tp):
            form = tuple_form(tp)
            items = [self.annotation(item, module) for item in form.items]
            return (
                f"tuple[{items[0]}, ...]" if form.variadic else f"tuple[{', '.join(items) or '()'}]"
            )
        if origin is dict and len(args) == 2:
            return f"dict[{self.annotation(args[0], module)}, {self.annotation(args[1], module)}]"
        raise ExportError(f"Cannot write {tp!r} as a type in the generated module")

    def _referenced_name(self, reference: str | ForwardRef, module: str | None) -> str:
        """The generated module's name for a name in quotes, imported from where it resolves."""
        if isinstance(reference, str):
            reference = ForwardRef(reference)
        home = getattr(reference, "__forward_module__", None) or module
        name = reference.__forward_arg__
        declared = vars(sys.modules[home]) if home in sys.modules else {}
        if home == "__main__" or not name.isidentifier() or name not in declared:
            raise ExportError(
                f"{name!r}: the generated module imports a name in quotes from the module "
                f"it resolves in ({home}), but it is not a top-level name there; declare "
                f"it at the top level of an importable module (not in __main__)"
            )
        return self._import_name(str(home), name)

    # -- typed classes ---------------------------------------------------------------

    def _bases(self) -> str:
        """pursocket's four handle classes bound to the protocol, generic in the namespace:
        the bases of the typed classes.

        mypy walks every type in a class's bases when it defines the class, and the
        protocol's type holds every namespace's every event: named once here rather
        than in each typed class's bases, it is walked four times, not four times per
        namespace.
        """
        bound = [
            ("_Connection", "Connection", "_NamespaceT, _StateT"),
            ("_ServerNamespace", "ServerNamespace", "_NamespaceT, _StateT"),
            ("_ClientNamespace", "ClientNamespace", "_NamespaceT"),
            ("_RecordingClient", "recording.RecordingClient", "_NamespaceT"),
        ]
        return "\n\n".join(
            f"class {name}(pursocket.{base}[{self.protocol}, {parameters}]):\n"
            f'    """pursocket\'s ``{base.split(".")[-1]}`` of protocol {self.model.name}."""\n'
            for name, base, parameters in bound
        )

    def _registrar(self, kind: EventKind, *, server: bool) -> str:
        """The name of the generic protocol an ``on``/``on_call`` overload returns, written
        into the module the first time it is named."""
        name = f"_{'Server' if server else 'Client'}{kind.value}Registrar"
        if name not in self.registrars:
            self.typing_names |= {"Protocol", "Callable"}
            if kind is EventKind.CALL:
                self.typing_names |= {"Awaitable", "overload"}
            self.registrars[name] = _registrar_source(name, kind, server=server)
        return name

    def _typed_namespace(self, spec: NamespaceSpec) -> tuple[str, str, str, str, str]:
        names = self.names[spec.name]
        ns_literal = f"Literal[{_literal(spec.name)}]"
        where = f'namespace "{spec.name}" ({spec.path})'
        c2s, s2c = spec.events(Direction.C2S), spec.events(Direction.S2C)
        conn = names.connection
        # The server's classes are generic in the connection's state, as pursocket's are.
        stateful = f"{conn}[_StateT]"

        connection_methods = [
            *self._senders(
                "emit", s2c, EventKind.MSG, "", "None", "Send the s2c Msg ``event`` to this client."
            ),
            *self._callers(
                s2c, repr(DEFAULT_CALL_TIMEOUT), "Call this client; its validated response."
            ),
            *self._senders(
                "broadcast_except_sender",
                s2c,
                EventKind.MSG,
                "",
                "None",
                "Send the s2c Msg ``event`` to every other client in the namespace.",
            ),
            *self._senders(
                "broadcast_to_room_except_sender",
                s2c,
                EventKind.MSG,
                "room: str, ",
                "None",
                "Send the s2c Msg ``event`` to the members of ``room`` but this client.",
            ),
        ]
        if spec.auth_type is not None:
            auth = self.annotation(spec.auth_type, spec.module)
            auth_doc = "The auth the client connected with, validated against the declared type."
        else:
            # The server refuses a CONNECT packet whose auth is not a JSON object.
            auth = "dict[str, object] | None"
            auth_doc = "The auth the client connected with, unchecked: the namespace declares none."
        connection_methods.insert(
            0, f'@property\ndef auth(self) -> {auth}:\n    """{auth_doc}"""\n    ...\n'
        )
        stateless = _stateless_parts(names)
        connection = _class(
            stateless.connection,
            "",
            f"What {conn} does whatever the connection's state.",
            connection_methods,
        )
        connection += "\n\n" + _class(
            conn,
            f"{stateless.connection}, _Connection[{ns_literal}, _StateT]",
            f"One client's connection to {where}, as the server sees it.",
            [_TYPED_API_MARKER],
        )
        broadcasts = [
            *self._senders(
                "broadcast",
                s2c,
                EventKind.MSG,
                "",
                "None",
                "Send the s2c Msg ``event`` to every client in the namespace.",
            ),
            *self._senders(
                "broadcast_to_room",
                s2c,
                EventKind.MSG,
                "room: str, ",
                "None",
                "Send the s2c Msg ``event`` to every member of ``room``.",
            ),
        ]
        server_methods = [
            *self._registrars(c2s, EventKind.MSG, stateful),
            *self._registrars(c2s, EventKind.CALL, stateful),
            *self._lifecycle(stateful),
            f"def connections(self) -> tuple[{stateful}, ...]:\n"
            f'    """This process\'s open connections to the namespace, a snapshot."""\n'
            f"    ...\n",
        ]
        server_namespace = _class(
            stateless.server_namespace,
            "",
            f"What {names.server_namespace} does whatever the connections' state.",
            broadcasts,
        )
        server_namespace += "\n\n" + _class(
            names.server_namespace,
            f"{stateless.server_namespace}, _ServerNamespace[{ns_literal}, _StateT]",
            f"The server's side of {where}.",
            [_TYPED_API_MARKER, *server_methods],
        )
        client_namespace = _class(
            names.client_namespace,
            f"{stateless.client}, _ClientNamespace[{ns_literal}]",
            f"The client's side of {where}.",
            [
                _TYPED_API_MARKER,
                *self._registrars(s2c, EventKind.MSG, None),
                *self._lifecycle(None),
            ],
        )
        return (
            connection,
            server_namespace,
            self._client_methods(stateless.client, spec),
            client_namespace,
            self._test_client(spec, stateless.client),
        )

    def _client_methods(self, name: str, spec: NamespaceSpec) -> str:
        """The methods ``<Name>ClientNamespace`` and ``<Name>TestClient`` both have, with
        the same signatures (``emit``, ``call`` and ``on_call``), in one class both derive
        from: each overload set is written, and read by a checker, once."""
        c2s, s2c = spec.events(Direction.C2S), spec.events(Direction.S2C)
        methods = [
            *self._senders(
                "emit", c2s, EventKind.MSG, "", "None", "Send the c2s Msg ``event`` to the server."
            ),
            *self._callers(
                c2s, repr(DEFAULT_CALL_TIMEOUT), "Call the server; its validated response."
            ),
            *self._registrars(s2c, EventKind.CALL, None),
        ]
        doc = (
            f"What {self.names[spec.name].client_namespace} and "
            f"{self.names[spec.name].test_client} both do."
        )
        return _class(name, "", doc, methods)

    def _test_client(self, spec: NamespaceSpec, shared: str) -> str:
        """``<Name>TestClient``: pursocket's recording client of this namespace, with the
        methods a client namespace has from ``shared``."""
        names = self.names[spec.name]
        s2c = spec.events(Direction.S2C)
        waits = f", *, timeout: float = {DEFAULT_TEST_TIMEOUT!r}"
        methods = [
            *self._readers(
                "async def next",
                s2c,
                waits,
                "{payload}",
                "object",
                "The next ``event`` Msg from the server; ``AssertionError`` after ``timeout``.",
            ),
            *self._readers(
                "def received",
                s2c,
                "",
                "list[{payload}]",
                "list[object]",
                "Every ``event`` Msg the server has sent so far, in arrival order.",
            ),
            self._nothing_more(s2c, waits),
            *self._answers(s2c),
        ]
        return _class(
            names.test_client,
            f"{shared}, _RecordingClient[Literal[{_literal(spec.name)}]]",
            f'A recording test client of namespace "{spec.name}" ({spec.path}), '
            f"from :func:`connect`.",
            [_TYPED_API_MARKER, *methods],
        )

    def _events(self, events: Mapping[str, EventSpec], kind: EventKind) -> list[EventSpec]:
        return [spec for spec in events.values() if spec.kind is kind]

    def _groups(
        self,
        events: Mapping[str, EventSpec],
        kind: EventKind,
        *,
        payload: bool = True,
        response: bool = False,
    ) -> list[_EventGroup]:
        """The events of ``kind`` grouped by the types a method's items write for them
        (the payload's, the response's, or both), in the order first declared."""
        groups: dict[tuple[str, str], list[str]] = {}
        for spec in self._events(events, kind):
            key = (
                self.annotation(spec.payload_type, spec.module) if payload else "",
                self.annotation(spec.response_type, spec.module) if response else "",
            )
            groups.setdefault(key, []).append(spec.name)
        return [
            _EventGroup(tuple(names), payload_text, response_text)
            for (payload_text, response_text), names in groups.items()
        ]

    def _overloads(self, signatures: list[str], fallback: str, doc: str) -> list[str]:
        """One method per signature: overloaded when several, ``fallback`` when none.

        The overloads have no implementation: only type checkers read them, and every
        item costs each checker time on every run. The first item carries ``doc``, the
        method's docstring; the others are one line each.
        """
        if not signatures:
            self.typing_names.add("Never")
            return [fallback]
        if len(signatures) == 1:
            return signatures
        self.typing_names.add("overload")
        first, *rest = (signature.splitlines()[0] for signature in signatures)
        items = f'@overload\n{first}\n    """{doc}"""\n'
        items += "".join(f"@overload\n{line} ...\n" for line in rest)
        return [items]

    def _senders(
        self,
        method: str,
        events: Mapping[str, EventSpec],
        kind: EventKind,
        leading: str,
        returns: str,
        doc: str,
    ) -> list[str]:
        signatures = [
            f"async def {method}(self, {leading}event: {group.literal}, "
            f"payload: {group.payload}) -> {returns}:\n"
            f'    """{doc}"""\n'
            f"    ...\n"
            for group in self._groups(events, kind)
        ]
        fallback = (
            f"async def {method}(self, {leading}event: Never, payload: object) -> None:\n"
            f'    """No event can be sent this way: the protocol declares none."""\n'
            f"    ...\n"
        )
        return self._overloads(signatures, fallback, doc)

    def _callers(self, events: Mapping[str, EventSpec], timeout: str, doc: str) -> list[str]:
        signatures = [
            f"async def call(self, event: {group.literal}, payload: {group.payload}, "
            f"*, timeout: float = {timeout}) -> {group.response}:\n"
            f'    """{doc}"""\n'
            f"    ...\n"
            for group in self._groups(events, EventKind.CALL, response=True)
        ]
        fallback = (
            f"async def call(self, event: Never, payload: object, *, timeout: float = {timeout}) "
            f"-> object:\n"
            f'    """No Call can be made this way: the protocol declares none."""\n'
            f"    ...\n"
        )
        return self._overloads(signatures, fallback, doc)

    def _readers(
        self,
        method: str,
        events: Mapping[str, EventSpec],
        trailing: str,
        returns: str,
        returns_for_none: str,
        doc: str,
    ) -> list[str]:
        """A test client's ``method`` reading s2c Msgs: ``returns`` formatted with the payload."""
        signatures = [
            f"{method}(self, event: {group.literal}{trailing}) "
            f"-> {returns.format(payload=group.payload)}:\n"
            f'    """{doc}"""\n'
            f"    ...\n"
            for group in self._groups(events, EventKind.MSG)
        ]
        fallback = (
            f"{method}(self, event: Never{trailing}) -> {returns_for_none}:\n"
            f'    """No Msg can arrive this way: the protocol declares none."""\n'
            f"    ...\n"
        )
        return self._overloads(signatures, fallback, doc)

    def _nothing_more(self, events: Mapping[str, EventSpec], waits: str) -> str:
        """A test client's ``nothing_more``: one signature taking any s2c Msg, since its
        result does not depend on the event (one item for a checker to read, not one per
        event)."""
        doc = "Assert, by a round trip through the server, that no more ``event`` arrived."
        every_msg = self._groups(events, EventKind.MSG, payload=False)
        if every_msg:
            (group,) = every_msg
            event = group.literal
        else:
            self.typing_names.add("Never")
            event = "Never"
            doc = "No Msg can arrive this way: the protocol declares none."
        return f'async def nothing_more(self, event: {event}{waits}) -> None:\n    """{doc}"""\n    ...\n'

    def _answers(self, events: Mapping[str, EventSpec]) -> list[str]:
        """A test client's ``answer``: a canned response to each s2c Call."""
        doc = "Answer every server Call ``event`` from now on with ``response``."
        signatures = [
            f"def answer(self, event: {group.literal}, response: {group.response}) -> None:\n"
            f'    """{doc}"""\n'
            f"    ...\n"
            for group in self._groups(events, EventKind.CALL, payload=False, response=True)
        ]
        fallback = (
            "def answer(self, event: Never, response: object) -> None:\n"
            '    """No Call can arrive this way: the protocol declares none."""\n'
            "    ...\n"
        )
        return self._overloads(signatures, fallback, doc)

    def _registrars(
        self, events: Mapping[str, EventSpec], kind: EventKind, connection: str | None
    ) -> list[str]:
        """``on``/``on_call``: per event a decorator typed with its parameters (and response).

        The decorator is a generic protocol specialised with the connection (of the
        namespace's state, a class parameter) and the payload: a TypeVar bound cannot
        name a class parameter, so the handler cannot be a TypeVar bounded by it.
        """
        method = "on" if kind is EventKind.MSG else "on_call"
        registrar = self._registrar(kind, server=connection is not None)
        leading = f"{connection}, " if connection else ""
        signatures = []
        for group in self._groups(events, kind, response=kind is EventKind.CALL):
            arguments = leading + group.payload
            if kind is EventKind.MSG:
                doc = f"Decorator: the handler of Msg {group.described}, returned unchanged."
            else:
                arguments += ", " + group.response
                doc = (
                    f"Decorator: the handler answering Call {group.described}, returned unchanged."
                )
            signatures.append(
                f"def {method}(self, event: {group.literal}) -> {registrar}[{arguments}]:\n"
                f'    """{doc}"""\n'
                f"    ...\n"
            )
        fallback = (
            f"def {method}(self, event: Never) -> Callable[[Callable[..., object]], object]:\n"
            f'    """No event can be handled this way: the protocol declares none."""\n'
            f"    ...\n"
        )
        doc = "Decorator: registers the handler of ``event`` and returns it unchanged."
        return self._overloads(signatures, fallback, doc)

    def _lifecycle(self, connection: str | None) -> list[str]:
        """``on_connect``, ``on_disconnect``, ``on_invalid``; on the server, the connect
        handler returns the connection's state (``None`` unless ``namespace(state=...)``)."""
        self.typing_names |= {"Callable", "Awaitable"}
        leading = [connection] if connection else []
        methods = []
        if connection is not None:
            handler = f"Callable[[{connection}], Awaitable[_StateT]]"
            plain = f"Callable[[{connection}], _StateT]"
            methods += self._overloads(
                [
                    f"def on_connect(self, handler: {handler}) -> {handler}:",
                    f"def on_connect(self, handler: {plain}) -> {plain}:",
                ],
                "",
                "Register the handler run when a connection opens; it returns the "
                "connection's state.",
            )
        else:
            methods.append(
                _lifecycle_method(
                    "on_connect", [], "Register the handler run when a connection opens."
                )
            )
        methods += [
            _lifecycle_method(
                "on_disconnect",
                [*leading, "DisconnectReason"],
                "Register the handler run when it ends.",
            ),
            _lifecycle_method(
                "on_invalid",
                [*leading, "InvalidInput"],
                "Register the handler run for refused input.",
            ),
        ]
        return methods

    def _runtime_aliases(self) -> str:
        lines = ['_StateT = TypeVar("_StateT", default=None)', ""]
        for name, names in self.names.items():
            arguments = f"{self.protocol}, Literal[{_literal(name)}]"
            lines += [
                f"{names.connection} = pursocket.Connection[{arguments}, _StateT]",
                f"{names.server_namespace} = pursocket.ServerNamespace[{arguments}, _StateT]",
                f"{names.client_namespace} = pursocket.ClientNamespace[{arguments}]",
                f"{names.test_client} = pursocket.recording.RecordingClient[{arguments}]",
            ]
        return "\n".join(lines) + "\n"

    def _connect_doc(self) -> str:
        return (
            f"``pursocket.testing.connect({self.model.name}, url, namespace, ...)``: "
            f"a recording test client of ``namespace``."
        )

    def _connect_stub(self) -> str:
        """``connect(url, namespace)``: a test client of the namespace's own class."""
        self.typing_names |= {"Mapping", "AbstractAsyncContextManager"}
        options = (
            "headers: Mapping[str, str] | None = ..., transports: list[str] | None = ..., "
            "wait_timeout: float = ..."
        )
        signatures = [
            f"def connect(url: str, namespace: Literal[{_literal(name)}]"
            f", *, auth: {self._declared_auth(name)} = ..., {options}) "
            f"-> AbstractAsyncContextManager[{names.test_client}]:\n"
            f'    """Connect a test client to namespace ``{name}``."""\n'
            f"    ...\n"
            for name, names in self.names.items()
        ]
        return "\n".join(self._overloads(signatures, "", self._connect_doc()))

    def _connect_runtime(self) -> str:
        """pursocket.testing's ``connect`` with the protocol bound, importing pursocket.testing
        (and so uvicorn) only when called."""
        return (
            "def connect(url: str, namespace: str, **options: Any) -> Any:\n"
            f'    """{self._connect_doc()}"""\n'
            "    from pursocket.testing import connect as connect_test_client\n"
            "\n"
            f"    return connect_test_client({self.protocol}, url, namespace, **options)\n"
        )

    # -- Server and Client -----------------------------------------------------------

    def _namespace_overloads(self, *, client: bool) -> list[str]:
        """``namespace(name)``: the typed handle; on the server ``state=User`` makes it
        ``<Name>ServerNamespace[User]``, as pursocket's ``namespace`` does."""
        signatures = []
        for name, names in self.names.items():
            start = f"def namespace(self, name: Literal[{_literal(name)}]"
            doc = f'    """The handle of namespace ``{name}``."""\n    ...\n'
            if client:
                auth = self._declared_auth(name)
                signatures.append(
                    f"{start}, *, auth: {auth} = ...) -> {names.client_namespace}:\n{doc}"
                )
            else:
                # Without state= the state is None, which a TypeVar left unsolved would not say.
                signatures += [
                    f"{start}) -> {names.server_namespace}:\n{doc}",
                    f"{start}, *, state: type[_StateT]) -> {names.server_namespace}[_StateT]:\n{doc}",
                ]
        return self._overloads(signatures, "", "The handle of the namespace ``name``.")

    def _declared_auth(self, namespace: str) -> str:
        """The type of the ``auth`` a client sends to ``namespace``: its declared auth, or
        any JSON object (the server refuses anything else)."""
        spec = self.model.namespaces[namespace]
        if spec.auth_type is None:
            self.typing_names.add("Mapping")
            return "Mapping[str, object] | None"
        return self.annotation(spec.auth_type, spec.module)

    def _side_doc(self, side: str) -> str:
        return (
            f"A :class:`pursocket.{side}` of protocol {self.model.name}: "
            f"``{side}(**options)`` is ``pursocket.{side}({self.model.name}, **options)``."
        )

    def _side_stub(self, side: str, extra: list[str]) -> str:
        """``Server`` or ``Client`` as type checkers see it: its ``namespace`` overloads,
        and ``extra`` members."""
        return _class(
            side,
            f"pursocket.{side}[{self.protocol}]",
            self._side_doc(side),
            [
                _TYPED_API_MARKER,
                _INIT_SIGNATURE + "    ...\n",
                *self._namespace_overloads(client=side == "Client"),
                *extra,
            ],
        )

    def _server_stub(self) -> str:
        return self._side_stub("Server", [])

    def _client_stub(self) -> str:
        self.typing_names.add("Self")
        enter = (
            "async def __aenter__(self) -> Self:\n"
            '    """``async with Client() as client:`` disconnects on exit."""\n'
            "    ...\n"
        )
        return self._side_stub("Client", [enter])

    def _side_runtime(self, side: str) -> str:
        """``Server`` or ``Client`` as it runs: pursocket's, with the protocol bound."""
        return _class(
            side, f"pursocket.{side}[{self.protocol}]", self._side_doc(side), [self._init()]
        )

    def _init(self) -> str:
        """``__init__`` of the generated Server and Client: pursocket's, with the protocol bound."""
        return (
            _INIT_SIGNATURE + "    super().__init__(\n"
            f"        {self.protocol},\n"
            "        validate=validate,\n"
            "        validate_outgoing=validate_outgoing,\n"
            "        ordered=ordered,\n"
            "        **options,\n"
            "    )\n"
        )


#: The class attribute line every typed class declares.
_TYPED_API_MARKER = f"{TYPED_API_MARKER}: ClassVar[Literal[True]]\n"

#: The generated Server's and Client's ``__init__``: pursocket's options, the protocol bound.
_INIT_SIGNATURE = (
    "def __init__(\n"
    "    self,\n"
    "    *,\n"
    "    validate: bool = True,\n"
    "    validate_outgoing: bool = False,\n"
    "    ordered: bool = False,\n"
    "    **options: Any,\n"
    ") -> None:\n"
)


#: The TypeVars of the typed classes: ``_StateT`` is the server classes' parameter,
#: ``_NamespaceT`` their bases', the others are the handler registrars'.
_TYPEVARS = (
    '_StateT = TypeVar("_StateT", default=None)\n'
    '_NamespaceT = TypeVar("_NamespaceT")\n'
    '_ConnectionT = TypeVar("_ConnectionT")\n'
    '_PayloadT = TypeVar("_PayloadT")\n'
    '_ResponseT = TypeVar("_ResponseT")\n'
    '_ResultT = TypeVar("_ResultT")\n'
)


def _registrar_source(name: str, kind: EventKind, *, server: bool) -> str:
    """The generic protocol ``name``: a decorator registering a handler of ``kind``.

    The handler is returned with its parameters typed as the event's (and, for a Msg,
    its own result type): the protocol's parameters are the connection, the payload
    and a Call's response.
    """
    arguments = "_ConnectionT, _PayloadT" if server else "_PayloadT"
    parameters = arguments + (", _ResponseT" if kind is EventKind.CALL else "")
    side = "server" if server else "client"
    doc = '    """Register ``handler``; it is returned unchanged."""\n'
    if kind is EventKind.MSG:
        handler = f"Callable[[{arguments}], _ResultT]"
        body = f"def __call__(self, handler: {handler}, /) -> {handler}:\n{doc}    ...\n"
    else:
        awaiting = f"Callable[[{arguments}], Awaitable[_ResponseT]]"
        answering = f"Callable[[{arguments}], _ResponseT]"
        body = (
            f"@overload\ndef __call__(self, handler: {awaiting}, /) -> {awaiting}:\n{doc}"
            f"@overload\ndef __call__(self, handler: {answering}, /) -> {answering}: ...\n"
        )
    summary = (
        f"What a {side} ``{'on' if kind is EventKind.MSG else 'on_call'}(event)`` returns: "
        f"the decorator of the event's handler."
    )
    return f"class {name}(Protocol[{parameters}]):\n" + _indent(f'"""{summary}"""\n\n{body}')


def _lifecycle_method(method: str, parameters: list[str], doc: str) -> str:
    """A lifecycle registrar returning the handler typed with ``parameters``."""
    handler = f"Callable[[{', '.join(parameters)}], _ResultT]"
    return f'def {method}(self, handler: {handler}) -> {handler}:\n    """{doc}"""\n    ...\n'


_TYPING_NAMES = frozenset(
    {
        "_StateT",
        "_NamespaceT",
        "_Connection",
        "_ServerNamespace",
        "_ClientNamespace",
        "_RecordingClient",
        "_ConnectionT",
        "_PayloadT",
        "_ResponseT",
        "_ResultT",
        "_ServerMsgRegistrar",
        "_ServerCallRegistrar",
        "_ClientMsgRegistrar",
        "_ClientCallRegistrar",
        "Protocol",
        "Any",
        "Awaitable",
        "Callable",
        "ClassVar",
        "Literal",
        "Never",
        "Self",
        "TypeVar",
        "overload",
        "Mapping",
        "AbstractAsyncContextManager",
        "annotations",
        "DisconnectReason",
        "InvalidInput",
    }
)


@attrs.frozen
class _StatelessParts:
    """The classes holding what a namespace's typed classes do whatever the connections'
    state, each a base of the classes named in its field's comment.

    mypy substitutes a generic class's parameters into every overload item of a method
    each time it looks the method up; in a class without parameters it has nothing to
    substitute. pyright names a method by its own name in its messages, mypy by the
    class that declares it: ``"emit" of "_LobbyConnection"``.
    """

    #: ``_LobbyConnection``, of ``LobbyConnection``: ``auth``, ``emit``, ``call`` and the
    #: broadcasts except the sender.
    connection: str
    #: ``_LobbyServerNamespace``, of ``LobbyServerNamespace``: its broadcasts.
    server_namespace: str
    #: ``_LobbyClient``, of ``LobbyClientNamespace`` and ``LobbyTestClient``: ``emit``,
    #: ``call`` and ``on_call``, which both have with the same signatures, written (and
    #: read by a checker) once.
    client: str


@attrs.frozen
class _EventGroup:
    """Events a method's overload items would write alike but for the event's name: they
    share one item, its ``event`` a ``Literal`` of them all (an item fewer for a checker
    to read, and to try at each call)."""

    names: tuple[str, ...]
    #: The payload's annotation, or ``""`` when the method's items do not write it.
    payload: str
    #: The Call response's annotation, or ``""`` when the method's items do not write it.
    response: str

    @property
    def literal(self) -> str:
        """``Literal["joined", "left"]``."""
        return f"Literal[{', '.join(_literal(name) for name in self.names)}]"

    @property
    def described(self) -> str:
        """``joined`` or ``joined``/``left``, for a docstring."""
        return "/".join(f"``{name}``" for name in self.names)


def _stateless_parts(names: NamespaceClassNames) -> _StatelessParts:
    return _StatelessParts(
        connection=f"_{names.connection}",
        server_namespace=f"_{names.server_namespace}",
        client=f"_{names.client_namespace.removesuffix('Namespace')}",
    )


def _unique_class_names(model: ProtocolModel) -> dict[str, NamespaceClassNames]:
    by_prefix: dict[str, str] = {}
    names: dict[str, NamespaceClassNames] = {}
    for namespace in model.namespaces:
        generated = class_names(namespace)
        other = by_prefix.get(generated.connection)
        if other is not None:
            raise ExportError(
                f'Namespaces "{other}" and "{namespace}" of protocol {model.name} would both '
                f"generate the class {generated.connection}; rename one of them"
            )
        by_prefix[generated.connection] = namespace
        names[namespace] = generated
    return names


def _where(obj: Any, what: str) -> tuple[str, str]:
    """The module and qualified name ``obj`` can be imported by, or ``ExportError``."""
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    found: Any = sys.modules.get(module) if isinstance(module, str) else None
    if isinstance(qualname, str) and "<locals>" not in qualname:
        for part in qualname.split("."):
            found = getattr(found, part, None)
    if found is not obj or module == "__main__" or not isinstance(qualname, str):
        raise ExportError(
            f"{what}: the generated module imports it from where it is declared, but it "
            f"cannot be imported as {module}.{qualname}; declare it at the top level of an "
            f"importable module (not in __main__ or inside a function)"
        )
    return str(module), qualname


def _from_imports(imports: Mapping[tuple[str, str], str]) -> list[str]:
    by_module: dict[str, set[str]] = {}
    for (module, qualname), local in imports.items():
        top, local_top = qualname.split(".")[0], local.split(".")[0]
        by_module.setdefault(module, set()).add(
            top if top == local_top else f"{top} as {local_top}"
        )
    return [
        f"from {module} import {', '.join(sorted(names))}"
        for module, names in sorted(by_module.items())
    ]


def _literal(value: object) -> str:
    if isinstance(value, str):
        return '"' + value.encode("unicode_escape").decode("ascii").replace('"', '\\"') + '"'
    return repr(value)


def _pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[\W_]+", name))


def _indent(text: str) -> str:
    return "".join(("    " + line if line.strip() else line) for line in text.splitlines(True))


def _join(parts: Iterable[str]) -> str:
    """The parts of a file, two blank lines apart."""
    return "\n\n".join(part.rstrip("\n") + "\n" for part in parts).replace("\n\n\n\n", "\n\n\n")


def _class(name: str, bases: str, doc: str, members: Iterable[str]) -> str:
    body = "\n".join(members)
    header = f"class {name}({bases}):" if bases else f"class {name}:"
    return header + "\n" + _indent(f'"""{doc}"""\n\n' + body)
