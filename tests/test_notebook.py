"""The exploration notebook runs top to bottom in a real IPython kernel."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "explore_interviews.ipynb"
KERNEL = "superme-rx-tests"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def read_notebook() -> nbformat.NotebookNode:
    """Read the notebook; nbformat's reader carries no type annotations."""
    notebook: nbformat.NotebookNode = nbformat.read(NOTEBOOK, as_version=4)
    return notebook


@pytest.fixture
def kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A kernel spec running this very interpreter, found before any other.

    Whatever kernels the machine has, the notebook then runs with the venv's
    Python, which has superme_rx and the notebook extras installed.
    """
    spec = tmp_path / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": KERNEL, "language": "python"})
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    return KERNEL


def test_notebook_is_stored_without_outputs() -> None:
    """The notebook is committed clean: no outputs, no execution counts."""
    notebook = read_notebook()
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code
    assert all(not c.outputs and c.execution_count is None for c in code)


def test_notebook_runs_and_saves_the_timeline(kernel: str, tmp_path: Path) -> None:
    """Every cell runs without error, and the stage timeline is saved as a PNG."""
    notebook = read_notebook()
    plot = tmp_path / "timeline.png"
    parameters = next(
        i
        for i, cell in enumerate(notebook.cells)
        if "parameters" in cell.metadata.get("tags", [])
    )
    overrides = f"TIME_SCALE = 0.05\nPLOT_PATH = {str(plot)!r}"
    notebook.cells.insert(
        parameters + 1,
        nbformat.v4.new_code_cell(overrides),
    )

    client = NotebookClient(
        notebook,
        timeout=30,
        kernel_name=kernel,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # raises CellExecutionError at the first failing cell

    printed = "".join(
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "stream"
    )
    assert re.search(r"6 interviews, \d+ events, 24 stage spans", printed)
    data = plot.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 10_000
