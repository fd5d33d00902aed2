"""``molkit reproduce``: run the numbered notebooks into ``reports/<run name>/`` as HTML."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

from molkit.data.flow_images import ENV as FLOW_IMAGES_ENV
from molkit.data.flow_images import read_flow_images
from molkit.profiles import PROFILES, get_profile
from molkit.run.notebooks import NOTEBOOKS, find_notebooks
from molkit.run.reproduce import INDEX_NAME, SENSITIVITY, reproduce


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--profile", choices=sorted(PROFILES), help="run size (default: $MOLKIT_PROFILE, else demo)"
    )
    parser.add_argument(
        "--dataset",
        help="the profile's (default), synthetic (the easy tier), twin (the twin of the real "
        "datasets), casme2, samm, smic or composite (MEGC 2019)",
    )
    parser.add_argument(
        "--data-root",
        help="the dataset's folder (a real copy, or a synthetic one to reuse); "
        "for composite, a folder holding the copies named casme2*, samm*, smic*",
    )
    parser.add_argument(
        "--classes", choices=["5", "3", "composite"], help="class set (default: the profile's)"
    )
    parser.add_argument(
        "--flow-images",
        metavar="DIR",
        help="the real MEGC 2019 composite's public onset->apex images (STSTNet's authors' 28x28 u, v, "
        f"strain PNGs): notebooks 02 and 05 add the baselines on them (default: ${FLOW_IMAGES_ENV})",
    )
    parser.add_argument("--protocol", default="fixed", choices=["fixed", "inner-val", "released"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda")
    parser.add_argument(
        "--notebooks",
        type=Path,
        default=NOTEBOOKS,
        help="folder of NN_*.ipynb (default: molkit's own, shipped in the package; "
        "molkit notebooks DIR copies them out to edit)",
    )
    parser.add_argument("--only", nargs="+", metavar="NN", help="run only these notebooks, e.g. --only 01 02")
    parser.add_argument("--reports", type=Path, default=Path("reports"), help="parent of the run folder")
    parser.add_argument("--name", help="run folder name (default: <profile>-<UTC time>)")
    parser.add_argument("--kernel", help="Jupyter kernel (default: the notebooks' own)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument(
        "--sensitivity",
        type=Path,
        default=SENSITIVITY,
        help="the easy tier's sensitivity-curve PNG for an easy-tier run's front page, when it exists "
        "(default: reports/benchmarks/sensitivity.png)",
    )


def run(args: argparse.Namespace) -> int:
    profile = get_profile(args.profile).name
    if args.data_root and not Path(args.data_root).is_dir():
        raise FileNotFoundError(f"{args.data_root}: no such data folder")
    flow_images = args.flow_images or os.environ.get(FLOW_IMAGES_ENV) or None
    if flow_images:
        read_flow_images(flow_images)  # a folder without them is one line now, not in notebook 02
    try:
        notebooks = find_notebooks(args.notebooks, args.only)
    except FileNotFoundError as err:
        print(f"molkit reproduce: {err}", file=sys.stderr)
        return 2
    name = args.name or f"{profile}-{dt.datetime.now(dt.timezone.utc):%Y%m%dT%H%M%SZ}"
    parameters = {
        "profile": profile,
        "dataset": args.dataset,
        "data_root": str(Path(args.data_root).resolve()) if args.data_root else None,
        "classes": args.classes,
        "protocol": args.protocol,
        "seed": args.seed,
        "device": args.device,
        "flow_images": str(Path(flow_images).resolve()) if flow_images else None,
    }
    record = reproduce(
        notebooks,
        args.reports / name,
        parameters,
        kernel=args.kernel,
        progress=not args.no_progress,
        on_result=lambda r: print(
            f"{r.name}: {r.status} in {r.seconds:.1f} s" + (f" ({r.error})" if r.error else "")
        ),
        sensitivity=args.sensitivity,
    )
    failed = [nb.name for nb in record.notebooks if nb.status != "ok"]
    index = (args.reports / name / INDEX_NAME).resolve()
    print(
        f"report: {index} ({record.seconds:.0f} s of notebooks"
        + (f"; failed: {', '.join(failed)})" if failed else ")")
    )
    return 1 if failed else 0
