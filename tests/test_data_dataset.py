"""ClipDataset over a prepared cache (items against the cached tensors, cropped and normalised by
hand) and the LOSO helpers (against loops and the released subject lists)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from molkit.data import (
    ClipDataset,
    cache,
    class_names,
    compare_subjects,
    loso_folds,
    read_videos,
    released_subjects,
)


@pytest.fixture(scope="module")
def cached(small_cache):
    cache_dir = small_cache[0]
    videos = read_videos(cache_dir).set_index("video_id")
    return cache_dir, {v: cache.load_tensors(cache_dir / f, mmap=False) for v, f in videos.file.items()}


def expected_item(data, clip, offset):
    step = int(data["stride"])
    frames = [clip + k * step for k in range(8)]
    y, x = offset
    raw = data["frames"][frames, y : y + 128, x : x + 128].numpy().astype(np.float64)
    centred = raw - raw.mean()
    return {
        "clip": centred / centred.max(),
        "flow": data["flows"][frames[:7], :, y : y + 128, x : x + 128].float().numpy(),
        "landmarks": data["landmarks"][frames].numpy() - [x, y],
    }


def test_test_items_use_the_fixed_crop(cached):
    cache_dir, data = cached
    dataset = ClipDataset(cache_dir, train=False, classes="5")
    # 16 frames -> stride 2 -> 2 clips; 8 frames -> 1 clip each
    assert len(dataset) == 4 and set(dataset.table.crop) == {0}
    assert set(zip(dataset.table.offset_y, dataset.table.offset_x)) == {(8, 8)}
    for index in range(len(dataset)):
        item = dataset[index]
        want = expected_item(data[item["video_id"]], item["clip_index"], (8, 8))
        assert item["clip"].shape == (1, 8, 128, 128) and item["clip"].dtype == torch.float32
        assert item["flow"].shape == (7, 2, 128, 128) and item["flow"].dtype == torch.float32
        assert item["landmarks"].shape == (8, 68, 2) and item["landmarks"].dtype == torch.float32
        np.testing.assert_allclose(item["clip"][0].numpy(), want["clip"], atol=1e-5)
        np.testing.assert_array_equal(item["flow"].numpy(), want["flow"])
        np.testing.assert_allclose(item["landmarks"].numpy(), want["landmarks"], atol=1e-5)
        assert item["label"].dtype == torch.int64 and int(item["label"]) == 1  # happiness


def test_train_items_random_crops_seeded_and_not_accumulating(cached):
    cache_dir, data = cached
    dataset = ClipDataset(cache_dir, train=True, crops=5, seed=7)
    assert len(dataset) == 4 * 5
    again = ClipDataset(cache_dir, train=True, crops=5, seed=7)
    other = ClipDataset(cache_dir, train=True, crops=5, seed=8)
    offsets = dataset.table[["offset_y", "offset_x"]]
    assert offsets.equals(again.table[["offset_y", "offset_x"]])
    assert not offsets.equals(other.table[["offset_y", "offset_x"]])
    assert offsets.to_numpy().min() >= 0 and offsets.to_numpy().max() <= 16
    for index in (0, 3, 4, 9, 17):  # several crops of the same clip: each shifted once, from the cache
        item, row = dataset[index], dataset.table.iloc[index]
        want = expected_item(data[item["video_id"]], item["clip_index"], (row.offset_y, row.offset_x))
        np.testing.assert_allclose(item["clip"][0].numpy(), want["clip"], atol=1e-5)
        np.testing.assert_allclose(item["landmarks"].numpy(), want["landmarks"], atol=1e-5)
        np.testing.assert_array_equal(item["flow"].numpy(), want["flow"])


def test_subjects_and_class_sets_filter_the_table(cached):
    cache_dir, _ = cached
    only = ClipDataset(cache_dir, subjects=["sub02"], train=False)
    assert set(only.table.subject) == {"sub02"} and len(only) == 1
    three = ClipDataset(cache_dir, train=False, classes="3")
    assert three.classes == class_names("3") and set(three.table.label) == {three.classes.index("positive")}
    with pytest.raises(ValueError, match="synthetic"):
        ClipDataset(cache_dir, with_truth=True)


def test_loso_folds_against_a_loop():
    subjects = ["sub03", "sub01", "sub02", "sub01", "sub04"]
    folds = loso_folds(subjects)
    assert [f.test_subject for f in folds] == ["sub01", "sub02", "sub03", "sub04"]
    for fold in folds:
        assert fold.val_subject is None
        assert fold.train_subjects == tuple(s for s in sorted(set(subjects)) if s != fold.test_subject)
    inner = loso_folds(subjects, validation=True)
    for fold in inner:
        assert fold.val_subject not in (fold.test_subject, *fold.train_subjects)
        assert sorted((fold.test_subject, fold.val_subject, *fold.train_subjects)) == sorted(set(subjects))
    assert len({f.val_subject for f in inner}) == 4  # each subject validates once
    with pytest.raises(ValueError):
        loso_folds(["a", "b"], validation=True)


def test_released_lists_and_their_differences_from_the_data():
    casme = released_subjects("casme2", "5")
    assert len(casme) == 25 and "sub18" not in casme
    found = [f"sub{i:02d}" for i in range(1, 27)]
    difference = compare_subjects(casme, found)
    assert difference.only_in_data == ("sub18",) and difference.only_in_list == ()
    assert "sub18" in str(difference)
    samm5, samm3 = released_subjects("samm", "5"), released_subjects("samm", "3")
    assert len(samm5) == len(samm3) == 28
    assert set(samm5) ^ set(samm3) == {"024", "025"}
    assert len(released_subjects("smic", "3")) == 16
    assert not compare_subjects(["a", "b"], ["b", "a"])
