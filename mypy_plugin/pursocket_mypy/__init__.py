"""The pursocket mypy plugin: enable it with ``plugins = ["pursocket_mypy"]``."""

from pursocket_mypy.main import plugin

__all__ = ["plugin"]
