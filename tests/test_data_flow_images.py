"""The public onset->apex images of the real MEGC 2019 composite (STSTNet's authors' 28x28 u, v,
strain): the reader against the official list and the files themselves (read in place from
``../shared/data/real_flows``; those tests skip, saying why, without it), both layouts and every
problem on fabricated folders, and the LOSO path on them against scikit-learn."""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from molkit.cli import main
from molkit.data.flow_images import FLAT, LOSO, authors_names, flow_image, read_flow_images, to_file_order
from molkit.data.manifest import manifest_file
from molkit.run.configs import loso_config_from_profile
from molkit.train.loso import run_loso

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real_flows"
needs_real = pytest.mark.skipif(
    not REAL.is_dir(),
    reason=f"{REAL} is absent: the real composite's onset->apex images are read in place from the "
    "shared data folder, which this checkout lacks",
)


def official_list() -> list[dict[str, str]]:
    """The MEGC 2019 list as the file holds it (the test's own reading)."""
    with open(manifest_file("megc2019_composite.csv"), newline="") as handle:
        return list(csv.DictReader(handle))


def public_name(row: dict[str, str]) -> str:
    """The public images' name of a list row: SAMM subjects zero-padded to three digits."""
    subject = f"{int(row['subject']):03d}" if row["dataset"] == "samm" else row["subject"]
    return f"{subject}_{row['filename']}"


# ---- the real files


@needs_real
def test_all_442_real_images_match_the_official_list_without_a_problem():
    images = read_flow_images(REAL)
    assert (images.layout, len(images), images.problems) == (FLAT, 442, [])
    assert images.table.subject.nunique() == 68
    assert images.table.groupby("dataset").size().to_dict() == {"casme2": 145, "samm": 133, "smic": 164}
    listed = {public_name(row): int(row["label"]) for row in official_list()}
    assert dict(zip(images.table.name, images.table.label)) == listed
    # the pixels are the files' (cv2.imread gives strain, v, u), in molkit's order u, v, strain
    for row in images.table.sample(20, random_state=0).itertuples():
        raw = cv2.imread(str(REAL / row.file)).astype(np.float32)
        np.testing.assert_array_equal(images.images[row.Index], raw[:, :, ::-1].transpose(2, 0, 1))


@needs_real
def test_the_convention_holds_on_the_real_files():
    """Each channel of each image spans 0..255 (per-image min-max: the images are fixed points of
    flow_image); u is antisymmetric under a left-right mirror of the face, v symmetric, and the
    strain, a magnitude, mostly low."""
    x = read_flow_images(REAL).images
    assert (x.min(axis=(2, 3)) == 0).all() and (x.max(axis=(2, 3)) == 255).all()
    np.testing.assert_array_equal(flow_image(x), x)

    def mirror_correlation(channel: np.ndarray) -> float:
        a = channel - channel.mean(axis=(1, 2), keepdims=True)
        b = a[:, :, ::-1]
        r = (a * b).sum(axis=(1, 2)) / np.sqrt((a**2).sum(axis=(1, 2)) * (b**2).sum(axis=(1, 2)))
        return float(np.median(r))

    assert mirror_correlation(x[:, 0]) < -0.1 < 0.4 < mirror_correlation(x[:, 1])
    assert np.median(x[:, 2]) < 40 < np.median(x[:, 0]) and np.median(x[:, 1]) > 40


# ---- fabricated folders

SAMPLES = 3  # per subject


def picked() -> list[dict]:
    """Four subjects across the datasets, a listed sample of each of their labels (at most
    three), as the reader names them."""
    table = authors_names()
    subjects = ["casme2/sub01", "casme2/sub02", "samm/006", "smic/s3"]
    return [
        row._asdict()
        for subject in subjects
        for row in table[table.subject == subject]
        .drop_duplicates("label")
        .head(SAMPLES)
        .itertuples(index=False)
    ]


def fake_image(label: int, rng: np.random.Generator) -> np.ndarray:
    """A 28x28x3 image (file order) whose u channel holds a bright block at the label's place."""
    image = rng.integers(0, 120, size=(28, 28, 3), dtype=np.uint8)
    image[4 + 8 * label : 10 + 8 * label, 4:24, 2] = 255
    return image


def write_folder(root: Path, layout: str, rows: list[dict], seed: int = 0) -> dict[str, np.ndarray]:
    """The rows' images in ``layout``; returns what was written, by name (file order)."""
    rng = np.random.default_rng(seed)
    written = {}
    for row in rows:
        image = fake_image(row["label"], rng)
        if layout == FLAT:
            path = root / f"{row['name']} .png"
        else:
            path = root / row["name"].split("_")[0] / "u_test" / str(row["label"]) / f"{row['name']} .png"
        path.parent.mkdir(parents=True, exist_ok=True)
        assert cv2.imwrite(str(path), image)
        written[row["name"]] = image
    return written


@pytest.mark.parametrize("layout", [FLAT, LOSO])
def test_both_layouts_read_what_was_written(tmp_path, layout):
    rows = picked()
    written = write_folder(tmp_path, layout, rows)
    images = read_flow_images(tmp_path)
    assert images.layout == layout and len(images) == len(rows)
    assert {p.kind for p in images.problems} == {"missing_image"}
    assert len(images.problems) == 442 - len(rows)
    by_name = {row["name"]: row for row in rows}
    for i, row in enumerate(images.table.itertuples()):
        assert row.label == by_name[row.name]["label"] and row.subject == by_name[row.name]["subject"]
        np.testing.assert_array_equal(
            to_file_order(images.images[i : i + 1])[0].transpose(1, 2, 0), written[row.name]
        )
    assert images.subjects == sorted({row["subject"] for row in rows})


def test_every_problem_is_named_and_the_rest_is_read(tmp_path):
    rows = picked()
    write_folder(tmp_path, LOSO, rows)
    first, second = rows[0], rows[1]
    # a label folder that disagrees with the list: kept with the list's label
    wrong_label = (first["label"] + 1) % 3
    moved = tmp_path / "sub01" / "u_test" / str(wrong_label) / f"{first['name']} .png"
    moved.parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / "sub01" / "u_test" / str(first["label"]) / f"{first['name']} .png").rename(moved)
    # a second copy of one sample in another subject's folder
    other = tmp_path / "006" / "u_test" / str(second["label"]) / f"{second['name']} .png"
    other.parent.mkdir(parents=True, exist_ok=True)
    other.write_bytes(
        (tmp_path / "sub01" / "u_test" / str(second["label"]) / f"{second['name']} .png").read_bytes()
    )
    folder = tmp_path / "s03" / "u_test" / "1"
    folder.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(folder / "s99_s99_po_01 .png"), np.zeros((28, 28, 3), np.uint8))  # not on the list
    smic = [r for r in rows if r["dataset"] == "smic"]
    cv2.imwrite(
        str(tmp_path / "s03" / "u_test" / str(smic[0]["label"]) / f"{smic[0]['name']} .png"),
        np.zeros((32, 28, 3), np.uint8),
    )
    (tmp_path / "s03" / "u_test" / str(smic[1]["label"]) / f"{smic[1]['name']} .png").write_text("not a png")
    images = read_flow_images(tmp_path)
    kinds = {}
    for p in images.problems:
        kinds.setdefault(p.kind, []).append(p)
    assert set(kinds) == {
        *("list_label", "list_subject", "duplicate_image", "not_in_list"),
        *("wrong_size", "unreadable_image", "missing_image"),
    }
    # the copy in SAMM 006's folder is read first (folders in order): its subject is the list's
    assert [Path(p.where).parts[-4] for p in kinds["list_subject"]] == ["006"]
    assert images.table.set_index("name").loc[second["name"], "subject"] == "casme2/sub01"
    assert [Path(p.where).name for p in kinds["list_label"]] == [f"{first['name']} .png"]
    assert "the list's is used" in kinds["list_label"][0].message
    assert "32x28x3, not 28x28x3" in kinds["wrong_size"][0].message
    assert Path(kinds["not_in_list"][0].where).name == "s99_s99_po_01 .png"
    assert len(kinds["duplicate_image"]) == 1
    # two SMIC images left out, every other written image read, with the list's labels
    assert len(images) == len(rows) - 2
    assert images.table.set_index("name").loc[first["name"], "label"] == first["label"]
    assert len(kinds["missing_image"]) == 442 - len(rows) + 2


def test_a_folder_without_images_is_one_error(tmp_path):
    with pytest.raises(FileNotFoundError, match=f"^{tmp_path}: no onset->apex image of the MEGC 2019 list"):
        read_flow_images(tmp_path)
    with pytest.raises(FileNotFoundError, match="no such folder"):
        read_flow_images(tmp_path / "absent")


def test_flow_image_rescales_each_channel_of_each_image_to_0_255():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(2, 3, 28, 28)).astype(np.float32)
    features[1, 2] = 0.5  # constant image
    x = flow_image(features)
    for n in range(2):
        for c in range(3):
            image = features[n, c].astype(np.float64)
            if image.max() == image.min():
                assert (x[n, c] == 0).all()
                continue
            expected = np.round((image - image.min()) / (image.max() - image.min()) * 255)
            np.testing.assert_array_equal(x[n, c], expected)
    assert x.min() == 0 and x.max() == 255 and x.dtype == np.float32


# ---- LOSO on the images


def test_linear_loso_on_images_equals_scikit_learn_fold_by_fold(tmp_path):
    rows = picked()
    write_folder(tmp_path / "images", FLAT, rows)
    images = read_flow_images(tmp_path / "images")
    config = loso_config_from_profile("smoke", classes="composite").replace(method="linear")
    result = run_loso(config, images, tmp_path / "run", progress=False)
    videos = result.videos.set_index("video_id")
    assert sorted(videos.index) == sorted(images.table.video_id) and set(result.clips.crop) == {0}
    x = images.images.reshape(len(images), -1)
    for subject in images.subjects:
        test = (images.table.subject == subject).to_numpy()
        reference = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=5000)).fit(
            x[~test], images.table.label[~test]
        )
        expected = reference.classes_[reference.predict_proba(x[test]).argmax(axis=1)]
        got = videos.loc[images.table.video_id[test], "pred"].to_numpy()
        np.testing.assert_array_equal(got, expected)
    assert (tmp_path / "run" / "flow_images.json").is_file()


def test_ststnet_loso_on_images_runs_every_fold_and_mol_is_refused(tmp_path):
    write_folder(tmp_path / "images", FLAT, picked())
    images = read_flow_images(tmp_path / "images")
    config = loso_config_from_profile("smoke", classes="composite").replace(
        method="ststnet", protocol="inner-val"
    )
    result = run_loso(config, images, tmp_path / "run", progress=False)
    assert sorted(result.videos.fold.unique()) == images.subjects and len(result.videos) == len(images)
    with pytest.raises(ValueError, match="MOL needs the frames"):
        run_loso(loso_config_from_profile("smoke", classes="composite"), images, tmp_path / "mol")
    with pytest.raises(ValueError, match="use classes 'composite'"):
        run_loso(config.replace(classes="3"), images, tmp_path / "three")


def test_the_loso_command_reads_images_and_refuses_a_bad_folder(tmp_path, capsys):
    write_folder(tmp_path / "images", LOSO, picked())
    argv = [
        "loso",
        "--flow-images",
        str(tmp_path / "images"),
        "--model",
        "linear",
        "--out",
        str(tmp_path / "run"),
    ]
    assert main(argv + ["--profile", "smoke", "--quiet"]) == 0
    out = capsys.readouterr()
    n = len(picked())
    assert (
        f"{n} onset->apex images (loso layout)" in out.err
        and f"missing_image (skipped): {442 - n}" in out.err
    )
    assert "linear (logistic regression): fixed" in out.out
    (tmp_path / "empty").mkdir()
    assert (
        main(
            [
                "loso",
                "--flow-images",
                str(tmp_path / "empty"),
                "--model",
                "linear",
                "--out",
                str(tmp_path / "o"),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"molkit loso: {tmp_path / 'empty'}: no onset->apex image")
    assert (
        main(
            [
                "loso",
                "--flow-images",
                str(tmp_path / "images"),
                "--out",
                str(tmp_path / "o2"),
                "--profile",
                "smoke",
            ]
        )
        == 2
    )
    assert "MOL needs the frames" in capsys.readouterr().err


def test_a_caches_features_meet_the_images_through_one_convention(synthetic_cache, tmp_path):
    """molkit's own onset->apex features (pixels) become images as the public ones are
    (``flow_image``), named by their videos, and train through the same LOSO path."""
    from molkit.baselines.features import as_flow_images, video_features
    from molkit.train.loso import open_clips

    cache, _ = synthetic_cache
    config = loso_config_from_profile("smoke", classes="composite")
    features = video_features(open_clips(config, cache, None, False))
    images = as_flow_images(features, cache)
    np.testing.assert_array_equal(images.images, flow_image(features.features))
    assert (images.images.max(axis=(2, 3)) == 255).all() and (images.images.min(axis=(2, 3)) == 0).all()
    assert images.table.video_id.tolist() == features.table.video_id.tolist()
    assert images.table.name.tolist() == [v.replace("/", "_") for v in features.table.video_id]
    result = run_loso(config.replace(method="linear", folds=1), images, tmp_path / "run", progress=False)
    assert set(result.videos.video_id) <= set(features.table.video_id) and len(result.videos)
