"""Every ``molkit`` command turns a user's mistake (a missing or unreadable file, not a video, not a
checkpoint, a wrong dataset layout, a broken settings file) into one line on stderr that names the
file and the problem, exit status 2, no traceback; ``--debug`` shows the traceback instead."""

from __future__ import annotations

import subprocess
import sys

import pytest

from molkit.cli import COMMANDS, main
from molkit.model import MOL, MOLConfig
from molkit.train import TrainConfig
from molkit.train.checkpoint import save_checkpoint, state_dict_cpu


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A text file, a broken JSON file, an empty folder, a fake video and a real checkpoint."""
    base = tmp_path_factory.mktemp("mistakes")
    (base / "notes.txt").write_text("hello\n")
    (base / "bad.json").write_text("{not json")
    (base / "empty").mkdir()
    (base / "clip.mp4").write_text("not a video\n")
    model = MOL(MOLConfig(n_classes=5, flow_width=0.0625))
    save_checkpoint(base / "model.pt", state_dict_cpu(model), model.config, TrainConfig(), {})
    return base


# (command line with {b} for the files' folder, the file the message must name, what it must say)
MISTAKES = [
    (
        "synth --out {b}/notes.txt --subjects 1 --samples-per-subject 1 --frames 12",
        "notes.txt",
        "Not a directory",
    ),
    ("synth --twin atlantis --out {b}/twin", "atlantis", "unknown twin"),
    ("synth --twin smic --twin-set colour=3 --out {b}/twin", "colour", "unknown keys"),
    ("synth --twin smic --twin-set au_extent --out {b}/twin", "au_extent", "expected KEY=VALUE"),
    ("synth --twin composite --datasets atlantis --out {b}/twin", "atlantis", "unknown"),
    ("synth --twin casme2 --sheets {b}/empty --out {b}/twin", "empty", "no casme2 sheet"),
    ("prepare --dataset casme2 --root {b}/absent --cache {b}/c", "absent", "not a folder"),
    ("prepare --dataset samm --root {b}/empty --cache {b}/c", "empty", "no coding sheet"),
    (
        "prepare --dataset casme2 --root {b}/empty --cache {b}/c --settings {b}/bad.json",
        "bad.json",
        "not a PrepSettings file",
    ),
    ("prepare --dataset composite --root {b}/empty --cache {b}/c", "empty", "no copy of"),
    ("train --cache {b}/empty --out {b}/o --steps 1", "videos.csv", "not a prepared cache"),
    ("loso --cache {b}/empty --out {b}/o --config {b}/bad.json", "bad.json", "not a LosoConfig file"),
    ("evaluate --checkpoint {b}/absent.pt --cache {b}/empty", "absent.pt", "no such checkpoint"),
    ("evaluate --checkpoint {b}/notes.txt --cache {b}/empty", "notes.txt", "not a molkit checkpoint"),
    ("predict {b}/absent.mp4 --checkpoint {b}/model.pt", "absent.mp4", "no such video file"),
    ("predict {b}/clip.mp4 --checkpoint {b}/model.pt", "clip.mp4", "not a video"),
    ("predict {b}/empty --checkpoint {b}/model.pt", "empty", "no image files"),
    ("predict {b}/clip.mp4 --checkpoint {b}/notes.txt", "notes.txt", "not a molkit checkpoint"),
    (
        "predict {b}/clip.mp4 --checkpoint {b}/model.pt --prep-settings {b}/bad.json",
        "bad.json",
        "not a PrepSettings",
    ),
    ("reproduce --data-root {b}/absent --notebooks {b}/empty", "absent", "no such data folder"),
    ("reproduce --notebooks {b}/empty", "empty", "no numbered notebooks"),
    ("notebooks {b}/notes.txt", "notes.txt", "not a folder"),
]


def test_every_command_has_a_mistake_below():
    assert {line.split()[0] for line, _, _ in MISTAKES} == set(COMMANDS)


@pytest.mark.parametrize("line, named, says", MISTAKES, ids=[m[0].split(" --")[0] for m in MISTAKES])
def test_a_mistake_is_one_line_naming_the_file(files, capsys, line, named, says):
    argv = line.format(b=files).split()
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and captured.err.startswith(f"molkit {argv[0]}: ")
    assert named in captured.err and says in captured.err, captured.err


def test_debug_shows_the_traceback_instead(files, capsys):
    argv = ["--debug", "predict", str(files / "absent.mp4"), "--checkpoint", str(files / "model.pt")]
    with pytest.raises(FileNotFoundError, match="absent.mp4"):
        main(argv)
    with pytest.raises(FileNotFoundError, match="absent.mp4"):
        main(argv[1:] + ["--debug"])


def test_the_installed_command_prints_one_line_and_nothing_from_ffmpeg(files):
    """As a user sees it: a separate process, stderr as written (OpenCV's FFmpeg logs included)."""
    command = [
        sys.executable,
        "-m",
        "molkit",
        "predict",
        str(files / "clip.mp4"),
        "--checkpoint",
        str(files / "model.pt"),
    ]
    done = subprocess.run(command, capture_output=True, text=True)
    assert (done.returncode, done.stderr) == (
        2,
        f"molkit predict: {files / 'clip.mp4'}: not a video (OpenCV reads no frame from it)\n",
    )
    debug = subprocess.run(command + ["--debug"], capture_output=True, text=True)
    assert debug.returncode == 1 and "Traceback" in debug.stderr and "not a video" in debug.stderr
