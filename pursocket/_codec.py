"""pursocket's Socket.IO packet codec: msgspec JSON, the same bytes on the wire.

python-socketio lets a server or a client bring its own ``Packet`` class
(``serializer=``); pursocket's is scoped to its own ``Server`` and ``Client`` and
leaves the rest of the process alone. It differs from python-socketio's default in
four ways, none of them visible to the peer:

* JSON is encoded and decoded with msgspec.
* An EVENT packet for a declared event is decoded and validated in one pass: the
  arguments are split as raw JSON and the payload is decoded straight into its
  declared type. ``Packet.checked`` says the payload was validated;
  ``Packet.rejection`` carries the validation error of a payload that is not valid.
* Anything that is not a well-formed Socket.IO packet raises :class:`MalformedPacket`
  (a ``ValueError``) with a one-line reason, so the caller can drop the connection
  without a traceback.
* Every JSON text goes through msgspec, whatever it contains: nothing the strict
  decoder refuses (``NaN``, ``Infinity``, ``1e999``, lone surrogates) can reach a
  handler by another route.
* Numbers of more than 100 digits are refused, as engineio's own JSON module does
  (parsing a huge integer costs time quadratic in its length), and values nested
  deeper than :data:`MAX_DEPTH` are refused or never produced. Both checks cost two
  C-speed scans of the text per packet; the exact (linear) analysis runs only for
  text that the scans cannot clear.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Collection, Mapping
from typing import Any

import msgspec
from socketio import packet as sio_packet

from pursocket.protocol import Direction
from pursocket.validation import EventValidators

__all__ = [
    "MAX_ATTACHMENTS",
    "MAX_DEPTH",
    "MalformedPacket",
    "PursocketPacket",
    "packet_class",
    "refuse_serializer",
    "utf8_length",
]

#: The most binary attachments one packet may announce; each is a separate message,
#: so an unbounded count would let a peer make the receiver buffer without end.
MAX_ATTACHMENTS = 1000
#: The deepest nesting of arrays and objects a payload, a response or an
#: acknowledgement may have (the event's argument array not counted). A deeper
#: payload is refused as ``invalid_payload``; pursocket refuses to send a deeper value.
MAX_DEPTH = 100
#: Acknowledgement ids are JavaScript numbers, exact up to 2**53 (16 digits).
_MAX_ID_DIGITS = 16

_TYPES = {str(code): code for code in range(len(sio_packet.packet_names))}
_BINARY_TYPES = (sio_packet.BINARY_EVENT, sio_packet.BINARY_ACK)
_EVENT_TYPES = (sio_packet.EVENT, sio_packet.BINARY_EVENT)
_ACK_TYPES = (sio_packet.ACK, sio_packet.BINARY_ACK)

_encoder = msgspec.json.Encoder()
_decode_any = msgspec.json.Decoder().decode
_decode_arguments = msgspec.json.Decoder(list[msgspec.Raw]).decode
#: engineio's limit on the digits of an integer; the time to parse one grows with
#: the square of its length.
_MAX_NUMBER_DIGITS = 100
_ASCII_DIGITS = frozenset("0123456789")
# Digit runs are found on bytes, where translate() and ``in`` are single linear C
# loops (a regular expression backtracks on runs just short of the limit).
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_DIGIT_RUN = b"0" * (_MAX_NUMBER_DIGITS + 1)
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))
# An opening bracket becomes 2 and a closing one 0: minus one, the step in depth.
_BRACKET_STEPS = bytes.maketrans(b"[]{}", b"\x02\x00\x02\x00")


#: How a message names what a JSON value decoded to.
_JSON_KINDS = {
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
}


class MalformedPacket(ValueError):
    """Input that is not a well-formed Socket.IO packet; the message says what is wrong."""


def utf8_length(text: str, at_least: int) -> int:
    """The length of ``text`` in UTF-8 bytes, exact when it exceeds ``at_least``.

    Encodes only text that could be that long (a character takes at most 4 bytes).
    """
    if len(text) * 4 <= at_least or text.isascii():
        return len(text)
    return len(text.encode("utf-8", "surrogatepass"))


def _outside_strings(text: str) -> str:
    """The JSON ``text`` with its string literals removed (exact for valid JSON)."""
    if '"' not in text:
        return text
    if "\\" in text:
        # Escapes occur only inside strings: drop escaped backslashes, then escaped
        # quotes, so that every quote left opens or closes a string.
        text = text.replace("\\\\", "").replace('\\"', "")
    return "".join(text.split('"')[::2])


def _has_huge_number(text: str) -> bool:
    """Whether the JSON ``text`` holds a number of more than 100 digits in a row."""
    if len(text) <= _MAX_NUMBER_DIGITS:
        return False
    if _LONG_DIGIT_RUN not in text.encode(errors="surrogatepass").translate(_DIGITS_AS_ZERO):
        return False
    # Rare: the digits may sit inside a string, where they are just text.
    return _LONG_DIGIT_RUN in _outside_strings(text).encode(errors="surrogatepass").translate(
        _DIGITS_AS_ZERO
    )


def _nests_deeper(text: str, limit: int) -> bool:
    """Whether the JSON ``text`` nests arrays and objects more than ``limit`` deep."""
    if text.count("[") + text.count("{") <= limit:
        return False
    steps = _outside_strings(text).encode(errors="surrogatepass").translate(None, _NOT_BRACKETS)
    depths = itertools.accumulate(
        map(operator.sub, steps.translate(_BRACKET_STEPS), itertools.repeat(1))
    )
    return max(depths, default=0) > limit


def _check_numbers(text: str) -> None:
    if _has_huge_number(text):
        raise MalformedPacket(f"the packet holds a number of more than {_MAX_NUMBER_DIGITS} digits")


def _loads(text: str, max_depth: int) -> Any:
    """Decode JSON text of at most ``max_depth`` levels and no number over 100 digits."""
    _check_numbers(text)
    if _nests_deeper(text, max_depth):
        raise MalformedPacket(f"the packet's data nests deeper than {MAX_DEPTH} levels")
    try:
        return _decode_any(text)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise MalformedPacket(f"the packet's data is not valid JSON: {exc}") from None
    except RecursionError:  # pragma: no cover (the depth check comes first)
        raise MalformedPacket("the packet's data is nested too deeply") from None


class PursocketPacket(sio_packet.Packet):  # type: ignore[misc]
    """A Socket.IO packet encoded and decoded by msgspec (see the module docstring).

    Subclassed once per ``Server``/``Client`` by :func:`packet_class`, which fills in
    the event tables.
    """

    data: Any
    #: Validators of the events this side receives, keyed by (namespace path, event).
    inbound: Mapping[tuple[str, str], EventValidators] = {}
    #: (namespace path, event) pairs whose payload type cannot hold ``bytes``, so an
    #: outgoing packet needs no search for binary data.
    text_only: Collection[tuple[str, str]] = frozenset()
    #: The most bytes the binary attachments of one packet may add up to (``None``:
    #: no limit). Each attachment is its own message, so without a total a peer
    #: could make the receiver buffer up to MAX_ATTACHMENTS messages per packet.
    max_attachment_bytes: int | None = None
    #: The most UTF-8 bytes the auth of a CONNECT packet may take (``None``: no limit).
    #: A larger auth is not decoded: the packet carries a ``rejection`` instead.
    max_auth_bytes: int | None = None
    #: Whether CONNECT packets carry a client's auth (the server's side): Socket.IO
    #: sends it as a JSON object, so anything else carries a ``rejection``, and a
    #: connection's ``auth`` is always a ``dict`` or ``None``.
    receives_auth: bool = False

    def __init__(
        self,
        packet_type: int = sio_packet.EVENT,
        data: Any = None,
        namespace: str | None = None,
        id: int | None = None,
        binary: bool | None = None,
        encoded_packet: Any = None,
    ) -> None:
        #: Whether ``data[1]`` was validated against the event's declared type.
        self.checked = False
        #: Why the payload is invalid, when decoding found it so; ``None`` otherwise.
        self.rejection: str | None = None
        self._attachment_bytes = 0
        if binary is None and data is None:
            binary = False  # a packet to decode, or one without data: nothing to search
        elif (
            binary is None
            and packet_type == sio_packet.EVENT
            and isinstance(data, list)
            and data
            and isinstance(data[0], str)
            and (namespace or "/", data[0]) in self.text_only
        ):
            binary = False
        super().__init__(packet_type, data, namespace, id, binary, encoded_packet)

    def encode(self) -> str | list[Any]:
        """The packet as text, followed by its binary attachments if it has any."""
        header = str(self.packet_type)
        data = self.data
        attachments: list[Any] | None = None
        if self.packet_type in _BINARY_TYPES:
            data, attachments = self.deconstruct_binary(data)
            header += f"{len(attachments)}-"
        if self.namespace is not None and self.namespace != "/":
            header += self.namespace + ","
        if self.id is not None:
            header += str(self.id)
        if data is not None:
            header += _encoder.encode(data).decode()
        if attachments is not None:
            return [header, *attachments]
        return header

    def decode(self, encoded_packet: Any) -> int:
        """Read a text packet into this object; return the number of attachments to wait for."""
        if not isinstance(encoded_packet, str):
            raise MalformedPacket("a binary frame arrived where a text packet was expected")
        text = encoded_packet
        packet_type = _TYPES.get(text[:1])
        if packet_type is None:
            raise MalformedPacket(f"unknown packet type {text[:1]!r}")
        self.packet_type = packet_type
        self.namespace = None
        self.data = None
        pos = 1
        attachments = 0
        if packet_type in _BINARY_TYPES:
            dash = text.find("-", pos)
            count = text[pos:dash] if dash > pos else ""
            if (
                not count
                or not set(count) <= _ASCII_DIGITS
                or not 0 < int(count) <= MAX_ATTACHMENTS
            ):
                raise MalformedPacket(
                    f"a binary packet must announce 1 to {MAX_ATTACHMENTS} attachments"
                )
            attachments = int(count)
            pos = dash + 1
        if text[pos : pos + 1] == "/":
            comma = text.find(",", pos)
            end = len(text) if comma == -1 else comma
            self.namespace = text[pos:end].split("?", 1)[0]
            pos = end + 1
        digits = pos
        while digits < len(text) and text[digits] in _ASCII_DIGITS:
            digits += 1
        if digits > pos:
            if digits - pos > _MAX_ID_DIGITS:
                raise MalformedPacket(f"an ack id has at most {_MAX_ID_DIGITS} digits")
            self.id = int(text[pos:digits])
            pos = digits
        body = text[pos:]
        if packet_type in _EVENT_TYPES:
            self._decode_event(body, typed=packet_type == sio_packet.EVENT)
        elif packet_type in _ACK_TYPES:
            # The acknowledgement's arguments are an array: one level more.
            self.data = _loads(body, MAX_DEPTH + 1) if body else []
            if not isinstance(self.data, list):
                raise MalformedPacket("an ACK packet's data must be a JSON array")
        elif (
            packet_type == sio_packet.CONNECT
            and self.max_auth_bytes is not None
            and utf8_length(body, self.max_auth_bytes) > self.max_auth_bytes
        ):
            self.rejection = (
                f"the connect auth is more than {self.max_auth_bytes} bytes of JSON, the most "
                "this server accepts (Server(max_auth_bytes=...))"
            )
        elif body:
            self.data = _loads(body, MAX_DEPTH)
            if (
                packet_type == sio_packet.CONNECT
                and self.receives_auth
                and not isinstance(self.data, (dict, type(None)))
            ):
                self.rejection = (
                    f"the connect auth must be a JSON object (or nothing), not "
                    f"{_JSON_KINDS.get(type(self.data), 'a value of another kind')}"
                )
                self.data = None
        return attachments

    def _decode_event(self, body: str, *, typed: bool) -> None:
        _check_numbers(body)
        try:
            arguments = _decode_arguments(body)
            if not arguments:
                raise MalformedPacket("an EVENT packet must start with the event name")
            event = _decode_any(arguments[0])
        except msgspec.ValidationError:
            raise MalformedPacket("an EVENT packet's data must be a JSON array") from None
        except (msgspec.DecodeError, RecursionError) as exc:
            raise MalformedPacket(f"the packet's data is not valid JSON: {exc}") from None
        if not isinstance(event, str):
            self.data = [event]  # refused as an unknown event, its arguments unread
            return
        validators = self.inbound.get((self.namespace or "/", event))
        if typed and validators is not None and validators.payload_json is not None:
            # The declared type bounds the depth (msgspec's own guard a recursive one's).
            if len(arguments) != 2:
                self.data = [event]
                self.rejection = f"expected exactly 1 argument, got {len(arguments) - 1}"
                return
            try:
                self.data = [event, validators.payload_json.decode(arguments[1])]
                self.checked = True
            except msgspec.ValidationError as exc:
                self.data = [event]
                self.rejection = str(exc)
            except RecursionError:
                raise MalformedPacket("the packet's data is nested too deeply") from None
            return
        if _nests_deeper(body, MAX_DEPTH + 1):  # the argument array is one level
            self.data = [event]
            self.rejection = f"the payload nests deeper than {MAX_DEPTH} levels"
            return
        self.data = [event, *(_decode_any(argument) for argument in arguments[1:])]

    @property
    def attachment_bytes(self) -> int:
        """The bytes of the binary attachments received so far."""
        return self._attachment_bytes

    def add_attachment(self, attachment: Any) -> bool:
        """Take the next binary attachment; ``True`` once the packet is complete."""
        if not isinstance(attachment, bytes):
            raise MalformedPacket("a text packet arrived while binary attachments were due")
        if len(self.attachments) >= self.attachment_count:
            raise MalformedPacket("more binary attachments arrived than the packet announced")
        self.attachments.append(attachment)
        self._attachment_bytes += len(attachment)
        limit = self.max_attachment_bytes
        if limit is not None and self._attachment_bytes > limit:
            raise MalformedPacket(f"the binary attachments of one packet exceed {limit} bytes")
        if len(self.attachments) < self.attachment_count:
            return False
        self.data = _fill_placeholders(self.data, self.attachments)
        return True

    @classmethod
    def data_is_binary(cls, data: Any) -> bool:
        """Whether ``data`` holds ``bytes`` anywhere (stops at the first it finds).

        Raises ``ValueError`` if ``data`` nests deeper than :data:`MAX_DEPTH` (plus
        the packet's argument array), so that nothing deeper is ever sent.
        """
        pending = [(data, 0)]
        while pending:
            value, depth = pending.pop()
            if isinstance(value, (bytes, bytearray)):
                return True
            if isinstance(value, dict):
                value = value.values()
            elif not isinstance(value, (list, tuple)):
                continue
            if depth > MAX_DEPTH:
                raise ValueError(f"the value nests deeper than {MAX_DEPTH} levels")
            pending.extend((item, depth + 1) for item in value)
        return False


def _fill_placeholders(data: Any, attachments: list[bytes]) -> Any:
    if isinstance(data, list):
        return [_fill_placeholders(item, attachments) for item in data]
    if isinstance(data, dict):
        if data.get("_placeholder") is True and "num" in data:
            num = data["num"]
            if type(num) is not int or not 0 <= num < len(attachments):
                raise MalformedPacket(
                    f"a binary placeholder points at attachment {num!r}, "
                    f"but the packet has {len(attachments)}"
                )
            return attachments[num]
        return {key: _fill_placeholders(value, attachments) for key, value in data.items()}
    return data


def packet_class(
    validators: Mapping[tuple[str, Direction, str], EventValidators],
    receives: Direction,
    max_attachment_bytes: int | None,
    max_auth_bytes: int | None = None,
) -> type[PursocketPacket]:
    """A :class:`PursocketPacket` subclass for the side that receives ``receives`` events."""
    inbound = {
        (path, event): checks
        for (path, direction, event), checks in validators.items()
        if direction is receives
    }
    text_only = frozenset(
        (path, event)
        for (path, direction, event), checks in validators.items()
        if direction is not receives and not checks.payload_may_be_binary
    )
    return type(
        "BoundPursocketPacket",
        (PursocketPacket,),
        {
            "inbound": inbound,
            "text_only": text_only,
            "max_attachment_bytes": max_attachment_bytes,
            "max_auth_bytes": max_auth_bytes,
            "receives_auth": receives is Direction.C2S,
        },
    )


def refuse_serializer(options: Mapping[str, Any]) -> None:
    """Raise ``TypeError`` if python-socketio options try to replace pursocket's codec."""
    if "serializer" in options or "json" in options:
        raise TypeError(
            "pursocket encodes and validates packets with its own codec; the serializer= "
            "and json= options of python-socketio cannot be used with it"
        )
