"""HTNet (github.com/wangzhifengharrison/HTNet) as a kit baseline: its layers against ``Model.py``
transcribed here in plain torch (einops' patterns written out as slices), the five points and the
region mosaic of ``main_HTNet.py`` on generated faces and images, the LOSO path on a fabricated
folder of onset->apex images with generated face photographs, and the one-line errors."""

from __future__ import annotations

import cv2
import numpy as np
import pandas as pd
import pytest
import torch
from torch import einsum, nn

from molkit.baselines import HTNet, HTNetConfig, cnn_logits
from molkit.baselines.htnet_regions import (
    AUTHORS_FALLBACK,
    attach_face_points,
    cache_points,
    cache_regions,
    face_file,
    face_points,
    five_points,
    read_face_points,
    region_disagreement,
    region_mosaic,
    to_grid,
)
from molkit.cli import main
from molkit.data import cache as cache_files
from molkit.data.flow_images import authors_names, read_flow_images
from molkit.run.configs import loso_config_from_profile
from molkit.synthetic.faces import make_subject
from molkit.train.loso import LosoConfig, run_loso

# ---- Model.py, transcribed (the authors' module names, so that state dicts are shared)


class Lambda(nn.Module):
    def __init__(self, fn) -> None:
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


class AuthorsLayerNorm(nn.Module):
    def __init__(self, dim, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.g = nn.Parameter(torch.ones(1, dim, 1, 1))
        self.b = nn.Parameter(torch.zeros(1, dim, 1, 1))

    def forward(self, x):
        var = torch.var(x, dim=1, unbiased=False, keepdim=True)
        mean = torch.mean(x, dim=1, keepdim=True)
        return (x - mean) / (var + self.eps).sqrt() * self.g + self.b


class AuthorsPreNorm(nn.Module):
    def __init__(self, dim, fn):
        super().__init__()
        self.norm = AuthorsLayerNorm(dim)
        self.fn = fn

    def forward(self, x):
        return self.fn(self.norm(x))


class AuthorsFeedForward(nn.Module):
    def __init__(self, dim, mlp_mult=4, dropout=0.0):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(dim, dim * mlp_mult, 1),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Conv2d(dim * mlp_mult, dim, 1),
            nn.Dropout(dropout),
        )

    def forward(self, x):
        return self.net(x)


class AuthorsAttention(nn.Module):
    def __init__(self, dim, heads=8, dropout=0.0):
        super().__init__()
        dim_head = dim // heads
        inner_dim = dim_head * heads
        self.heads = heads
        self.scale = dim_head**-0.5
        self.attend = nn.Softmax(dim=-1)
        self.dropout = nn.Dropout(dropout)
        self.to_qkv = nn.Conv2d(dim, inner_dim * 3, 1, bias=False)
        self.to_out = nn.Sequential(nn.Conv2d(inner_dim, dim, 1), nn.Dropout(dropout))

    def forward(self, x):
        b, c, h, w = x.shape
        heads = self.heads
        # 'b (h d) x y -> b h (x y) d'
        q, k, v = (
            t.reshape(b, heads, t.shape[1] // heads, h * w).permute(0, 1, 3, 2)
            for t in self.to_qkv(x).chunk(3, dim=1)
        )
        dots = einsum("b h i d, b h j d -> b h i j", q, k) * self.scale
        attn = self.dropout(self.attend(dots))
        out = einsum("b h i j, b h j d -> b h i d", attn, v)
        # 'b h (x y) d -> b (h d) x y'
        out = out.permute(0, 1, 3, 2).reshape(b, -1, h, w)
        return self.to_out(out)


def authors_aggregate(dim, dim_out):
    return nn.Sequential(
        nn.Conv2d(dim, dim_out, 3, padding=1), AuthorsLayerNorm(dim_out), nn.MaxPool2d(3, stride=2, padding=1)
    )


class AuthorsTransformer(nn.Module):
    def __init__(self, dim, seq_len, depth, heads, mlp_mult, dropout=0.0):
        super().__init__()
        self.layers = nn.ModuleList([])
        self.pos_emb = nn.Parameter(torch.randn(seq_len))
        for _ in range(depth):
            self.layers.append(
                nn.ModuleList(
                    [
                        AuthorsPreNorm(dim, AuthorsAttention(dim, heads=heads, dropout=dropout)),
                        AuthorsPreNorm(dim, AuthorsFeedForward(dim, mlp_mult, dropout=dropout)),
                    ]
                )
            )

    def forward(self, x):
        *_, h, w = x.shape
        x = x + self.pos_emb[: (h * w)].reshape(h, w)[None, None]
        for attn, ff in self.layers:
            x = attn(x) + x
            x = ff(x) + x
        return x


def patches(x, p):
    """'b c (h p1) (w p2) -> b (p1 p2 c) h w', one (p1, p2) at a time."""
    return torch.cat([x[:, :, i::p, j::p] for i in range(p) for j in range(p)], dim=1)


def split_blocks(x, n):
    """'b c (b1 h) (b2 w) -> (b b1 b2) c h w', one block at a time."""
    h, w = x.shape[2] // n, x.shape[3] // n
    return torch.stack(
        [x[:, :, i * h : (i + 1) * h, j * w : (j + 1) * w] for i in range(n) for j in range(n)], 1
    ).flatten(0, 1)


def join_blocks(x, n):
    """'(b b1 b2) c h w -> b c (b1 h) (b2 w)'."""
    x = x.reshape(-1, n * n, *x.shape[1:])
    return torch.cat([torch.cat([x[:, i * n + j] for j in range(n)], -1) for i in range(n)], -2)


class AuthorsHTNet(nn.Module):
    def __init__(
        self,
        *,
        image_size,
        patch_size,
        num_classes,
        dim,
        heads,
        num_hierarchies,
        block_repeats,
        mlp_mult=4,
        channels=3,
        dropout=0.0,
    ):
        super().__init__()
        patch_dim = channels * patch_size**2
        fmap_size = image_size // patch_size
        blocks = 2 ** (num_hierarchies - 1)
        seq_len = (fmap_size // blocks) ** 2
        hierarchies = list(reversed(range(num_hierarchies)))
        mults = [2**i for i in reversed(hierarchies)]
        layer_heads = list(map(lambda t: t * heads, mults))
        layer_dims = list(map(lambda t: t * dim, mults))
        last_dim = layer_dims[-1]
        layer_dims = [*layer_dims, layer_dims[-1]]
        dim_pairs = zip(layer_dims[:-1], layer_dims[1:])
        self.to_patch_embedding = nn.Sequential(
            Lambda(lambda x: patches(x, patch_size)), nn.Conv2d(patch_dim, layer_dims[0], 1)
        )
        self.layers = nn.ModuleList([])
        for level, heads, (dim_in, dim_out), block_repeat in zip(
            hierarchies, layer_heads, dim_pairs, block_repeats
        ):
            is_last = level == 0
            self.layers.append(
                nn.ModuleList(
                    [
                        AuthorsTransformer(dim_in, seq_len, block_repeat, heads, mlp_mult, dropout),
                        authors_aggregate(dim_in, dim_out) if not is_last else nn.Identity(),
                    ]
                )
            )
        self.mlp_head = nn.Sequential(
            AuthorsLayerNorm(last_dim), Lambda(lambda x: x.mean(dim=(2, 3))), nn.Linear(last_dim, num_classes)
        )

    def forward(self, img):
        x = self.to_patch_embedding(img)
        num_hierarchies = len(self.layers)
        for level, (transformer, aggregate) in zip(reversed(range(num_hierarchies)), self.layers):
            block_size = 2**level
            x = split_blocks(x, block_size)
            x = transformer(x)
            x = join_blocks(x, block_size)
            x = aggregate(x)
        return self.mlp_head(x)


def same_outputs(config: HTNetConfig, **authors) -> None:
    """The authors' network with ``authors`` arguments and molkit's with ``config``: one state
    dict, the same logits on generated 0..255 inputs."""
    torch.manual_seed(0)
    theirs = AuthorsHTNet(image_size=28, num_classes=3, **authors).eval()
    ours = HTNet(3, config).eval()
    ours.load_state_dict(theirs.state_dict())  # strict: the same names and shapes
    x = torch.rand(4, 3, 28, 28, generator=torch.Generator().manual_seed(1)) * 255
    with torch.no_grad():  # in float64 (oneDNN's float32 convolutions are slow on tiny maps)
        expected = theirs.double()(x.double()).float()
    got = torch.as_tensor(cnn_logits(ours, x.numpy()))
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4)
    assert sum(p.numel() for p in ours.parameters()) == sum(p.numel() for p in theirs.parameters())


def test_the_released_htnet_is_the_authors_network():
    """main_HTNet.py's sizes (patches of 7, dim 256, heads 3, three hierarchies of (2, 2, 10)):
    the same parameters, names and shapes (built without memory: 140M parameters); the same
    outputs at those sizes but 24 channels wide."""
    config = HTNetConfig()
    assert (config.epochs, config.batch_size, config.lr) == (800, 256, 5e-5)
    released = dict(patch_size=7, heads=3, num_hierarchies=3, block_repeats=(2, 2, 10))
    with torch.device("meta"):
        ours = HTNet(3, config).state_dict()
        theirs = AuthorsHTNet(image_size=28, num_classes=3, dim=256, **released).state_dict()
    assert {k: v.shape for k, v in ours.items()} == {k: v.shape for k, v in theirs.items()}
    assert sum(v.numel() for v in ours.values()) == 139_582_982
    same_outputs(config.replace(dim=24), dim=24, **released)


def test_attention_over_many_positions_is_the_authors():
    """At the released sizes every block holds one position; patches of 1 give 7x7 positions a
    block, so the attention, the blocks and the position term are exercised too."""
    config = HTNetConfig(patch_size=1, dim=24, heads=3, block_repeats=(1, 1, 2))
    same_outputs(config, patch_size=1, dim=24, heads=3, num_hierarchies=3, block_repeats=(1, 1, 2))


def test_config_refuses_unknown_keys_and_impossible_sizes():
    with pytest.raises(ValueError, match="unknown keys"):
        HTNetConfig.from_dict({"epoch": 3})
    with pytest.raises(ValueError, match="one entry per hierarchy"):
        HTNetConfig(block_repeats=(2, 2))
    with pytest.raises(ValueError, match="must split"):
        HTNetConfig(patch_size=2)
    assert HTNetConfig.from_yaml(HTNetConfig(block_repeats=(1, 1, 1)).to_yaml()).block_repeats == (1, 1, 1)
    assert loso_config_from_profile("paper", classes="composite", method="htnet").htnet == HTNetConfig()


# ---- the five points and the regions


def test_five_points_are_the_eye_means_the_nose_tip_and_mouth_corners(face_landmarks):
    points = five_points(face_landmarks)
    np.testing.assert_allclose(points[0], face_landmarks[36:42].mean(0), rtol=1e-6)
    np.testing.assert_allclose(points[1], face_landmarks[42:48].mean(0), rtol=1e-6)
    np.testing.assert_array_equal(points[2:], face_landmarks[[30, 48, 54]])
    assert points[0, 0] < points[1, 0] and points[3, 0] < points[4, 0]  # the image's left first
    # pixel centres kept: 224 px -> 28 px maps 3.5 to 0 and 219.5 to 27
    np.testing.assert_allclose(to_grid(np.array([[3.5, 219.5]]), 224, 224), [[0.0, 27.0]])


def generated_face(seed: int, size: int = 224) -> tuple[np.ndarray, np.ndarray]:
    """A synthetic identity (BGR uint8) and its known landmarks."""
    face = make_subject(np.random.default_rng(seed), size, size, extent=80.0)
    image = cv2.cvtColor(np.clip(face.image, 0, 255).astype(np.uint8), cv2.COLOR_RGB2BGR)
    return image, face.landmarks


def test_face_points_on_generated_faces_are_their_known_points():
    found, known = [], []
    for seed in (0, 1):
        image, landmarks = generated_face(seed)
        points = face_points(image)
        truth = to_grid(five_points(landmarks), 224, 224)
        assert points is not None and np.abs(points - truth).max() < 0.5  # px of the 28 px grid
        found.append(points)
        known.append(truth)
    share, moved = region_disagreement(np.stack(found), np.stack(known))
    assert share == 0.0 and moved.max() <= 1
    assert face_points(np.full((224, 224, 3), 128, np.uint8)) is None


def test_the_mosaic_is_the_authors_four_blocks():
    image = np.arange(3 * 28 * 28, dtype=np.float32).reshape(1, 3, 28, 28)
    points = np.array([[[3.2, 9.9], [21.9, 12.5], [14, 14], [10.7, 30.0], [18.0, 17.0]]], np.float32)
    centres = [(7, 9), (21, 12), None, (10, 21), (18, 17)]  # clamped into 7..21, truncated
    mosaic = region_mosaic(image, points)[0]
    for (row, column), index in (((0, 0), 0), ((0, 1), 1), ((1, 0), 3), ((1, 1), 4)):
        r, c = centres[index]  # the authors' crop: rows from the first coordinate (x)
        block = mosaic[:, 14 * row : 14 * row + 14, 14 * column : 14 * column + 14]
        np.testing.assert_array_equal(block, image[0, :, r - 7 : r + 7, c - 7 : c + 7])
        yx = region_mosaic(image, points, rows_from_x=False)[0][
            :, 14 * row : 14 * row + 14, 14 * column : 14 * column + 14
        ]
        np.testing.assert_array_equal(yx, image[0, :, c - 7 : c + 7, r - 7 : r + 7])


def test_region_disagreement_counts_moves_of_more_than_a_pixel():
    reference = np.full((4, 5, 2), 14.5, np.float32)
    points = reference.copy()
    points[1, 0, 0] += 1.0  # one pixel: not counted
    points[2, 4, 1] -= 2.0  # two: counted
    points[3, 2, 0] += 5.0  # the nose: no region of HTNet's
    share, moved = region_disagreement(points, reference)
    assert share == 0.25 and moved.tolist() == [0, 1, 2, 0]


def test_cache_points_follow_the_features_grid():
    """A flow bump at the apex frame's left eye (aligned 144 px) shows up at that point of the
    28 px features that HTNet cuts."""
    from molkit.baselines.features import apex_features

    marks = np.zeros((3, 68, 2), np.float32)
    marks[2, 36:42] = (50.0, 60.0)
    marks[2, 42:48] = (94.0, 60.0)
    marks[2, [30, 48, 54]] = [(72.0, 80.0), (55.0, 100.0), (89.0, 100.0)]
    ys, xs = np.mgrid[0:144, 0:144]
    flow = np.zeros((2, 144, 144), np.float32)
    flow[0] = np.exp(-((xs - 50.0) ** 2 + (ys - 60.0) ** 2) / 20.0)
    data = {
        "landmarks": torch.from_numpy(marks),
        "onset_apex": torch.tensor([0, 2]),
        "apex_flow": torch.from_numpy(flow),
    }
    points = cache_points(data)
    peak = np.unravel_index(apex_features(flow)[0].argmax(), (28, 28))
    assert np.abs(points[0] - (peak[1], peak[0])).max() <= 0.5
    np.testing.assert_allclose(points[1], ((94 - 8 + 0.5) * 28 / 128 - 0.5, (60 - 8 + 0.5) * 28 / 128 - 0.5))
    assert cache_points({k: v for k, v in data.items() if k != "apex_flow"}) is None


def test_cache_regions_cut_each_videos_features_around_its_points(tmp_path):
    class Part:  # what video_features reads of a ClipDataset
        cache_dir = tmp_path
        table = pd.DataFrame(
            {
                "subject": ["s1", "s1", "s2"],
                "video_id": ["s1/a", "s1/a", "s2/b"],
                "label": [0, 0, 2],
                "file": ["a.pt", "a.pt", "b.pt"],
            }
        )

    rng = np.random.default_rng(0)
    marks = (40 + 60 * rng.random((2, 68, 2))).astype(np.float32)
    flow = rng.normal(size=(2, 144, 144)).astype(np.float32)
    cache_files.save_tensors(
        tmp_path / "a.pt",
        {
            "landmarks": torch.from_numpy(marks),
            "onset_apex": torch.tensor([0, 1]),
            "apex_flow": torch.from_numpy(flow),
        },
    )
    cache_files.save_tensors(tmp_path / "b.pt", {"landmarks": torch.from_numpy(marks)})  # no onset->apex flow
    found = cache_regions(Part())
    assert found.table.video_id.tolist() == ["s1/a"] and found.features.shape == (1, 3, 28, 28)
    from molkit.baselines.features import apex_features
    from molkit.data.flow_images import flow_image

    expected = region_mosaic(
        flow_image(apex_features(flow))[None], cache_points(cache_files.load_tensors(tmp_path / "a.pt"))[None]
    )
    np.testing.assert_array_equal(found.features, expected)
    assert found.features.min() >= 0 and found.features.max() <= 255


# ---- the LOSO path on fabricated images with generated faces


def fabricated(tmp_path, missing_face: str | None = None):
    """Onset->apex images of three listed samples of each of three subjects (a bright block
    where each class is) and a generated face photograph of each, as HTNet names them (SMIC's
    subject unpadded); ``missing_face``: a sample whose photograph is left out."""
    table = authors_names()
    rows = pd.concat(
        table[table.subject == subject].drop_duplicates("label").head(3)
        for subject in ("casme2/sub01", "samm/006", "smic/s3")
    )
    rng = np.random.default_rng(0)
    (tmp_path / "images").mkdir()
    (tmp_path / "faces").mkdir()
    faces = {subject: generated_face(i)[0] for i, subject in enumerate(rows.subject.unique())}
    for row in rows.itertuples():
        image = rng.integers(0, 120, size=(28, 28, 3), dtype=np.uint8)
        image[4 + 8 * row.label : 10 + 8 * row.label, 4:24] = 255
        assert cv2.imwrite(str(tmp_path / "images" / f"{row.name} .png"), image)
        if row.name != missing_face:
            first, second, rest = row.name.split("_", 2)
            name = f"{first}_s{int(second[1:])}_{rest}" if row.dataset == "smic" else row.name
            assert cv2.imwrite(str(tmp_path / "faces" / f"{name}.jpg"), faces[row.subject])
    return read_flow_images(tmp_path / "images")


TINY = HTNetConfig(epochs=2, batch_size=4, dim=6, heads=3, block_repeats=(1, 1, 1))


def test_htnet_loso_on_images_with_faces(tmp_path, monkeypatch):
    images = fabricated(tmp_path, missing_face="006_006_1_2")
    store = tmp_path / "points.csv"
    with_points = attach_face_points(images, tmp_path / "faces", store)
    problems = with_points.problems[len(images.problems) :]
    assert [(p.kind, p.video_id) for p in problems] == [("missing_face", "samm/006/006_1_2")]
    smic = images.table[images.table.dataset == "smic"].name.iloc[0]  # s03_s03_..., its face s03_s3_...
    assert face_file(tmp_path / "faces", smic).name == smic.replace("_s03_", "_s3_") + ".jpg"
    kept = pd.read_csv(store)
    assert len(kept) == len(images) and kept.found.sum() == len(images) - 1
    missing = with_points.table.set_index("name").loc["006_006_1_2"]
    np.testing.assert_allclose(
        missing[[f"face_{a}{i}" for i in range(5) for a in "xy"]].to_numpy(float),
        AUTHORS_FALLBACK.ravel(),
        atol=1e-4,
    )
    # a second reading takes the kept points: dlib does not run again
    monkeypatch.setattr(
        "molkit.baselines.htnet_regions.face_points", lambda *a, **k: pytest.fail("dlib ran again")
    )
    again = attach_face_points(images, tmp_path / "faces", store)
    pd.testing.assert_frame_equal(again.table, with_points.table)

    config = loso_config_from_profile("smoke", classes="composite").replace(
        method="htnet", protocol="released", htnet=TINY
    )
    result = run_loso(config, again, tmp_path / "run", progress=False)
    assert sorted(result.videos.fold.unique()) == images.subjects and len(result.videos) == len(images)
    assert result.label.startswith("HTNet: released")
    logits = result.clips[[f"logit_{c}" for c in range(3)]].to_numpy()
    assert np.isfinite(logits).all() and (logits.argmax(axis=1) == result.clips.pred).all()
    with pytest.raises(ValueError, match="give the folder of face photographs"):
        run_loso(config, images, tmp_path / "no_faces", progress=False)


def test_read_face_points_names_every_problem(tmp_path):
    images = fabricated(tmp_path)
    smic = images.table[images.table.dataset == "smic"].name.iloc[0]
    first, second, rest = smic.split("_", 2)
    (tmp_path / "faces" / f"{first}_s{int(second[1:])}_{rest}.jpg").write_bytes(b"not a jpeg")
    blank = images.table.name.iloc[0]
    cv2.imwrite(str(tmp_path / "faces" / f"{blank}.jpg"), np.full((224, 224, 3), 128, np.uint8))
    found = read_face_points(tmp_path / "faces", images, tmp_path / "points.csv")
    kinds = sorted(p.kind for p in found.problems)
    assert kinds == ["no_face", "unreadable_face"] and all(p.action == "kept" for p in found.problems)
    assert found.table.found.sum() == len(images) - 2


def test_a_bad_faces_folder_is_one_line(tmp_path, capsys):
    fabricated(tmp_path)
    base = [
        "loso",
        "--flow-images",
        str(tmp_path / "images"),
        "--model",
        "htnet",
        "--profile",
        "smoke",
        "--quiet",
    ]
    assert main([*base, "--faces", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o1")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[-1] == f"molkit loso: {tmp_path / 'nowhere'}: no such folder of face photographs"
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "someone.jpg").write_bytes(b"x")
    assert main([*base, "--faces", str(tmp_path / "other"), "--out", str(tmp_path / "o2")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[-1].startswith(
        f"molkit loso: {tmp_path / 'other'}: no face photograph of the onset->apex images"
    )
    assert main([*base, "--out", str(tmp_path / "o3")]) == 2
    assert "give the folder of face photographs (molkit loso --faces DIR)" in capsys.readouterr().err
    assert LosoConfig(method="htnet").method_name == "HTNet"
