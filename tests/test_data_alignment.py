"""Alignment, clip sampling, crops and flow carrying, against analytic results and naive loops."""

from __future__ import annotations

import statistics

import cv2
import numpy as np
import pytest
import torch

from molkit.data import PrepSettings, alignment, clips
from molkit.data.tvl1 import end_point_error, tvl1


def random_face(rng, angle):
    """68 random points with eyes, nose tip and mouth corners where a tilted face has them."""
    points = rng.uniform(40, 120, size=(68, 2))
    base = [
        (slice(36, 42), (60, 70)),
        (slice(42, 48), (100, 70)),
        (30, (80, 95)),
        (48, (65, 115)),
        (54, (95, 118)),
    ]
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    for where, centre in base:
        points[where] = (np.array(centre) - 80) @ rotation.T + 80 + rng.normal(0, 1, (2,))
    return points


@pytest.mark.parametrize("angle", [-0.3, 0.0, 0.2])
def test_alignment_levels_eyes_and_fits_the_box(angle):
    marks = random_face(np.random.default_rng(1), angle)
    matrix = alignment.alignment_matrix(marks, size=144, enlarge=2.5)
    moved = alignment.transform_points(matrix, marks)
    left, right = moved[36:42].mean(0), moved[42:48].mean(0)
    assert left[1] == pytest.approx(right[1], abs=1e-9) and right[0] > left[0]
    keys = np.stack([left, right, moved[30], moved[48], moved[54]])
    low, high = keys.min(0), keys.max(0)
    np.testing.assert_allclose((low + high) / 2, [71.5, 71.5], atol=1e-9)  # box centre -> image centre
    assert (high - low).max() == pytest.approx(143 / 2.5)  # larger side = (size - 1) / enlarge
    # a similarity: equal scale on both axes, no shear
    a = matrix[:, :2]
    np.testing.assert_allclose(a @ a.T, np.eye(2) * (a[0] ** 2).sum(), atol=1e-12)


def test_warp_moves_pixels_like_the_landmarks():
    rng = np.random.default_rng(0)
    image = np.full((130, 130), 30, np.uint8)
    marks = random_face(rng, 0.25) - 15
    x, y = marks[30].round().astype(int)
    image[y - 1 : y + 2, x - 1 : x + 2] = 255  # a bright spot on the nose tip
    matrix = alignment.alignment_matrix(marks)
    aligned = alignment.warp(image, matrix)
    spot = np.argwhere(aligned == aligned.max()).mean(0)[::-1]
    np.testing.assert_allclose(spot, alignment.transform_points(matrix, np.array([x, y], float)), atol=1.0)
    ys, xs = np.mgrid[0:144, 0:144]
    raw = alignment.transform_points(alignment.invert(matrix), np.stack([xs, ys], -1).astype(float))
    outside = ((raw < -1) | (raw > 130)).any(-1)
    assert outside.sum() > 100 and (aligned[outside] == alignment.BORDER).all()  # grey borders


def test_carry_flow_matches_the_analytic_map():
    # raw flow: a constant translation d; A_i a similarity; A_j = A_i followed by a shift t
    d = np.array([0.7, -0.4])
    angle, scale = 0.2, 1.3
    a_i = np.array(
        [
            [scale * np.cos(angle), scale * np.sin(angle), -10.0],
            [-scale * np.sin(angle), scale * np.cos(angle), 5.0],
        ]
    )
    a_j = a_i.copy()
    a_j[:, 2] += [1.5, -2.0]
    raw = np.broadcast_to(d, (300, 300, 2)).astype(np.float32)
    carried = alignment.carry_flow(raw, a_i, a_j, size=32)
    expected = a_i[:, :2] @ d + [1.5, -2.0]
    np.testing.assert_allclose(carried.reshape(-1, 2), np.broadcast_to(expected, (32 * 32, 2)), atol=1e-4)


def test_nearest_available_against_a_loop():
    rng = np.random.default_rng(3)
    for _ in range(50):
        found = list(rng.random(rng.integers(1, 15)) < 0.4)
        if not any(found):
            continue
        naive = []
        for i in range(len(found)):
            for distance in range(len(found)):
                if i - distance >= 0 and found[i - distance]:
                    naive.append(i - distance)
                    break
                if i + distance < len(found) and found[i + distance]:
                    naive.append(i + distance)
                    break
        assert alignment.nearest_available(found) == naive


def jittered_landmarks(face, n, jitter, seed=0):
    """n frames' landmarks of one still face, each with independent dlib-like noise."""
    rng = np.random.default_rng(seed)
    return [face + rng.normal(0, jitter, face.shape) for _ in range(n)]


def test_frame_alignment_maps_each_frame_with_its_own_landmarks(face_landmarks):
    marks = jittered_landmarks(face_landmarks.double().numpy() + 20, 6, 0.8)
    marks[2] = None  # no face: borrows frame 1's (the earlier of two equally near)
    raw, matrices = alignment.align_video(marks, "frame")
    for i, source in enumerate([0, 1, 1, 3, 4, 5]):
        np.testing.assert_array_equal(raw[i], marks[source])
        np.testing.assert_allclose(matrices[i], alignment.alignment_matrix(marks[source]))


def test_video_alignment_uses_one_map_from_the_median_landmarks(face_landmarks):
    marks = jittered_landmarks(face_landmarks.double().numpy() + 20, 7, 0.8, seed=1)
    marks[3] = None
    raw, matrices = alignment.align_video(marks, "video", size=144, enlarge=2.5)
    found = [m for m in marks if m is not None]
    median = np.array([[statistics.median(m[k, c] for m in found) for c in range(2)] for k in range(68)])
    expected = alignment.alignment_matrix(median, 144, 2.5)
    for matrix in matrices:
        np.testing.assert_allclose(matrix, expected)
    np.testing.assert_array_equal(raw[3], marks[2])  # landmarks still borrowed from the nearest frame


def test_video_alignment_keeps_a_still_face_still(face_landmarks):
    """dlib's jitter moves the whole face between frames under per-frame alignment; one map per
    video leaves the frames of a still face identical."""
    image = cv2.GaussianBlur(
        np.random.default_rng(0).integers(0, 255, (200, 200)).astype(np.uint8), (0, 0), 3
    )
    marks = jittered_landmarks(face_landmarks.double().numpy() + 30, 4, 0.8)
    for mode, still in (("video", True), ("frame", False)):
        _, matrices = alignment.align_video(marks, mode)
        frames = [alignment.warp(image, m).astype(float) for m in matrices]
        moved = max(np.abs(f - frames[0]).mean() for f in frames[1:])
        assert (moved == 0) == still, (mode, moved)


def test_unknown_alignment_is_refused(face_landmarks):
    with pytest.raises(ValueError, match="alignment must be one of"):
        alignment.align_video([face_landmarks.numpy()], "onset")
    with pytest.raises(ValueError, match="PrepSettings.alignment"):
        PrepSettings(alignment="onset")


@pytest.mark.parametrize("n_frames", [8, 15, 16, 67])
def test_stride_clips_cover_each_frame_once(n_frames):
    step = clips.stride(n_frames)
    used = sorted(t for j in range(step) for t in clips.clip_frames(j, step))
    assert used == list(range(8 * step)) and 8 * step <= n_frames < 8 * (step + 1)
    assert clips.clip_frames(1, step)[1] - clips.clip_frames(1, step)[0] == step


def test_train_offsets_are_seeded_and_in_range():
    offsets = {clips.train_offset(0, "casme2/sub01/EP01_01", c, k) for c in range(10) for k in range(5)}
    assert all(0 <= y <= 16 and 0 <= x <= 16 for y, x in offsets) and len(offsets) > 20
    assert clips.train_offset(3, "v", 1, 2) == clips.train_offset(3, "v", 1, 2)
    assert clips.train_offset(3, "v", 1, 2) != clips.train_offset(4, "v", 1, 2) or clips.train_offset(
        3, "v", 1, 3
    ) != clips.train_offset(4, "v", 1, 3)
    narrow = [clips.train_offset(0, "v", c, k, jitter=4) for c in range(10) for k in range(5)]
    assert {v for offset in narrow for v in offset} == {6, 7, 8, 9, 10}  # centred on the test crop
    assert clips.train_offset(0, "v", 0, 0, jitter=0) == clips.TEST_OFFSET
    with pytest.raises(ValueError, match="crop jitter"):
        clips.train_offset(0, "v", 0, 0, jitter=18)


def test_normalise_minus_mean_over_max():
    clip = torch.rand(8, 4, 4) * 200
    out = clips.normalise(clip)
    centred = clip.numpy() - clip.numpy().mean()
    np.testing.assert_allclose(out.numpy(), centred / centred.max(), rtol=1e-5, atol=1e-6)
    assert torch.equal(clips.normalise(torch.zeros(2, 2)), torch.zeros(2, 2))


def test_tvl1_recovers_a_known_shift():
    rng = np.random.default_rng(0)
    texture = cv2.GaussianBlur(rng.uniform(0, 255, (96, 96)), (0, 0), 2.0)
    texture = cv2.normalize(texture, None, 0, 255, cv2.NORM_MINMAX)
    shift = (0.8, -0.5)
    moved = cv2.warpAffine(
        texture, np.float32([[1, 0, shift[0]], [0, 1, shift[1]]]), (96, 96), borderMode=cv2.BORDER_REFLECT
    )
    flow = tvl1(texture.astype(np.uint8), moved.astype(np.uint8))
    inner = flow[16:-16, 16:-16]
    truth = np.broadcast_to(np.float32(shift), inner.shape)
    assert end_point_error(inner, truth) < 0.15 < end_point_error(np.zeros_like(inner), truth)
