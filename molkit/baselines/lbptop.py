"""The LBP-TOP baseline of the MEGC 2019 challenge: local binary patterns on three orthogonal
planes (Zhao & Pietikäinen, TPAMI 2007) of a video's aligned grey face frames, one histogram
per plane and block of a spatial grid, concatenated, into a linear SVM.

The volume is the test crop (128 px at (8, 8)) of every frame the preparation cache holds for
the video (``frames``, ``[T, 144, 144]`` uint8). Codes are scikit-image's
``local_binary_pattern`` on each XY slice (one per frame), each XT slice (one per row: rows t,
columns x) and each YT slice (one per column: rows t, columns y). Only voxels at least
``radius`` from every face of the volume are counted, so every neighbour lies inside it. The
grid splits those voxels' (y, x) into ``blocks`` x ``blocks`` near-equal blocks (``np.linspace``
edges); each block's histogram of each plane holds all its voxels over time and is normalised to
sum 1. Features: plane (XY, XT, YT), then block (row-major), then code.

Features are computed once per video and kept beside the cache (``lbptop/<cache file>.<settings>.npy``,
written atomically), so the 68 folds of the composite fit one SVM each and read the rest. The SVM
is fitted and scored on one BLAS thread (its decision values follow the thread count in their
last bits).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import threadpoolctl
from skimage.feature import local_binary_pattern
from sklearn.dummy import DummyClassifier
from sklearn.svm import LinearSVC

from molkit.baselines.config import LBPTOPConfig
from molkit.baselines.features import VideoFeatures, video_features
from molkit.data import cache, clips

PLANES = ("XY", "XT", "YT")
FEATURE_DIR = "lbptop"


def n_codes(config: LBPTOPConfig) -> int:
    """How many codes a mapping has: P(P-1)+3 uniform patterns, or P+2 rotation-invariant ones."""
    p = config.points
    return p * (p - 1) + 3 if config.mapping == "nri_uniform" else p + 2


def _lbp(image: np.ndarray, config: LBPTOPConfig) -> np.ndarray:
    return local_binary_pattern(image, config.points, config.radius, config.mapping)


def plane_codes(volume: np.ndarray, plane: str, config: LBPTOPConfig) -> np.ndarray:
    """LBP codes ``[T, H, W]`` of every voxel of ``volume`` ``[T, H, W]`` on one plane."""
    if plane == "XY":
        return np.stack([_lbp(volume[t], config) for t in range(volume.shape[0])])
    if plane == "XT":
        return np.stack([_lbp(volume[:, y, :], config) for y in range(volume.shape[1])], axis=1)
    if plane == "YT":
        return np.stack([_lbp(volume[:, :, x], config) for x in range(volume.shape[2])], axis=2)
    raise ValueError(f"unknown plane {plane!r}; choose one of {PLANES}")


def block_histograms(codes: np.ndarray, config: LBPTOPConfig) -> np.ndarray:
    """``[blocks * blocks, n_codes]``: per block of the inner voxels, the normalised histogram."""
    r = config.radius
    inner = codes[r:-r, r:-r, r:-r].astype(np.int64)
    if not inner.size:
        raise ValueError(f"LBP-TOP needs a volume larger than {2 * r} voxels along every axis")
    rows = np.linspace(0, inner.shape[1], config.blocks + 1).round().astype(int)
    cols = np.linspace(0, inner.shape[2], config.blocks + 1).round().astype(int)
    out = np.zeros((config.blocks * config.blocks, n_codes(config)))
    for i in range(config.blocks):
        for j in range(config.blocks):
            block = inner[:, rows[i] : rows[i + 1], cols[j] : cols[j + 1]].ravel()
            counts = np.bincount(block, minlength=n_codes(config))
            out[i * config.blocks + j] = counts / max(counts.sum(), 1)
    return out


def lbptop_features(volume: np.ndarray, config: LBPTOPConfig) -> np.ndarray:
    """The LBP-TOP vector (float32, ``3 * blocks**2 * n_codes``) of a grey volume ``[T, H, W]``."""
    volume = np.asarray(volume)
    return np.concatenate(
        [block_histograms(plane_codes(volume, plane, config), config).ravel() for plane in PLANES]
    ).astype(np.float32)


def feature_file(cache_dir: Path, file: str, config: LBPTOPConfig) -> Path:
    """Where the features of one cache file are kept (the cache file's name holds its key)."""
    settings = f"p{config.points}r{config.radius}b{config.blocks}{config.mapping}"
    return Path(cache_dir) / FEATURE_DIR / f"{Path(file).name}.{settings}.npy"


def cached_features(cache_dir: Path, file: str, config: LBPTOPConfig) -> np.ndarray:
    """The LBP-TOP features of one video's test-crop frames, computed once and kept."""
    path = feature_file(cache_dir, file, config)
    if path.is_file():
        return np.load(path)
    frames = np.asarray(cache.load_tensors(Path(cache_dir) / file)["frames"])
    features = lbptop_features(clips.crop(frames, clips.TEST_OFFSET), config)
    buffer = io.BytesIO()
    np.save(buffer, features)
    cache.atomic_write_bytes(path, buffer.getvalue())
    return features


def lbptop_video_features(dataset, config: LBPTOPConfig) -> VideoFeatures:
    """LBP-TOP features of every video of a ClipDataset (or a concatenation of them): it needs
    no coded apex, so no video is left out."""
    return video_features(dataset, lambda cache_dir, file: cached_features(cache_dir, file, config))


def fit_lbptop(config: LBPTOPConfig, train: VideoFeatures) -> LinearSVC | DummyClassifier:
    """The linear SVM fitted on ``train``; with a single class present, a constant predictor."""
    if not len(train):
        raise ValueError("LBP-TOP baseline: no training video")
    if len(np.unique(train.labels)) == 1:
        return DummyClassifier(strategy="most_frequent").fit(train.features, train.labels)
    svm = LinearSVC(C=config.C, dual=True, max_iter=config.max_iter, random_state=0)
    with threadpoolctl.threadpool_limits(1):
        return svm.fit(train.features, train.labels)


def lbptop_logits(model: LinearSVC | DummyClassifier, features: np.ndarray, n_classes: int) -> np.ndarray:
    """Scores ``[N, n_classes]`` whose argmax is the SVM's prediction: its one-vs-rest decision
    values (two classes: -d and d; one class: 0); -inf for classes absent from training."""
    logits = np.full((len(features), n_classes), -np.inf)
    if not len(features):
        return logits
    if isinstance(model, DummyClassifier):
        logits[:, model.classes_] = 0.0
        return logits
    with threadpoolctl.threadpool_limits(1):
        scores = model.decision_function(features)
    if len(model.classes_) == 2:
        scores = np.stack([-scores, scores], axis=1)
    logits[:, model.classes_] = scores
    return logits
