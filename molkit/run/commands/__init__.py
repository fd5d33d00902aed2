"""The commands that start from a run profile: ``molkit train``, ``molkit loso`` (their shared
options in :mod:`molkit.run.commands.options`) and ``molkit reproduce``."""
