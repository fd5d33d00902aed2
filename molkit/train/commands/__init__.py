"""``molkit evaluate | predict``: each module defines ``add_arguments`` and ``run`` (``train`` and
``loso`` start from a run profile: :mod:`molkit.run.commands`)."""
