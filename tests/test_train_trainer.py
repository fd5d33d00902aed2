"""The fold trainer: exact resume, checkpoints that load with weights_only, checkpoint selection."""

import json

import pytest
import torch

from molkit.data import ClipDataset
from molkit.model import MOL, MOLConfig
from molkit.train import TrainConfig, load_checkpoint, predict_dataset, read_log, score, train_fold
from molkit.train.evaluation import labels_of
from molkit.train.loso import LosoConfig, open_clips
from molkit.train.trainer import training_fit

MODEL = MOLConfig(n_classes=5, flow_width=0.0625)
TRAIN = TrainConfig(steps=4, batch_size=2, save_every=2, eval_every=2, deterministic=True)


@pytest.fixture(scope="module")
def clips(small_cache):
    cache, _ = small_cache
    config = LosoConfig(train_crops=2)
    return open_clips(config, cache, None, True), open_clips(config, cache, None, False)


def _without_time(log):
    return [{k: v for k, v in entry.items() if k != "seconds"} for entry in log]


def test_resumed_fold_equals_uninterrupted(tmp_path, clips):
    train, _ = clips
    whole = train_fold(MODEL, TRAIN, train, tmp_path / "whole", progress=False)
    assert train_fold(MODEL, TRAIN, train, tmp_path / "cut", until_step=3, progress=False) is None
    assert (tmp_path / "cut" / "state.pt").exists()
    assert not (tmp_path / "cut" / "checkpoint.pt").exists()
    resumed = train_fold(MODEL, TRAIN, train, tmp_path / "cut", progress=False)
    assert not (tmp_path / "cut" / "state.pt").exists()
    assert resumed["metrics"] == whole["metrics"]
    a, _ = load_checkpoint(tmp_path / "whole" / "checkpoint.pt")
    b, _ = load_checkpoint(tmp_path / "cut" / "checkpoint.pt")
    for (name, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items()):
        assert torch.equal(x, y), name
    assert _without_time(read_log(tmp_path / "cut")) == _without_time(read_log(tmp_path / "whole"))
    log = read_log(tmp_path / "whole")
    assert [e["step"] for e in log] == [1, 2, 3, 4, 4] and log[-1]["event"] == "training_fit"
    assert whole["metrics"]["training_fit"] == {
        k: v for k, v in log[-1].items() if k not in ("step", "event")
    }


def test_training_fit_names_a_collapsed_model(synthetic_cache):
    train = ClipDataset(synthetic_cache[0], train=True, crops=1)
    model = MOL(MODEL).eval()
    with torch.no_grad():  # constant logits favouring class 2: one class for every clip
        model.mer_head.fc2.weight.zero_()
        model.mer_head.fc2.bias.copy_(torch.tensor([0.0, 0.0, 5.0, 0.0, 0.0]))
    fit = training_fit(model, train, 5, per_class=2)
    labels = labels_of(train)
    assert all((labels == c).sum() >= 2 for c in range(5))
    assert fit["items"] == 10 and fit["classes_predicted"] == 1
    assert fit["accuracy"] == pytest.approx(0.2)
    assert fit["recall"] == [0.0, 0.0, 1.0, 0.0, 0.0]
    assert fit["collapsed"] == "predicts one class for every training clip"


def test_checkpoint_is_plain_and_complete(tmp_path, clips):
    train, _ = clips
    train_fold(MODEL, TRAIN, train, tmp_path, progress=False, test_subject="sub02")
    record = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert record["model_config"] == MODEL.to_dict()
    assert TrainConfig.from_dict(record["train_config"]) == TRAIN
    assert record["test_subject"] == "sub02"
    assert {"torch", "numpy", "molkit", "python"} <= set(record["versions"])
    assert record["metrics"]["selected_step"] == TRAIN.steps
    model, rest = load_checkpoint(tmp_path / "checkpoint.pt")
    assert "weights" not in rest and not model.training
    for name, value in model.state_dict().items():
        assert torch.equal(value, record["weights"][name])
    # a finished fold is not trained again; another configuration is refused by name
    before = (tmp_path / "checkpoint.pt").stat().st_mtime_ns
    train_fold(MODEL, TRAIN, train, tmp_path, progress=False)
    assert (tmp_path / "checkpoint.pt").stat().st_mtime_ns == before
    with pytest.raises(ValueError, match="checkpoint.pt"):
        train_fold(MODEL, TRAIN.replace(steps=5), train, tmp_path, progress=False)


def test_selection_keeps_the_first_best_checkpoint(tmp_path, clips):
    train, test = clips
    config = TRAIN.replace(steps=3, eval_every=1, lr=1e-3)
    record = train_fold(MODEL, config, train, tmp_path, select_set=test, progress=False)
    selections = [e for e in read_log(tmp_path) if e.get("event") == "select"]
    assert [e["step"] for e in selections] == [1, 2, 3]
    best = max(e["accuracy"] for e in selections)
    first_best = next(e["step"] for e in selections if e["accuracy"] == best)
    assert record["metrics"]["selected_step"] == first_best
    assert record["metrics"]["select_score"] == best
    model, _ = load_checkpoint(tmp_path / "checkpoint.pt")
    again = score(predict_dataset(model, test, batch_size=2), 5)
    assert again["accuracy"] == pytest.approx(best)


def test_log_lines_are_json_with_every_loss(tmp_path, clips):
    train, _ = clips
    train_fold(MODEL, TRAIN.replace(steps=2, balance="weights"), train, tmp_path, progress=False)
    lines = (tmp_path / "log.jsonl").read_text().splitlines()
    entry = json.loads(lines[-2])  # the last step's (the training fit follows it)
    assert {"step", "total", "mer", "flow", "landmarks", "seconds"} <= set(entry)
    weights = TRAIN.loss
    assert entry["total"] == pytest.approx(
        weights.mer * entry["mer"] + weights.flow * entry["flow"] + weights.landmarks * entry["landmarks"],
        rel=1e-5,
    )
