"""Reports: run the notebooks into HTML (``molkit reproduce``), the run record, results tables,
and browser screenshots of the rendered pages."""
import warnings

# Notebooks without ipywidgets get text progress bars; tqdm's warning about it is noise there.
warnings.filterwarnings("ignore", message="IProgress not found")

from molkit.reports.index import render_index, write_index
from molkit.reports.record import NotebookResult, RunRecord, load_record, new_record, save_record
from molkit.reports.reproduce import find_notebooks, notebook_to_html, reproduce, run_notebook

__all__ = [
    "NotebookResult", "RunRecord", "find_notebooks", "load_record", "new_record", "notebook_to_html",
    "render_index", "reproduce", "run_notebook", "save_record", "write_index",
]
