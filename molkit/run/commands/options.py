"""Command-line options shared by ``molkit train`` and ``molkit loso``: data, run profile and the
training settings a user most often changes; everything else through ``--config FILE``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from molkit.data.flow_images import read_flow_images
from molkit.data.problems import summary_lines
from molkit.model import MOTIONS
from molkit.profiles import PROFILES
from molkit.run.configs import loso_config_from_profile
from molkit.train.config import BALANCE
from molkit.train.loso import Caches, LosoConfig, class_count
from molkit.train.protocols import PROTOCOLS


def add_run_arguments(parser: argparse.ArgumentParser, *, images: bool = False) -> None:
    """The shared options; ``images``: the data may instead be the public onset->apex images
    (``--flow-images DIR``, :mod:`molkit.data.flow_images`)."""
    data = parser.add_mutually_exclusive_group(required=True)
    data.add_argument(
        "--cache",
        action="append",
        metavar="[NAME=]DIR",
        help="prepared cache folder (the MEGC 2019 composite: one cache prepared "
        "with --dataset composite); repeat as NAME=DIR to pool several caches",
    )
    if images:
        data.add_argument(
            "--flow-images",
            type=Path,
            metavar="DIR",
            help="the real composite's public onset->apex images (STSTNet's 28x28 u, v, strain: "
            "a folder of <subject>_<sample> .png, or per subject <subject>/u_test/<label>/); "
            "for --model ststnet, offapexnet or linear, classes composite",
        )
    parser.add_argument("--out", required=True, type=Path, help="output folder")
    parser.add_argument("--config", type=Path, help="LosoConfig YAML/JSON to start from")
    parser.add_argument(
        "--profile",
        choices=sorted(PROFILES),
        help="size of the run (default: $MOLKIT_PROFILE, else demo); ignored with --config",
    )
    parser.add_argument("--protocol", choices=sorted(PROTOCOLS))
    parser.add_argument(
        "--classes", choices=["5", "3", "composite"], help="class set (default: the profile's)"
    )
    parser.add_argument("--steps", type=int)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--lr", type=float)
    parser.add_argument("--flow-width", type=float)
    parser.add_argument(
        "--motion",
        choices=MOTIONS,
        help="flow fed to MOL's stem beside each frame: none (as released), tvl1 (the cache's TV-L1) "
        "or truth (a synthetic cache's true flow); a departure from the paper (issue 35.4)",
    )
    parser.add_argument("--balance", choices=BALANCE)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--device", help="auto (default), cpu, cuda, cuda:1 ...")
    parser.add_argument(
        "--init",
        metavar="CHECKPOINT",
        help="start MOL from this checkpoint's weights instead of a random draw (weights only; "
        "its parameter names and shapes must match the model being built)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def caches_from_args(args: argparse.Namespace) -> Caches:
    """One folder, or ``{name: folder}`` when given as NAME=DIR; or the public onset->apex images
    read from ``--flow-images`` (their problems printed, grouped by kind, on stderr)."""
    if getattr(args, "flow_images", None) is not None:
        images = read_flow_images(args.flow_images)
        print(
            f"{args.flow_images}: {len(images)} onset->apex images ({images.layout} layout)", file=sys.stderr
        )
        for line in summary_lines(images.problems):
            print(line, file=sys.stderr)
        return images
    if len(args.cache) == 1 and "=" not in args.cache[0]:
        return Path(args.cache[0])
    pairs = [entry.split("=", 1) for entry in args.cache]
    if any(len(pair) != 2 for pair in pairs):
        raise SystemExit("--cache: with several caches, give each as NAME=DIR")
    return {name: Path(folder) for name, folder in pairs}


def config_from_args(args: argparse.Namespace) -> LosoConfig:
    """The profile's (or ``--config``'s) run with the options given on the command line."""
    config = (
        LosoConfig.load(args.config)
        if args.config
        else loso_config_from_profile(args.profile, classes=args.classes)
    )
    if args.classes and args.classes != config.classes:
        config = config.replace(
            classes=args.classes, model=config.model.replace(n_classes=class_count(args.classes))
        )
    train = {
        k: v
        for k, v in (
            ("steps", args.steps),
            ("batch_size", args.batch_size),
            ("lr", args.lr),
            ("balance", args.balance),
            ("seed", args.seed),
            ("device", args.device),
            ("init", args.init),
        )
        if v is not None
    }
    config = config.replace(train=config.train.replace(**train))
    model = {k: v for k, v in (("flow_width", args.flow_width), ("motion", args.motion)) if v is not None}
    config = config.replace(model=config.model.replace(**model))
    if args.protocol:
        config = config.replace(protocol=args.protocol)
    return config
