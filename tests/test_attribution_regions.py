"""Facial region masks: where they lie, and that they follow the landmarks."""

import numpy as np
import pytest
import torch

from molkit.attribution.regions import REGIONS, region_index, region_masks


def test_every_region_is_drawn_and_regions_are_disjoint(face_landmarks):
    masks = region_masks(face_landmarks)
    assert list(masks) == list(REGIONS)
    stacked = torch.stack(list(masks.values()))
    assert stacked.shape == (len(REGIONS), 128, 128)
    assert (stacked.sum((1, 2)) > 50).all(), "every region covers some pixels"
    assert stacked.sum(0).max() == 1, "no pixel belongs to two regions"


def test_regions_sit_on_their_landmarks(face_landmarks):
    masks = region_masks(face_landmarks)
    p = face_landmarks.numpy()

    def inside(name, point):
        x, y = np.round(point).astype(int)
        return bool(masks[name][y, x])

    assert inside("left_eye", p[36:42].mean(0)) and inside("right_eye", p[42:48].mean(0))
    assert inside("lip_corners", p[48]) and inside("lip_corners", p[54])
    assert inside("left_brow", p[19]) and inside("right_brow", p[24])
    assert inside("nose", p[30]) and inside("mouth", p[62])
    assert inside("chin", (p[8] + p[57]) / 2)
    assert inside("glabella", (p[21] + p[22]) / 2 + [0, -3])
    # "left" is the image's left
    cols = {name: masks[name].nonzero()[:, 1].float().mean() for name in REGIONS}
    for side in ("brow", "eye", "cheek"):
        assert cols[f"left_{side}"] < 64 < cols[f"right_{side}"]


@pytest.mark.parametrize("dx, dy", [(5, 0), (0, -7), (-3, 4)])
def test_masks_move_with_the_landmarks(face_landmarks, dx, dy):
    still = region_index(face_landmarks).numpy()
    moved = region_index(face_landmarks + torch.tensor([dx, dy])).numpy()
    assert (moved != still).any()
    np.testing.assert_array_equal(moved, np.roll(still, (dy, dx), axis=(0, 1)))


def test_each_frame_follows_its_own_landmarks(face_landmarks):
    shifts = torch.tensor([[0, 0], [2, 0], [4, 1], [6, 3]], dtype=torch.float32)
    clip = face_landmarks[None] + shifts[:, None]  # [T=4, 68, 2]
    masks = region_masks(clip[None])  # batch of one clip
    assert masks["mouth"].shape == (1, 4, 128, 128)
    first = region_index(face_landmarks).numpy()
    for t, (dx, dy) in enumerate(shifts.int().tolist()):
        index = sum((i + 1) * masks[name][0, t].long() for i, name in enumerate(REGIONS))
        np.testing.assert_array_equal(index.numpy(), np.roll(first, (dy, dx), axis=(0, 1)))


def test_masks_scale_with_the_face(face_landmarks):
    centre = face_landmarks.mean(0)
    small = region_masks(centre + 0.5 * (face_landmarks - centre))
    full = region_masks(face_landmarks)
    for name in ("left_cheek", "mouth", "chin"):
        ratio = small[name].sum().item() / full[name].sum().item()
        assert 0.2 < ratio < 0.3, (name, ratio)  # area goes with the square of the scale


def test_bad_landmarks_are_refused(face_landmarks):
    with pytest.raises(ValueError, match="68, 2"):
        region_masks(face_landmarks[:60])
    bad = face_landmarks.clone()
    bad[3, 0] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        region_masks(bad)
