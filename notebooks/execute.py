"""Execute the notebooks in place, so that they are committed with their outputs.

    .venv/bin/python notebooks/execute.py [NOTEBOOK ...]   # default: every notebook here

Outputs are kept deterministic: no execution timestamps in the cell metadata, the kernel runs
in notebooks/ (as in CI's ``pytest --nbmake notebooks``), and figures are PNG at the
inline backend's default (100 dpi). CI executes the notebooks again and does not write them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent


def execute(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=1800,
        kernel_name="python3",
        record_timing=False,  # no timestamps in the committed file
        resources={"metadata": {"path": str(HERE)}},
    )
    client.execute()
    nbformat.write(notebook, path)


def main(args: list[str]) -> None:
    paths = [Path(a) for a in args] or sorted(HERE.glob("*.ipynb"))
    for path in paths:
        print(f"executing {path.name}", flush=True)
        execute(path)


if __name__ == "__main__":
    main(sys.argv[1:])
