"""What the mypy plugin costs: mypy with ``pursocket_mypy`` against mypy without it.

Run it with ``.venv/bin/python bench/mypy_scale.py`` (``--quick`` for a smoke run).

For each size it generates, in a temporary directory, a protocol of N namespaces x E
events (half client-to-server, half server-to-client; every third event a Call, each
event with its own payload TypedDict) and a module with M call sites spread over every
namespace and event: client ``emit``/``call``, server ``broadcast`` and connection
``emit``/``call``, each with a dict-literal payload. The same files are checked by
mypy (``--strict``) with the plugin on and with it off, each run with a cold cache
(a fresh cache directory), alternating plugin/no plugin so neither always runs
first. It prints the median and best wall time and CPU time (user + system, of the
mypy process) of each and their ratios; on a shared machine the CPU time is the
steadier of the two. Last, in-process runs with every plugin hook wrapped in a timer
give the time spent in the plugin's own code (the fastest of three): per call-site
hook, and once for checking the protocol where the Server and Client are created.

With the plugin off, payloads and responses are ``Any`` and nothing is looked up in
the protocol; with it on, every call site is resolved against the protocol and its
payload checked against the event's TypedDict. The goal is a ratio <= 1.3, growing
with the number of call sites and not with the size of the protocol.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _checker_scale import is_c2s, is_call, protocol_source, timed_run
from mypy import api
from pursocket_mypy.main import PursocketPlugin

#: (namespaces, events per namespace, call sites): the two sizes issue 3 asks for, the
#: big protocol with few calls, and both protocols with many calls, so that the cost of
#: a call site can be compared across protocol sizes.
SIZES = [(10, 10, 1_000), (50, 40, 1_000), (50, 40, 5_000), (10, 10, 20_000), (50, 40, 20_000)]
QUICK_SIZES = [(3, 4, 50)]


def calls_source(namespaces: int, events: int, calls: int) -> str:
    """A module with ``calls`` call sites, cycling through every namespace and event."""
    lines = [
        "from typing import Literal",
        "",
        "from pursocket import Client, Connection, Server",
        "",
        "from protocol import AppProtocol",
        "",
        "server = Server(AppProtocol)",
        "client = Client(AppProtocol)",
    ]
    for ns in range(namespaces):
        lines += [
            f'server_ns{ns} = server.namespace("ns{ns}")',
            f'client_ns{ns} = client.namespace("ns{ns}")',
        ]
    per_function = 50
    for start in range(0, calls, per_function):
        ns_of_function = (start // per_function) % namespaces
        lines += [
            "",
            "",
            f"async def sites{start}(",
            f'    conn: Connection[AppProtocol, Literal["ns{ns_of_function}"]],',
            ") -> None:",
        ]
        for site in range(start, min(start + per_function, calls)):
            index = site % events
            event = f"event{index}"
            payload = f'{{"seq": {site}, "text": "site {site}"}}'
            if is_c2s(index):
                ns = (site // events) % namespaces
                method = "call" if is_call(index) else "emit"
                lines.append(f'    await client_ns{ns}.{method}("{event}", {payload})')
            elif is_call(index):
                lines.append(f'    await conn.call("{event}", {payload})')
            elif site % 4 == 1:
                lines.append(f'    await conn.emit("{event}", {payload})')
            else:
                ns = (site // events) % namespaces
                lines.append(f'    await server_ns{ns}.broadcast("{event}", {payload})')
    return "\n".join(lines) + "\n"


def run_mypy(directory: Path, plugin: bool, run: int) -> tuple[float, float]:
    """One cold mypy run over the generated files: (wall seconds, CPU seconds)."""
    config = directory / ("with_plugin.ini" if plugin else "without_plugin.ini")
    cache = directory / f"cache-{'plugin' if plugin else 'plain'}-{run}"
    command = [
        sys.executable,
        "-m",
        "mypy",
        "--config-file",
        str(config),
        "--cache-dir",
        str(cache),
        "protocol.py",
        "calls.py",
    ]
    result, wall, cpu = timed_run(command, directory)
    # Both variants must type-check cleanly: the generated code is correct.
    if result.returncode != 0:
        raise SystemExit(
            f"mypy failed ({'with' if plugin else 'without'} plugin):\n{result.stdout}"
        )
    return wall, cpu


def check_plugin_is_active(directory: Path) -> None:
    """Make sure the timed runs had the plugin on: a misspelt event must be reported."""
    calls = directory / "calls.py"
    calls.write_text(
        calls.read_text()
        + '\n\nasync def typo() -> None:\n    await client_ns0.emit("evnt0", {})\n'
    )
    command = [sys.executable, "-m", "mypy", "--config-file", "with_plugin.ini", "calls.py"]
    result = subprocess.run(command, cwd=directory, capture_output=True, text=True)
    if "[pursocket-event]" not in result.stdout:
        raise SystemExit(f"the plugin did not report a misspelt event:\n{result.stdout}")


class HookTimes:
    """Time spent inside the plugin's own code during one in-process mypy run."""

    def __init__(self) -> None:
        #: The hooks of call sites (``emit``, ``call``, ``on``, ``namespace``, ...).
        self.call_sites = 0.0
        self.call_site_hooks = 0
        #: The protocol checks where a ``Server``/``Client`` is created.
        self.creations = 0.0


def hook_time(directory: Path) -> HookTimes:
    """The plugin's own time in one in-process run over the generated files.

    Every hook the plugin hands to mypy is wrapped in a timer; mypy itself is compiled,
    so this isolates the plugin's Python code from the checking it enables.
    """
    times = HookTimes()
    getters = ("get_method_signature_hook", "get_method_hook", "get_function_hook")
    originals = {name: getattr(PursocketPlugin, name) for name in getters}

    def timed(getter: Callable[[Any, str], Any], creation: bool) -> Callable[[Any, str], Any]:
        def get(plugin: Any, fullname: str) -> Any:
            hook = getter(plugin, fullname)
            if hook is None:
                return None

            def run(ctx: Any) -> Any:
                started = time.perf_counter()
                try:
                    return hook(ctx)
                finally:
                    elapsed = time.perf_counter() - started
                    if creation:
                        times.creations += elapsed
                    else:
                        times.call_sites += elapsed
                        times.call_site_hooks += 1

            return run

        return get

    for name, getter in originals.items():
        setattr(PursocketPlugin, name, timed(getter, name == "get_function_hook"))
    try:
        api.run(
            [
                "--config-file",
                str(directory / "with_plugin.ini"),
                "--cache-dir",
                os.devnull,
                str(directory / "protocol.py"),
                str(directory / "calls.py"),
            ]
        )
    finally:
        for name, getter in originals.items():
            setattr(PursocketPlugin, name, getter)
    return times


def measure(namespaces: int, events: int, calls: int, repeat: int) -> None:
    """Time ``repeat`` alternating cold runs of each variant and print the figures."""
    with tempfile.TemporaryDirectory(prefix="mypy-scale-") as name:
        directory = Path(name)
        (directory / "protocol.py").write_text(protocol_source(namespaces, events))
        (directory / "calls.py").write_text(calls_source(namespaces, events, calls))
        (directory / "with_plugin.ini").write_text(
            "[mypy]\nstrict = true\nplugins = pursocket_mypy\n"
        )
        (directory / "without_plugin.ini").write_text("[mypy]\nstrict = true\n")
        runs: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
        for run in range(repeat):
            # Alternate which variant goes first, so neither always runs on a warmer machine.
            order = (True, False) if run % 2 == 0 else (False, True)
            for plugin in order:
                runs[plugin].append(run_mypy(directory, plugin, run))
        # The least disturbed of three runs: other work on the machine only adds time.
        hooks = min((hook_time(directory) for _ in range(3)), key=lambda t: t.call_sites)
        check_plugin_is_active(directory)
    print(f"{namespaces} namespaces x {events} events, {calls:,} call sites:")
    for label, column in (("wall", 0), ("CPU", 1)):
        on = [times[column] for times in runs[True]]
        off = [times[column] for times in runs[False]]
        print(
            f"  {label:<4} plugin median {statistics.median(on):5.2f} s (best {min(on):5.2f})"
            f" | no plugin median {statistics.median(off):5.2f} s (best {min(off):5.2f})"
            f" | ratio median {statistics.median(on) / statistics.median(off):.3f}"
            f" (best {min(on) / min(off):.3f})",
            flush=True,
        )
    print(
        f"  inside the plugin: {hooks.call_sites:.3f} s in {hooks.call_site_hooks:,} "
        f"call-site hooks ({hooks.call_sites / hooks.call_site_hooks * 1e6:.1f} us each), "
        f"{hooks.creations:.3f} s checking the protocol where Server/Client are created",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7, help="cold runs of each variant")
    parser.add_argument("--quick", action="store_true", help="one small size, two runs")
    args = parser.parse_args()
    sizes, repeat = (QUICK_SIZES, 2) if args.quick else (SIZES, args.repeat)
    for namespaces, events, calls in sizes:
        measure(namespaces, events, calls, repeat)


if __name__ == "__main__":
    main()
