"""Numbers that repeat to the bit on CPU: the same command with the same seed gives the same bytes
(twin, cache tensors, LOSO predictions) whatever the worker count and the caller's threads.

A small twin (SMIC-HS, its first two subjects: 12 samples, one rendering job each) is generated
and prepared once with one worker and once with two; LOSO runs twice on it: the baselines in this
process on two and on one torch and BLAS threads, MOL (two steps, its first fold) in this process
and in a worker process. The baselines' fits are also compared on other BLAS thread counts at the
composite's size, where OpenBLAS splits their products between threads (the twin is too small).
"""

from __future__ import annotations

import filecmp

import numpy as np
import pandas as pd
import pytest
import threadpoolctl
import torch
from conftest import torch_threads

from molkit.baselines import VideoFeatures, fit_lbptop, fit_linear, lbptop_logits, linear_logits
from molkit.baselines.config import LBPTOPConfig, LinearConfig
from molkit.data import PrepSettings, prepare
from molkit.data.cache import PROBLEMS_CSV, VIDEO_DIR, VIDEOS_CSV
from molkit.data.tvl1 import DRAFT_EPSILON
from molkit.run.configs import loso_config_from_profile
from molkit.synthetic.twin import TwinConfig, generate_twin
from molkit.train.loso import PREDICTIONS, run_loso

SUBJECTS = 2  # one rendering job (and worker) each
SETTINGS = PrepSettings(tvl1_epsilon=DRAFT_EPSILON)


@pytest.fixture(scope="module")
def twins(tmp_path_factory):
    """The twin and its cache made twice: with one worker (this process) and with two."""
    made = {}
    for workers in (1, 2):
        folder = tmp_path_factory.mktemp(f"determinism_w{workers}")
        root, cache = folder / "twin", folder / "cache"
        generate_twin(root, "smic", TwinConfig(seed=5), subjects=SUBJECTS, workers=workers)
        prepare("smic", root, cache, SETTINGS, workers=workers, progress=False)
        made[workers] = root, cache
    return made


def files(folder):
    return sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file())


def test_a_twin_generated_with_one_or_two_workers_is_the_same_bytes(twins):
    (one, _), (two, _) = twins[1], twins[2]
    names = files(one)
    assert names == files(two)
    assert {p.suffix for p in names} >= {".bmp", ".npz", ".csv", ".json", ".xlsx"}
    assert sum(p.suffix == ".npz" for p in names) == 12
    assert [str(p) for p in names if not filecmp.cmp(one / p, two / p, shallow=False)] == []


def test_a_cache_prepared_with_one_or_two_workers_holds_the_same_tensors(twins):
    (root_one, one), (root_two, two) = twins[1], twins[2]
    videos = files(one / VIDEO_DIR)
    assert len(videos) == 12 and videos == files(two / VIDEO_DIR)  # names hold the keys
    for name in videos:
        a = torch.load(one / VIDEO_DIR / name, weights_only=True)
        b = torch.load(two / VIDEO_DIR / name, weights_only=True)
        assert a.keys() == b.keys() and {"frames", "flows", "apex_flow", "true_flow"} <= a.keys()
        for key, value in a.items():
            same = torch.equal(value, b[key]) if isinstance(value, torch.Tensor) else value == b[key]
            assert same, f"{name}: {key}"
    assert (one / VIDEOS_CSV).read_bytes() == (two / VIDEOS_CSV).read_bytes()
    problems = (one / PROBLEMS_CSV).read_text().replace(str(root_one), "ROOT")
    assert problems == (two / PROBLEMS_CSV).read_text().replace(str(root_two), "ROOT")


def loso(cache, out, method, executor="inprocess"):
    config = loso_config_from_profile("smoke", classes="composite").replace(method=method)
    if method == "mol":  # two steps of batch 2, the first fold
        config = config.replace(train=config.train.replace(steps=2), folds=1)
    run_loso(config, cache, out, executor=executor, progress=False)
    return {p.parent.name: p.read_bytes() for p in sorted(out.glob(f"fold_*/{PREDICTIONS}"))}


@pytest.mark.filterwarnings("ignore:.*predicts one class")
@pytest.mark.parametrize("method", ["ststnet", "linear", "lbptop", "mol"])
def test_two_loso_runs_write_the_same_predictions(twins, tmp_path, method):
    _, cache = twins[1]
    with torch_threads(2), threadpoolctl.threadpool_limits(2):
        first = loso(cache, tmp_path / "first", method)
    if method == "mol":  # torch's results follow its thread count: a fold's is fixed wherever it runs
        second = loso(cache, tmp_path / "second", method, executor="processes")
    else:
        with torch_threads(1), threadpoolctl.threadpool_limits(1):
            second = loso(cache, tmp_path / "second", method)
    assert sorted(first) == (["fold_s1"] if method == "mol" else ["fold_s1", "fold_s2"])
    assert first == second


def test_the_linear_and_svm_baselines_give_the_same_scores_on_any_blas_threads():
    """435 videos (the composite's size): unpinned, two BLAS threads moved the linear model's
    logits by about 3e-5 and the SVM's decision values by 1e-15 against one."""
    rng = np.random.default_rng(0)
    labels = rng.integers(3, size=435)
    table = pd.DataFrame({"subject": "s", "video_id": [str(i) for i in range(435)], "label": labels})
    flows = (rng.normal(size=(435, 3, 28, 28)) + labels[:, None, None, None] * 0.05).astype(np.float32)
    codes = (rng.random((435, 3 * 25 * 59)) / 59 + labels[:, None] * 1e-3).astype(np.float32)
    scores = {}
    for threads in (1, 2):
        with threadpoolctl.threadpool_limits(threads):
            linear = fit_linear(LinearConfig(), VideoFeatures(table, flows))
            svm = fit_lbptop(LBPTOPConfig(), VideoFeatures(table, codes))
            scores[threads] = (linear_logits(linear, flows[:7], 3), lbptop_logits(svm, codes[:40], 3))
    for one, two in zip(scores[1], scores[2]):
        np.testing.assert_array_equal(one, two)
