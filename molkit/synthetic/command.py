"""``molkit synth``: write a synthetic micro-expression set: the easy tier laid out like CASME II,
or (``--twin``) a twin of CASME II, SAMM, SMIC-HS or the MEGC 2019 composite."""

from __future__ import annotations

import argparse
import time
from fractions import Fraction

import yaml

from molkit.profiles import get_profile
from molkit.synthetic.generate import SynthConfig, generate
from molkit.synthetic.twin import TWINS, TwinConfig, generate_twin


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, help="output folder (empty, or an earlier synthetic set)")
    parser.add_argument(
        "--twin",
        help=f"write the twin of a real dataset, one sample per coded sample ({', '.join(TWINS)})",
    )
    parser.add_argument(
        "--sheets", help="with --twin: build it from this folder of the owners' coding sheets"
    )
    parser.add_argument(
        "--datasets", nargs="+", help="with --twin: keep only these datasets' samples (e.g. casme2)"
    )
    parser.add_argument(
        "--twin-set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="with --twin: change one TwinConfig field (repeatable), e.g. au_extent=2 or noise_std=4",
    )
    parser.add_argument(
        "--subjects",
        type=int,
        help="number of subjects (default: the profile's); with --twin: keep the first N of each dataset",
    )
    parser.add_argument(
        "--samples-per-subject", type=int, help="samples per subject (default: the profile's)"
    )
    parser.add_argument("--frames", type=int, help="frames per sample (default: the profile's)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--difficulty",
        type=lambda text: float(Fraction(text)),
        help="divides the action units' displacement: 1 as subtle as CASME II, "
        "1/3 obvious (default: the profile's)",
    )
    parser.add_argument("--workers", type=int, default=0, help="processes (default 0: all cores)")
    parser.add_argument(
        "--profile", help="run profile giving the default size (default: $MOLKIT_PROFILE or demo)"
    )


def config_from_args(args: argparse.Namespace) -> SynthConfig:
    """The profile's size, overridden by whatever the command line gives."""
    profile = get_profile(args.profile)
    return SynthConfig(
        subjects=args.subjects or profile.synthetic_subjects,
        samples_per_subject=args.samples_per_subject or profile.synthetic_samples_per_subject,
        frames=args.frames or profile.synthetic_frames,
        seed=args.seed,
        difficulty=args.difficulty or profile.synthetic_difficulty,
    )


def twin_changes(items: list[str]) -> dict:
    """``KEY=VALUE`` items as TwinConfig changes (values read as YAML)."""
    changes = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--twin-set {item}: expected KEY=VALUE")
        changes[key.strip()] = yaml.safe_load(value)
    return changes


def twin_config(seed: int, changes: dict) -> TwinConfig:
    """TwinConfig at ``seed`` with ``changes`` (unknown keys and impossible values refused)."""
    config = TwinConfig.from_dict({**TwinConfig(seed=seed).to_dict(), **changes})
    config.validate()
    return config


def _run_twin(args: argparse.Namespace) -> int:
    if args.twin not in TWINS:
        raise ValueError(f"--twin {args.twin}: unknown twin; choose one of {', '.join(TWINS)}")
    report = generate_twin(
        args.out,
        args.twin,
        twin_config(args.seed, twin_changes(args.twin_set)),
        subjects=args.subjects,
        datasets=tuple(args.datasets) if args.datasets else None,
        sheets=args.sheets,
        workers=args.workers,
    )
    print(report.summary())
    return 0


def run(args: argparse.Namespace) -> int:
    if args.twin:
        return _run_twin(args)
    if args.sheets or args.datasets or args.twin_set:
        raise ValueError("--sheets, --datasets and --twin-set: only with --twin")
    config = config_from_args(args)
    start = time.perf_counter()
    out = generate(args.out, config, workers=args.workers)
    print(
        f"wrote {config.subjects} subjects x {config.samples_per_subject} samples x {config.frames} "
        f"frames to {out} in {time.perf_counter() - start:.1f} s"
    )
    return 0
