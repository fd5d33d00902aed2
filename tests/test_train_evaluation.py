"""Flow EPE, landmark NME and video voting against naive loops."""

import math

import numpy as np
import pandas as pd
import pytest
import torch

from molkit.train.evaluation import end_point_error, inter_ocular_nme, vote_videos


def test_end_point_error_equals_a_loop():
    g = torch.Generator().manual_seed(0)
    pred, target = torch.randn(3, 2, 2, 5, 4, generator=g), torch.randn(3, 2, 2, 5, 4, generator=g)
    got = end_point_error(pred, target)
    for b in range(3):
        total, count = 0.0, 0
        for k in range(2):
            for y in range(5):
                for x in range(4):
                    dx = pred[b, k, 0, y, x] - target[b, k, 0, y, x]
                    dy = pred[b, k, 1, y, x] - target[b, k, 1, y, x]
                    total += math.hypot(dx, dy)
                    count += 1
        assert got[b].item() == pytest.approx(total / count, rel=1e-5)


def test_inter_ocular_nme_equals_a_loop():
    g = torch.Generator().manual_seed(1)
    target = torch.rand(2, 3, 68, 2, generator=g) * 100
    pred = target + torch.randn(2, 3, 68, 2, generator=g)
    got = inter_ocular_nme(pred, target)
    for b in range(2):
        per_frame = []
        for t in range(3):
            ocular = math.dist(target[b, t, 36].tolist(), target[b, t, 45].tolist())
            errors = [math.dist(pred[b, t, i].tolist(), target[b, t, i].tolist()) for i in range(68)]
            per_frame.append(sum(errors) / 68 / ocular)
        assert got[b].item() == pytest.approx(sum(per_frame) / 3, rel=1e-5)


def test_shifted_landmarks_give_shift_over_inter_ocular_distance():
    target = torch.zeros(1, 1, 68, 2)
    target[0, 0, 45, 0] = 40.0  # inter-ocular distance 40 px
    assert inter_ocular_nme(target + torch.tensor([3.0, 4.0]), target).item() == pytest.approx(5 / 40)


def test_videos_vote_by_mean_logits():
    rng = np.random.default_rng(0)
    rows = []
    for video in range(6):
        label = video % 3
        for clip in range(int(rng.integers(1, 5))):
            logits = rng.normal(size=3)
            rows.append(
                {
                    "fold": f"s{video // 2}",
                    "subject": f"s{video // 2}",
                    "video_id": f"v{video}",
                    "clip_index": clip,
                    "label": label,
                    "pred": int(logits.argmax()),
                    **{f"logit_{c}": logits[c] for c in range(3)},
                }
            )
    clips = pd.DataFrame(rows)
    videos = vote_videos(clips).set_index("video_id")
    for video_id in clips.video_id.unique():
        mine = [r for r in rows if r["video_id"] == video_id]
        mean = [sum(r[f"logit_{c}"] for r in mine) / len(mine) for c in range(3)]
        assert videos.loc[video_id, "pred"] == int(np.argmax(mean))
        assert videos.loc[video_id, "label"] == mine[0]["label"]
    assert len(videos) == 6
