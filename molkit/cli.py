"""The ``molkit`` command. Each subcommand lives in the module that does its work.

A command module defines ``add_arguments(parser)`` and ``run(args) -> int`` (the exit status).
"""
from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS: dict[str, tuple[str, str]] = {
    "synth": ("molkit.synthetic.command", "write a synthetic micro-expression dataset"),
    "prepare": ("molkit.data.command", "prepare a dataset into a clip cache"),
    "train": ("molkit.train.commands.train", "train one LOSO fold (or all data)"),
    "loso": ("molkit.train.commands.loso", "run leave-one-subject-out training and evaluation"),
    "evaluate": ("molkit.train.commands.evaluate", "evaluate a checkpoint on a cache"),
    "predict": ("molkit.train.commands.predict", "predict class, flow and landmarks for frames or a video"),
    "reproduce": ("molkit.reports.command", "run the notebook pipeline with papermill into HTML reports"),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; only ``command``'s module is imported for its arguments, so listing the
    commands and running one of them loads nothing the others need."""
    parser = argparse.ArgumentParser(prog="molkit", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(_module=module)
        if name != command:
            continue
        try:
            importlib.import_module(module).add_arguments(p)
        except ModuleNotFoundError as err:
            if not err.name or not module.startswith(err.name):
                raise
            p.set_defaults(_missing=f"'molkit {name}' is not available yet ({module} is missing)")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(argv[0] if argv else None).parse_args(argv)
    if getattr(args, "_missing", None):
        print(args._missing, file=sys.stderr)
        return 2
    return int(importlib.import_module(args._module).run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
