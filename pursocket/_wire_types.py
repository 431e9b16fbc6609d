"""How a declared type is checked on the wire: by msgspec where it can, in Python where not.

msgspec validates most protocol types in one fast pass, but refuses some forms the
protocol language allows: a union of several ``TypedDict``s told apart by a tag
(``Circle | Square``, each with ``kind: Literal[...]``), a recursive type alias (the
``Json`` alias), and ``annotated-types`` constraints it does not read. For those the
walk here builds a Python check of the same strictness, with msgspec's wording for
errors (``Expected `int`, got `str` - at `$.radius```), and hands every part msgspec
can take back to msgspec.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import attrs
import msgspec
import msgspec.inspect
import typing_extensions
from typing_extensions import NotRequired, ReadOnly, Required

from pursocket.protocol import (
    UNION_ORIGINS,
    TupleForm,
    is_array_type,
    is_required,
    is_tuple_type,
    module_of,
    reference_key,
    resolve_reference,
    resolved_member,
    tag_values,
    tuple_form,
    typeddict_class,
    typeddict_fields,
    union_tag,
)

#: Checks a decoded value found at a path (``$.user``): returns it checked (with the
#: keys its ``TypedDict``s do not declare dropped) or raises :class:`InvalidValue`.
PathCheck = Callable[[Any, str], Any]

# Binary attachments arrive as bytes; naming bytes a builtin type stops msgspec from
# also accepting a base64 string where bytes are declared.
BINARY_TYPES = (bytes, bytearray)


class InvalidValue(Exception):
    """A value that does not have its declared type; the message says where and why."""


@attrs.frozen
class WireForm:
    """What pursocket needs to know about a declared type, worked out in one walk."""

    #: The type in a form msgspec decodes (every ``ReadOnly[X]`` key read as ``X``,
    #: constraints as ``msgspec.Meta``), or ``None`` where only the Python check can.
    decodable: Any
    #: Whether a value may hold ``bytes`` (declared, or under ``Any``).
    may_hold_bytes: bool
    #: Checks a value of the type, from the root (``$``).
    check: PathCheck
    #: Whether the type holds a ``tuple[...]`` (which python-socketio would take for
    #: several arguments at the top level, and does not search for binary data).
    holds_tuple: bool = False


def wire_form(tp: Any, module: str | None = None) -> WireForm:
    """The :class:`WireForm` of ``tp``; string references resolve in ``module``."""
    return _Walk().visit(tp, module)


def msgspec_check(decodable: Any) -> PathCheck:
    """Checks a value with msgspec against ``decodable``, naming paths from ``path``."""

    def check(value: Any, path: str) -> Any:
        try:
            return msgspec.convert(value, decodable, strict=True, builtin_types=BINARY_TYPES)
        except msgspec.ValidationError as exc:
            raise InvalidValue(_at(str(exc), path)) from None

    return check


def _at(message: str, path: str) -> str:
    """msgspec's message for a value checked on its own, placed at ``path``."""
    if path == "$":
        return message
    if " - at `$" in message:
        return message.replace(" - at `$", f" - at `{path}", 1)
    return f"{message} - at `{path}`"


def _fail(message: str, path: str) -> InvalidValue:
    return InvalidValue(_at(message, path))


def _accept(value: Any, path: str) -> Any:
    return value


_KINDS: tuple[tuple[type, str], ...] = (
    (bool, "bool"),
    (int, "int"),
    (float, "float"),
    (str, "str"),
    (list, "array"),
    (tuple, "array"),
    (dict, "object"),
    (bytes, "bytes"),
    (bytearray, "bytes"),
)


def _kind(value: Any) -> str:
    """A decoded value's JSON kind, as msgspec names it in errors."""
    if value is None:
        return "null"
    return next((name for cls, name in _KINDS if isinstance(value, cls)), type(value).__name__)


class _Walk:
    """One walk over a type, visiting each ``TypedDict`` and alias once."""

    def __init__(self) -> None:
        self._done: dict[Any, WireForm] = {}
        self._in_progress: set[Any] = set()

    def visit(self, tp: Any, module: str | None) -> WireForm:
        if tp is Any:
            return WireForm(Any, True, _accept)
        if tp in BINARY_TYPES:
            return _native(tp, True)
        reference = resolve_reference(tp, module)
        if reference is not None:
            return self._reference(tp, module, reference)
        if typeddict_class(tp) is not None:
            return self._once(("typeddict", id(tp)), tp, lambda: self._typeddict(tp))
        origin, args = get_origin(tp), get_args(tp)
        if origin is Annotated:
            return self._annotated(args[0], args[1:], module)
        if is_tuple_type(tp):
            return self._tuple(tp, tuple_form(tp), module)
        if origin is None or origin is Literal or not args:
            return _native(tp, False)
        if origin in UNION_ORIGINS:
            return self._union(tp, [self.visit(arg, module) for arg in args], module)
        parts = [self.visit(arg, module) for arg in args]
        may_hold_bytes = any(part.may_hold_bytes for part in parts)
        holds_tuple = any(part.holds_tuple for part in parts)
        if all(part.decodable is not None for part in parts):
            decodables = tuple(part.decodable for part in parts)
            same = all(new is old for new, old in zip(decodables, args, strict=True))
            return _native(tp if same else origin[decodables], may_hold_bytes, holds_tuple)
        if origin is list:
            return WireForm(None, may_hold_bytes, _list_check(parts[0].check), holds_tuple)
        return WireForm(None, may_hold_bytes, _dict_check(parts[1].check), holds_tuple)

    def _tuple(self, tp: Any, form: TupleForm, module: str | None) -> WireForm:
        parts = [self.visit(item, module) for item in form.items]
        may_hold_bytes = any(part.may_hold_bytes for part in parts)
        if all(part.decodable is not None for part in parts):
            decodables = tuple(part.decodable for part in parts)
            if all(new is old for new, old in zip(decodables, form.items, strict=True)):
                return _native(tp, may_hold_bytes, True)
            return _native(form.of(decodables), may_hold_bytes, True)
        checks = [part.check for part in parts]
        check = _variadic_check(checks[0]) if form.variadic else _tuple_check(checks)
        return WireForm(None, may_hold_bytes, check, True)

    def _once(self, key: Any, tp: Any, build: Callable[[], WireForm]) -> WireForm:
        done = self._done.get(key)
        if done is not None:
            return done
        if key in self._in_progress:
            # A recursive TypedDict: msgspec follows the class itself where it can read
            # it; the Python check looks the finished form up when a value arrives.
            def recurse(value: Any, path: str) -> Any:
                return self._done[key].check(value, path)

            return WireForm(tp if _msgspec_reads(tp) else None, False, recurse)
        self._in_progress.add(key)
        form = build()
        self._in_progress.discard(key)
        self._done[key] = form
        return form

    def _reference(
        self, tp: Any, module: str | None, reference: tuple[Any, str | None]
    ) -> WireForm:
        key = reference_key(tp, module)
        done = self._done.get(key)
        if done is not None:
            return done
        if key in self._in_progress:
            # A recursive alias (msgspec has no form for one): checked in Python, by
            # looking the finished form up when a value arrives.
            return WireForm(None, False, lambda value, path: self._done[key].check(value, path))
        self._in_progress.add(key)
        form = self.visit(*reference)
        self._in_progress.discard(key)
        self._done[key] = form
        return form

    def _typeddict(self, tp: Any) -> WireForm:
        cls = typeddict_class(tp)
        fields = typeddict_fields(tp, cls.__name__)
        forms = {
            name: self.visit(inner, module_of(tp, None)) for name, (_, inner) in fields.items()
        }
        required = {name: is_required(quals, name, cls) for name, (quals, _) in fields.items()}
        may_hold_bytes = any(form.may_hold_bytes for form in forms.values())
        holds_tuple = any(form.holds_tuple for form in forms.values())
        if all(form.decodable is not None for form in forms.values()):
            unchanged = all(
                ReadOnly not in quals and forms[name].decodable is inner
                for name, (quals, inner) in fields.items()
            )
            if unchanged:
                return _native(tp, may_hold_bytes, holds_tuple)
            rebuilt = typing_extensions.TypedDict(  # type: ignore[misc]
                cls.__name__,
                {
                    name: (Required if required[name] else NotRequired)[form.decodable]
                    for name, form in forms.items()
                },
            )
            return _native(rebuilt, may_hold_bytes, holds_tuple)
        return WireForm(
            None,
            may_hold_bytes,
            _typeddict_check({name: form.check for name, form in forms.items()}, required),
            holds_tuple,
        )

    def _annotated(self, inner: Any, metadata: tuple[Any, ...], module: str | None) -> WireForm:
        form = self.visit(inner, module)
        metas = [meta for meta in map(as_meta, metadata) if meta is not None]
        if not metas:
            return form
        if form.decodable is not None:
            return _native(
                Annotated[(form.decodable, *metas)], form.may_hold_bytes, form.holds_tuple
            )
        # Constraints on a value only Python checks (a list of a recursive alias): the
        # value's own type is checked first, then msgspec checks the constraints on it.
        constraint = msgspec_check(Annotated[(Any, *metas)])

        def check(value: Any, path: str) -> Any:
            return constraint(form.check(value, path), path)

        return WireForm(None, form.may_hold_bytes, check, form.holds_tuple)

    def _union(self, union: Any, members: list[WireForm], module: str | None) -> WireForm:
        may_hold_bytes = any(member.may_hold_bytes for member in members)
        holds_tuple = any(member.holds_tuple for member in members)
        if all(member.decodable is not None for member in members) and _msgspec_takes(union):
            decodables = tuple(member.decodable for member in members)
            same = all(new is old for new, old in zip(decodables, get_args(union), strict=True))
            decodable = union if same else Union[decodables]  # noqa: UP007
            return _native(decodable, may_hold_bytes, holds_tuple)
        check = _union_check(union, members, module)
        return WireForm(None, may_hold_bytes, check, holds_tuple)


def _native(decodable: Any, may_hold_bytes: bool, holds_tuple: bool = False) -> WireForm:
    return WireForm(decodable, may_hold_bytes, msgspec_check(decodable), holds_tuple)


def _msgspec_reads(typed_dict: Any) -> bool:
    """Whether msgspec can read a ``TypedDict`` class's annotations by itself.

    On Python 3.10 it cannot where a string sits inside a builtin generic
    (``children: list["Tree"]``): 3.10's ``get_type_hints`` leaves that string
    unresolved (3.11 resolves it), so msgspec meets a bare ``'Tree'``. The walk
    resolves it in the class's module, and checks such a class in Python.
    """
    try:
        msgspec.inspect.type_info(typed_dict)
    except TypeError:
        return False
    return True


def _msgspec_takes(union: Any) -> bool:
    """Whether msgspec can decode this union itself (at most one object type)."""
    objects = [
        arg
        for arg in get_args(union)
        if typeddict_class(arg) is not None or get_origin(arg) is dict
    ]
    return len(objects) <= 1


def _list_check(item: PathCheck) -> PathCheck:
    def check(value: Any, path: str) -> Any:
        if not isinstance(value, (list, tuple)):  # a tuple only from this side's own code
            raise _fail(f"Expected `array`, got `{_kind(value)}`", path)
        return [item(element, f"{path}[{index}]") for index, element in enumerate(value)]

    return check


def _variadic_check(item: PathCheck) -> PathCheck:
    def check(value: Any, path: str) -> Any:
        if not isinstance(value, (list, tuple)):
            raise _fail(f"Expected `array`, got `{_kind(value)}`", path)
        return tuple(item(element, f"{path}[{index}]") for index, element in enumerate(value))

    return check


def _tuple_check(items: list[PathCheck]) -> PathCheck:
    def check(value: Any, path: str) -> Any:
        if not isinstance(value, (list, tuple)):
            raise _fail(f"Expected `array`, got `{_kind(value)}`", path)
        if len(value) != len(items):
            raise _fail(f"Expected `array` of length {len(items)}, got {len(value)}", path)
        return tuple(
            item(element, f"{path}[{index}]")
            for index, (item, element) in enumerate(zip(items, value, strict=True))
        )

    return check


def _dict_check(item: PathCheck) -> PathCheck:
    def check(value: Any, path: str) -> Any:
        if not isinstance(value, dict):
            raise _fail(f"Expected `object`, got `{_kind(value)}`", path)
        # Keys are not named in the path (as msgspec does): a reason quotes no key, only
        # a value outside a Literal (docs/validation.md says why).
        checked = {}
        for key, element in value.items():
            if not isinstance(key, str):
                raise _fail(f"Expected `str`, got `{_kind(key)}`", f"{path}[...]")
            checked[key] = item(element, f"{path}[...]")
        return checked

    return check


def _typeddict_check(fields: Mapping[str, PathCheck], required: Mapping[str, bool]) -> PathCheck:
    def check(value: Any, path: str) -> Any:
        if not isinstance(value, dict):
            raise _fail(f"Expected `object`, got `{_kind(value)}`", path)
        checked = {}
        for name, field in fields.items():
            if name in value:
                checked[name] = field(value[name], f"{path}.{name}")
            elif required[name]:
                raise _fail(f"Object missing required field `{name}`", path)
        return checked

    return check


def _union_check(union: Any, members: list[WireForm], module: str | None) -> PathCheck:
    """Dispatches a value to the one member its JSON kind (and tag) selects.

    The protocol allows at most one list or tuple type, and one object type or several
    ``TypedDict``s with a tag, in a union (``pursocket.protocol`` refuses the rest),
    so a received value selects at most one member that is not a scalar.
    """
    arrays: list[PathCheck] = []
    objects: list[tuple[Any, PathCheck]] = []
    scalars: list[WireForm] = []
    for arg, member in zip(get_args(union), members, strict=True):
        resolved = resolved_member(arg, module)
        if is_array_type(resolved):
            arrays.append(member.check)
        elif typeddict_class(resolved) is not None or get_origin(resolved) is dict:
            objects.append((resolved, member.check))
        elif member.decodable is not Any:
            scalars.append(member)
        else:
            return _accept
    by_tag = _by_tag(objects)
    scalar_types = tuple(member.decodable for member in scalars)
    scalar_check = msgspec_check(Union[scalar_types]) if scalar_types else None  # noqa: UP007
    expected = " | ".join(
        ["object"] * bool(objects) + ["array"] * bool(arrays) + [_name(tp) for tp in scalar_types]
    )

    def check(value: Any, path: str) -> Any:
        if isinstance(value, dict) and objects:
            if by_tag is None:
                return objects[0][1](value, path)
            tag, checks = by_tag
            if tag not in value:
                raise _fail(f"Object missing required field `{tag}`", path)
            tag_value = value[tag]
            if isinstance(tag_value, (list, dict)):
                # Not a tag value, and not hashable: refused as msgspec refuses a wrong kind.
                kinds = " | ".join(sorted({_kind(known) for _, known in checks}))
                raise _fail(f"Expected `{kinds}`, got `{_kind(tag_value)}`", f"{path}.{tag}")
            selected = checks.get((type(tag_value), tag_value))
            if selected is None:
                raise _fail(f"Invalid enum value {value[tag]!r}", f"{path}.{tag}")
            return selected(value, path)
        if isinstance(value, (list, tuple)) and arrays:
            return arrays[0](value, path)
        if scalar_check is not None and not isinstance(value, (dict, list, tuple)):
            return scalar_check(value, path)
        raise _fail(f"Expected `{expected}`, got `{_kind(value)}`", path)

    return check


def _by_tag(
    objects: list[tuple[Any, PathCheck]],
) -> tuple[str, dict[tuple[type, Any], PathCheck]] | None:
    """The tag key and each tag value's member check, for several ``TypedDict``s."""
    if len(objects) < 2:
        return None
    tag = union_tag([tp for tp, _ in objects], "")
    if tag is None:
        return None
    checks: dict[tuple[type, Any], PathCheck] = {}
    for tp, member_check in objects:
        fields = typeddict_fields(tp, "")
        for value in tag_values(fields.get(tag), tag, typeddict_class(tp)) or ():
            # Keyed by type too: True == 1, but a bool tag is not an int tag.
            checks[(type(value), value)] = member_check
    return tag, checks


def _name(tp: Any) -> str:
    if tp is None or tp is type(None):
        return "null"
    if get_origin(tp) is Literal:
        return " | ".join(repr(arg) for arg in get_args(tp))
    return getattr(tp, "__name__", repr(tp))


#: annotated-types constraints, by class name, as the msgspec.Meta keyword they map to.
_CONSTRAINTS: Mapping[str, tuple[tuple[str, str], ...]] = {
    "Gt": (("gt", "gt"),),
    "Ge": (("ge", "ge"),),
    "Lt": (("lt", "lt"),),
    "Le": (("le", "le"),),
    "MultipleOf": (("multiple_of", "multiple_of"),),
    "MinLen": (("min_length", "min_length"),),
    "MaxLen": (("max_length", "max_length"),),
    "Len": (("min_length", "min_length"), ("max_length", "max_length")),
    "Interval": (("gt", "gt"), ("ge", "ge"), ("lt", "lt"), ("le", "le")),
}


def as_meta(metadata: Any) -> msgspec.Meta | None:
    """``msgspec.Meta`` as it is, an annotated-types constraint as ``msgspec.Meta``.

    Any other metadata means nothing on the wire and is ignored, as type checkers
    ignore it.
    """
    if isinstance(metadata, msgspec.Meta):
        return metadata
    if type(metadata).__module__.split(".")[0] != "annotated_types":
        return None
    keywords = _CONSTRAINTS.get(type(metadata).__name__)
    if keywords is None:
        return None
    values = {
        keyword: getattr(metadata, attribute)
        for attribute, keyword in keywords
        if getattr(metadata, attribute, None) is not None
    }
    return msgspec.Meta(**values) if values else None
