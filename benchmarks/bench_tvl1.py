"""TV-L1's stopping threshold: time per frame pair and end-point error against the true flow, for
the released threshold (OpenCV's default, 0.01) and looser ones (the ``smoke`` profile's draft,
0.05), measured side by side on the same aligned 144 px pairs, one OpenCV thread.

The pairs are those a cache holds (consecutive clip frames, aligned as the kit's recipe aligns
them) of two data with exact truth: the easy tier at difficulty 1 (CASME II-like movements) and
the CASME II twin (head motion, blinks, overlapping action units). Zero flow's error is the
floor a flow must beat. Writes reports/benchmarks/tvl1.md.

    .venv/bin/python benchmarks/bench_tvl1.py [--pairs 60 --repeats 3]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import torch

from molkit.data import PrepSettings, cache, prepare, read_videos
from molkit.data.tvl1 import DRAFT_EPSILON, EPSILON, end_point_error, tvl1
from molkit.synthetic import generate
from molkit.synthetic.twin import TwinConfig, generate_twin
from molkit.train.recipes import prep_changes

REPORT = Path(__file__).resolve().parents[1] / "reports" / "benchmarks" / "tvl1.md"
THRESHOLDS = (EPSILON, 0.02, 0.03, DRAFT_EPSILON)


def pairs_of(cache_dir: Path, count: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(first, second, true flow [H, W, 2]) of the cache's clip-frame pairs, spread over its videos."""
    found = []
    for file in read_videos(cache_dir).file:
        data = cache.load_tensors(cache_dir / file)
        frames, step = data["frames"].numpy(), int(data["stride"])
        truth = data["true_flow"].permute(0, 2, 3, 1).numpy()
        found += [(frames[t], frames[t + step], truth[t]) for t in range(len(truth))]
    return found[:: max(1, len(found) // count)][:count]


def measure(pairs, epsilon: float, repeats: int) -> tuple[float, float]:
    """(median seconds per pair over ``repeats`` passes, mean EPE against the true flow)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        flows = [tvl1(a, b, epsilon=epsilon) for a, b, _ in pairs]
        times.append((time.perf_counter() - start) / len(pairs))
    errors = [end_point_error(f, truth) for f, (_, _, truth) in zip(flows, pairs)]
    return statistics.median(times), float(np.mean(errors))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=60, help="pairs per data")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    cv2.setNumThreads(1)
    torch.set_num_threads(1)
    settings = PrepSettings(**prep_changes("kit"))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        easy = generate(tmp / "easy", subjects=2, samples_per_subject=5, frames=24, seed=0, difficulty=1.0)
        twin = tmp / "twin"
        generate_twin(twin, "casme2", TwinConfig(seed=0), subjects=2)
        for name, key, root in (("easy tier, difficulty 1", "easy", easy), ("CASME II twin", "twin", twin)):
            prepare("casme2", root, tmp / f"cache_{key}", settings, progress=False)
            pairs = pairs_of(tmp / f"cache_{key}", args.pairs)
            zero = float(np.mean([end_point_error(np.zeros_like(t), t) for _, _, t in pairs]))
            released = measure(pairs, EPSILON, args.repeats)
            for epsilon in THRESHOLDS:
                seconds, error = released if epsilon == EPSILON else measure(pairs, epsilon, args.repeats)
                rows.append(
                    f"| {name} | {epsilon:g}{' (released)' if epsilon == EPSILON else ''}"
                    f"{' (smoke draft)' if epsilon == DRAFT_EPSILON else ''} | {len(pairs)} | "
                    f"{seconds * 1000:.0f} | {released[0] / seconds:.1f}x | {error:.4f} | {zero:.4f} |"
                )
    text = "\n".join(
        [
            "# TV-L1's stopping threshold: time and error",
            "",
            f"`python benchmarks/bench_tvl1.py --pairs {args.pairs} --repeats {args.repeats}`; "
            f"{platform.machine()}, one OpenCV thread, OpenCV {cv2.__version__}. Aligned 144 px clip-frame "
            "pairs of each data (the kit's recipe, per-video alignment); ms: median over the repeats of "
            "the mean time per pair; EPE: mean end-point error against the true flow, px.",
            "",
            "| data | epsilon | pairs | ms per pair | faster than released | EPE vs truth | zero flow's EPE |",
            "|---|---|---:|---:|---:|---:|---:|",
            *rows,
            "",
        ]
    )
    print(text)
    cache.atomic_write_text(REPORT, text)


if __name__ == "__main__":
    main()
