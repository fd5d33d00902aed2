"""MOL given the motion (``MOLConfig.motion``, issue 35.4): the input built from a batch in one
place, the stem's three channels per frame, the flows cut with the frames, training, checkpoints,
prediction on footage and attribution. The kit's only training augmentation is the crop (no flip):
the crop is what must move the flow with the frames."""

from __future__ import annotations

import argparse
import shutil

import cv2
import numpy as np
import pandas as pd
import pytest
import torch
from torch.utils.data import default_collate

from molkit.attribution import AttributionConfig, attribute
from molkit.cli import main
from molkit.data import ClipDataset, PrepSettings, read_videos
from molkit.data.cache import VIDEOS_CSV, load_tensors, save_tensors
from molkit.data.clips import normalise
from molkit.data.tvl1 import DRAFT_EPSILON
from molkit.model import FLOW_PIXELS, MOL, MOLConfig, model_input
from molkit.run.commands.options import add_run_arguments, config_from_args
from molkit.train import TrainConfig
from molkit.train.checkpoint import init_weights, load_checkpoint, save_checkpoint, state_dict_cpu
from molkit.train.evaluation import predict_dataset
from molkit.train.frames import FrameStream
from molkit.train.loso import LosoConfig, open_clips
from molkit.train.predict import prepare_video, read_frames, window_clip, window_input
from molkit.train.timeline import predict_timeline
from molkit.train.trainer import CHECKPOINT, train_fold

SMALL = {"n_classes": 5, "flow_width": 0.0625}


def naive_input(clip: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """Frame t's channels: the frame, then pair t's flow (t -> t+1) in FLOW_PIXELS units; zeros for
    the last frame."""
    b, _, t, h, w = clip.shape
    out = torch.zeros(b, 3, t, h, w)
    for i in range(b):
        for k in range(t):
            out[i, 0, k] = clip[i, 0, k]
            if k < t - 1:
                out[i, 1, k] = flow[i, k, 0] / FLOW_PIXELS
                out[i, 2, k] = flow[i, k, 1] / FLOW_PIXELS
    return out


def test_no_motion_is_the_released_model():
    batch = {"clip": torch.randn(2, 1, 8, 128, 128), "flow": torch.randn(2, 7, 2, 128, 128)}
    models = []
    for config in (MOLConfig(**SMALL), MOLConfig(**SMALL, motion="none")):
        torch.manual_seed(0)
        models.append(MOL(config).eval())
        assert model_input(batch, config) is batch["clip"]
        assert "motion" not in config.to_dict()  # recorded as before the field existed
    default, none = models
    assert [(n, p.shape) for n, p in default.named_parameters()] == [
        (n, p.shape) for n, p in none.named_parameters()
    ]
    assert default.stem.convs[0].weight.shape == (8, 1, 4, 4)
    with torch.no_grad():
        a, b = default(batch["clip"]), none(batch["clip"])
    for name in ("logits", "flow", "landmarks"):
        assert torch.equal(getattr(a, name), getattr(b, name)), name


def test_motion_feeds_the_stem_three_channels_per_frame():
    torch.manual_seed(0)
    model = MOL(MOLConfig(**SMALL, motion="tvl1")).eval()
    released = MOL(MOLConfig(**SMALL))
    shapes = {n: p.shape for n, p in model.named_parameters()}
    assert shapes.pop("stem.convs.0.weight") == (8, 3, 4, 4)
    assert shapes == {n: p.shape for n, p in released.named_parameters() if n != "stem.convs.0.weight"}
    batch = {"clip": torch.randn(1, 1, 8, 128, 128), "flow": torch.randn(1, 7, 2, 128, 128)}
    with torch.no_grad():
        out = model(model_input(batch, model.config))
        assert out.logits.shape == (1, 5) and out.flow.shape == (1, 7, 2, 128, 128)
        with pytest.raises(ValueError, match=r"expects clips \[B, 3, 8, H, W\].*model_input"):
            model(batch["clip"])


@pytest.mark.parametrize("motion, key", [("tvl1", "flow"), ("truth", "true_flow")])
def test_the_input_places_each_frames_flow_beside_it(motion, key):
    g = torch.Generator().manual_seed(0)
    batch = {
        "clip": torch.randn(2, 1, 4, 5, 6, generator=g),
        "flow": torch.randn(2, 3, 2, 5, 6, generator=g),
        "true_flow": torch.randn(2, 3, 2, 5, 6, generator=g),
    }
    config = MOLConfig(motion=motion)
    torch.testing.assert_close(
        model_input(batch, config), naive_input(batch["clip"], batch[key]), rtol=0, atol=0
    )
    del batch[key]
    with pytest.raises(ValueError, match=f"motion '{motion}' reads the batch's '{key}'"):
        model_input(batch, config)


def test_the_config_refuses_an_unknown_motion_and_records_a_known_one():
    with pytest.raises(ValueError, match=r"MOLConfig.motion must be one of \('none', 'tvl1', 'truth'\)"):
        MOLConfig(motion="farneback")
    assert MOLConfig.from_dict(MOLConfig(motion="truth").to_dict()).motion == "truth"
    older = MOLConfig().to_dict()
    assert MOLConfig.from_dict(older) == MOLConfig()


@pytest.fixture(scope="module")
def truth_cache(small_cache, tmp_path_factory):
    """``small_cache`` with a made-up "true" flow beside TV-L1's (0.25 px minus it: only where it
    goes is under test), as a synthetic cache holds it."""
    cache = tmp_path_factory.mktemp("motion") / "cache"
    shutil.copytree(small_cache[0], cache)
    for file in read_videos(cache).file:
        data = load_tensors(cache / file, mmap=False)
        data["true_flow"] = 0.25 - data["flows"].float()
        data["true_landmarks"] = data["landmarks"]
        save_tensors(cache / file, data)
    table = pd.read_csv(cache / VIDEOS_CSV)
    table["has_truth"] = True
    table.to_csv(cache / VIDEOS_CSV, index=False)
    return cache


def test_training_crops_cut_the_flows_with_the_frames(truth_cache):
    config = LosoConfig(model=MOLConfig(**SMALL, motion="truth"), train_crops=2, data_seed=1)
    data = open_clips(config, truth_cache, None, True)
    assert len(data.table[["offset_y", "offset_x"]].drop_duplicates()) > 1
    assert "true_flow" not in open_clips(config.replace(model=MOLConfig(**SMALL)), truth_cache, None, True)[0]
    for index in range(len(data)):
        row, item = data.table.iloc[index], data[index]
        stored = load_tensors(truth_cache / row.file)
        frames = [row.clip_index + k * row.stride for k in range(8)]
        y, x = int(row.offset_y), int(row.offset_x)
        clip = normalise(stored["frames"][frames, y : y + 128, x : x + 128].float())[None, None]
        for key, flows in (("flow", stored["flows"]), ("true_flow", stored["true_flow"])):
            flow = torch.stack([flows[f, :, y : y + 128, x : x + 128].float() for f in frames[:-1]])[None]
            motion = "tvl1" if key == "flow" else "truth"
            torch.testing.assert_close(
                model_input(default_collate([item]), MOLConfig(motion=motion)), naive_input(clip, flow)
            )


def test_a_model_fed_the_true_flow_needs_a_cache_that_holds_it(small_cache):
    config = LosoConfig(model=MOLConfig(**SMALL, motion="truth"))
    with pytest.raises(ValueError, match="with_truth needs a cache prepared from synthetic data"):
        open_clips(config, small_cache[0], None, True)


@pytest.mark.parametrize("motion", ["tvl1", "truth"])
def test_a_model_fed_motion_trains_and_its_checkpoint_says_so(truth_cache, tmp_path, motion):
    config = LosoConfig(model=MOLConfig(**SMALL, motion=motion), train_crops=1)
    train = TrainConfig(steps=1, batch_size=2)
    with pytest.warns(UserWarning, match="predicts one class"):  # every clip is happiness
        record = train_fold(
            config.model, train, open_clips(config, truth_cache, None, True), tmp_path, progress=False
        )
    assert record["model_config"]["motion"] == motion
    model, _ = load_checkpoint(tmp_path / CHECKPOINT)
    assert model.config == config.model and model.stem.convs[0].weight.shape == (8, 3, 4, 4)
    table = predict_dataset(model, open_clips(config, truth_cache, None, False), batch_size=2, errors=True)
    assert len(table) == 4 and {"epe_tvl1", "epe_true"} <= set(table.columns)
    with pytest.raises(
        ValueError, match=r"stem.convs.0.weight has shape \[8, 3, 4, 4\] there, \[8, 1, 4, 4\]"
    ):
        init_weights(MOL(MOLConfig(**SMALL)), tmp_path / CHECKPOINT)


def write_checkpoint(path, motion: str, settings: PrepSettings):
    """An untrained MOL fed ``motion`` whose training clips were consecutive frames at 200 fps."""
    torch.manual_seed(0)
    model = MOL(MOLConfig(**SMALL, motion=motion))
    return save_checkpoint(
        path,
        state_dict_cpu(model),
        model.config,
        TrainConfig(),
        {},
        class_names=["surprise", "happiness", "disgust", "repression", "others"],
        prep_settings=settings.to_dict(),
        clip_timing={"frame_rate": 200.0, "clip_stride": 1, "datasets": ["casme2"]},
    )


def test_footage_is_fed_the_tvl1_flow_the_cache_holds(small_cache, small_dataset):
    config = MOLConfig(**SMALL, motion="tvl1")
    data = ClipDataset(small_cache[0], subjects=["sub02"], train=False)
    (row,) = np.flatnonzero(data.table.video_id == "casme2/sub02/EP01_02")
    expected = model_input(default_collate([data[int(row)]]), config)[0]
    video = prepare_video(read_frames(small_dataset / "sub02" / "EP01_02"), PrepSettings())
    torch.testing.assert_close(video.model_input(0, config), expected)
    torch.testing.assert_close(video.model_input(0, MOLConfig()), window_clip(video.frames))


def test_window_input_computes_tvl1_between_consecutive_frames():
    rng = np.random.default_rng(0)
    aligned = np.repeat(rng.integers(0, 255, (1, 144, 144), dtype=np.uint8), 8, axis=0)
    aligned = np.stack([np.roll(frame, k, axis=1) for k, frame in enumerate(aligned)])
    settings = PrepSettings(tvl1_epsilon=DRAFT_EPSILON)
    flows = [settings.flow(aligned[k], aligned[k + 1]) for k in range(7)]
    flow = torch.stack([torch.from_numpy(f).half().float().permute(2, 0, 1)[:, 8:136, 8:136] for f in flows])
    got = window_input(aligned, MOLConfig(motion="tvl1"), settings)
    torch.testing.assert_close(got, naive_input(window_clip(aligned)[None], flow[None])[0])


def test_prediction_on_footage_with_tvl1(small_dataset, tmp_path):
    settings = PrepSettings(tvl1_epsilon=DRAFT_EPSILON)
    checkpoint = write_checkpoint(tmp_path / "tvl1.pt", "tvl1", settings)
    out = tmp_path / "prediction.npz"
    video = str(small_dataset / "sub02" / "EP01_02")
    assert main(["predict", video, "--checkpoint", str(checkpoint), "--out", str(out)]) == 0
    saved = np.load(out, allow_pickle=False)
    assert saved["window_probabilities"].shape == (1, 5) and saved["probabilities"].shape == (5,)


def test_prediction_on_footage_refuses_a_model_fed_the_true_flow(tmp_path, capsys):
    checkpoint = write_checkpoint(tmp_path / "truth.pt", "truth", PrepSettings())
    assert main(["predict", str(tmp_path / "any.mp4"), "--checkpoint", str(checkpoint)]) == 2
    assert capsys.readouterr().err == (
        f"molkit predict: {checkpoint}: reads the true flow (motion 'truth'), which footage does not "
        "have; evaluate it on a synthetic cache (molkit evaluate)\n"
    )


def test_prediction_on_footage_refuses_a_model_trained_on_onset_apex_clips(tmp_path, capsys):
    checkpoint = write_checkpoint(tmp_path / "span.pt", "none", PrepSettings(span="onset-apex"))
    assert main(["predict", str(tmp_path / "any.mp4"), "--checkpoint", str(checkpoint)]) == 2
    assert capsys.readouterr().err == (
        f"molkit predict: {checkpoint}: trained on clips from the coded onset to the apex (preparation "
        "span 'onset-apex'), which footage does not code; evaluate it on a prepared cache (molkit evaluate)\n"
    )
    model, _ = load_checkpoint(checkpoint)  # the library call refuses it too
    (tmp_path / "frames").mkdir()
    cv2.imwrite(str(tmp_path / "frames" / "img1.png"), np.zeros((8, 8), np.uint8))
    with pytest.raises(ValueError, match="onset to the apex"):
        predict_timeline(
            model,
            FrameStream(tmp_path / "frames"),
            ["a"],
            timing={"frame_rate": 200.0, "clip_stride": 1},
            settings=PrepSettings(span="onset-apex"),
        )
    label = LosoConfig().describe(PrepSettings(span="onset-apex"))
    assert label.endswith("| clips onset-apex") and "clips" not in LosoConfig().describe(PrepSettings())


def test_attribution_of_a_model_fed_motion_reads_the_frames_and_holds_the_flow():
    torch.manual_seed(0)
    model = MOL(MOLConfig(**SMALL, motion="tvl1", flow=False, landmarks=False)).eval()
    batch = {"clip": torch.randn(2, 1, 8, 128, 128), "flow": torch.randn(2, 7, 2, 128, 128)}
    inputs = model_input(batch, model.config)
    config = AttributionConfig(ig_steps=2, window=32, stride=32)
    for method in ("ig", "occlusion", "gradcam"):
        both = attribute(model, inputs, torch.tensor([1, 3]), method, config=config)
        assert both.shape == (2, 1, 8, 128, 128) and torch.isfinite(both).all()
        alone = attribute(model, inputs[1:], 3, method, config=config)
        torch.testing.assert_close(alone, both[1:], rtol=1e-3, atol=1e-4)  # each clip its own flow
    still = torch.cat([inputs[:, :1], torch.zeros_like(inputs[:, 1:])], dim=1)
    assert not torch.allclose(
        attribute(model, still, 1, "ig", config=config), attribute(model, inputs, 1, "ig", config=config)
    )


def test_the_command_line_sets_the_motion_and_keeps_the_rest_of_the_profile():
    parser = argparse.ArgumentParser()
    add_run_arguments(parser)
    base = ["--cache", "c", "--out", "o", "--profile", "smoke"]
    plain = config_from_args(parser.parse_args(base))
    fed = config_from_args(parser.parse_args([*base, "--motion", "tvl1", "--flow-width", "0.5"]))
    assert plain.model.motion == "none"
    assert fed.model == plain.model.replace(motion="tvl1", flow_width=0.5)
    assert fed.replace(model=plain.model) == plain
    with pytest.raises(SystemExit):
        parser.parse_args([*base, "--motion", "optical"])
