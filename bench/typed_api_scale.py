"""What the generated typed API costs a type checker: pyright and mypy (no plugin).

Run it with ``.venv/bin/python bench/typed_api_scale.py`` (``--quick`` for a smoke run;
``--calls 0`` for what reading the generated module costs before any call site).

It writes, in a temporary directory, a protocol of N namespaces x E events (half
client-to-server, half server-to-client; every third event a Call; each event with its
own payload TypedDict), its typed API (``pursocket export python``: the module and its
stub), and two modules with the same M call sites spread over every namespace and event:

* ``with_api.py`` calls the generated API: client ``emit``/``call`` and connection
  ``emit``/``call``, each with a dict-literal payload;
* ``floor.py`` makes the same calls to plain functions typed directly with the event's
  payload and result (``async def ns3_event4(payload: Ns3Event4) -> bool``): what a
  checker needs at least to check those call sites, with no overloads at all.

pyright and mypy (``--strict``, no plugin, a fresh cache each run) check each module,
alternating so that neither always runs first; it prints the median wall and CPU time
(user + system, of the checker's processes) of each, and their ratio (goal: <= 2); on a
shared machine the CPU time is the steadier. Last, the time to import the generated module at run time
(the protocol and pursocket already imported), the best of several fresh interpreters.

``--instructions`` instead counts the instructions mypy executes on each module (fresh
cache, one run each, under valgrind's cachegrind, about 20 times slower): a figure that
is the same on every run however busy the machine, for comparing two versions of the
generator. It needs valgrind (``apt-get install valgrind``); pyright, a JIT-compiled
Node program, is left out.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _checker_scale import is_c2s, is_call, protocol_source, timed_run

ROOT = Path(__file__).resolve().parent.parent
PYRIGHT = ROOT / "node_modules" / "pyright" / "index.js"

SIZE = (50, 40, 5_000)
QUICK_SIZE = (3, 4, 40)


def sites(namespaces: int, events: int, calls: int) -> list[tuple[int, int, int]]:
    """(namespace, event, site number) of every call site."""
    return [(site % namespaces, (site // namespaces) % events, site) for site in range(calls)]


def with_api_source(namespaces: int, events: int, calls: int) -> str:
    lines = ["from scale_app import protocol_api as api", "", "client = api.Client()"]
    lines += [f'client_ns{ns} = client.namespace("ns{ns}")' for ns in range(namespaces)]
    for ns in range(namespaces):
        lines += ["", "", f"async def server_ns{ns}(conn: api.Ns{ns}Connection) -> None:"]
        lines += _bodies(ns, events, calls, namespaces, api=True, side="server")
        lines += ["", "", f"async def client_ns{ns}_sites() -> None:"]
        lines += _bodies(ns, events, calls, namespaces, api=True, side="client")
    return "\n".join(lines) + "\n"


def floor_source(namespaces: int, events: int, calls: int) -> str:
    lines = ["from scale_app.protocol import *  # noqa: F403", ""]
    for ns in range(namespaces):
        for index in range(events):
            result = "bool" if is_call(index) else "None"
            lines += [
                f"async def ns{ns}_event{index}(payload: Ns{ns}Event{index}) -> {result}:",
                f"    return {'True' if is_call(index) else 'None'}",
                "",
            ]
    for ns in range(namespaces):
        lines += ["", f"async def server_ns{ns}() -> None:"]
        lines += _bodies(ns, events, calls, namespaces, api=False, side="server")
        lines += ["", "", f"async def client_ns{ns}_sites() -> None:"]
        lines += _bodies(ns, events, calls, namespaces, api=False, side="client")
    return "\n".join(lines) + "\n"


def _bodies(
    ns: int, events: int, calls: int, namespaces: int, *, api: bool, side: str
) -> list[str]:
    body = ["    pass"]
    for site_ns, index, site in sites(namespaces, events, calls):
        if site_ns != ns or (side == "client") != is_c2s(index):
            continue
        payload = f'{{"seq": {site}, "text": "site {site}"}}'
        event = f"event{index}"
        if not api:
            call = f"ns{ns}_{event}({payload})"
        else:
            method = "call" if is_call(index) else "emit"
            receiver = f"client_ns{ns}" if side == "client" else "conn"
            call = f'{receiver}.{method}("{event}", {payload})'
        body.append(f"    ok{site} = await {call}" if is_call(index) else f"    await {call}")
        if is_call(index):
            body.append(f"    assert ok{site} is True or ok{site} is False")
    return body


def write_app(directory: Path, namespaces: int, events: int, calls: int) -> None:
    package = directory / "scale_app"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "protocol.py").write_text(protocol_source(namespaces, events))
    sys.path.insert(0, str(directory))
    from pursocket import read_protocol
    from pursocket.exports.python_api import render_python_api

    protocol = importlib.import_module("scale_app.protocol")
    api = render_python_api(read_protocol(protocol.AppProtocol))
    (package / "protocol_api.py").write_text(api.module)
    (package / "protocol_api.pyi").write_text(api.stub)
    (package / "with_api.py").write_text(with_api_source(namespaces, events, calls))
    (package / "floor.py").write_text(floor_source(namespaces, events, calls))
    (directory / "mypy.ini").write_text("[mypy]\nstrict = True\n")
    (directory / "pyrightconfig.json").write_text(json.dumps({"typeCheckingMode": "strict"}))


def mypy_command(module: str, cache: Path) -> list[str]:
    """mypy (strict, no plugin) over ``module`` with the cache in ``cache``."""
    command = [sys.executable, "-m", "mypy", "--config-file", "mypy.ini"]
    return [*command, "--cache-dir", str(cache), f"scale_app/{module}.py"]


def run_checker(directory: Path, checker: str, module: str, run: int) -> tuple[float, float]:
    """(wall, CPU) seconds of one checker run over ``module``; it must check clean."""
    target = f"scale_app/{module}.py"
    if checker == "pyright":
        command = ["node", str(PYRIGHT), "--pythonpath", sys.executable, target]
    else:
        command = mypy_command(module, directory / f"cache-{module}-{run}")
    result, elapsed, cpu = timed_run(command, directory)
    if result.returncode != 0:
        raise SystemExit(f"{checker} found errors in {target}:\n{result.stdout}{result.stderr}")
    return elapsed, cpu


def mypy_instructions(directory: Path, module: str) -> int:
    """Instructions mypy executes checking ``module`` with a fresh cache (cachegrind)."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise SystemExit("--instructions needs valgrind: apt-get install valgrind")
    command = [valgrind, "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null"]
    command += mypy_command(module, directory / f"cache-{module}-counted")
    # A fixed hash seed makes every run execute the same instructions.
    environment = {**os.environ, "PYTHONHASHSEED": "0"}
    result = subprocess.run(command, cwd=directory, env=environment, capture_output=True, text=True)
    counted = re.search(r"I\s+refs:\s+([\d,]+)", result.stderr)
    if result.returncode != 0 or counted is None:
        raise SystemExit(
            f"mypy under cachegrind failed on {module}:\n{result.stdout}{result.stderr}"
        )
    return int(counted[1].replace(",", ""))


def import_time(directory: Path, tries: int, *, cached: bool) -> float:
    """Best time to import the generated module in a fresh interpreter, in seconds.

    ``cached``: from its ``__pycache__`` bytecode, as Python imports it after the first
    time; otherwise compiled from source each time (``PYTHONDONTWRITEBYTECODE``, or the
    first import).
    """
    environment = dict(os.environ)
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    if not cached:
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
        shutil.rmtree(directory / "scale_app" / "__pycache__", ignore_errors=True)
    code = (
        "import time, pursocket, scale_app.protocol\n"
        "started = time.perf_counter()\n"
        "import scale_app.protocol_api\n"
        "print(time.perf_counter() - started)\n"
    )
    times = []
    for _ in range(tries):
        result = subprocess.run(
            [sys.executable, "-c", code],
            cwd=directory,
            env=environment,
            capture_output=True,
            text=True,
            check=True,
        )
        times.append(float(result.stdout))
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each checker and module")
    parser.add_argument("--quick", action="store_true", help="a small protocol, one run")
    parser.add_argument("--import-only", action="store_true", help="only the import time")
    parser.add_argument("--calls", type=int, help="call sites instead of the default 5,000")
    parser.add_argument(
        "--instructions", action="store_true", help="only mypy's instruction counts (valgrind)"
    )
    args = parser.parse_args()
    namespaces, events, calls = QUICK_SIZE if args.quick else SIZE
    if args.calls is not None:
        calls = args.calls
    repeat = 1 if args.quick else args.repeat
    with tempfile.TemporaryDirectory(prefix="typed-api-scale-") as tmp:
        directory = Path(tmp)
        write_app(directory, namespaces, events, calls)
        stub_lines = len((directory / "scale_app" / "protocol_api.pyi").read_text().splitlines())
        print(
            f"protocol: {namespaces} namespaces x {events} events, {calls} call sites; "
            f"generated stub: {stub_lines} lines"
        )
        if args.instructions:
            counts = {
                module: mypy_instructions(directory, module) for module in ("with_api", "floor")
            }
            print(
                f"mypy     instructions generated API {counts['with_api'] / 1e9:6.2f} G   plain "
                f"typed functions {counts['floor'] / 1e9:6.2f} G   "
                f"ratio {counts['with_api'] / counts['floor']:4.2f}"
            )
            return
        for checker in () if args.import_only else ("pyright", "mypy"):
            walls: dict[str, list[float]] = {"with_api": [], "floor": []}
            cpus: dict[str, list[float]] = {"with_api": [], "floor": []}
            for run in range(repeat):
                order = ("with_api", "floor") if run % 2 == 0 else ("floor", "with_api")
                for module in order:
                    wall, cpu = run_checker(directory, checker, module, run)
                    walls[module].append(wall)
                    cpus[module].append(cpu)
            for label, times in (("wall", walls), ("CPU ", cpus)):
                api_median = statistics.median(times["with_api"])
                floor_median = statistics.median(times["floor"])
                print(
                    f"{checker:8} {label} generated API {api_median:6.2f} s   plain typed "
                    f"functions {floor_median:6.2f} s   ratio {api_median / floor_median:4.2f}   "
                    f"(median of {repeat})"
                )
        tries = 3 if args.quick else 10
        import_time(directory, 1, cached=True)  # writes the bytecode
        cached = import_time(directory, tries, cached=True)
        compiled = import_time(directory, tries, cached=False)
        print(
            f"import of the generated module: {cached * 1000:.1f} ms from its cached bytecode, "
            f"{compiled * 1000:.1f} ms compiled from source (best of {tries} fresh interpreters)"
        )


if __name__ == "__main__":
    main()
