"""The synthetic benchmark through the CASME II reader and the whole preparation, checked against
its exact ground truth: labels, TV-L1 flow targets (the draft solver, as the smoke profile's),
landmarks, and cropping the 144 px flow instead of recomputing TV-L1 on every crop."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from molkit.data import ClipDataset, cache, read_dataset, read_videos
from molkit.data.pipeline import cache_prep_settings
from molkit.data.tvl1 import end_point_error
from molkit.synthetic import sample_truth


def epe(a: torch.Tensor, b: torch.Tensor) -> float:
    """Mean end-point error of ``[..., 2, H, W]`` flows."""
    return float((a - b).norm(dim=-3).mean())


@pytest.fixture(scope="module")
def truth_items(synthetic_cache):
    dataset = ClipDataset(synthetic_cache[0], train=False, with_truth=True)
    return dataset, [dataset[i] for i in range(len(dataset))]


def test_reader_labels_match_the_ground_truth(synthetic_root, synthetic_cache):
    manifest = read_dataset("casme2", synthetic_root)
    assert manifest.problems == [] and len(manifest) == 15
    for row in manifest.table.itertuples():
        assert row.emotion == sample_truth(synthetic_root, row.folder)["emotion"]
    report = synthetic_cache[1]
    assert report.usable == 15 and not report.skipped
    assert read_videos(synthetic_cache[0]).has_truth.all()


def test_regions_come_with_the_items(synthetic_root, truth_items):
    dataset, items = truth_items
    for item in items[::4]:
        folder = item["video_id"].split("/", 1)[1]
        assert item["regions"].split(";") == sample_truth(synthetic_root, folder)["regions"]
        assert item["true_flow"].shape == (7, 2, 128, 128) and item["true_landmarks"].shape == (8, 68, 2)


def test_true_landmarks_move_by_the_true_flow(truth_items):
    """Truth carried through each frame's own alignment stays self-consistent: a landmark of clip
    frame k, moved by the carried true flow at its position, lands on the landmark of frame k+1."""
    errors = []
    for item in truth_items[1][::3]:
        marks, flow = item["true_landmarks"].numpy(), item["true_flow"].numpy()
        for k in range(7):
            at = [
                cv2.remap(flow[k, c], marks[k, :, 0], marks[k, :, 1], cv2.INTER_LINEAR).reshape(-1)
                for c in (0, 1)
            ]
            moved = marks[k] + np.stack(at, axis=1)
            errors.append(np.linalg.norm(moved - marks[k + 1], axis=1).mean())
    assert np.mean(errors) < 0.05


def test_dlib_landmarks_are_near_the_true_ones(truth_items):
    errors = [float((i["landmarks"] - i["true_landmarks"]).norm(dim=-1).mean()) for i in truth_items[1]]
    print(f"\nmean distance dlib vs true landmarks, test crop: {np.mean(errors):.3f} px")
    assert np.mean(errors) < 3.0


def test_tvl1_targets_against_the_true_flow(truth_items):
    items = truth_items[1]
    tvl1_error = np.mean([epe(i["flow"], i["true_flow"]) for i in items])
    zero_error = np.mean([epe(torch.zeros_like(i["true_flow"]), i["true_flow"]) for i in items])
    print(f"\nTV-L1 EPE vs true flow (test crop): {tvl1_error:.4f} px; zero flow: {zero_error:.4f} px")
    assert tvl1_error < 0.5 * zero_error


def test_cropping_the_144_flow_is_as_good_as_recomputing(synthetic_cache):
    """The cache computes TV-L1 once on the 144 px pair and crops it; the release recomputed it on
    every 128 px crop (with the cache's own solver settings). Against the true flow, the cropped
    field is no worse than recomputing."""
    cache_dir = synthetic_cache[0]
    settings = cache_prep_settings(cache_dir)
    dataset = ClipDataset(cache_dir, train=True, crops=1, seed=0, with_truth=True)
    cropped, recomputed, between = [], [], []
    for index in range(0, len(dataset), 9):
        item, row = dataset[index], dataset.table.iloc[index]
        data = cache.load_tensors(cache_dir / row.file)
        frames = data["frames"][[row.clip_index + k * row.stride for k in range(8)]].numpy()
        y, x = row.offset_y, row.offset_x
        crop = frames[:, y : y + 128, x : x + 128]
        fresh = np.stack([settings.flow(crop[k], crop[k + 1]) for k in range(7)])
        truth = item["true_flow"].permute(0, 2, 3, 1).numpy()
        ours = item["flow"].permute(0, 2, 3, 1).numpy()
        cropped.append(end_point_error(ours, truth))
        recomputed.append(end_point_error(fresh, truth))
        between.append(end_point_error(ours, fresh))
    print(
        f"\nEPE vs truth: cropped {np.mean(cropped):.4f}, recomputed {np.mean(recomputed):.4f}; "
        f"cropped vs recomputed {np.mean(between):.4f} px"
    )
    assert np.mean(cropped) <= np.mean(recomputed) + 0.01
