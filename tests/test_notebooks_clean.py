"""The numbered notebooks are stored clean: valid, a `parameters` cell first, no outputs except the
expected outputs of `# NBVAL_CHECK_OUTPUT` cells (which nbval compares against)."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))
PARAMETERS = {"profile", "dataset", "data_root", "classes", "protocol", "seed", "device", "output_dir"}
CHECKED = "# NBVAL_CHECK_OUTPUT"


def code_cells(path: Path) -> list[nbformat.NotebookNode]:
    return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


def test_the_five_notebooks_exist() -> None:
    assert [p.name[:2] for p in NOTEBOOKS] == ["01", "02", "03", "04", "05"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_valid_and_titled(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    assert nb.metadata["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_first_code_cell_is_the_parameters_cell(path: Path) -> None:
    first = code_cells(path)[0]
    assert "parameters" in first.metadata.get("tags", [])
    tree = ast.parse(first.source)
    assigned = {
        t.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Name)
    }
    assert PARAMETERS <= assigned, f"missing parameters {sorted(PARAMETERS - assigned)}"
    assert "MOLKIT_PROFILE" in first.source
    assert not any("parameters" in c.metadata.get("tags", []) for c in code_cells(path)[1:])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_only_checked_cells_keep_outputs(path: Path) -> None:
    for cell in code_cells(path):
        if cell.source.startswith(CHECKED):
            # nbval compares only cells with an execution count; their expected text must be stored
            assert cell.execution_count is not None and cell.outputs, cell.source[:80]
            assert all(o.output_type in {"stream", "execute_result"} for o in cell.outputs)
            assert not any("image/png" in o.get("data", {}) for o in cell.outputs)
        else:
            assert cell.execution_count is None and not cell.outputs, cell.source[:80]
