"""The runtime's protocol messages (``pursocket/_protocol_messages.py``), for the plugin.

The plugin words a malformed protocol exactly as ``read_protocol`` does by calling the
same functions. Importing ``pursocket`` would import python-socketio and the whole
runtime into mypy, so the one module, which imports nothing, is loaded from the
installed package's directory on its own.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import TYPE_CHECKING

_NAME = "pursocket_mypy._runtime_protocol_messages"

if TYPE_CHECKING:
    from pursocket import _protocol_messages as protocol_messages
else:

    def _load():
        loaded = sys.modules.get(_NAME)
        if loaded is not None:
            return loaded
        # find_spec of a top-level package locates it without running its __init__.
        package = importlib.util.find_spec("pursocket")
        if package is None or not package.submodule_search_locations:
            raise ImportError("pursocket_mypy needs the pursocket package installed beside it")
        path = Path(next(iter(package.submodule_search_locations))) / "_protocol_messages.py"
        spec = importlib.util.spec_from_file_location(_NAME, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[_NAME] = module
        spec.loader.exec_module(module)
        return module

    protocol_messages = _load()

__all__ = ["protocol_messages"]
