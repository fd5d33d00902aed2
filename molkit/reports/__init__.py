"""Reports, presentation only: the front page (``index``), the run record, results tables (the
paper's shapes with intervals), the verdict, figures and browser screenshots of the rendered
pages. The pipeline that makes what they show (the notebooks' steps, ``molkit reproduce``) is
:mod:`molkit.run`. Import from the modules (``molkit.reports.tables``, ...): the package itself
loads none of them, so that a notebook's kernel does not pay for papermill, nbconvert and
nbformat (about 4 s) to read a table."""

import warnings

# Notebooks without ipywidgets get text progress bars; tqdm's warning about it is noise there.
warnings.filterwarnings("ignore", message="IProgress not found")
