"""Shared session fixtures, one heading per area. Everything here runs on CPU at small sizes."""
from __future__ import annotations

import os

import pytest
import torch

os.environ.setdefault("MOLKIT_PROFILE", "smoke")
torch.set_num_threads(min(2, os.cpu_count() or 1))


@pytest.fixture(scope="session")
def workdir(tmp_path_factory: pytest.TempPathFactory):
    """A session-wide scratch folder shared by the area fixtures below."""
    return tmp_path_factory.mktemp("molkit")


# --- synthetic benchmark ---------------------------------------------------------------------

# --- preparation ------------------------------------------------------------------------------

# --- training ---------------------------------------------------------------------------------

# --- attribution ------------------------------------------------------------------------------
