"""Preparation: the cache's contents against independent computations, bad input that only shows
when frames are read (unreadable frames, no face, a frame without a face), the command's exit
codes, a rerun that does no work, a resumed run that ends with the same cache, a submitit job
array (on this machine) that ends with the local run's cache, a job that dies, and the time
projected before the work starts."""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import cloudpickle
import cv2
import numpy as np
import pandas as pd
import pytest
import torch

import molkit.data.pipeline as prep
from molkit.cli import main as molkit_main
from molkit.data import cache, prepare, read_videos
from molkit.data.face import detect_landmarks
from molkit.data.tvl1 import DRAFT_EPSILON


def noise_frames(n, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 255, (160, 160, 3), dtype=np.uint8) for _ in range(n)]


@pytest.fixture(scope="module")
def bad_dataset(workdir, face_frames, write_casme_like):
    unreadable = face_frames(8)
    unreadable[2] = None
    borrowed = face_frames(8, (0.1, 0.1))
    borrowed[4] = np.full_like(borrowed[4], 128)  # no face on frame 5
    return write_casme_like(
        workdir / "bad_dataset",
        {
            "sub01/EP01_01": face_frames(8),
            "sub01/EP02_01": unreadable,
            "sub02/EP01_02": noise_frames(8),
            "sub02/EP02_02": borrowed,
        },
    )


@pytest.fixture(scope="module")
def bad_run(workdir, bad_dataset):
    """``molkit prepare`` on the bad dataset: (exit code, cache folder)."""
    cache_dir = workdir / "bad_cache"
    code = molkit_main(
        [
            "prepare",
            "--dataset",
            "casme2",
            "--root",
            str(bad_dataset),
            "--cache",
            str(cache_dir),
            "--workers",
            "2",
            "--no-progress",
        ]
    )
    return code, cache_dir


def problems(cache_dir, kind):
    table = pd.read_csv(cache_dir / "problems.csv")
    return table[table.kind == kind]


def test_command_prepares_what_it_can_and_writes_the_summary(bad_run):
    code, cache_dir = bad_run
    assert code == 0
    videos = read_videos(cache_dir)
    assert sorted(videos.video_id) == ["casme2/sub01/EP01_01", "casme2/sub02/EP02_02"]
    table = pd.read_csv(cache_dir / "problems.csv")
    assert set(table.columns) == {"dataset", "video_id", "kind", "where", "message", "action"}
    skipped = table[table.action == "skipped"].set_index("video_id").kind.to_dict()
    assert skipped == {"casme2/sub01/EP02_01": "unreadable_frame", "casme2/sub02/EP01_02": "no_face"}


def test_unreadable_frame_is_named(bad_run):
    (where,) = problems(bad_run[1], "unreadable_frame")["where"]
    assert where.endswith("sub01/EP02_01/img3.jpg")


def test_video_without_any_face_is_skipped(bad_run):
    (row,) = problems(bad_run[1], "no_face").itertuples()
    assert row.where.endswith("sub02/EP01_02") and "8 frames" in row.message


def test_frame_without_face_borrows_the_nearest_alignment(bad_run):
    cache_dir = bad_run[1]
    (row,) = problems(cache_dir, "face_borrowed").itertuples()
    assert row.where.endswith("sub02/EP02_02/img5.jpg") and row.action == "kept"
    videos = read_videos(cache_dir).set_index("video_id")
    data = cache.load_tensors(cache_dir / videos.loc["casme2/sub02/EP02_02", "file"])
    assert data["face_found"].tolist() == [True] * 4 + [False] + [True] * 3
    # frame 5 (index 4) is equally near frames 4 and 6: it takes the earlier one's alignment
    assert torch.equal(data["matrices"][4], data["matrices"][3])
    assert torch.equal(data["landmarks"][4], data["landmarks"][3])


def test_nothing_usable_exits_non_zero(tmp_path, write_casme_like):
    root = write_casme_like(tmp_path / "faceless", {"sub01/EP01_01": noise_frames(8, 1)})
    assert (
        molkit_main(
            [
                "prepare",
                "--dataset",
                "casme2",
                "--root",
                str(root),
                "--cache",
                str(tmp_path / "cache"),
                "--no-progress",
            ]
        )
        == 1
    )
    assert len(pd.read_csv(tmp_path / "cache" / "problems.csv")) == 1


def test_wrong_arguments_exit_non_zero(tmp_path):
    assert (
        molkit_main(
            [
                "prepare",
                "--dataset",
                "casme2",
                "--root",
                str(tmp_path / "absent"),
                "--cache",
                str(tmp_path / "cache"),
            ]
        )
        == 2
    )
    with pytest.raises(SystemExit):
        molkit_main(["prepare", "--dataset", "nope", "--root", ".", "--cache", "."])


def test_cache_holds_the_aligned_frames_flows_and_landmarks(small_cache, small_dataset):
    cache_dir, report = small_cache
    assert report.usable == 3 and not report.skipped
    videos = read_videos(cache_dir).set_index("video_id")
    data = cache.load_tensors(cache_dir / videos.loc["casme2/sub01/EP01_01", "file"])
    assert data["stride"] == 2 and data["frames"].shape == (16, 144, 144)
    assert data["flows"].shape == (14, 2, 144, 144) and data["landmarks"].shape == (16, 68, 2)
    raw = cv2.imread(str(small_dataset / "sub01/EP01_01/img4.jpg"), cv2.IMREAD_GRAYSCALE)
    matrix = data["matrices"][3].numpy()
    expected = cv2.warpAffine(raw, matrix, (144, 144), flags=cv2.INTER_LINEAR, borderValue=128)
    assert np.array_equal(data["frames"][3].numpy(), expected)
    marks = detect_landmarks(raw)
    np.testing.assert_allclose(
        data["landmarks"][3].numpy(), marks @ matrix[:, :2].T + matrix[:, 2], atol=1e-4
    )
    left, right = data["landmarks"][:, 36:42].mean(1), data["landmarks"][:, 42:48].mean(1)
    np.testing.assert_allclose(left[:, 1], right[:, 1], atol=1e-3)  # every frame aligned on its own eyes
    # the pair (t, t + stride) is stored at t: TV-L1 on the aligned frames, as OpenCV computes it
    solver = cv2.optflow.DualTVL1OpticalFlow_create()
    flow = solver.calc(data["frames"][5].numpy(), data["frames"][7].numpy(), None)
    np.testing.assert_allclose(data["flows"][5].permute(1, 2, 0).float().numpy(), flow, atol=2e-3)


def test_video_alignment_from_the_command_keeps_the_head_motion(small_cache, small_dataset, tmp_path):
    """``--alignment video``: one map per video (from the median landmarks), so the aligned face
    keeps its real drift: sub01/EP01_01 moves (0.25, 0.1) px per raw frame."""
    code = molkit_main(
        [
            "prepare",
            "--dataset",
            "casme2",
            "--root",
            str(small_dataset),
            "--cache",
            str(tmp_path),
            "--alignment",
            "video",
            "--workers",
            "1",
            "--no-progress",
        ]
    )
    assert code == 0 and prep.PrepSettings.load(tmp_path / cache.SETTINGS_JSON).alignment == "video"
    file = read_videos(tmp_path).set_index("video_id").loc["casme2/sub01/EP01_01", "file"]
    data = cache.load_tensors(tmp_path / file)
    matrices = data["matrices"].numpy()
    raw = data["raw_landmarks"].numpy()
    np.testing.assert_allclose(
        matrices, np.repeat(prep.alignment.alignment_matrix(np.median(raw, 0))[None], 16, 0), atol=1e-4
    )
    drift = (data["landmarks"][-1] - data["landmarks"][0]).mean(0).numpy()  # 15 frames of motion
    expected = matrices[0, :, :2] @ np.array([0.25, 0.1]) * 15
    np.testing.assert_allclose(drift, expected, atol=0.35)
    released = read_videos(small_cache[0]).set_index("video_id").loc["casme2/sub01/EP01_01", "file"]
    frame_aligned = cache.load_tensors(small_cache[0] / released)  # each frame on its own landmarks
    released_drift = (frame_aligned["landmarks"][-1] - frame_aligned["landmarks"][0]).mean(0).numpy()
    assert np.linalg.norm(released_drift) < 0.2 * np.linalg.norm(expected)  # the face is re-centred


def test_rerun_does_no_work(small_cache, small_dataset):
    cache_dir, first = small_cache
    again = prepare("casme2", small_dataset, cache_dir, workers=2, progress=False)
    assert again.prepared == [] and again.reused == first.prepared and again.frames_processed == 0


def test_key_follows_frames_and_settings(small_dataset):
    frames = sorted(str(p) for p in (small_dataset / "sub01/EP02_01").glob("*.jpg"))
    settings = prep.PrepSettings().to_dict()
    key = cache.cache_key(frames, settings, {})
    assert cache.cache_key(frames, settings, {}) == key
    assert cache.cache_key(frames, {**settings, "detector_upsample": 0}, {}) != key
    assert cache.cache_key(frames[:-1] + frames[:1], settings, {}) != key


def test_draft_flows_are_opencvs_stopped_early_and_released_keys_are_unchanged(
    small_dataset, small_cache, tmp_path
):
    """The settings a released preparation records (its cache key) are those recorded before the
    draft threshold existed; a draft preparation records it, keys apart, and holds OpenCV's TV-L1
    with that threshold."""
    recorded = {
        "align_size": 144,
        "box_enlarge": 2.5,
        "alignment": "frame",
        "detector_upsample": 1,
        "detector_large_face": 150,
        "flow_dtype": "float16",
        "version": 1,
    }
    assert prep.PrepSettings().to_dict() == recorded
    draft = prep.PrepSettings(tvl1_epsilon=DRAFT_EPSILON)
    assert (
        draft.to_dict() == {**recorded, "tvl1_epsilon": 0.05}
        and prep.PrepSettings.from_dict(draft.to_dict()) == draft
    )
    prepare("casme2", small_dataset, tmp_path, draft, workers=1, progress=False)
    file, released_file = (
        read_videos(d).set_index("video_id").loc["casme2/sub01/EP01_01", "file"]
        for d in (tmp_path, small_cache[0])
    )
    assert file != released_file  # another key
    data = cache.load_tensors(tmp_path / file)
    first, second = data["frames"][5].numpy(), data["frames"][7].numpy()
    early = cv2.optflow.DualTVL1OpticalFlow_create(epsilon=0.05).calc(first, second, None)
    np.testing.assert_allclose(data["flows"][5].permute(1, 2, 0).float().numpy(), early, atol=2e-3)
    released = cv2.optflow.DualTVL1OpticalFlow_create().calc(first, second, None)
    assert np.abs(early - released).max() > 0.01  # the threshold changed the flow


def same_tensors(ours_dir, theirs_dir, name):
    """The two caches' files ``name`` hold the same keys and, byte for byte, the same tensors."""
    ours, theirs = (cache.load_tensors(d / "videos" / name) for d in (ours_dir, theirs_dir))
    assert ours.keys() == theirs.keys(), name
    for key in ours:
        if torch.is_tensor(ours[key]):
            assert ours[key].dtype == theirs[key].dtype and ours[key].shape == theirs[key].shape, (name, key)
            assert ours[key].numpy().tobytes() == theirs[key].numpy().tobytes(), (name, key)
        else:
            assert ours[key] == theirs[key], (name, key)


def dies_on_borrowed(job, settings):
    """In a submitit job: the process dies on one video; the others are prepared as usual, and
    only if the job runs OpenCV and torch on one thread."""
    if cv2.getNumThreads() != 1 or torch.get_num_threads() != 1:
        raise RuntimeError(f"{cv2.getNumThreads()} OpenCV and {torch.get_num_threads()} torch threads")
    if job.row["video_id"] == "casme2/sub02/EP01_02":
        os._exit(3)
    return prep._prepare_video(job, settings)


def test_a_submitit_job_array_ends_with_the_local_cache_and_names_a_dead_job(
    bad_run, bad_dataset, tmp_path, monkeypatch
):
    """2 subjects x 2 videos on submitit-local: the job of the faceless video dies, and is named
    with its log; the rest stays (one video prepared, one borrowing a face, one unreadable frame
    named), the rerun (here) does only what is missing, and the cache then equals the local run's
    (``bad_run``, two local processes), byte for byte in the tensors, problems table included."""
    local = bad_run[1]
    jobs_dir = tmp_path / "cache"
    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the job runs this module's function
    monkeypatch.setattr(prep, "_prepare_video", dies_on_borrowed)
    first = prepare("casme2", bad_dataset, jobs_dir, executor="submitit-local", progress=False)
    cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    monkeypatch.undo()
    (dead,) = first.failed
    assert dead.video_id == "casme2/sub02/EP01_02" and dead.action == "skipped"
    log = Path(re.fullmatch(r"job \S+ \(log (.+)\)", dead.where).group(1))
    assert log.is_file() and log.is_relative_to(jobs_dir / "jobs")
    done = ["casme2/sub01/EP01_01", "casme2/sub02/EP02_02"]
    assert first.prepared == done and list(read_videos(jobs_dir).video_id) == done
    assert "job_failed" in set(pd.read_csv(jobs_dir / "problems.csv").kind)
    again = prepare("casme2", bad_dataset, jobs_dir, workers=1, progress=False)
    assert again.prepared == [] and again.reused == done and not again.failed
    names = sorted(p.name for p in (local / "videos").glob("*.pt"))
    assert sorted(p.name for p in (jobs_dir / "videos").glob("*.pt")) == names and len(names) == 2
    for name in names:
        same_tensors(jobs_dir, local, name)
    assert read_videos(jobs_dir).equals(read_videos(local))
    pd.testing.assert_frame_equal(pd.read_csv(jobs_dir / "problems.csv"), pd.read_csv(local / "problems.csv"))


def test_a_dead_job_fails_the_command_naming_it(bad_dataset, tmp_path, monkeypatch, capsys):
    """In this process (one worker): the error ends one video, named; the command exits 1."""

    def broken(job, settings):
        if job.row["video_id"] == "casme2/sub01/EP01_01":
            raise RuntimeError("worker lost")
        return ("skipped", [], {})

    monkeypatch.setattr(prep, "_prepare_video", broken)
    args = ["prepare", "--dataset", "casme2", "--root", str(bad_dataset), "--cache", str(tmp_path)]
    assert molkit_main([*args, "--workers", "1", "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "casme2/sub01/EP01_01: this process: RuntimeError: worker lost" in err and "1 jobs died" in err


@pytest.mark.skipif(shutil.which("srun") is not None, reason="Slurm is installed here")
def test_slurm_without_slurm_is_one_line(small_dataset, tmp_path, capsys):
    args = ["prepare", "--dataset", "casme2", "--root", str(small_dataset), "--cache", str(tmp_path)]
    assert molkit_main([*args, "--executor", "slurm"]) == 2
    assert capsys.readouterr().err == (
        "molkit prepare: srun: not found: the slurm executor needs a Slurm cluster "
        "(submitit-local runs the same job array on this machine)\n"
    )
    assert not list(tmp_path.iterdir())  # nothing started


def test_the_projected_time_is_said_before_the_work_starts(
    tmp_path, face_frames, write_casme_like, capsys, monkeypatch
):
    """The frames to process (8, and 8 of 9: clips take multiples of 8) and a projected time come
    before the first video is prepared; the bar counts frames."""
    root = write_casme_like(
        tmp_path / "data", {"sub01/EP01_01": face_frames(8), "sub02/EP01_02": face_frames(9)}
    )
    said = []
    real = prep._prepare_video

    def watched(job, settings):
        said.append(capsys.readouterr().out)
        return real(job, settings)

    monkeypatch.setattr(prep, "_prepare_video", watched)
    args = ["prepare", "--dataset", "casme2", "--root", str(root), "--cache", str(tmp_path / "c")]
    assert molkit_main([*args, "--workers", "1"]) == 0
    line = re.search(
        r"prepare casme2: 2 videos to prepare, 16 frames; ([\d.]+) s a frame .*projected", said[0]
    )
    assert line and float(line.group(1)) > 0
    assert "16/16" in capsys.readouterr().err


def test_interrupted_run_resumes_to_the_same_cache(small_cache, small_dataset, tmp_path, monkeypatch):
    reference_dir, reference = small_cache
    resumed_dir = tmp_path / "resumed"
    real = prep._prepare_video
    done = []

    def interrupted(job, settings):
        if done:
            (resumed_dir / "videos" / ".half-written.pt.tmp").write_bytes(b"partial")
            raise KeyboardInterrupt
        done.append(job.row["video_id"])
        return real(job, settings)

    monkeypatch.setattr(prep, "_prepare_video", interrupted)
    with pytest.raises(KeyboardInterrupt):
        prepare("casme2", small_dataset, resumed_dir, workers=1, progress=False)
    monkeypatch.setattr(prep, "_prepare_video", real)
    assert not (resumed_dir / "videos.csv").exists()
    report = prepare("casme2", small_dataset, resumed_dir, workers=1, progress=False)
    assert report.reused == done and sorted(report.prepared + report.reused) == reference.prepared
    files = sorted(p.name for p in (resumed_dir / "videos").iterdir())
    assert files == sorted(p.name for p in (reference_dir / "videos").iterdir())
    for name in files:
        same_tensors(resumed_dir, reference_dir, name)
    assert read_videos(resumed_dir).equals(read_videos(reference_dir))
