"""``--init CHECKPOINT``: MOL starts from a checkpoint's weights (weights only, names and shapes
checked), in the trainer, in a LOSO run and from the command line; anything else is refused with
one line that names the file and the first difference."""

import pytest
import torch
import yaml

from molkit.cli import main
from molkit.model import MOL, MOLConfig
from molkit.run.configs import loso_config_from_profile
from molkit.train import TrainConfig, load_checkpoint, train_fold
from molkit.train.checkpoint import init_weights, save_checkpoint, state_dict_cpu
from molkit.train.loso import LosoConfig, open_clips

MODEL = MOLConfig(n_classes=5, flow_width=0.0625)


def _checkpoint(path, config=MODEL, seed=7):
    """A checkpoint of a MOL drawn from ``seed`` (not the trainer's 2023)."""
    torch.manual_seed(seed)
    model = MOL(config)
    save_checkpoint(path, state_dict_cpu(model), config, TrainConfig(), {})
    return model


def _parameters(model):
    return {name: value.detach().clone() for name, value in model.named_parameters()}


@pytest.fixture(scope="module")
def train_set(small_cache):
    return open_clips(LosoConfig(train_crops=1), small_cache[0], ("sub02",), True)


def test_init_weights_loads_every_parameter_and_buffer(tmp_path):
    source = _checkpoint(tmp_path / "init.pt")
    model = MOL(MODEL)
    rest = init_weights(model, tmp_path / "init.pt")
    assert "weights" not in rest and rest["model_config"] == MODEL.to_dict()
    for name, value in model.state_dict().items():
        assert torch.equal(value, source.state_dict()[name]), name


@pytest.mark.parametrize(
    "other, named, theirs, mine",
    [
        (MOLConfig(n_classes=3, flow_width=0.0625), "mer_head.fc2.weight", "[3, ", "[5, "),
        (MOLConfig(n_classes=5, flow_width=0.125), "flow_head.", "[", "["),
    ],
    ids=["classes", "flow width"],
)
def test_other_shapes_are_refused_with_one_line(tmp_path, other, named, theirs, mine):
    path = tmp_path / "other.pt"
    _checkpoint(path, other)
    model = MOL(MODEL)
    before = _parameters(model)
    with pytest.raises(ValueError) as err:
        init_weights(model, path)
    message = str(err.value)
    assert "\n" not in message and message.startswith(f"{path}: cannot start the model from it: ")
    assert named in message and f"has shape {theirs}" in message and f"there, {mine}" in message
    if named.endswith("weight"):  # the first mismatch in the model's order, with both shapes
        fc2 = MOL(MODEL).mer_head.fc2.weight.shape[1]
        assert f"[3, {fc2}] there, [5, {fc2}] in the model being built" in message
    assert all(torch.equal(before[k], v) for k, v in _parameters(model).items())  # left as it was


def test_missing_and_extra_parameters_are_refused(tmp_path):
    _checkpoint(tmp_path / "no_landmarks.pt", MODEL.replace(landmarks=False))
    with pytest.raises(ValueError, match=r"it has no landmark_head\.\S+ \(shape \["):
        init_weights(MOL(MODEL), tmp_path / "no_landmarks.pt")
    _checkpoint(tmp_path / "full.pt")
    with pytest.raises(ValueError, match=r"its landmark_head\.\S+ \(shape \[.*is not in the model"):
        init_weights(MOL(MODEL.replace(landmarks=False)), tmp_path / "full.pt")


def test_settings_that_change_no_shape_are_named_in_a_warning(tmp_path):
    _checkpoint(tmp_path / "magnified.pt", MODEL.replace(magnification=21.0))
    with pytest.warns(UserWarning, match=r"magnified.pt: .*other settings \(magnification 21.0 -> 1.0\)"):
        init_weights(MOL(MODEL), tmp_path / "magnified.pt")


def test_a_file_that_is_not_a_checkpoint_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("hello\n")
    torch.save({"weights": state_dict_cpu(MOL(MODEL))}, tmp_path / "bare.pt")  # no format
    torch.save(state_dict_cpu(MOL(MODEL)), tmp_path / "state_dict.pt")  # a plain state dict
    for name in ("notes.txt", "bare.pt", "state_dict.pt"):
        with pytest.raises(ValueError, match=f"^{tmp_path / name}: not a molkit checkpoint"):
            init_weights(MOL(MODEL), tmp_path / name)
    with pytest.raises(FileNotFoundError, match=f"^{tmp_path / 'absent.pt'}: no such checkpoint file$"):
        init_weights(MOL(MODEL), tmp_path / "absent.pt")


def test_the_trainer_starts_from_the_checkpoint(tmp_path, train_set):
    source = _parameters(_checkpoint(tmp_path / "init.pt"))
    # one step at learning rate 0 leaves every parameter where it started (BatchNorm's running
    # statistics, buffers, do move): the fold's checkpoint holds the parameters it started from
    still = TrainConfig(steps=1, batch_size=2, lr=0.0, init=str(tmp_path / "init.pt"))
    train_fold(MODEL, still, train_set, tmp_path / "init", progress=False)
    started, record = load_checkpoint(tmp_path / "init" / "checkpoint.pt")
    assert record["train_config"]["init"] == str(tmp_path / "init.pt")
    for name, value in _parameters(started).items():
        assert torch.equal(value, source[name]), name
    # without --init the same run starts from the trainer's own draw (seed 2023), not the file's
    train_fold(MODEL, still.replace(init=None), train_set, tmp_path / "scratch", progress=False)
    scratch = _parameters(load_checkpoint(tmp_path / "scratch" / "checkpoint.pt")[0])
    torch.manual_seed(2023)
    assert all(torch.equal(value, scratch[name]) for name, value in _parameters(MOL(MODEL)).items())
    assert not torch.equal(scratch["mer_head.fc2.weight"], source["mer_head.fc2.weight"])


def test_init_is_for_mol_only():
    with pytest.raises(ValueError, match="train.init .* STSTNet does not start from one"):
        LosoConfig(method="ststnet", train=TrainConfig(init="x.pt"))


@pytest.fixture(scope="module")
def cli_checkpoint(tmp_path_factory, tiny_loso_args):
    """A checkpoint of the model ``molkit loso``'s tiny options build (the smoke profile's
    recipe at flow width 0.0625), and one of another class count."""
    base = tmp_path_factory.mktemp("init_cli")
    model = loso_config_from_profile("smoke").model.replace(flow_width=0.0625)
    source = _checkpoint(base / "init.pt", model)
    _checkpoint(base / "three.pt", model.replace(n_classes=3))
    return base, _parameters(source)


def test_loso_command_starts_every_fold_from_the_checkpoint(small_cache, cli_checkpoint, tiny_loso_args):
    base, source = cli_checkpoint
    out = base / "loso"
    argv = ["loso", "--cache", str(small_cache[0]), "--out", str(out), *tiny_loso_args]
    assert main([*argv, "--init", str(base / "init.pt"), "--lr", "0"]) == 0
    assert yaml.safe_load((out / "loso.yaml").read_text())["train"]["init"] == str(base / "init.pt")
    model, record = load_checkpoint(out / "fold_sub01" / "checkpoint.pt")
    assert all(torch.equal(value, source[name]) for name, value in _parameters(model).items())


@pytest.mark.parametrize("command", ["train", "loso"])
def test_commands_refuse_a_wrong_init_with_one_line(
    small_cache, cli_checkpoint, tiny_loso_args, capsys, command
):
    base, _ = cli_checkpoint
    at = tiny_loso_args.index("--folds")
    options = tiny_loso_args if command == "loso" else tiny_loso_args[:at] + tiny_loso_args[at + 2 :]
    argv = [command, "--cache", str(small_cache[0]), "--out", str(base / f"refused_{command}"), *options]
    assert main([*argv, "--init", str(base / "three.pt")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"molkit {command}: {base / 'three.pt'}: cannot start")
    assert "mer_head.fc2.weight has shape [3, " in err and "there, [5, " in err
    assert main([*argv, "--init", str(base / "absent.pt")]) == 2
    assert capsys.readouterr().err == f"molkit {command}: {base / 'absent.pt'}: no such checkpoint file\n"
    if command == "loso":
        assert main([*argv, "--init", str(base / "init.pt"), "--model", "ststnet"]) == 2
        assert "STSTNet does not start from one" in capsys.readouterr().err
    assert not (base / f"refused_{command}" / "fold_sub01").exists()
