"""Write docs/RESULTS.md, and the figures it shows, from the experiments' outputs.

It reads each ``results/<name>/summary.json`` and its sweeps' manifests (``influencer-sim
experiment all``) and ``results/validation/`` (``influencer-sim validate``); every number and
every direction of the document comes from them (``simulation.results_doc``).
``tests/test_results_doc.py`` fails if docs/RESULTS.md was edited by hand. Without an output it
names the missing folder and the command that makes it, exits with status 2 and writes
nothing. Usage: ``python scripts/update_results_doc.py [--results DIR] [--validation DIR]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from simulation.results_doc import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], root=Path(__file__).parents[1]))
