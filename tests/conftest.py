"""Shared session fixtures, one heading per area. Everything here runs on CPU at small sizes.

``make test`` runs the suite on pytest-xdist workers (one per core, at most four), a test file
to a worker and the notebooks together, in order, on one: see :func:`pytest_xdist_make_scheduler`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
from filelock import FileLock

os.environ.setdefault("MOLKIT_PROFILE", "smoke")
# Threads shared out between the xdist workers (torch slows down 2-3x when threads outnumber
# cores); a test whose numbers depend on the count sets its own with ``torch_threads``. What a
# worker starts (notebook kernels, commands) gets the same share through ``OMP_NUM_THREADS``
# (notebook 02's training: 138 s on the kernel's two threads beside a busy worker, 44 s on one).
WORKERS = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
THREADS = max(1, min(2, (os.cpu_count() or 1) // WORKERS))
torch.set_num_threads(THREADS)
os.environ["OMP_NUM_THREADS"] = str(THREADS)

# Files whose fixtures take a minute or more go to the workers first, so that no worker is left
# with one of them while the others have finished.
FIRST = (
    "test_train_positive_whole_path.py",
    "test_train_positive_fit.py",
    "notebooks",
    "test_foundation_package.py",
    "test_reports_steps_twin.py",
)


def _unit(path: str) -> str:
    """The work unit of a test: its file, or "notebooks" for every notebook's cells (they run in
    order and share ``$MOLKIT_WORK_DIR``)."""
    return "notebooks" if path.endswith(".ipynb") else Path(path).name


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The units in :data:`FIRST` first, each in its own order."""
    items.sort(key=lambda item: FIRST.index(u) if (u := _unit(str(item.path))) in FIRST else len(FIRST))


@pytest.hookimpl(optionalhook=True)  # an xdist hook: `pytest -p no:xdist` runs without it
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """xdist hands out whole units (:func:`_unit`), in collection order: a file's module fixtures
    are built once, on one worker."""
    from xdist.scheduler import LoadScopeScheduling

    class ByUnit(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _unit(nodeid.split("::", 1)[0])

    return ByUnit(config, log)


@contextlib.contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """torch on ``count`` threads inside the block (a trained model's last digits depend on it)."""
    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@pytest.fixture(scope="session")
def workdir(tmp_path_factory: pytest.TempPathFactory):
    """A session-wide scratch folder shared by the area fixtures below."""
    return tmp_path_factory.mktemp("molkit")


@pytest.fixture(scope="session")
def once(tmp_path_factory: pytest.TempPathFactory, worker_id: str):
    """``once(name, build)``: ``build(folder)`` run for the whole session, on the first xdist worker
    that asks (under a file lock; the others wait, then reuse its files). ``build`` must give the
    same answer when run again on its own output."""
    base = tmp_path_factory.getbasetemp()
    shared = base if worker_id == "master" else base.parent

    def run(name: str, build: Callable[[Path], Any]) -> Any:
        with FileLock(shared / f"{name}.lock"):
            return build(shared / name)

    return run


# --- synthetic benchmark ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def synthetic_root(once):
    """A small synthetic set every area shares: 3 subjects x 5 samples (each subject shows all five
    CASME II classes once) x 24 frames of 192x160, with ground truth (seed 0, a few seconds)."""
    from molkit.synthetic import generate
    from molkit.synthetic.sheet import SHEET_NAME  # written last

    def build(folder):
        if not (folder / SHEET_NAME).exists():
            generate(folder, subjects=3, samples_per_subject=5, frames=24, seed=0)
        return folder

    return once("synthetic", build)


# --- preparation ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def write_casme_like():
    """``write_casme_like(root, videos, sheet_rows=None)`` writes a small CASME II-like dataset:
    ``videos`` maps "subNN/sample" to a list of BGR frames (None: an unreadable file);
    ``sheet_rows`` (default: one happiness row per video) are the coding sheet's rows as dicts
    with CASME II's column names."""

    def write(root, videos, sheet_rows=None):
        import cv2
        import pandas as pd

        root.mkdir(parents=True, exist_ok=True)
        for name, frames in videos.items():
            folder = root / name
            folder.mkdir(parents=True, exist_ok=True)
            for t, frame in enumerate(frames, start=1):
                path = folder / f"img{t}.jpg"
                if frame is None:
                    path.write_bytes(b"not a jpeg")
                else:
                    cv2.imwrite(str(path), frame)
        if sheet_rows is None:
            sheet_rows = [
                {
                    "Subject": name.split("/")[0][3:],
                    "Filename": name.split("/")[1],
                    "OnsetFrame": 1,
                    "ApexFrame": 2,
                    "OffsetFrame": len(frames),
                    "Action Units": "12",
                    "Estimated Emotion": "happiness",
                }
                for name, frames in videos.items()
            ]
        pd.DataFrame(sheet_rows).to_excel(root / "CASME2-coding-test.xlsx", index=False)
        return root

    return write


@pytest.fixture(scope="session")
def face_frames():
    """``face_frames(n, step)``: n BGR 160x160 frames of a public-domain face (scikit-image's
    astronaut) translated by ``step`` (dx, dy) pixels per frame."""
    import cv2
    import numpy as np
    import skimage.data

    face = cv2.cvtColor(skimage.data.astronaut(), cv2.COLOR_RGB2BGR)[40:200, 140:300]

    def frames(n, step=(0.25, 0.1)):
        return [
            cv2.warpAffine(
                face,
                np.float32([[1, 0, step[0] * t], [0, 1, step[1] * t]]),
                (160, 160),
                borderMode=cv2.BORDER_REFLECT,
            )
            for t in range(n)
        ]

    return frames


@pytest.fixture(scope="session")
def small_dataset(workdir, face_frames, write_casme_like):
    """Two subjects, three good CASME II-like videos (16, 8 and 8 frames)."""
    return write_casme_like(
        workdir / "small_dataset",
        {
            "sub01/EP01_01": face_frames(16),
            "sub01/EP02_01": face_frames(8, (0.0, 0.3)),
            "sub02/EP01_02": face_frames(8, (-0.2, 0.0)),
        },
    )


@pytest.fixture(scope="session")
def small_cache(workdir, small_dataset):
    """``small_dataset`` prepared in this process (worker processes cost more than three short
    videos; ``molkit prepare``'s tests run them)."""
    from molkit.data import prepare

    cache = workdir / "small_cache"
    return cache, prepare("casme2", small_dataset, cache, workers=1, progress=False)


@pytest.fixture(scope="session")
def synthetic_cache(once, synthetic_root):
    """The synthetic benchmark prepared through the CASME II reader, with its ground truth (a
    worker that comes second gets a report of the same cache, every video reused). Draft TV-L1
    flows, as the smoke profile's: 100 s -> 28 s on one core; EPE to the true flow 0.13 px against
    0.08 released, 0.68 for zero flow."""
    from molkit.data import PrepSettings, prepare
    from molkit.data.tvl1 import DRAFT_EPSILON

    def build(cache):
        settings = PrepSettings(tvl1_epsilon=DRAFT_EPSILON)
        return cache, prepare("casme2", synthetic_root, cache, settings, workers=1, progress=False)

    return once("synthetic_cache", build)


# --- training ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def tiny_loso_args():
    """``molkit loso`` options for a run of one fold and one step (the caller adds ``--cache``,
    ``--out`` and what it tests)."""
    return "--profile smoke --steps 1 --batch-size 2 --flow-width 0.0625 --folds 1 --quiet".split()


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
    mouth = [
        [46, 92],
        [52, 88],
        [58, 86],
        [64, 87],
        [70, 86],
        [76, 88],
        [82, 92],
        [76, 97],
        [70, 99],
        [64, 100],
        [58, 99],
        [52, 97],
        [49, 92],
        [58, 90],
        [64, 90],
        [70, 90],
        [79, 92],
        [70, 94],
        [64, 94],
        [58, 94],
    ]
    points = np.concatenate([jaw, *brows, nose, eye + [44, 50], eye + [84, 50], mouth])
    return torch.tensor(points, dtype=torch.float32)
