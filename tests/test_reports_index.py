"""The front page leads with the results: verdict, results table, figures (each read from the
run's work folder), and the screenshot check fails when one of them is missing."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from molkit.reports.figures import save_figure
from molkit.reports.index import write_index
from molkit.reports.record import file_provenance, new_record
from molkit.reports.reproduce import reproduce
from molkit.reports.screenshot import BROWSERS, page_content
from molkit.reports.tables import to_html

REPO = Path(__file__).resolve().parents[1]
CLAIMS = {  # claim 3 not yet written: the page shows the claims that are there, in order
    1: "MOL predicted one class in 3 of 8 folds (per-video UF1 0.10, chance 0.20).",
    2: "Per-video UF1 minus the full model's: no flow -0.05 [-0.20, +0.10].",
}


def figure(path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1], [1, 0])
    path = save_figure(fig, path)
    plt.close(fig)
    return path


def fake_run(run_dir: Path, verdict: bool = True) -> Path:
    work = run_dir / "work"
    if verdict:
        (work / "front" / "claims").mkdir(parents=True, exist_ok=True)
        for number, text in CLAIMS.items():
            (work / "front" / "claims" / f"{number}.txt").write_text(text + "\n")
    (work / "tables").mkdir(parents=True, exist_ok=True)
    table = pd.DataFrame({"method": ["molkit MOL", "chance (uniform guess)"], "UF1": [0.1, 0.2]})
    (work / "tables" / "results.html").write_text(to_html(table))
    figure(work / "figures" / "ablations.png")
    (run_dir / "02_joint_training.html").write_text(
        "<html><body><h1 style='font-size:90px'>02 joint training</h1><table><tr><td>1</td></tr></table>"
        '<img src="data:image/png;base64,AA"></body></html>'
    )
    record = new_record(run_dir.name, {"profile": "smoke"}, repo=REPO)
    write_index(record, run_dir / "index.html")
    return run_dir / "index.html"


def test_front_page_opens_with_verdict_table_and_figures(tmp_path):
    index = fake_run(tmp_path / "run")
    content = page_content(index)
    assert content.verdict == (
        f"MOL against the baselines. {CLAIMS[1]}The flow and landmark tasks. {CLAIMS[2]}"
    )  # one sentence per claim, each after its title
    assert content.results_tables == 1
    assert content.figures == [("ablations", "work/figures/ablations.png")]
    assert content.missing_figures(index) == []
    html = index.read_text()
    assert html.index('class="verdict"') < html.index("molkit-results") < html.index("<h2>Run</h2>")


def test_front_page_says_what_is_missing(tmp_path):
    index = fake_run(tmp_path / "run", verdict=False)
    assert page_content(index).verdict == ""
    assert "No verdict yet: notebook 02 has not finished." in index.read_text()


def test_reproduce_shows_the_sensitivity_curve_it_is_given(tmp_path):
    curve = figure(tmp_path / "curve.png")
    reproduce([], tmp_path / "run", {"profile": "smoke"}, repo=REPO, progress=False, sensitivity=curve)
    index = tmp_path / "run" / "index.html"
    assert ("sensitivity", "work/figures/sensitivity.png") in page_content(index).figures
    assert (tmp_path / "run" / "work" / "figures" / "sensitivity.png").read_bytes() == curve.read_bytes()
    # a figure this run did not make says where it comes from (outside git: its file's date)
    written = dt.datetime.fromtimestamp(curve.stat().st_mtime, dt.UTC)
    assert f"(not from this run: curve.png, last written {written:%Y-%m-%d})" in index.read_text()
    reproduce(
        [],
        tmp_path / "plain",
        {"profile": "smoke"},
        repo=REPO,
        progress=False,
        sensitivity=tmp_path / "no-such.png",
    )
    assert page_content(tmp_path / "plain" / "index.html").figures == []


@pytest.mark.skipif(not any(map(shutil.which, BROWSERS)), reason="Chromium is not installed")
def test_screenshot_check_fails_without_verdict_or_figure(tmp_path):
    script = [sys.executable, str(REPO / "scripts" / "check_report_screenshots.py")]
    run_dir = fake_run(tmp_path / "run").parent
    links = "".join(f'<a href="x{i}.html">x</a>' for i in range(5))  # the notebook links of a real run
    index = run_dir / "index.html"
    index.write_text(index.read_text().replace("<h2>Run</h2>", f"{links}<h2>Run</h2>"))
    good = subprocess.run(script + [str(run_dir)], capture_output=True, text=True)
    assert good.returncode == 0, good.stderr
    assert (run_dir / "screenshots" / "index.png").is_file()
    (run_dir / "work" / "figures" / "ablations.png").unlink()
    gone = subprocess.run(script + [str(run_dir)], capture_output=True, text=True)
    assert gone.returncode == 1 and "figure work/figures/ablations.png does not exist" in gone.stderr
    fake_run(run_dir, verdict=False)  # rewrites the index, figure again, no verdict (file stays)
    shutil.rmtree(run_dir / "work" / "front" / "claims")
    fake_run(run_dir, verdict=False)
    bare = subprocess.run(script + [str(run_dir)], capture_output=True, text=True)
    assert bare.returncode == 1 and "no verdict" in bare.stderr
    missing = subprocess.run(
        script + [str(run_dir), "--figure", "sensitivity"], capture_output=True, text=True
    )
    assert "the 'sensitivity' figure is missing" in missing.stderr


def test_a_recorded_figure_names_its_commit(tmp_path):
    repo = tmp_path / "repo"
    (repo / "reports").mkdir(parents=True)
    curve = figure(repo / "reports" / "curve.png")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(git[:3] + ["init", "-q"], check=True)
    subprocess.run(git + ["add", "."], check=True)
    subprocess.run(git + ["commit", "-qm", "record"], check=True)
    commit = subprocess.run(git[:3] + ["rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout
    committed = subprocess.run(git[:3] + ["log", "-1", "--format=%cs"], capture_output=True, text=True).stdout
    assert (
        file_provenance(curve)
        == f"reports/curve.png, recorded {committed.strip()} at commit {commit.strip()}"
    )
    curve.write_bytes(curve.read_bytes() + b"\0")
    assert file_provenance(curve).endswith("(changed since)")
