"""Rewrite the generated tables of docs/OUTPUTS.md from the declarations.

The column and summary-key tables come from ``simulation.outputs`` and the plot table from
``simulation.plots.CHARTS``; ``tests/test_docs.py`` fails until this has been run after a
declaration changed. Usage: ``python scripts/update_outputs_doc.py [docs/OUTPUTS.md]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from simulation.outputs import update_docs

if __name__ == "__main__":
    path = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parents[1] / "docs/OUTPUTS.md")
    path.write_text(update_docs(path.read_text(encoding="utf-8")), encoding="utf-8")
