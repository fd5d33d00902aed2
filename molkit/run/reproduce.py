"""Run the numbered notebooks in order with papermill and convert each to HTML.

A failing notebook does not stop the run: its executed copy (with papermill's error banner) and
its HTML page are still written, the failure is recorded, and the next notebook runs.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import papermill
from nbconvert import HTMLExporter
from tqdm.auto import tqdm

from molkit.data.cache import atomic_write_bytes, atomic_write_text
from molkit.profiles import get_profile
from molkit.reports.index import FIGURES_FOLDER, SOURCE_SUFFIX, write_index
from molkit.reports.record import (
    NotebookResult,
    RunRecord,
    file_provenance,
    load_record,
    new_record,
    now,
    save_record,
)
from molkit.run.context import REPO

RECORD_NAME = "run.json"
INDEX_NAME = "index.html"
WORK_NAME = "work"
SENSITIVITY = REPO / "reports" / "benchmarks" / "sensitivity.png"  # benchmarks/bench_sensitivity.py


# passed only to the notebooks whose parameters cell declares them (02 and 05 read the real
# composite's images; papermill would warn about them in the others)
OPTIONAL_PARAMETERS = ("flow_images",)
PROGRESS_LINE = re.compile(r"\|\s*\d+/\d+ \[")  # a tqdm bar: "| 3/10 [00:05<00:12, ..."
TERMINAL_CODE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")  # cursor moves between nested bars


def without_progress_bars(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook with tqdm progress-bar lines removed from its stderr outputs (a static page
    shows every redraw of a bar); other stderr text, warnings included, stays."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for output in cell.outputs:
            if output.output_type == "stream" and output.name == "stderr":
                lines = re.split(r"[\r\n]+", TERMINAL_CODE.sub("", output.text))
                output.text = "\n".join(
                    line for line in lines if line.strip() and not PROGRESS_LINE.search(line)
                )
                if not output.text:
                    continue
            kept.append(output)
        cell.outputs = kept
    return nb


def notebook_to_html(notebook: str | Path, html: str | Path) -> Path:
    """Convert an executed notebook to a standalone HTML page (figures embedded, progress bars
    left out; the executed notebook keeps them)."""
    nb = without_progress_bars(nbformat.read(str(notebook), as_version=4))
    body, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    return atomic_write_text(html, body)


def notebook_title(notebook: str | Path) -> str:
    """The first Markdown heading of a notebook, else its file stem."""
    nb = nbformat.read(str(notebook), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return Path(notebook).stem


def notebook_parameters(source: Path, parameters: dict[str, Any]) -> dict[str, Any]:
    """``parameters`` less the :data:`OPTIONAL_PARAMETERS` that ``source`` does not declare."""
    declared = set(papermill.inspect_notebook(str(source)))
    return {k: v for k, v in parameters.items() if k in declared or k not in OPTIONAL_PARAMETERS}


def run_notebook(
    source: Path,
    run_dir: Path,
    parameters: dict[str, Any],
    kernel: str | None = None,
    *,
    progress: bool = True,
) -> NotebookResult:
    """Execute one notebook into ``run_dir`` and convert it to HTML; never raises on a cell error."""
    executed = run_dir / source.name
    html = executed.with_suffix(".html")
    start = time.perf_counter()
    error = None
    try:
        papermill.execute_notebook(
            str(source),
            str(executed),
            parameters=notebook_parameters(source, parameters),
            kernel_name=kernel,
            cwd=str(source.parent),
            progress_bar=progress,
        )
    except papermill.PapermillExecutionError as err:
        error = f"cell {err.exec_count}: {err.ename}: {err.evalue}"
    except Exception as err:  # kernel died, bad notebook, ...: still a result, not a crash
        error = f"{type(err).__name__}: {err}"
    seconds = time.perf_counter() - start
    html_name: str | None = html.name
    if executed.exists():
        try:
            notebook_to_html(executed, html)
        except Exception as err:
            html_name = None
            error = error or f"HTML conversion failed: {type(err).__name__}: {err}"
    else:
        html_name = None
    return NotebookResult(
        name=source.name,
        status="failed" if error else "ok",
        seconds=round(seconds, 2),
        executed=executed.name,
        html=html_name,
        error=error,
    )


def _kept_results(run_dir: Path, parameters: dict[str, Any], rerun: set[str]) -> list[NotebookResult]:
    """Results of an earlier run into the same folder with the same parameters, less the
    notebooks run again (so ``--only 02`` on a finished run keeps 01 and 03-05 in the index)."""
    path = run_dir / RECORD_NAME
    if not path.is_file():
        return []
    earlier = load_record(path)
    if earlier.parameters != parameters:
        return []
    return [nb for nb in earlier.notebooks if nb.name not in rerun and (run_dir / nb.executed).is_file()]


def easy_tier(parameters: dict[str, Any]) -> bool:
    """Whether a run with these parameters works on the easy tier: its ``dataset``, or where that
    is None its profile's, is ``synthetic``."""
    dataset = parameters.get("dataset") or get_profile(parameters.get("profile")).dataset
    return dataset == "synthetic"


def reproduce(
    notebooks: list[Path],
    run_dir: str | Path,
    parameters: dict[str, Any],
    kernel: str | None = None,
    repo: str | Path = ".",
    *,
    progress: bool = True,
    on_result: Callable[[NotebookResult], None] | None = None,
    sensitivity: str | Path | None = SENSITIVITY,
) -> RunRecord:
    """Run ``notebooks`` in order into ``run_dir`` with ``parameters`` (plus ``output_dir``, the
    shared ``work`` folder through which notebooks hand results on). The run record and index are
    rewritten after every notebook, so a report exists even if the run is interrupted.
    ``sensitivity``: the easy tier's sensitivity-curve PNG (default: the benchmark's,
    ``reports/benchmarks/sensitivity.png``), copied into the run, with where it comes from (not
    from this run: its record's date and commit), when it exists and the run's data is the easy
    tier (:func:`easy_tier`); any other run's front page leaves it out."""
    run_dir = Path(run_dir).resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    figure = run_dir / FIGURES_FOLDER / "sensitivity.png"
    if sensitivity is not None and Path(sensitivity).is_file() and easy_tier(parameters):
        atomic_write_bytes(figure, Path(sensitivity).read_bytes())
        atomic_write_text(
            figure.with_suffix(SOURCE_SUFFIX), f"not from this run: {file_provenance(sensitivity)}"
        )
    elif figure.with_suffix(SOURCE_SUFFIX).is_file():  # a copy an earlier run left in this folder
        figure.unlink(missing_ok=True)
        figure.with_suffix(SOURCE_SUFFIX).unlink()
    parameters = {"output_dir": str(run_dir / WORK_NAME), **parameters}
    record = new_record(run_dir.name, parameters, repo=repo)
    record.notebooks = _kept_results(run_dir, parameters, {nb.name for nb in notebooks})
    titles = {nb.name: notebook_title(run_dir / nb.executed) for nb in record.notebooks}
    titles.update({nb.name: notebook_title(nb) for nb in notebooks})
    bar = tqdm(notebooks, desc="notebooks", unit="nb", disable=not progress)
    for source in bar:
        bar.set_postfix_str(source.name)
        result = run_notebook(source, run_dir, parameters, kernel=kernel, progress=progress)
        record.notebooks = sorted([*record.notebooks, result], key=lambda nb: nb.name)
        save_record(record, run_dir / RECORD_NAME)
        write_index(record, run_dir / INDEX_NAME, titles)
        if on_result:
            on_result(result)
    record.finished = now()
    save_record(record, run_dir / RECORD_NAME)
    write_index(record, run_dir / INDEX_NAME, titles)
    return record
