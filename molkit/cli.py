"""The ``molkit`` command. Each subcommand lives in the module that does its work.

A command module defines ``add_arguments(parser)`` and ``run(args) -> int`` (the exit status).
A user's mistake (a missing or unreadable file, not a video, not a checkpoint, a wrong dataset
layout: ``OSError``, ``ValueError``, ``LookupError``) ends the command with one line on stderr
naming the file and the problem, and exit status 2; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS: dict[str, tuple[str, str]] = {
    "synth": ("molkit.synthetic.command", "write a synthetic micro-expression dataset"),
    "prepare": ("molkit.data.command", "prepare a dataset into a clip cache"),
    "train": ("molkit.run.commands.train", "train one LOSO fold (or all data)"),
    "loso": ("molkit.run.commands.loso", "run leave-one-subject-out training and evaluation"),
    "evaluate": ("molkit.train.commands.evaluate", "evaluate a checkpoint on a cache"),
    "predict": ("molkit.train.commands.predict", "predict class, flow and landmarks for frames or a video"),
    "reproduce": (
        "molkit.run.commands.reproduce",
        "run the notebook pipeline with papermill into HTML reports",
    ),
    "notebooks": ("molkit.run.notebooks", "copy molkit's notebooks into a folder, to edit and reproduce"),
}
USER_ERRORS = (OSError, ValueError, LookupError)
USAGE_ERROR = 2
DEBUG_HELP = "on an error, show the Python traceback instead of one line"


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; only ``command``'s module is imported for its arguments, so listing the
    commands and running one of them loads nothing the others need."""
    parser = argparse.ArgumentParser(prog="molkit", description=__doc__.splitlines()[0])
    parser.add_argument("--debug", action="store_true", help=DEBUG_HELP)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(_module=module)
        if name != command:
            continue
        # SUPPRESS: without it here, the sub-parser's default would undo ``molkit --debug <command>``
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=DEBUG_HELP)
        try:
            importlib.import_module(module).add_arguments(p)
        except ModuleNotFoundError as err:
            if not err.name or not module.startswith(err.name):
                raise
            p.set_defaults(_missing=f"'molkit {name}' is not available yet ({module} is missing)")
    return parser


def one_line(error: BaseException) -> str:
    """The first line of an error's message (its type when it has none)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = next((a for a in argv if a in COMMANDS), None)
    args = build_parser(command).parse_args(argv)
    if getattr(args, "_missing", None):
        print(args._missing, file=sys.stderr)
        return USAGE_ERROR
    try:
        return int(importlib.import_module(args._module).run(args) or 0)
    except USER_ERRORS as err:
        if args.debug:
            raise
        print(f"molkit {args.command}: {one_line(err)}", file=sys.stderr)
        return USAGE_ERROR
    except SystemExit as stop:  # a command's own refusal, e.g. SystemExit("--cache: ...")
        if args.debug or not isinstance(stop.code, str):
            raise
        print(f"molkit {args.command}: {one_line(stop)}", file=sys.stderr)
        return USAGE_ERROR


if __name__ == "__main__":
    sys.exit(main())
