"""Shared session fixtures, one heading per area. Everything here runs on CPU at small sizes."""
from __future__ import annotations

import os

import pytest
import torch

os.environ.setdefault("MOLKIT_PROFILE", "smoke")
torch.set_num_threads(min(2, os.cpu_count() or 1))


@pytest.fixture(scope="session")
def workdir(tmp_path_factory: pytest.TempPathFactory):
    """A session-wide scratch folder shared by the area fixtures below."""
    return tmp_path_factory.mktemp("molkit")


# --- synthetic benchmark ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def synthetic_root(workdir):
    """A small synthetic set every area shares: 3 subjects x 5 samples (each subject shows all five
    CASME II classes once) x 24 frames of 192x160, with ground truth (seed 0, a few seconds)."""
    from molkit.synthetic import generate

    return generate(workdir / "synthetic", subjects=3, samples_per_subject=5, frames=24, seed=0)

# --- preparation ------------------------------------------------------------------------------

# --- training ---------------------------------------------------------------------------------

# --- attribution ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def face_landmarks():
    """A plain frontal 68-point face on the 128x128 crop (dlib order, x y), as float32 [68, 2]."""
    import numpy as np

    phi = np.linspace(-0.1, np.pi + 0.1, 17)
    jaw = np.stack([64 - 46 * np.cos(phi), 50 + 62 * np.sin(phi)], 1)
    t = np.linspace(0, 1, 5)
    brow_y = 36 - 4 * np.sin(np.pi * t)
    brows = [np.stack([28 + 28 * t, brow_y], 1), np.stack([72 + 28 * t, brow_y], 1)]
    nose = [[64, 48], [64, 55], [64, 62], [64, 69], [54, 74], [59, 76], [64, 77], [69, 76], [74, 74]]
    eye = np.array([[-10, 0], [-4, -3], [4, -3], [10, 0], [4, 3], [-4, 3]])
    mouth = [[46, 92], [52, 88], [58, 86], [64, 87], [70, 86], [76, 88], [82, 92], [76, 97],
             [70, 99], [64, 100], [58, 99], [52, 97], [49, 92], [58, 90], [64, 90], [70, 90],
             [79, 92], [70, 94], [64, 94], [58, 94]]
    points = np.concatenate([jaw, *brows, nose, eye + [44, 50], eye + [84, 50], mouth])
    return torch.tensor(points, dtype=torch.float32)
