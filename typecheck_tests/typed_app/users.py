"""The per-connection state an app keeps with ``namespace("lobby", state=User)``."""

from __future__ import annotations


class User:
    """Who a lobby connection belongs to: what the lobby's connect handler returns."""

    def __init__(self, name: str) -> None:
        self.name = name


class Guest:
    """Another state type, for handlers that expect the wrong one."""
