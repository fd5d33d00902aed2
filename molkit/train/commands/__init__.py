"""``molkit train | loso | evaluate | predict``: each module defines ``add_arguments`` and ``run``."""
