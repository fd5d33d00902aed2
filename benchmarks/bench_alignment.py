"""Per-frame (released) against per-video alignment: how much of the motion between clip frames is
alignment jitter, how far the head drifts from a clip's first frame (what the kit's x21
magnification of each frame's change from the first amplifies), and how much class information
the prepared clips keep, measured by linear probes under LOSO (scikit-learn, clip level, test
crop). On the easy-profile synthetic set, or with ``--twin NAME`` the twin of the real datasets
(head motion, blinks, overlapping action units).

    .venv/bin/python benchmarks/bench_alignment.py --work /tmp/alignment   # reuses its caches
    .venv/bin/python benchmarks/bench_alignment.py --work DIR --twin composite --classes composite

``--work`` may be ``bench_learning.py``'s: its ``cache_frame`` and ``cache_video`` are these.
Writes ``reports/benchmarks/alignment.md`` (``alignment_twin.md`` for a twin).
"""

from __future__ import annotations

import argparse
import platform
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from molkit.data import ClipDataset, PrepSettings, prepare
from molkit.data.alignment import ALIGNMENTS
from molkit.data.cache import atomic_write_text
from molkit.profiles import get_profile
from molkit.synthetic import generate
from molkit.synthetic.twin import PROBLEMS_FILE, TwinConfig, generate_twin

REPORTS = Path(__file__).resolve().parents[1] / "reports" / "benchmarks"
NOSE_BRIDGE = slice(27, 31)  # landmarks 28-31: no action unit of the kit's moves them


def clip_features(cache: Path, classes: str) -> dict[str, np.ndarray]:
    """Per test clip: label, subject, pooled frame change and TV-L1 speed maps, flow sizes, and
    the head's drift (the nose bridge's true position) from the clip's first frame."""
    dataset = ClipDataset(cache, train=False, with_truth=True, classes=classes)
    rows: dict[str, list] = {
        k: []
        for k in (
            "label",
            "subject",
            "frame_change",
            "tvl1_speed",
            "true_speed",
            "tvl1_error",
            "drift",
            "drift_last",
        )
    }
    for index in range(len(dataset)):
        item = dataset[index]
        clip, flow, truth = item["clip"][0], item["flow"], item["true_flow"]
        rows["label"].append(int(item["label"]))
        rows["subject"].append(dataset.table.subject.iloc[index])
        change = (clip - clip[:1]).abs().amax(0)  # largest change from the first frame
        rows["frame_change"].append(F.avg_pool2d(change[None, None], 8).flatten().numpy())
        rows["tvl1_speed"].append(F.avg_pool2d(flow.norm(dim=1).amax(0)[None, None], 8).flatten().numpy())
        rows["true_speed"].append(float(truth.norm(dim=1).mean()))
        rows["tvl1_error"].append(float((flow - truth).norm(dim=1).mean()))
        nose = item["true_landmarks"][:, NOSE_BRIDGE].float().mean(1)
        drift = (nose[1:] - nose[:1]).norm(dim=1)
        rows["drift"].append(float(drift.mean()))
        rows["drift_last"].append(float(drift[-1]))
    return {k: np.asarray(v) for k, v in rows.items()}


def loso_probe(features: np.ndarray, labels: np.ndarray, subjects: np.ndarray) -> float:
    """Clip UAR (balanced accuracy) of a logistic regression trained on all other subjects,
    predictions pooled over folds."""
    predicted = np.empty_like(labels)
    for subject in np.unique(subjects):
        test = subjects == subject
        probe = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=3000))
        probe.fit(features[~test], labels[~test])
        predicted[test] = probe.predict(features[test])
    return float(balanced_accuracy_score(labels, predicted))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True, help="folder for the data and caches")
    parser.add_argument("--profile", default="easy", help="its synthetic set size is used")
    parser.add_argument("--twin", help="the twin of a dataset (casme2, samm, smic, composite) instead")
    parser.add_argument("--classes", default="5", help="class set (composite for the composite twin)")
    args = parser.parse_args()
    if args.twin:
        root, reader, report = args.work / "twin", args.twin, REPORTS / "alignment_twin.md"
        if not (root / "ground_truth" / PROBLEMS_FILE).is_file():  # written last
            generate_twin(root, args.twin, TwinConfig())
        title = f"the {args.twin} twin"
        data_line = f"{title} (every subject, calibrated amplitude), classes {args.classes}"
        command = f"--twin {args.twin} --classes {args.classes}"
    else:
        profile = get_profile(args.profile)
        root, reader, report = args.work / "synthetic", "casme2", REPORTS / "alignment.md"
        if not (root / "ground_truth").is_dir():
            generate(
                root,
                subjects=profile.synthetic_subjects,
                frames=profile.synthetic_frames,
                samples_per_subject=profile.synthetic_samples_per_subject,
            )
        title = "the synthetic set"
        data_line = (
            f"the easy-profile synthetic set, {profile.synthetic_subjects} subjects x "
            f"{profile.synthetic_samples_per_subject} samples x {profile.synthetic_frames} frames"
        )
        command = f"--profile {profile.name}"
    lines = [
        f"# Face alignment per frame (released) or per video, on {title}",
        "",
        f"Command: `.venv/bin/python benchmarks/bench_alignment.py --work DIR {command}`; "
        f"{data_line}; {platform.machine()}, torch {torch.__version__}. Test crop of every clip; "
        "flows and positions in px of the 128 px crop; probes: logistic regression (C 0.1) on "
        "16x16-pooled maps, leave-one-subject-out, clip UAR (balanced accuracy; chance: one over "
        "the classes).",
        "",
        "| alignment | clips | mean true motion px | head drift from the first frame px (at the last) "
        "| TV-L1 EPE vs truth px | probe on frame change | probe on TV-L1 speed |",
        "|---|---:|---:|---|---:|---:|---:|",
    ]
    for mode in ALIGNMENTS:
        cache = args.work / f"cache_{mode}"
        prepare(reader, root, cache, PrepSettings(alignment=mode), progress=False)
        data = clip_features(cache, args.classes)
        probes = [
            loso_probe(data[name], data["label"], data["subject"]) for name in ("frame_change", "tvl1_speed")
        ]
        lines.append(
            f"| {mode} | {len(data['label'])} | {data['true_speed'].mean():.3f} | "
            f"{data['drift'].mean():.3f} ({data['drift_last'].mean():.3f}) | {data['tvl1_error'].mean():.3f} | "
            f"{probes[0]:.3f} | {probes[1]:.3f} |"
        )
        print(lines[-1], flush=True)
    lines += [
        "",
        "Mean true motion: the exact flow between consecutive clip frames in aligned "
        "coordinates, averaged over the crop. Head drift: how far the nose bridge (landmarks "
        "28-31, true positions) is from where it was in the clip's first frame, averaged over the "
        "clip's later frames (in brackets: at its last frame); the kit magnifies each frame's "
        "change from the first frame x21. Per-frame alignment adds dlib's landmark jitter to every "
        "frame pair as a global shift, rotation and scale of the whole face; one map per video "
        "keeps the head's own motion.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    atomic_write_text(report, text)


if __name__ == "__main__":
    main()
