"""molkit's STSTNet against its authors' definition and released weights. The authors' network
is written here from the layer list in ``../shared/data/ststnet_official/README.md`` (plain
torch.nn); their weight files are read in place from there (tests skip, saying why, without it)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from torch import nn

from molkit.baselines import STSTNet, authors_loso, load_authors_weights
from molkit.baselines.ststnet import ststnet_logits
from molkit.data.flow_images import authors_names, read_flow_images

OFFICIAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ststnet_official"
REAL = OFFICIAL.parent / "real_flows"
FILES = ("sub01.pth", "006.pth", "s01.pth")
needs_weights = pytest.mark.skipif(
    not OFFICIAL.is_dir(),
    reason=f"{OFFICIAL} is absent: the STSTNet authors' weights are read in place from the "
    "shared data folder, which this checkout lacks",
)


class AuthorsSTSTNet(nn.Module):
    """The README's table: per stream Conv2d(3 -> k, 3, padding 2), ReLU, BatchNorm2d(k),
    MaxPool2d(3, 3, padding 1), Dropout(0.5); concat, AvgPool2d(2, 2), Linear(400 -> 3)."""

    def __init__(self) -> None:
        super().__init__()
        for i, k in enumerate((3, 5, 8), start=1):
            setattr(self, f"conv{i}", nn.Conv2d(3, k, kernel_size=3, padding=2))
            setattr(self, f"bn{i}", nn.BatchNorm2d(k))
        self.pool = nn.MaxPool2d(kernel_size=3, stride=3, padding=1)
        self.avg = nn.AvgPool2d(kernel_size=2, stride=2)
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear(400, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        streams = [
            self.drop(self.pool(getattr(self, f"bn{i}")(torch.relu(getattr(self, f"conv{i}")(x)))))
            for i in (1, 2, 3)
        ]
        return self.fc(self.avg(torch.cat(streams, dim=1)).flatten(1))


@needs_weights
@pytest.mark.parametrize("name", FILES)
def test_official_weights_give_the_authors_outputs(name):
    state = torch.load(OFFICIAL / name, map_location="cpu", weights_only=True)
    reference = AuthorsSTSTNet()
    reference.load_state_dict(state)  # strict: the README's keys are exactly these
    reference.eval()
    ours = load_authors_weights(OFFICIAL / name)
    x = torch.rand(16, 3, 28, 28, generator=torch.Generator().manual_seed(0)) * 255  # their 0..255 input
    with torch.no_grad():
        expected = reference(x).numpy()
    got = ststnet_logits(ours, x.numpy())
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-4)
    assert np.abs(expected).max() > 1e-2 and (got.argmax(1) == expected.argmax(1)).all()
    # padding 1 (molkit's earlier STSTNet) does not give the authors' outputs
    wrong = AuthorsSTSTNet()
    wrong.load_state_dict(state)
    for i in (1, 2, 3):
        getattr(wrong, f"conv{i}").padding = (1, 1)
    with torch.no_grad():
        assert not np.allclose(wrong.eval()(x).numpy(), expected, atol=1e-3)


def test_parameter_count_equals_the_authors_definition():
    ours = sum(p.numel() for p in STSTNet(n_classes=3).parameters())
    theirs = sum(p.numel() for p in AuthorsSTSTNet().parameters())
    by_hand = sum(k * 3 * 9 + k + 2 * k for k in (3, 5, 8)) + 400 * 3 + 3
    assert ours == theirs == by_hand == 1_683


def test_a_file_that_is_not_their_weights_is_named(tmp_path):
    bad = tmp_path / "sub01.pth"
    torch.save({"conv9.weight": torch.zeros(1)}, bad)
    with pytest.raises(ValueError, match=f"^{bad}: not the authors' STSTNet weights"):
        load_authors_weights(bad)
    bad.write_bytes(b"not torch")
    with pytest.raises(ValueError, match=f"^{bad}: not a readable"):
        load_authors_weights(bad)


@needs_weights
def test_authors_loso_applies_each_subjects_file_to_its_images_in_file_order(tmp_path):
    """A flat folder of list-named images of two subjects, their weight files linked in: each
    image's logits are the authors' network's on the file as ``cv2.imread`` reads it."""
    rng = np.random.default_rng(1)
    weights = tmp_path / "weights"
    weights.mkdir()
    (tmp_path / "images").mkdir()
    names = authors_names()
    expected = {}
    for subject, prefix in (("casme2/sub01", "sub01"), ("smic/s1", "s01")):
        (weights / f"{prefix}.pth").symlink_to(OFFICIAL / f"{prefix}.pth")
        reference = AuthorsSTSTNet()
        reference.load_state_dict(
            torch.load(OFFICIAL / f"{prefix}.pth", map_location="cpu", weights_only=True)
        )
        for name in names[names.subject == subject].name.head(2):
            path = tmp_path / "images" / f"{name} .png"
            cv2.imwrite(str(path), rng.integers(0, 256, size=(28, 28, 3), dtype=np.uint8))
            with torch.no_grad():
                x = torch.tensor(cv2.imread(str(path)), dtype=torch.float32).permute(2, 0, 1)[None]
                expected[name] = reference.eval()(x).numpy()[0]
    images = read_flow_images(tmp_path / "images")
    table = authors_loso(images, weights)
    assert table.fold.tolist() == table.subject.tolist() == images.table.subject.tolist()
    for row, name in zip(table.itertuples(), images.table.name):
        logits = np.array([row.logit_0, row.logit_1, row.logit_2])
        np.testing.assert_allclose(logits, expected[name], rtol=1e-5, atol=1e-4)
        assert row.pred == logits.argmax()
    (weights / "s01.pth").unlink()
    with pytest.raises(FileNotFoundError, match="s01.pth: no weight file"):
        authors_loso(images, weights)


@needs_weights
@pytest.mark.skipif(
    not REAL.is_dir(), reason=f"{REAL} is absent: the real composite's images are read in place"
)
def test_authors_weights_on_their_real_images_as_their_network_gives(tmp_path):
    """The three weight files on their held-out subjects' real images: molkit's reading and
    model give the authors' network's logits on the raw files."""
    images = read_flow_images(REAL)
    keep = images.table.name.str.split("_").str[0].isin(["sub01", "006", "s01"])
    subset = dataclasses.replace(
        images, table=images.table[keep].reset_index(drop=True), images=images.images[keep.to_numpy()]
    )
    table = authors_loso(subset, OFFICIAL)
    assert len(table) == int(keep.sum()) > 10
    for row, file in zip(table.itertuples(), subset.table.file):
        prefix = Path(file).name.split("_")[0]
        reference = AuthorsSTSTNet()
        reference.load_state_dict(
            torch.load(OFFICIAL / f"{prefix}.pth", map_location="cpu", weights_only=True)
        )
        with torch.no_grad():
            x = torch.tensor(cv2.imread(str(REAL / file)), dtype=torch.float32).permute(2, 0, 1)[None]
            expected = reference.eval()(x).numpy()[0]
        np.testing.assert_allclose([row.logit_0, row.logit_1, row.logit_2], expected, rtol=1e-5, atol=1e-4)
