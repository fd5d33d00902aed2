"""`molkit reproduce` on tiny throwaway notebooks: order, hand-over through the output folder,
a failing notebook that does not stop the run, HTML pages, index and run record."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from molkit.reports.record import load_record
from molkit.reports.screenshot import page_content
from molkit.run.commands import reproduce as command
from molkit.run.notebooks import copy_notebooks, find_notebooks
from molkit.run.reproduce import reproduce, without_progress_bars

REPO = Path(__file__).resolve().parents[1]


def write_notebook(path: Path, title: str, *code: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = nbformat.v4.new_code_cell("output_dir = None\nprofile = None\nseed = 0")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {title}"), params, *map(nbformat.v4.new_code_cell, code)]
    nbformat.write(nb, path)


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs += [v for k, v in attrs if k == "href" and v]


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("reproduce")
    nbs = root / "notebooks"
    nbs.mkdir()
    write_notebook(
        nbs / "01_write.ipynb",
        "Write",
        "import os\nos.makedirs(output_dir, exist_ok=True)\n"
        "open(os.path.join(output_dir, 'hand_over.txt'), 'w').write(f'{profile}-{seed}')",
    )
    write_notebook(nbs / "02_fail.ipynb", "Fail", "raise RuntimeError('deliberate failure 7f3a')")
    write_notebook(
        nbs / "03_read.ipynb",
        "Read",
        "import os\n"
        "assert open(os.path.join(output_dir, 'hand_over.txt')).read() == 'smoke-5'\nprint('read ok')",
    )
    (nbs / "helper.ipynb").write_text((nbs / "02_fail.ipynb").read_text())  # not numbered: not run
    args = argparse.ArgumentParser()
    command.add_arguments(args)
    parsed = args.parse_args(
        [
            "--profile",
            "smoke",
            "--seed",
            "5",
            "--notebooks",
            str(nbs),
            "--reports",
            str(root / "reports"),
            "--name",
            "r1",
            "--no-progress",
        ]
    )
    status = command.run(parsed)
    return status, root / "reports" / "r1"


def test_find_notebooks_keeps_numbered_ones_in_order(tmp_path: Path) -> None:
    for name in ["10_z.ipynb", "02_b.ipynb", "01_a.ipynb", "notes.ipynb", "1_x.ipynb", "03_c.txt"]:
        (tmp_path / name).write_text("{}")
    assert [p.name for p in find_notebooks(tmp_path)] == ["01_a.ipynb", "02_b.ipynb", "10_z.ipynb"]
    assert [p.name for p in find_notebooks(tmp_path, only=["02", "10"])] == ["02_b.ipynb", "10_z.ipynb"]
    with pytest.raises(FileNotFoundError, match="no numbered notebooks"):
        find_notebooks(tmp_path, only=["99"])
    with pytest.raises(FileNotFoundError, match="missing"):
        find_notebooks(tmp_path / "missing")


def test_failure_is_reported_and_the_run_goes_on(tiny_run) -> None:
    status, run_dir = tiny_run
    assert status == 1
    record = load_record(run_dir / "run.json")
    assert [(nb.name, nb.status) for nb in record.notebooks] == [
        ("01_write.ipynb", "ok"),
        ("02_fail.ipynb", "failed"),
        ("03_read.ipynb", "ok"),
    ]
    failed = record.notebooks[1]
    assert "RuntimeError" in failed.error and "deliberate failure 7f3a" in failed.error
    assert "deliberate failure 7f3a" in (run_dir / failed.html).read_text()
    assert record.finished is not None and not record.ok


def test_parameters_reach_the_notebooks_and_outputs_are_kept(tiny_run) -> None:
    _, run_dir = tiny_run
    assert (run_dir / "work" / "hand_over.txt").read_text() == "smoke-5"
    executed = nbformat.read(run_dir / "03_read.ipynb", as_version=4)
    printed = [o.get("text", "") for c in executed.cells if c.cell_type == "code" for o in c.outputs]
    assert "read ok\n" in printed
    assert "read ok" in (run_dir / "03_read.html").read_text()


def test_index_links_every_page_and_shows_status(tiny_run) -> None:
    _, run_dir = tiny_run
    html = (run_dir / "index.html").read_text()
    links = Links()
    links.feed(html)
    for stem in ["01_write", "02_fail", "03_read"]:
        assert f"{stem}.html" in links.hrefs and f"{stem}.ipynb" in links.hrefs
    assert "run.json" in links.hrefs
    assert all((run_dir / href).is_file() for href in links.hrefs)
    assert "deliberate failure 7f3a" in html and 'class="failed"' in html
    assert "helper" not in html


def test_run_record_has_parameters_versions_and_times(tiny_run) -> None:
    _, run_dir = tiny_run
    raw = json.loads((run_dir / "run.json").read_text())
    assert raw["parameters"]["profile"] == "smoke" and raw["parameters"]["seed"] == 5
    assert raw["parameters"]["output_dir"] == str(run_dir.resolve() / "work")
    assert raw["packages"]["papermill"] != "not installed" and raw["packages"]["torch"]
    assert raw["device"].startswith(("cpu", "cuda"))
    assert all(nb["seconds"] > 0 for nb in raw["notebooks"])


def test_all_ok_run_exits_zero(tmp_path: Path) -> None:
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    write_notebook(nbs / "01_ok.ipynb", "Ok", "x = 1")
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    args = parser.parse_args(
        ["--notebooks", str(nbs), "--reports", str(tmp_path), "--name", "ok", "--no-progress"]
    )
    assert command.run(args) == 0
    assert load_record(tmp_path / "ok" / "run.json").ok


def test_bad_record_file_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "run.json"
    bad.write_text('{"run_name": "x", "surprise": 1}')
    with pytest.raises(ValueError, match="run.json"):
        load_record(bad)


def test_html_pages_leave_progress_bars_out_but_keep_warnings() -> None:
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [
        nbformat.v4.new_output(
            "stream",
            name="stderr",
            text="folds:   0%|          | 0/3 [00:00<?, ?it/s]\r"
            "folds:  33%|###       | 1/3 [00:05<00:10,  5.1s/it]\nUserWarning: careful\n",
        ),
        nbformat.v4.new_output(
            "stream", name="stderr", text="fold_1: 100%|#####| 3/3 [00:09<00:00, loss=1.2]\n"
        ),
        nbformat.v4.new_output("stream", name="stderr", text="\x1b[A\n\x1b[A\n"),  # nested bars' cursor moves
        nbformat.v4.new_output("stream", name="stdout", text="50%| 1/2 [ printed on purpose\n"),
    ]
    nb = without_progress_bars(nbformat.v4.new_notebook(cells=[cell]))
    assert [(o.name, o.text) for o in nb.cells[0].outputs] == [
        ("stderr", "UserWarning: careful"),
        ("stdout", "50%| 1/2 [ printed on purpose\n"),
    ]


def test_rerunning_one_notebook_keeps_the_others(tmp_path: Path) -> None:
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    write_notebook(nbs / "01_a.ipynb", "A", "x = 1")
    write_notebook(nbs / "02_b.ipynb", "B", "x = 2")
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    common = ["--notebooks", str(nbs), "--reports", str(tmp_path), "--name", "r", "--no-progress"]
    assert command.run(parser.parse_args(common)) == 0
    first = load_record(tmp_path / "r" / "run.json").notebooks
    assert command.run(parser.parse_args([*common, "--only", "02"])) == 0
    again = load_record(tmp_path / "r" / "run.json").notebooks
    assert [nb.name for nb in again] == ["01_a.ipynb", "02_b.ipynb"]
    assert again[0] == first[0]
    assert "01_a.html" in (tmp_path / "r" / "index.html").read_text()
    assert command.run(parser.parse_args([*common, "--only", "02", "--seed", "3"])) == 0
    assert [nb.name for nb in load_record(tmp_path / "r" / "run.json").notebooks] == ["02_b.ipynb"]


def test_the_shipped_notebooks_are_found_from_any_folder(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    repo = Path(__file__).resolve().parents[1] / "notebooks"
    found = find_notebooks()
    assert [p.name for p in found] == sorted(p.name for p in repo.glob("[0-9][0-9]_*.ipynb"))
    assert all(p.read_bytes() == (repo / p.name).read_bytes() for p in found)
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    assert find_notebooks(parser.parse_args([]).notebooks) == found


def test_copies_keep_their_edits_unless_told(tmp_path: Path) -> None:
    copies = copy_notebooks(tmp_path / "mine")
    assert [p.name for p in copies] == [p.name for p in find_notebooks()]
    assert copy_notebooks(tmp_path / "mine") == copies  # identical copies: nothing to refuse
    edited = copies[1]
    edited.write_text(edited.read_text().replace("import", "import  "))
    with pytest.raises(FileExistsError, match=f"^{edited}: exists and differs"):
        copy_notebooks(tmp_path / "mine")
    assert "import  " in edited.read_text()
    copy_notebooks(tmp_path / "mine", overwrite=True)
    assert edited.read_bytes() == find_notebooks()[1].read_bytes()


@pytest.mark.parametrize(
    ("parameters", "shown"),
    [
        ({"profile": "smoke"}, True),  # the smoke profile's data is the easy tier
        ({"profile": "demo", "dataset": "synthetic"}, True),
        ({"profile": "demo"}, False),  # the demo's is the twin
        ({"profile": "smoke", "dataset": "twin"}, False),
        ({"profile": "easy", "dataset": "casme2", "data_root": "/copy"}, False),
    ],
)
def test_only_an_easy_tier_run_shows_the_sensitivity_curve(tmp_path: Path, parameters, shown) -> None:
    curve = tmp_path / "curve.png"
    curve.write_bytes(b"\x89PNG easy tier")
    reproduce([], tmp_path / "run", parameters, repo=REPO, progress=False, sensitivity=curve)
    figures = tmp_path / "run" / "work" / "figures"
    html = (tmp_path / "run" / "index.html").read_text()
    assert (
        ("sensitivity", "work/figures/sensitivity.png")
        in page_content(tmp_path / "run" / "index.html").figures
    ) == shown
    assert ("Sensitivity (easy tier" in html) == shown
    if shown:
        assert (figures / "sensitivity.png").read_bytes() == curve.read_bytes()
        # a figure this run did not make says so in its title, and where it comes from (outside git: its date)
        written = dt.datetime.fromtimestamp(curve.stat().st_mtime, dt.UTC)
        assert "<h2>Sensitivity (easy tier; benchmark record, not this run): " in html
        assert (
            f"<figcaption>not from this run: curve.png, last written {written:%Y-%m-%d}</figcaption>" in html
        )
    else:
        assert not figures.exists() or not any(figures.iterdir())


def test_the_sensitivity_curve_leaves_a_folder_reused_for_the_twin(tmp_path: Path) -> None:
    curve = tmp_path / "curve.png"
    curve.write_bytes(b"\x89PNG easy tier")
    reproduce([], tmp_path / "run", {"profile": "smoke"}, repo=REPO, progress=False, sensitivity=curve)
    reproduce([], tmp_path / "run", {"profile": "demo"}, repo=REPO, progress=False, sensitivity=curve)
    assert not list((tmp_path / "run" / "work" / "figures").iterdir())
    reproduce(
        [],
        tmp_path / "bare",
        {"profile": "smoke"},
        repo=REPO,
        progress=False,
        sensitivity=tmp_path / "none.png",
    )
    assert page_content(tmp_path / "bare" / "index.html").figures == []
