"""The plugin class: dispatch only, an O(1) lookup per call mypy checks.

mypy asks every plugin for a hook for every call it checks, so each ``get_*`` method
is one dict lookup that returns ``None`` for everything that is not pursocket's.
Method hooks are looked up by the receiver's class, so a method called on a subclass
of a pursocket class (``MyServerNamespace.emit``) is matched by its name and the
class's bases.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final, TypeVar

from mypy.nodes import TypeInfo
from mypy.options import Options
from mypy.plugin import (
    AttributeContext,
    FunctionContext,
    FunctionSigContext,
    MethodContext,
    MethodSigContext,
    Plugin,
)
from mypy.types import FunctionLike, Type
from typing_extensions import override

from pursocket_mypy import fullnames
from pursocket_mypy.auth import (
    ATTRIBUTE_HOOKS,
    connect_auth_signature_hook,
    namespace_auth_signature_hook,
    test_connect_auth_signature_hook,
)
from pursocket_mypy.entrypoints import REGISTRARS, SENDERS, TEST_CLIENT
from pursocket_mypy.events import sender_check_hook, sender_signature_hook
from pursocket_mypy.guards import guard_decorator_hook, guard_registrar_hook
from pursocket_mypy.handlers import (
    LIFECYCLES,
    decorator_hook,
    lambda_signature_hook,
    lifecycle_hook,
    registrar_hook,
)
from pursocket_mypy.namespaces import connect_hook, constructor_hook, namespace_hook
from pursocket_mypy.protocol_types import ProtocolProblems
from pursocket_mypy.typed_api import (
    CHECKED_METHODS,
    is_typed_api,
    namespace_signature_hook,
    pursocket_signature_hook,
)

_Hook = TypeVar("_Hook")

_MethodSigHook = Callable[[MethodSigContext], FunctionLike]
_MethodHook = Callable[[MethodContext], Type]
_FunctionHook = Callable[[FunctionContext], Type]
_FunctionSigHook = Callable[[FunctionSigContext], FunctionLike]
_AttributeHook = Callable[[AttributeContext], Type]


#: The classes users (and the generated typed API) may subclass; the decorator protocols
#: are pursocket's own.
_SUBCLASSABLE: Final = frozenset(
    {
        fullnames.SERVER,
        fullnames.SERVER_NAMESPACE,
        fullnames.CONNECTION,
        fullnames.CLIENT,
        fullnames.CLIENT_NAMESPACE,
        fullnames.RECORDING_CLIENT,
    }
)


def _by_method_name(hooks: Mapping[str, _Hook]) -> Mapping[str, list[tuple[str, _Hook]]]:
    """The hooks of the subclassable classes, by method name, each with its class."""
    by_name: dict[str, list[tuple[str, _Hook]]] = {}
    for fullname, hook in hooks.items():
        base, _, method = fullname.rpartition(".")
        if base in _SUBCLASSABLE:
            by_name.setdefault(method, []).append((base, hook))
    return by_name


class PursocketPlugin(Plugin):
    """Checks every use of a pursocket protocol against the protocol's types."""

    def __init__(self, options: Options) -> None:
        super().__init__(options)
        lookup = self.lookup_fully_qualified
        protocol_problems = ProtocolProblems()
        self._method_signature_hooks: Mapping[str, _MethodSigHook] = {
            **{use.fullname: sender_signature_hook(use) for use in (*SENDERS, *TEST_CLIENT)},
            f"{fullnames.CLIENT}.namespace": namespace_signature_hook(
                fullnames.CLIENT, fullnames.CLIENT_NAMESPACE, lookup, namespace_auth_signature_hook
            ),
            f"{fullnames.CLIENT}.connect": connect_auth_signature_hook,
            f"{fullnames.CONNECT_FIXTURE}.__call__": test_connect_auth_signature_hook,
            f"{fullnames.SERVER}.namespace": namespace_signature_hook(
                fullnames.SERVER, fullnames.SERVER_NAMESPACE, lookup
            ),
            f"{fullnames.MSG_HANDLER_DECORATOR}.__call__": lambda_signature_hook("Msg", lookup),
            f"{fullnames.CALL_HANDLER_DECORATOR}.__call__": lambda_signature_hook("Call", lookup),
        }
        connect = connect_hook(fullnames.RECORDING_CLIENT)
        self._method_hooks: Mapping[str, _MethodHook] = {
            **{use.fullname: registrar_hook(use) for use in REGISTRARS},
            **{use.fullname: sender_check_hook(use) for use in (*SENDERS, *TEST_CLIENT)},
            f"{fullnames.SERVER}.namespace": namespace_hook(
                fullnames.SERVER, fullnames.SERVER_NAMESPACE
            ),
            f"{fullnames.CLIENT}.namespace": namespace_hook(
                fullnames.CLIENT, fullnames.CLIENT_NAMESPACE
            ),
            **{
                f"{base}.{lifecycle.method}": lifecycle_hook(base, lifecycle, lookup)
                for base in (fullnames.SERVER_NAMESPACE, fullnames.CLIENT_NAMESPACE)
                for lifecycle in LIFECYCLES
            },
            f"{fullnames.MSG_HANDLER_DECORATOR}.__call__": decorator_hook("Msg", lookup),
            f"{fullnames.CALL_HANDLER_DECORATOR}.__call__": decorator_hook("Call", lookup),
            f"{fullnames.SERVER}.guard": guard_registrar_hook,
            f"{fullnames.GUARD_DECORATOR}.__call__": guard_decorator_hook(lookup),
            f"{fullnames.CONNECT_FIXTURE}.__call__": connect,
        }
        self._function_hooks: Mapping[str, _FunctionHook] = {
            fullnames.SERVER: constructor_hook(fullnames.SERVER, protocol_problems),
            fullnames.CLIENT: constructor_hook(fullnames.CLIENT, protocol_problems),
            fullnames.CONNECT: connect,
        }
        self._inherited_signature_hooks = _by_method_name(self._method_signature_hooks)
        self._inherited_method_hooks = _by_method_name(self._method_hooks)

    @override
    def get_method_signature_hook(self, fullname: str) -> _MethodSigHook | None:
        """Narrow the payload and result types of the methods that send or read an event."""
        hook = self._method_signature_hooks.get(fullname)
        if hook is not None:
            return hook
        inherited = self._inherited(fullname, self._inherited_signature_hooks)
        return self._typed_api(fullname, inherited) or inherited

    @override
    def get_method_hook(self, fullname: str) -> _MethodHook | None:
        """Type ``namespace()`` handles and check handlers."""
        hook = self._method_hooks.get(fullname)
        if hook is not None:
            return hook
        return self._inherited(fullname, self._inherited_method_hooks)

    @override
    def get_attribute_hook(self, fullname: str) -> _AttributeHook | None:
        """Type ``conn.auth`` by the namespace's declared auth."""
        return ATTRIBUTE_HOOKS.get(fullname)

    @override
    def get_function_signature_hook(self, fullname: str) -> _FunctionSigHook | None:
        """Type the ``auth=`` of the test toolkit's ``connect()`` by its namespace."""
        return test_connect_auth_signature_hook if fullname == fullnames.CONNECT else None

    @override
    def get_function_hook(self, fullname: str) -> _FunctionHook | None:
        """Check the protocol a ``Server``/``Client`` is created with, and ``connect()``'s namespace."""
        return self._function_hooks.get(fullname)

    def _typed_api(self, fullname: str, then: _MethodSigHook | None) -> _MethodSigHook | None:
        """For a class of a generated typed API module, pursocket's own signature first."""
        class_name, _, method = fullname.rpartition(".")
        if method not in CHECKED_METHODS:
            return None
        symbol = self.lookup_fully_qualified(class_name)
        info = symbol.node if symbol is not None else None
        if not isinstance(info, TypeInfo) or not is_typed_api(info):
            return None
        for base in _SUBCLASSABLE:
            if info.has_base(base):
                return pursocket_signature_hook(base, method, self.lookup_fully_qualified, then)
        return None

    def _inherited(
        self, fullname: str, hooks: Mapping[str, list[tuple[str, _Hook]]]
    ) -> _Hook | None:
        class_name, _, method = fullname.rpartition(".")
        candidates = hooks.get(method)
        if candidates is None:
            return None
        symbol = self.lookup_fully_qualified(class_name)
        info = symbol.node if symbol is not None else None
        if not isinstance(info, TypeInfo):
            return None
        for base, hook in candidates:
            if info.has_base(base):
                return hook
        return None


def plugin(version: str) -> type[Plugin]:
    """mypy's entry point: the plugin class, for every supported mypy ``version``."""
    return PursocketPlugin
