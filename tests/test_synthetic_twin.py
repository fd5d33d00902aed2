"""The twin: one sample per coded sheet row, laid out so that the kit's readers read it like a
real copy, at the real frame numbers and frame rate, with its ground truth beside it; what the
sheet holds that cannot be rendered is named and the rest is generated. The shipped per-sample
table equals what the readers take from the owners' sheets (read in place when at hand)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from molkit.data import read_dataset
from molkit.data.composite import read_composite
from molkit.data.truth import _motion
from molkit.synthetic import sample_truth, true_landmarks, twin
from molkit.synthetic.layout import LAYOUTS
from molkit.synthetic.twin import PROBLEMS_FILE, TwinConfig, frame_numbers, generate_twin
from molkit.synthetic.twin_table import COLUMNS, sheet_table, shipped_table, twin_samples

SHEETS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real_sheets"
needs_sheets = pytest.mark.skipif(
    not SHEETS.is_dir(),
    reason=f"{SHEETS} is absent: the owners' sheets are read in place from the shared data folder",
)
# A user's own CASME II sheet: a plain row, an apex outside onset..offset, an unreadable code,
# a unilateral code, a row whose emotion no class set knows.
ROWS = [
    ("01", "EP01_01", 10, 20, 40, "12", "happiness"),
    ("01", "EP02_01", 10, 50, 40, "4", "others"),
    ("02", "EP01_01", 5, 9, 30, "?", "others"),
    ("02", "EP03_01", 5, 15, 30, "L12", "happiness"),
    ("02", "EP04_01", 5, 15, 30, "4", "boredom"),
]


def _write_sheet(folder: Path, rows: list[tuple]) -> Path:
    """A CASME II coding sheet of ``rows`` (as :data:`ROWS`) in ``folder``."""
    folder.mkdir(exist_ok=True)
    keys = ("subject", "sample", "onset", "apex", "offset", "action_units", "emotion")
    LAYOUTS["casme2"].write_sheet(folder, [dict(zip(keys, row)) for row in rows])
    return folder


@pytest.fixture(scope="module")
def user_twin(tmp_path_factory):
    sheets = _write_sheet(tmp_path_factory.mktemp("sheets"), ROWS)
    out = tmp_path_factory.mktemp("twin")
    clean = TwinConfig(head_shift_px=0.0, head_rotation_deg=0.0, blink_rate_per_min=0.0, noise_std=0.0)
    return generate_twin(out, "casme2", clean, sheets=sheets, workers=1)


def test_frame_numbers_span_the_expression_and_hold_its_apex():
    for onset, apex, offset in ((46, 59, 86), (10, 10, 40), (5, 9, 9), (100, 101, 103), (0, 70, 141)):
        numbers = frame_numbers(onset, apex, offset, 8)
        assert numbers == sorted(set(numbers)) and len(numbers) == 8
        assert numbers[0] == onset and apex in numbers
        assert numbers[-1] == max(offset, onset + 7)
        gaps = np.diff(numbers)
        assert gaps.max() - gaps.min() <= (offset - onset) / 7 + 1


def test_readers_read_the_twin_like_the_sheet(user_twin):
    """The same reader as a real copy: every usable row is a video with its sheet values."""
    manifest = read_dataset("casme2", user_twin.root)
    table = manifest.table.set_index("video_id")
    assert sorted(table.index) == [
        "casme2/sub01/EP01_01",
        "casme2/sub01/EP02_01",
        "casme2/sub02/EP01_01",
        "casme2/sub02/EP03_01",
    ]
    row = table.loc["casme2/sub01/EP01_01"]
    assert (row.onset, row.apex, row.offset, row.action_units, row.emotion) == (10, 20, 40, "12", "happiness")
    assert [Path(p).name for p in row.frame_paths] == [f"img{n}.jpg" for n in frame_numbers(10, 20, 40, 8)]
    # the gaps of a twin's folder are named by the reader, as in a real copy with missing frames
    assert {p.kind for p in manifest.problems} >= {"missing_frames"}
    truth = sample_truth(user_twin.root, "sub01/EP01_01")
    assert truth["action_units"] == ["12"] and truth["regions"] == ["lip_corners"]
    assert (truth["onset"], truth["apex"], truth["offset"]) == (0, frame_numbers(10, 20, 40, 8).index(20), 7)
    assert true_landmarks(user_twin.root, "sub01/EP01_01").shape == (8, 68, 2)


def test_what_cannot_be_rendered_is_named_and_the_rest_generated(user_twin):
    problems = pd.read_csv(user_twin.root / "ground_truth" / PROBLEMS_FILE)
    said = dict(zip(problems.video_id, problems.message))
    assert "'?'" in said["casme2/sub02/EP01_01"]
    assert "outside onset..offset" in said["casme2/sub01/EP02_01"]
    assert "boredom" in said["casme2/sub02/EP04_01"]
    assert user_twin.samples == 4 and user_twin.subjects == 2
    # the mended row is generated with its apex in the middle, and the twin's sheet says so
    apex = sample_truth(user_twin.root, "sub01/EP02_01")["apex"]
    assert (
        read_dataset("casme2", user_twin.root).table.set_index("video_id").loc["casme2/sub01/EP02_01"].apex
        == 25
    )
    assert apex == frame_numbers(10, 25, 40, 8).index(25)


def test_unilateral_code_moves_the_subjects_side_only(user_twin):
    """L12 (the subject's left) moves the lip corner on the image's right (dlib 54), not 48."""
    motion = _motion(user_twin.root, "sub02/EP03_01")
    neutral = true_landmarks(user_twin.root, "sub02/EP03_01")[0].astype(np.float64)
    apex = sample_truth(user_twin.root, "sub02/EP03_01")["apex"]
    moved = np.linalg.norm(motion.displacement(apex, neutral, class_only=True), axis=1)
    assert moved[54] > 0.2 and moved[48] == 0.0


def test_shipped_table_has_one_row_per_coded_sample():
    table = shipped_table()
    assert list(table.columns) == list(COLUMNS)
    assert table.groupby("dataset").size().to_dict() == {"casme2": 255, "samm": 159, "smic": 164}
    assert table.groupby("dataset").fps.first().to_dict() == {"casme2": 200, "samm": 200, "smic": 100}
    assert table.subject[table.dataset == "casme2"].nunique() == 26
    assert table.subject[table.dataset == "smic"].nunique() == 16
    composite, _ = twin_samples("composite")
    assert len(composite) == 442 and composite.subject.groupby(composite.dataset).nunique().sum() == 68


@needs_sheets
def test_shipped_table_equals_the_owners_sheets():
    derived, _ = sheet_table(SHEETS)
    pd.testing.assert_frame_equal(derived, shipped_table())


def test_datasets_keeps_one_part_of_the_composite_and_the_reader_names_the_rest(tmp_path):
    report = generate_twin(tmp_path, "composite", TwinConfig(), subjects=1, datasets=("smic",), workers=1)
    composite, _ = twin_samples("composite")
    first = composite[composite.dataset == "smic"].subject.iloc[0]
    assert report.samples == int(((composite.dataset == "smic") & (composite.subject == first)).sum())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["SMIC", "ground_truth"]
    manifest = read_composite(tmp_path)
    assert set(manifest.table.dataset) == {"smic"} and len(manifest.table) == report.samples
    assert {p.video_id for p in manifest.problems if p.kind == "missing_dataset"} == {"casme2", "samm"}
    with pytest.raises(ValueError, match="atlantis"):
        generate_twin(tmp_path / "x", "composite", datasets=("atlantis",))


def test_au_extent_widens_every_class_patch_and_nothing_else(tmp_path):
    """One sheet row drawn at au_extent 1 and 2: the class patches never shrink and cover more
    than half as much skin again, the blink's and the movement stay."""
    sheets = _write_sheet(tmp_path / "sheets", ROWS[:1])
    motions = []
    for extent in (1.0, 2.0):
        root = tmp_path / f"x{extent:g}"
        generate_twin(root, "casme2", TwinConfig(au_extent=extent), sheets=sheets, workers=1)
        motions.append(_motion(root, "sub01/EP01_01"))
    one, two = motions
    assert one.is_class.any() and np.all(two.radii >= one.radii)
    np.testing.assert_array_equal(two.radii[~two.is_class], one.radii[~one.is_class])
    np.testing.assert_array_equal(two.vectors, one.vectors)
    assert two.class_support(1000, 1000).sum() > 1.5 * one.class_support(1000, 1000).sum()
    with pytest.raises(ValueError, match="au_extent"):
        TwinConfig(au_extent=0).validate()


def test_an_interrupted_twin_resumes_from_its_finished_samples(tmp_path, monkeypatch):
    """Killed mid-sample (its ground truth unwritten, one frame half written, no problems table):
    the rerun renders that sample alone and ends byte for byte as one uninterrupted run; another
    config starts again."""
    sheets = _write_sheet(tmp_path / "sheets", ROWS)
    root, config = tmp_path / "twin", TwinConfig(seed=3)
    generate_twin(root, "casme2", config, sheets=sheets, workers=1)

    def files():
        return {p.relative_to(root): p.read_bytes() for p in root.rglob("*") if p.is_file()}

    def spy(out, settings, specs):
        rendered.extend(s["folder"] for s in specs)
        render(out, settings, specs)

    whole, rendered, render = files(), [], twin._render_samples
    monkeypatch.setattr(twin, "_render_samples", spy)

    (root / "ground_truth" / "sub02" / "EP03_01.npz").unlink()
    (root / "ground_truth" / PROBLEMS_FILE).unlink()
    frames = sorted((root / "sub02" / "EP03_01").iterdir())
    frames[-1].unlink()
    frames[0].write_bytes(frames[0].read_bytes()[:100])
    report = generate_twin(root, "casme2", config, sheets=sheets, workers=1)
    assert rendered == ["sub02/EP03_01"] and report.kept == report.samples - 1
    assert files() == whole

    rendered.clear()
    report = generate_twin(root, "casme2", config.replace(seed=4), sheets=sheets, workers=1)
    assert len(rendered) == report.samples and report.kept == 0
