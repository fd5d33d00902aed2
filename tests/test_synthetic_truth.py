"""The ground truth is exact: frames warp onto each other with the true flow, landmarks ride on
it, the class motion lives inside the mask, and dlib sees the faces."""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import pytest

from molkit.data.face import detect_landmarks
from molkit.data.truth import Motion, _motion, near_points
from molkit.synthetic import (
    EMOTIONS,
    generate,
    list_samples,
    sample_truth,
    true_flow,
    true_landmarks,
    true_region_mask,
)
from molkit.synthetic.faces import CROP_BOX, CROP_PX, feature_extent
from molkit.synthetic.generate import _streams
from molkit.synthetic.motion import (
    Nuisances,
    check_folding,
    draw_expression,
    expression_curve,
    plan_motion,
)

CLEAN = dict(noise_std=0.0, flicker=0.0, blink_probability=0.0, head_shift_px=0.0, head_rotation_deg=0.0)


@pytest.fixture(scope="module")
def clean_root(tmp_path_factory):
    """One subject, every class, no nuisances: only the action units move."""
    return generate(
        tmp_path_factory.mktemp("clean"), subjects=1, samples_per_subject=5, frames=16, seed=4, **CLEAN
    )


def gray(root, sample, position):
    return cv2.imread(str(root / sample / f"img{position + 1}.jpg"), cv2.IMREAD_GRAYSCALE).astype(np.float32)


def bilinear(field, points):
    """Naive bilinear interpolation of ``field [H, W, C]`` at ``points [N, 2]`` (x, y)."""
    out = []
    for x, y in points:
        x0, y0 = int(np.floor(x)), int(np.floor(y))
        fx, fy = x - x0, y - y0
        out.append(
            (1 - fx) * (1 - fy) * field[y0, x0]
            + fx * (1 - fy) * field[y0, x0 + 1]
            + (1 - fx) * fy * field[y0 + 1, x0]
            + fx * fy * field[y0 + 1, x0 + 1]
        )
    return np.array(out)


def test_warping_back_with_true_flow_reproduces_the_frame(clean_root):
    warped_errors, still_errors = [], []
    for sample in list_samples(clean_root):
        apex = sample_truth(clean_root, sample)["apex"]
        flow = true_flow(clean_root, sample, 0, apex)
        first, last = gray(clean_root, sample, 0), gray(clean_root, sample, apex)
        height, width = first.shape
        ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
        warped = cv2.remap(last, xs + flow[..., 0], ys + flow[..., 1], cv2.INTER_CUBIC)
        moving = true_region_mask(clean_root, sample) & (np.linalg.norm(flow, axis=-1) >= 0.3)
        moving[:4], moving[-4:], moving[:, :4], moving[:, -4:] = False, False, False, False
        assert moving.sum() > 0, sample
        warped_errors.append(np.abs(warped - first)[moving])
        still_errors.append(np.abs(last - first)[moving])
        assert still_errors[-1].mean() > 2 * warped_errors[-1].mean(), sample
    ratio = np.concatenate(still_errors).mean() / np.concatenate(warped_errors).mean()
    print(f"photometric error in the moving region: {ratio:.1f}x lower after warping")
    assert ratio >= 5, f"warping with the true flow is only {ratio:.1f}x better than no warp"


def test_landmarks_move_by_the_true_flow(synthetic_root):
    for sample in list_samples(synthetic_root)[::3]:
        landmarks = true_landmarks(synthetic_root, sample)
        assert landmarks.shape == (24, 68, 2) and landmarks.dtype == np.float32
        for i, j in ((0, sample_truth(synthetic_root, sample)["apex"]), (5, 17), (20, 3)):
            carried = landmarks[i] + bilinear(true_flow(synthetic_root, sample, i, j), landmarks[i])
            # bilinear interpolation of the flow between pixels costs a few hundredths of a pixel
            assert np.abs(carried - landmarks[j]).max() < 0.05, (sample, i, j)
        assert np.abs(landmarks[sample_truth(synthetic_root, sample)["apex"]] - landmarks[0]).max() > 0.3


def test_flows_compose_and_invert(synthetic_root):
    sample = list_samples(synthetic_root)[4]
    forward, backward = true_flow(synthetic_root, sample, 2, 12), true_flow(synthetic_root, sample, 12, 2)
    height, width = forward.shape[:2]
    ys, xs = np.mgrid[20 : height - 20 : 7, 20 : width - 20 : 7]
    points = np.stack([xs.ravel(), ys.ravel()], 1).astype(float)
    there = points + forward[ys.ravel(), xs.ravel()]
    back = there + bilinear(backward, there)
    assert np.abs(back - points).max() < 0.05
    assert np.abs(true_flow(synthetic_root, sample, 7, 7)).max() < 1e-5


def test_class_motion_stays_inside_the_mask(clean_root):
    """Without nuisances nothing moves outside the class mask, and something moves inside it."""
    for sample in list_samples(clean_root):
        truth = sample_truth(clean_root, sample)
        mask = true_region_mask(clean_root, sample)
        outside = ~cv2.dilate(mask.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
        for j in (truth["onset"], truth["apex"], truth["offset"] - 1):
            speed = np.linalg.norm(true_flow(clean_root, sample, 0, j), axis=-1)
            assert speed[outside].max() < 1e-4, sample
        assert np.linalg.norm(true_flow(clean_root, sample, 0, truth["apex"]), axis=-1)[mask].max() > 0.3


def test_motion_outside_the_masks_does_not_depend_on_the_label(synthetic_root):
    """Same nuisance draw, five labels: outside the union of their masks the true flow is the same."""
    landmarks = true_landmarks(synthetic_root, "sub02/EP01_01")[0].astype(np.float64)
    flows, masks = [], []
    for emotion in EMOTIONS:
        class_rng, nuisance_rng, _, _ = _streams(11, 1, 1)
        expression = draw_expression(class_rng, emotion, 24, peak_px=1.5)
        motion = plan_motion(expression, landmarks, Nuisances(blink_probability=1.0), class_rng, nuisance_rng)
        flows.append(motion.flow(0, 12, 192, 160))
        masks.append(motion.class_support(192, 160))
    union = cv2.dilate(np.any(masks, axis=0).astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)
    nuisance_speed = np.linalg.norm(flows[0], axis=-1)[~union]
    assert nuisance_speed.max() > 0.05  # head motion and blink are there
    for flow in flows[1:]:
        assert np.abs(flow - flows[0])[~union].max() < 1e-5
        assert np.abs(flow - flows[0])[union].max() > 0.3


def test_amplitude_px_is_micro_sized_and_scaled_by_difficulty(synthetic_root):
    for sample in list_samples(synthetic_root):
        motion = _motion(synthetic_root, sample)
        landmarks = true_landmarks(synthetic_root, sample)[0]
        crop_px = CROP_BOX * feature_extent(landmarks) / CROP_PX  # frame pixels per crop pixel
        apex = sample_truth(synthetic_root, sample)["apex"]
        ys, xs = np.mgrid[0:192, 0:160]
        grid = np.stack([xs.ravel(), ys.ravel()], 1).astype(float)
        peak = np.linalg.norm(motion.displacement(apex, grid, class_only=True), axis=1).max() / crop_px
        assert 0.3 <= peak <= 2.5, (sample, peak)
    easy, hard = (draw_expression(np.random.default_rng(0), "happiness", 40, p) for p in (2.0, 1.0))
    assert (easy.onset, easy.apex, easy.offset) == (hard.onset, hard.apex, hard.offset)


def test_expression_curve_matches_its_definition():
    n, onset, apex, offset = 30, 4, 11, 23
    curve = expression_curve(n, onset, apex, offset)
    for t in range(n):
        if t <= onset or t >= offset:
            expected = 0.0
        elif t <= apex:
            expected = (1 - np.cos(np.pi * (t - onset) / (apex - onset))) / 2
        else:
            expected = (1 + np.cos(np.pi * (t - apex) / (offset - apex))) / 2
        assert curve[t] == pytest.approx(expected, abs=1e-12)
    assert curve[apex] == 1.0


def test_dlib_finds_the_face_and_its_points(synthetic_root):
    found, errors, total = 0, [], 0
    for sample in list_samples(synthetic_root):
        landmarks = true_landmarks(synthetic_root, sample)
        for position in range(0, 24, 3):
            total += 1
            points = detect_landmarks(gray(synthetic_root, sample, position).astype(np.uint8), 1)
            if points is not None:
                found += 1
                errors.append(np.linalg.norm(points - landmarks[position], axis=1).mean())
    assert found / total >= 0.95, f"dlib found {found} of {total} faces"
    assert np.mean(errors) < 3.0  # and its 68 points sit where the truth says


def test_movements_that_would_fold_the_skin_are_refused():
    # one small patch of skin asked to move by more than its own size
    fold = Motion(
        centres=np.array([[50.0, 50.0]]),
        radii=np.array([[4.0, 4.0]]),
        vectors=np.array([[4.0, 0.0]]),
        amplitudes=np.ones((2, 1)),
        is_class=np.array([True]),
        head=np.zeros((2, 4)),
        pivot=np.zeros(2),
    )
    assert fold.strain() > 0.9
    with pytest.raises(ValueError, match="fold the skin"):
        check_folding(fold, "test")


def test_the_shortcuts_equal_their_definitions():
    # near points, class support and strain skip what cannot matter; by hand, nothing is skipped
    rng = np.random.default_rng(5)
    centres, reach, points = (
        rng.uniform(10, 90, (6, 2)),
        rng.uniform(2, 20, (6, 2)),
        rng.uniform(0, 100, (400, 2)),
    )
    inside = [
        any(abs(p - c)[0] < r[0] and abs(p - c)[1] < r[1] for c, r in zip(centres, reach)) for p in points
    ]
    assert near_points(points, centres, reach).tolist() == np.flatnonzero(inside).tolist()
    motion = Motion(
        centres=np.vstack([rng.uniform(20, 140, (5, 2)), [[2.0, 150.0]]]),  # one across the frame's edge
        radii=rng.uniform(3, 25, (6, 2)),
        vectors=rng.normal(0, 1, (6, 2)),
        amplitudes=rng.uniform(0, 1, (3, 6)),
        is_class=np.array([True, True, True, True, False, True]),
        head=np.zeros((3, 4)),
        pivot=np.zeros(2),
    )
    ys, xs = np.mgrid[0:160, 0:192]
    grid = np.stack([xs.ravel(), ys.ravel()], 1).astype(float)
    support = (motion.weights(grid)[:, motion.is_class] > 0).any(-1).reshape(160, 192)
    np.testing.assert_array_equal(motion.class_support(160, 192), support)
    low, high = (motion.centres - motion.radii).min(0), (motion.centres + motion.radii).max(0)
    xs, ys = np.meshgrid(np.arange(low[0], high[0], 0.5), np.arange(low[1], high[1], 0.5))
    points = np.stack([xs.ravel(), ys.ravel()], 1)
    jacobian = np.zeros((len(points), 2, 2))
    for centre, radius, vector, amplitude in zip(
        motion.centres, motion.radii, motion.vectors, motion.amplitudes.T
    ):
        offset = (points - centre) / radius**2
        weight_slope = 4.0 * np.clip(1.0 - (offset * (points - centre)).sum(1), 0.0, None)
        jacobian += (vector * np.abs(amplitude).max())[None, :, None] * (-weight_slope[:, None] * offset)[
            :, None, :
        ]
    assert motion.strain() == pytest.approx(np.sqrt((jacobian**2).sum((1, 2))).max(), rel=1e-12)


def strain_by_finite_differences(motion: Motion) -> float:
    """Largest Frobenius norm of the displacement's Jacobian, by central differences on a 0.5 px grid
    offset from the one ``Motion.strain`` samples."""
    low, high = (motion.centres - motion.radii).min(0), (motion.centres + motion.radii).max(0)
    xs, ys = np.meshgrid(np.arange(low[0] + 0.25, high[0], 0.5), np.arange(low[1] + 0.25, high[1], 0.5))
    points, h = np.stack([xs.ravel(), ys.ravel()], 1), 1e-4
    full = dataclasses.replace(motion, amplitudes=np.abs(motion.amplitudes).max(0, keepdims=True))
    columns = [
        (full.displacement(0, points + d) - full.displacement(0, points - d)) / (2 * h)
        for d in (np.array([h, 0.0]), np.array([0.0, h]))
    ]
    return float(np.sqrt(sum((c**2).sum(1) for c in columns)).max())


def test_larger_movements_move_larger_patches_without_folding(synthetic_root):
    landmarks = true_landmarks(synthetic_root, "sub01/EP01_01")[0]
    scale = CROP_BOX * feature_extent(landmarks) / CROP_PX
    ys, xs = np.mgrid[0:192, 0:160]
    grid = np.stack([xs.ravel(), ys.ravel()], 1).astype(float)
    supports = {}
    for peak_crop_px in (2.0, 4.0, 6.0):
        for emotion in EMOTIONS:
            class_rng, nuisance_rng, _, _ = _streams(3, 1, 1)
            expression = draw_expression(class_rng, emotion, 24, peak_px=peak_crop_px * scale)
            motion = plan_motion(
                expression, landmarks, Nuisances(blink_probability=1.0), class_rng, nuisance_rng
            )
            assert strain_by_finite_differences(motion) <= 0.9 + 1e-3, emotion  # never folds
            # the asked-for movement is there: the largest class displacement is the peak (bumps
            # vary by +-15%; overlapping ones add up, or partly cancel where they move apart)
            peak = np.linalg.norm(motion.displacement(expression.apex, grid, class_only=True), axis=1).max()
            assert 0.7 * peak_crop_px * scale <= peak <= 1.6 * peak_crop_px * scale, emotion
            supports[peak_crop_px, emotion] = motion.class_support(192, 160).sum()
    print({k: int(v) for k, v in supports.items()})
    for emotion in EMOTIONS:
        assert supports[2.0, emotion] < supports[6.0, emotion], emotion
        assert supports[6.0, emotion] < 0.25 * 192 * 160, emotion  # local, never most of the frame
    assert sum(supports[6.0, e] for e in EMOTIONS) > 1.5 * sum(supports[2.0, e] for e in EMOTIONS)
