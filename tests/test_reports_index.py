"""The front page leads with the results: verdict, results table, figures (each read from the
run's work folder), and the screenshot check fails when one of them is missing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from molkit.reports.figures import save_figure
from molkit.reports.index import write_index
from molkit.reports.record import file_provenance, new_record
from molkit.reports.screenshot import BROWSERS, page_content
from molkit.reports.tables import to_html
from molkit.reports.verdict import COLUMNS, Claim
from molkit.run.steps import save_claim

REPO = Path(__file__).resolve().parents[1]
NUMBERS = pd.DataFrame(
    [
        ["MOL (kit recipe), per-video UF1", "0.10 [0.02, 0.31]", "8 folds, 40 videos"],
        ["chance (uniform guess), per-video UF1", "0.20", ""],
        ["folds that predicted one class", "3 of 8", "8 folds"],
    ],
    columns=COLUMNS,
)
CLAIMS = {  # claim 3 not yet written: the page shows the claims that are there, in order
    1: Claim("MOL (kit recipe) predicted one class in 3 of 8 folds.", NUMBERS),
    2: Claim(
        "In the benchmark record, no variant differs from the full model beyond the spread of its pairs.",
        pd.DataFrame(
            [
                [
                    "no flow minus full, per-video UF1 (median, 97% sign interval)",
                    "+0.02 [-0.03, +0.13]",
                    "6 seed x fold pairs",
                ]
            ],
            columns=COLUMNS,
        ),
        "not from this run: reports/benchmarks/ablations_twin_pairs.csv, recorded 2026-01-02 at commit abc1234",
    ),
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
        for number, claim in CLAIMS.items():
            save_claim(SimpleNamespace(work=work), number, claim)
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
    assert content.verdict == CLAIMS[1].sentence + CLAIMS[2].sentence  # plain sentences, in order
    assert content.results_tables == 1
    assert content.figures == [("ablations", "work/figures/ablations.png")]
    assert content.missing_figures(index) == []
    html = index.read_text()
    assert html.index('class="verdict"') < html.index("molkit-results") < html.index("<h2>Run</h2>")
    front = html[html.index("<h2>Verdict</h2>") : html.index("<h2>Run</h2>")]
    assert "<b>" not in front and "<strong>" not in front
    # each claim: its title, its sentence, then the small table of its numbers
    assert (
        '<h3>MOL against the baselines</h3>\n<p class="verdict">MOL (kit recipe) predicted one class in 3 '
        'of 8 folds.</p>\n<table class="claim-numbers"><tr><th>quantity</th><th>value</th><th>on</th></tr>'
        "<tr><td>MOL (kit recipe), per-video UF1</td><td>0.10 [0.02, 0.31]</td><td>8 folds, 40 videos</td>"
        "</tr><tr><td>chance (uniform guess), per-video UF1</td><td>0.20</td><td></td></tr>"
    ) in front
    # numbers from a record: the title says so, the caption says where they come from
    assert "<h3>The flow and landmark tasks (benchmark record, not this run)</h3>" in front
    assert f'<p class="caption">{CLAIMS[2].source}</p>' in front
    assert "The regions MOL attends to" not in front
    assert "<h2>Ablations: each variant&#x27;s difference to the full model" in front
    assert "<figcaption>" not in front  # every figure of this page was made by this run


def test_front_page_says_what_is_missing(tmp_path):
    index = fake_run(tmp_path / "run", verdict=False)
    assert page_content(index).verdict == ""
    assert "No verdict yet: notebook 02 has not finished." in index.read_text()


def test_a_claim_without_its_table_shows_the_sentence(tmp_path):
    index = fake_run(tmp_path / "run")
    (tmp_path / "run" / "work" / "front" / "claims" / "1.csv").unlink()
    write_index(new_record("run", {"profile": "smoke"}, repo=REPO), index)
    html = index.read_text()
    assert '<p class="verdict">MOL (kit recipe) predicted one class in 3 of 8 folds.</p>\n<h3>' in html
    assert html.count('class="claim-numbers"') == 1  # claim 2's
    save_claim(
        SimpleNamespace(work=tmp_path / "run" / "work"),
        2,
        Claim("Only the full model ran.", NUMBERS.iloc[:0]),
    )
    write_index(new_record("run", {"profile": "smoke"}, repo=REPO), index)
    assert 'class="claim-numbers"' not in index.read_text()  # a table without rows is left out


def test_a_claim_from_this_run_drops_an_earlier_source(tmp_path):
    work = tmp_path / "run" / "work"
    save_claim(SimpleNamespace(work=work), 2, CLAIMS[2])
    assert (work / "front" / "claims" / "2.source.txt").is_file()
    save_claim(SimpleNamespace(work=work), 2, Claim("No variant differs.", NUMBERS))
    assert not (work / "front" / "claims" / "2.source.txt").exists()
    assert (work / "front" / "claims" / "2.txt").read_text() == "No variant differs.\n"
    assert pd.read_csv(work / "front" / "claims" / "2.csv", keep_default_na=False).equals(NUMBERS)


def test_a_figure_this_run_did_not_make_says_so_in_its_title(tmp_path):
    index = fake_run(tmp_path / "run")
    source = "not from this run: reports/benchmarks/ablations_twin_pairs.csv, recorded 2026-01-02"
    (tmp_path / "run" / "work" / "figures" / "ablations.source.txt").write_text(source + "\n")
    figure(tmp_path / "run" / "work" / "figures" / "sensitivity.png")
    (tmp_path / "run" / "work" / "figures" / "sensitivity.source.txt").write_text(source + "\n")
    write_index(new_record("run", {"profile": "smoke"}, repo=REPO), index)
    html = index.read_text()
    assert "<h2>Ablations (benchmark record, not this run): each variant" in html
    assert "<h2>Sensitivity (easy tier; benchmark record, not this run): per-video UF1" in html
    assert html.count(f"<figcaption>{source}</figcaption>") == 2


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
