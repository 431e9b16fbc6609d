"""The ``pursocket`` command line: ``pursocket check`` and ``pursocket export``.

``MODULE:NAME`` is imported like uvicorn's ``module:app``: from the current directory
and ``sys.path``. Errors are printed for humans, without a traceback unless
``--traceback`` is given. Exit codes:

- ``0``: done (``check``: the protocol is valid; ``export --check``: the file, and the
  file a format writes beside it, are up to date);
- ``1``: the protocol is malformed, a type has no form in the export format, the
  module raised an exception while being imported, or ``--check`` found a difference;
- ``2``: the command line is wrong: bad arguments, a ``MODULE:NAME`` that is not of that
  form, a module that cannot be found, a name the module does not define.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from typing_extensions import is_typeddict

from pursocket.errors import ProtocolError
from pursocket.exports import FORMATS, ExportError, ExportOptions
from pursocket.protocol import Direction, ProtocolModel, read_protocol

__all__ = ["main", "run"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class _CommandError(Exception):
    """An error to print as ``pursocket: error: ...`` and exit with ``exit_code``."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except (_CommandError, ProtocolError, ExportError) as exc:
        if args.traceback:
            raise
        exit_code = exc.exit_code if isinstance(exc, _CommandError) else EXIT_FAILED
        print(f"pursocket: error: {exc}", file=sys.stderr)
        return exit_code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pursocket",
        description="Check a pursocket protocol, or export it for other languages and tools.",
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    check = commands.add_parser(
        "check",
        help="read a protocol and report whether it is valid",
        description="Read MODULE:NAME as a protocol. Exit 0 when it is valid, "
        "1 with the ProtocolError text when it is not.",
    )
    _add_target(check)
    check.set_defaults(run=_check)

    export = commands.add_parser(
        "export",
        help="write the protocol in another format",
        description="Write MODULE:NAME in FORMAT, to standard output or to -o FILE. "
        "The output is deterministic: the same protocol gives the same bytes.",
        epilog="formats:\n"
        + "".join(f"  {name:<12}{fmt.summary}\n" for name, fmt in sorted(FORMATS.items())),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    export.add_argument("format", metavar="FORMAT", choices=sorted(FORMATS), help="the format")
    _add_target(export)
    export.add_argument("-o", "--output", metavar="FILE", type=Path, help="write to FILE")
    export.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 and print a unified diff when FILE differs "
        "from what export would write now",
    )
    export.add_argument(
        "--title",
        help=f"the document's title, for {_formats_reading('title')} "
        "(default: the protocol's name)",
    )
    export.add_argument(
        "--api-version",
        metavar="VERSION",
        help=f"the API's version, for {_formats_reading('api_version')} (default: 0.0.0)",
    )
    export.set_defaults(run=_export)
    return parser


def _formats_reading(option: str) -> str:
    return ", ".join(name for name, fmt in sorted(FORMATS.items()) if option in fmt.reads)


def _add_target(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "target",
        metavar="MODULE:NAME",
        help="the protocol TypedDict, e.g. myapp.protocol:AppProtocol "
        "(imported from the current directory and sys.path)",
    )
    parser.add_argument(
        "--traceback", action="store_true", help="show the Python traceback of an error"
    )


def _check(args: argparse.Namespace) -> int:
    model = _load_protocol(args.target, traceback=args.traceback)
    print(f"{args.target}: {_summary(model)}")
    return EXIT_OK


def _summary(model: ProtocolModel) -> str:
    events = sum(
        len(ns.events(direction)) for ns in model.namespaces.values() for direction in Direction
    )
    namespaces = len(model.namespaces)
    return (
        f"protocol {model.name} is valid: {namespaces} namespace{'s' * (namespaces != 1)}, "
        f"{events} event{'s' * (events != 1)}"
    )


def _export(args: argparse.Namespace) -> int:
    if args.check and args.output is None:
        raise _CommandError("--check compares with a file: give it as -o FILE", EXIT_USAGE)
    export_format = FORMATS[args.format]
    for option, flag in (("title", "--title"), ("api_version", "--api-version")):
        if getattr(args, option) is not None and option not in export_format.reads:
            raise _CommandError(
                f"{flag} does not apply to the {args.format} format; it applies to "
                f"{_formats_reading(option)}",
                EXIT_USAGE,
            )
    companion = export_format.companion
    output: Path | None = args.output
    if companion is not None and (output is None or output.suffix != companion.main_suffix):
        example = f"FILE{companion.main_suffix}"
        raise _CommandError(
            f"the {args.format} format writes two files, {example} and "
            f"{companion.path(Path(example))} beside it: give -o {example}",
            EXIT_USAGE,
        )
    model = _load_protocol(args.target, traceback=args.traceback)
    options = ExportOptions(output=output, title=args.title, api_version=args.api_version)
    text = export_format.render(model, options)
    if output is None:
        sys.stdout.write(text)
        return EXIT_OK
    files = {output: text}
    if companion is not None:
        files[companion.path(output)] = companion.render(model, options)
    if args.check:
        outcomes = [_compare(path, expected, args) for path, expected in files.items()]
        return max(outcomes)
    for path, written in files.items():
        try:
            path.write_bytes(written.encode("utf-8"))
        except OSError as exc:
            raise _CommandError(f"cannot write {path}: {exc.strerror}", EXIT_FAILED) from exc
    return EXIT_OK


def _compare(path: Path, expected: str, args: argparse.Namespace) -> int:
    """Compare the file ``path`` with the ``expected`` text: print a diff when they differ."""
    command = f"pursocket export {args.format} {args.target} -o {args.output}"
    try:
        current = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise _CommandError(
            f"{path} does not exist; write it with: {command}", EXIT_FAILED
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _CommandError(f"cannot read {path}: {exc}", EXIT_FAILED) from exc
    if current == expected:
        print(f"{path} is up to date", file=sys.stderr)
        return EXIT_OK
    diff = difflib.unified_diff(
        current.splitlines(keepends=True),
        expected.splitlines(keepends=True),
        fromfile=f"{path} (on disk)",
        tofile=f"{path} (exported now)",
    )
    sys.stdout.writelines(line if line.endswith("\n") else line + "\n" for line in diff)
    print(
        f"pursocket: {path} is not what export writes for {args.target} now; "
        f"update it with: {command}",
        file=sys.stderr,
    )
    return EXIT_FAILED


def _load_protocol(target: str, *, traceback: bool) -> ProtocolModel:
    """The protocol ``MODULE:NAME`` names, read by ``read_protocol``."""
    obj = _load(target, traceback=traceback)
    if not is_typeddict(obj):
        if isinstance(obj, type):
            what = f"the class {obj.__name__}"
        else:
            kind = type(obj).__name__
            what = f"{'an' if kind[:1].lower() in 'aeiou' else 'a'} {kind}"
        raise _CommandError(
            f"{target} is {what}, not a protocol: a protocol is a TypedDict "
            f"of namespaces (namespace -> c2s/s2c -> event -> Msg[T] or Call[Req, Res])",
            EXIT_FAILED,
        )
    return read_protocol(obj)


def _load(target: str, *, traceback: bool) -> Any:
    """The object ``MODULE:NAME`` names, imported from the current directory and sys.path."""
    module_name, colon, attribute = target.partition(":")
    if not colon or not module_name or not attribute:
        raise _CommandError(
            f'"{target}" is not of the form MODULE:NAME (for example myapp.protocol:AppProtocol)',
            EXIT_USAGE,
        )
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if traceback or exc.name is None or not _names_target(exc.name, module_name):
            if traceback:
                raise
            raise _import_failed(module_name, exc) from exc
        raise _CommandError(
            f'cannot import module "{module_name}": no module named "{exc.name}" in the '
            f"current directory ({os.getcwd()}) or on sys.path",
            EXIT_USAGE,
        ) from exc
    except Exception as exc:
        if traceback:
            raise
        raise _import_failed(module_name, exc) from exc
    obj: Any = module
    for part in attribute.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            defined = sorted(name for name, value in vars(module).items() if is_typeddict(value))
            hint = f"; TypedDicts it defines: {', '.join(defined)}" if defined else ""
            raise _CommandError(
                f'module "{module_name}" has no attribute "{attribute}"{hint}', EXIT_USAGE
            ) from None
    return obj


def _names_target(missing: str, module_name: str) -> bool:
    """Whether the missing module is the target or one of its parent packages."""
    return module_name == missing or module_name.startswith(missing + ".")


def _import_failed(module_name: str, exc: BaseException) -> _CommandError:
    return _CommandError(
        f'importing module "{module_name}" raised {type(exc).__name__}: {exc} '
        f"(run with --traceback to see where)",
        EXIT_FAILED,
    )


def run() -> NoReturn:
    """The console script: run :func:`main` and exit with its code."""
    sys.exit(main())
