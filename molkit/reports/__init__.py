"""Reports: run the notebooks into HTML (``molkit reproduce``), the run record, results tables,
and browser screenshots of the rendered pages. Import from the modules (``molkit.reports.steps``,
``molkit.reports.reproduce``, ...): the package itself loads none of them, so that a notebook's
kernel does not pay for papermill, nbconvert and nbformat (about 4 s) to read a table."""

import warnings

# Notebooks without ipywidgets get text progress bars; tqdm's warning about it is noise there.
warnings.filterwarnings("ignore", message="IProgress not found")
