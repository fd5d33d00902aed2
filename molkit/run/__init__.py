"""The pipeline: where a run profile (:mod:`molkit.profiles`) becomes configurations
(:mod:`molkit.run.configs`, the only place), what a notebook knows about its run
(:mod:`molkit.run.context`), the steps the numbered notebooks share (:mod:`molkit.run.steps`),
notebook 03's ablations (:mod:`molkit.run.ablations`), the shipped notebooks
(:mod:`molkit.run.notebooks`), ``molkit reproduce`` (:mod:`molkit.run.reproduce`) and the
commands that start from a profile (:mod:`molkit.run.commands`: ``train``, ``loso``,
``reproduce``). Import from the modules: the package itself loads none of them."""

import warnings

# Notebooks without ipywidgets get text progress bars; tqdm's warning about it is noise there.
warnings.filterwarnings("ignore", message="IProgress not found")
