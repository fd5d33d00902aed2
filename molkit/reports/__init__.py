"""Reports: run the notebooks into HTML (``molkit reproduce``), the run record, results tables,
and browser screenshots of the rendered pages."""

import warnings

# Notebooks without ipywidgets get text progress bars; tqdm's warning about it is noise there.
warnings.filterwarnings("ignore", message="IProgress not found")

from molkit.reports.context import NotebookRun, notebook_run
from molkit.reports.index import render_index, write_index
from molkit.reports.notebooks import NOTEBOOKS, copy_notebooks, find_notebooks
from molkit.reports.record import NotebookResult, RunRecord, load_record, new_record, save_record
from molkit.reports.reproduce import notebook_to_html, reproduce, run_notebook
from molkit.reports.screenshot import page_content, pixel_spread, screenshot
from molkit.reports.tables import (
    export_table,
    kit_result,
    load_reference_results,
    read_results,
    results_table,
    save_results,
    to_html,
    to_latex,
    to_markdown,
)

__all__ = [
    "NOTEBOOKS",
    "NotebookResult",
    "NotebookRun",
    "RunRecord",
    "copy_notebooks",
    "export_table",
    "find_notebooks",
    "kit_result",
    "load_record",
    "load_reference_results",
    "new_record",
    "notebook_run",
    "notebook_to_html",
    "page_content",
    "pixel_spread",
    "read_results",
    "render_index",
    "reproduce",
    "results_table",
    "run_notebook",
    "save_record",
    "save_results",
    "screenshot",
    "to_html",
    "to_latex",
    "to_markdown",
    "write_index",
]
