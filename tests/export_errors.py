"""Protocols that read fine but that an export cannot write (tests/test_exports.py)."""

from __future__ import annotations

from typing import TypedDict

from pursocket import Msg
from tests import export_protocol


class Point(TypedDict):
    name: str


class TwoPointsC2S(TypedDict):
    mine: Msg[Point]
    theirs: Msg[export_protocol.Point]


class TwoPointsNamespace(TypedDict):
    c2s: TwoPointsC2S


class TwoPoints(TypedDict):
    board: TwoPointsNamespace


class Record(TypedDict):
    text: str


class ShadowsRecordC2S(TypedDict):
    write: Msg[Record]


class ShadowsRecordNamespace(TypedDict):
    c2s: ShadowsRecordC2S


class ShadowsRecord(TypedDict):
    store: ShadowsRecordNamespace
